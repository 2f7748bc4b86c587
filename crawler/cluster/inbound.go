package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Inbound URLs. Each shard has one durable pull consumer on its subject, named for the shard,
// not for a node: its delivery state (what was acknowledged) belongs to the shard and stays
// with it when the shard moves. The owner runs it; a new owner gets what the old one never
// acknowledged, and its rebuild replays what the old one did acknowledge.

type inMsg struct {
	shard int
	msg   jetstream.Msg
}

type shardConsumer struct {
	it       jetstream.MessagesContext
	stopping chan struct{}
	done     chan struct{}
}

// ensureConsumer creates the shard's durable consumer if it does not exist, and says whether
// it did. A new one starts with the messages published after it: the rebuild that follows
// replays the earlier ones.
func (n *Node) ensureConsumer(ctx context.Context, shard int) (created bool, err error) {
	name := n.cr.consumer(shard)
	_, err = n.cr.js.Consumer(ctx, n.cr.urlStream(), name)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return false, fmt.Errorf("shard %d: consumer: %w", shard, err)
	}
	_, err = n.cr.js.CreateConsumer(ctx, n.cr.urlStream(), jetstream.ConsumerConfig{
		Durable:       name,
		Description:   fmt.Sprintf("crawl %s: URLs of shard %d for its owner", n.cfg.CrawlID, shard),
		FilterSubject: n.cr.urlSubject(shard),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       n.cfg.AckWait,
		DeliverPolicy: jetstream.DeliverNewPolicy,
		MaxDeliver:    -1,
		MaxAckPending: 4 * n.cfg.Batch,
	})
	if err != nil && !errors.Is(err, jetstream.ErrConsumerExists) {
		return false, fmt.Errorf("shard %d: create consumer: %w", shard, err)
	}
	return true, nil
}

// startConsumer pulls the shard's messages into the node's inbound channel.
func (n *Node) startConsumer(ctx context.Context, shard int) error {
	cons, err := n.cr.js.Consumer(ctx, n.cr.urlStream(), n.cr.consumer(shard))
	if err != nil {
		return fmt.Errorf("shard %d: consumer: %w", shard, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(n.cfg.Batch))
	if err != nil {
		return fmt.Errorf("shard %d: consume: %w", shard, err)
	}
	sc := &shardConsumer{it: it, stopping: make(chan struct{}), done: make(chan struct{})}
	n.mu.Lock()
	n.consumer[shard] = sc
	n.mu.Unlock()
	go n.pull(shard, sc)
	return nil
}

// pull forwards a shard's messages until its consumer is stopped; what it still holds then is
// handed back to the server (nak), so the shard's next owner gets it at once.
func (n *Node) pull(shard int, sc *shardConsumer) {
	defer close(sc.done)
	for {
		msg, err := sc.it.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return
		}
		if err != nil {
			n.log.Debug("cluster: consumer", "shard", shard, "err", err) // it retries by itself
			continue
		}
		n.inHand.Add(1)
		select {
		case n.inbound <- inMsg{shard, msg}:
		case <-sc.stopping:
			_ = msg.Nak()
			n.inHand.Add(-1)
		}
	}
}

// stopConsumer stops a shard's consumer and waits for its goroutine.
func (n *Node) stopConsumer(shard int) {
	n.mu.Lock()
	sc := n.consumer[shard]
	delete(n.consumer, shard)
	n.mu.Unlock()
	if sc == nil {
		return
	}
	close(sc.stopping)
	if !n.conn.nc.IsConnected() {
		sc.it.Stop() // no server to hand messages back to: they come back after AckWait
		<-sc.done
		return
	}
	sc.it.Drain()
	bound := time.NewTimer(n.cfg.HeartbeatTTL)
	defer bound.Stop()
	select {
	case <-sc.done:
	case <-bound.C:
		// The drain needs the server, which went away meanwhile.
		sc.it.Stop()
		<-sc.done
	}
}

func (n *Node) stopAllConsumers() {
	n.mu.Lock()
	shards := make([]int, 0, len(n.consumer))
	for s := range n.consumer {
		shards = append(shards, s)
	}
	n.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range shards {
		wg.Go(func() { n.stopConsumer(s) })
	}
	wg.Wait()
}

// commitInbound hands batches of inbound URLs to the Inbox and acknowledges them once it has
// returned: at-least-once delivery and an idempotent insert give each URL's effect once. A
// crash between the commit and the acknowledgement means a redelivery, which the insert
// ignores.
func (n *Node) commitInbound(ctx context.Context, done <-chan struct{}) error {
	batch := make([]inMsg, 0, n.cfg.Batch)
	urls := make([]URL, 0, n.cfg.Batch)
	for {
		batch, urls = batch[:0], urls[:0]
		select {
		case m := <-n.inbound:
			batch = append(batch, m)
		case <-ctx.Done():
			return nil
		case <-done:
			return nil
		}
	fill:
		for len(batch) < cap(batch) {
			select {
			case m := <-n.inbound:
				batch = append(batch, m)
			default:
				break fill
			}
		}
		var ok []jetstream.Msg
		for _, m := range batch {
			u, err := decodeURL(m.msg.Data())
			if err != nil {
				n.log.Warn("cluster: dropping a malformed URL message", "shard", m.shard, "subject", m.msg.Subject(), "err", err)
				_ = m.msg.Term()
				n.inHand.Add(-1)
				continue
			}
			urls = append(urls, u)
			ok = append(ok, m.msg)
		}
		if len(urls) > 0 {
			if err := n.local.Inbox.InsertURLs(ctx, urls); err != nil {
				// Not acknowledged: the server delivers them again, to whoever owns the shard.
				return fatal(fmt.Errorf("insert %d inbound URLs: %w", len(urls), err))
			}
			n.bump()
		}
		for _, m := range ok {
			if err := m.Ack(); err != nil {
				n.log.Debug("cluster: ack", "err", err) // redelivered and ignored
			}
			n.inHand.Add(-1)
		}
	}
}
