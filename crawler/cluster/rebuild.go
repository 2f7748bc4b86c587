package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// rebuild gives this node's database what the cluster knows of shards it takes over: the page
// records of the shard (done pages, with their links, so none is fetched again and same-shard
// links come back as pending), then every URL ever sent to the shard (its pending URLs, and
// known ones again, which the insert ignores). The shard's consumer exists already, so what is
// published from now on reaches the node through it.
func (n *Node) rebuild(ctx context.Context, shards []int) error {
	var recs []PageRecord
	err := n.replay(ctx, n.cr.records, n.cr.recordSubjects(), n.cr.recordSubject, shards, func(msgs []jetstream.Msg) error {
		recs = recs[:0]
		for _, m := range msgs {
			r, err := decodeRecord(m.Data())
			if err != nil {
				n.log.Warn("cluster: skipping a malformed record", "subject", m.Subject(), "err", err)
				continue
			}
			recs = append(recs, r)
		}
		if len(recs) == 0 {
			return nil
		}
		if err := n.local.Inbox.ApplyRecords(ctx, recs); err != nil {
			return fatal(fmt.Errorf("apply %d replayed records: %w", len(recs), err))
		}
		return nil
	})
	if err != nil {
		return err
	}
	var urls []URL
	return n.replay(ctx, n.cr.urls, n.cr.urlSubjects(), n.cr.urlSubject, shards, func(msgs []jetstream.Msg) error {
		urls = urls[:0]
		for _, m := range msgs {
			u, err := decodeURL(m.Data())
			if err != nil {
				n.log.Warn("cluster: skipping a malformed URL message", "subject", m.Subject(), "err", err)
				continue
			}
			urls = append(urls, u)
		}
		if len(urls) == 0 {
			return nil
		}
		if err := n.local.Inbox.InsertURLs(ctx, urls); err != nil {
			return fatal(fmt.Errorf("insert %d replayed URLs: %w", len(urls), err))
		}
		return nil
	})
}

// replay reads every message of the shards' subjects in the stream, in batches, to its end
// as of the read (messages published later reach the node through the shard's consumer).
func (n *Node) replay(ctx context.Context, stream jetstream.Stream, wildcard string, subject func(int) string, shards []int, apply func([]jetstream.Msg) error) error {
	name := stream.CachedInfo().Config.Name
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter(wildcard))
	if err != nil {
		return fmt.Errorf("replay %s: %w", name, err)
	}
	var total uint64
	filters := make([]string, 0, len(shards))
	for _, s := range shards {
		total += info.State.Subjects[subject(s)]
		filters = append(filters, subject(s))
	}
	if total == 0 {
		return nil
	}
	if len(shards) == n.cr.config.Shards {
		filters = []string{wildcard}
	}
	cons, err := n.cr.js.OrderedConsumer(ctx, name, jetstream.OrderedConsumerConfig{
		FilterSubjects: filters,
		// The server removes it soon after the replay ends.
		InactiveThreshold: 5 * time.Second,
	})
	if err != nil {
		return fmt.Errorf("replay %s: %w", name, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(n.cfg.Batch))
	if err != nil {
		return fmt.Errorf("replay %s: %w", name, err)
	}
	defer it.Stop()
	batch := make([]jetstream.Msg, 0, n.cfg.Batch)
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return fmt.Errorf("replay %s: %w", name, err)
			}
			n.log.Debug("cluster: replay", "stream", name, "err", err)
			continue
		}
		meta, err := msg.Metadata()
		if err != nil {
			return fmt.Errorf("replay %s: %w", name, err)
		}
		batch = append(batch, msg)
		last := meta.NumPending == 0
		if len(batch) == cap(batch) || last {
			if err := apply(batch); err != nil {
				return err
			}
			n.bump()
			batch = batch[:0]
		}
		if last {
			return nil
		}
	}
}
