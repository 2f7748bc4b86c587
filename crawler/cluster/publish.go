package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The publisher sends the outbox rows and the page records the node committed, oldest first,
// each with a message id, and deletes them from the database only once the server has
// acknowledged them. A failure (server away, timeout) leaves the rows for the next try, after
// a backoff; a crash leaves them too. Rows are sent again at worst, never lost: the server
// drops repeats within its duplicate window, and receivers ignore what they already have.
//
// Outbox rows go before records in each round, so that the links of a page have usually been
// sent when its record arrives; a new owner that replays a record re-sends its links anyway
// (Inbox.ApplyRecords writes outbox rows for them).

const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// publish runs the publisher until the crawl is done or ctx ends.
func (n *Node) publish(ctx context.Context, done <-chan struct{}) error {
	poll := time.NewTicker(n.cfg.PollEvery)
	defer poll.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	var backoff time.Duration
	var waiting []chan error // flush requests answered once a round drained everything
	for {
		err := n.publishAll(ctx)
		switch {
		case errors.Is(err, errFatal):
			return err
		case err != nil && ctx.Err() == nil:
			backoff = min(max(2*backoff, minBackoff), maxBackoff)
			n.log.Warn("cluster: publish", "err", err, "retry_in", backoff)
			retry.Reset(backoff)
		case err == nil:
			backoff = 0
			for _, w := range waiting {
				w <- nil
			}
			waiting = waiting[:0]
		}
		select {
		case <-n.wake:
		case <-poll.C:
		case <-retry.C:
		case w := <-n.flushReq:
			waiting = append(waiting, w)
		case <-ctx.Done():
			return nil
		case <-done:
			return nil
		}
	}
}

// flush returns once the publisher has sent everything committed before the call.
func (n *Node) flush(ctx context.Context) error {
	w := make(chan error, 1)
	select {
	case n.flushReq <- w:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-w:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// publishAll sends outbox rows, then records, until both are empty or a send fails.
func (n *Node) publishAll(ctx context.Context) error {
	for {
		rows, err := n.local.Outbox.PendingOutbox(ctx, n.cfg.Batch)
		if err != nil {
			return fatal(fmt.Errorf("read outbox: %w", err))
		}
		if len(rows) == 0 {
			break
		}
		msgs := make([]outgoing, len(rows))
		for i, r := range rows {
			if r.Shard < 0 || r.Shard >= n.cr.config.Shards {
				return fatal(fmt.Errorf("outbox row %d: shard %d of %d", r.Seq, r.Shard, n.cr.config.Shards))
			}
			data, err := appendURL(nil, r.URL)
			if err != nil {
				return fatal(fmt.Errorf("outbox row %d: %w", r.Seq, err))
			}
			msgs[i] = outgoing{seq: r.Seq, subject: n.cr.urlSubject(r.Shard), id: urlMsgID(r.URL), data: data}
		}
		acked, sendErr := n.send(ctx, msgs)
		if len(acked) > 0 {
			if err := n.local.Outbox.DeleteOutbox(ctx, acked); err != nil {
				return fatal(fmt.Errorf("delete %d outbox rows: %w", len(acked), err))
			}
			n.bump()
		}
		if sendErr != nil {
			return sendErr
		}
	}
	for {
		recs, err := n.local.Records.PendingRecords(ctx, n.cfg.Batch)
		if err != nil {
			return fatal(fmt.Errorf("read records: %w", err))
		}
		if len(recs) == 0 {
			return nil
		}
		msgs := make([]outgoing, len(recs))
		for i, r := range recs {
			if r.Shard < 0 || r.Shard >= n.cr.config.Shards {
				return fatal(fmt.Errorf("record %d: shard %d of %d", r.Seq, r.Shard, n.cr.config.Shards))
			}
			data, err := appendRecord(nil, r.PageRecord)
			if err != nil {
				return fatal(fmt.Errorf("record %d: %w", r.Seq, err))
			}
			msgs[i] = outgoing{seq: r.Seq, subject: n.cr.recordSubject(r.Shard), id: recordMsgID(data), data: data}
		}
		acked, sendErr := n.send(ctx, msgs)
		if len(acked) > 0 {
			if err := n.local.Records.DeleteRecords(ctx, acked); err != nil {
				return fatal(fmt.Errorf("mark %d records replicated: %w", len(acked), err))
			}
			n.bump()
		}
		if sendErr != nil {
			return sendErr
		}
	}
}

type outgoing struct {
	seq     uint64
	subject string
	id      string
	data    []byte
}

// send publishes msgs asynchronously and returns the seqs the server acknowledged (a
// duplicate's acknowledgement counts: the server has the message) and the first failure.
func (n *Node) send(ctx context.Context, msgs []outgoing) ([]uint64, error) {
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	var firstErr error
	for _, m := range msgs {
		f, err := n.cr.js.PublishMsgAsync(&nats.Msg{Subject: m.subject, Data: m.data}, jetstream.WithMsgID(m.id))
		if err != nil {
			firstErr = fmt.Errorf("publish %s: %w", m.subject, err)
			break
		}
		futures = append(futures, f)
	}
	acked := make([]uint64, 0, len(futures))
	for i, f := range futures {
		select {
		case <-f.Ok():
			acked = append(acked, msgs[i].seq)
		case err := <-f.Err():
			if firstErr == nil {
				firstErr = fmt.Errorf("publish %s: %w", msgs[i].subject, err)
			}
		case <-ctx.Done():
			return acked, ctx.Err()
		}
	}
	return acked, firstErr
}

// PublishSeeds sends seed URLs (depth 0, normalised as the crawl normalises them, so that
// their host is the frontier's host key) to the owners of their shards. Every node sends the
// seeds it was given, and a node inserts none itself: a seed reaches its shard's owner, and
// any later owner of the shard, through the shard's subject. It returns once the server has
// acknowledged every one. Call it between Join and Run.
func (n *Node) PublishSeeds(ctx context.Context, seeds []string) error {
	for start := 0; start < len(seeds); start += n.cfg.Batch {
		chunk := seeds[start:min(start+n.cfg.Batch, len(seeds))]
		msgs := make([]outgoing, len(chunk))
		for i, s := range chunk {
			u, err := url.Parse(s)
			if err != nil || u.Host == "" {
				return fmt.Errorf("seed %q: not an absolute URL", s)
			}
			w := URL{URL: s}
			data, err := appendURL(nil, w)
			if err != nil {
				return fmt.Errorf("seed %q: %w", s, err)
			}
			msgs[i] = outgoing{subject: n.cr.urlSubject(n.ShardOf(u.Host)), id: urlMsgID(w), data: data}
		}
		for {
			_, err := n.send(ctx, msgs)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// Sent again whole: the server drops the repeats of what it acknowledged.
			n.log.Warn("cluster: publish seeds", "err", err)
			t := time.NewTimer(minBackoff)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
		}
		n.bump()
	}
	// New work: a crawl seen done meanwhile (this node joined but was not running yet) runs
	// again.
	if err := n.cr.kv.Delete(ctx, keyDone); err != nil {
		return fmt.Errorf("crawl %s: clear done mark: %w", n.cfg.CrawlID, err)
	}
	return nil
}
