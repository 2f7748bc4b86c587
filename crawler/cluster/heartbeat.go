package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func jetstreamLastRevision(rev uint64) jetstream.KVDeleteOpt { return jetstream.LastRevision(rev) }

func isRevisionMismatch(err error) bool {
	return errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists)
}

const msgIDHeld = "cluster: the node id has a heartbeat: waiting for it to expire or be renewed"

// takeNodeID creates the node's heartbeat key, which exists only while its holder renews it.
func (n *Node) takeNodeID(ctx context.Context) error {
	key := aliveKey(n.cfg.NodeID)
	for {
		rev, err := n.cr.kv.Create(ctx, key, encodeValue(n.report(ctx)), jetstream.KeyTTL(n.cfg.HeartbeatTTL))
		if err == nil {
			n.aliveRev.Store(rev)
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("node %s: heartbeat: %w", n.cfg.NodeID, err)
		}
		// Held. A live holder renews it within a heartbeat; a dead one's expires.
		n.log.Info(msgIDHeld, "ttl", n.cfg.HeartbeatTTL)
		if err := n.waitHolder(ctx, key); err != nil {
			return err
		}
	}
}

// waitHolder returns nil once the heartbeat key is gone, ErrNodeRunning once it is renewed.
// It reads the key twice a heartbeat rather than watching it: a watch does not survive a
// restart of the server, and a holder must not look alive because the expiry of its key went
// unseen. A failed read (the server away or restarting) starts the observation again, so
// that only a renewal seen, or a key that outlives its TTL under continuous observation,
// counts as a live holder.
func (n *Node) waitHolder(ctx context.Context, key string) error {
	running := fmt.Errorf("%w: node %q of crawl %q has a live heartbeat (another crawl process uses this --node-id)", ErrNodeRunning, n.cfg.NodeID, n.cfg.CrawlID)
	// A dead holder's key expires within the TTL; the server's expiry sweep takes a moment more.
	bound := n.cfg.HeartbeatTTL + n.cfg.Heartbeat + 3*time.Second
	tick := time.NewTicker(max(n.cfg.Heartbeat/2, 10*time.Millisecond))
	defer tick.Stop()
	var first uint64    // the revision seen first in this observation; 0: none yet
	var since time.Time // when it was seen
	var failing time.Time
	for {
		rctx, cancel := context.WithTimeout(ctx, max(n.cfg.Heartbeat, time.Second))
		e, err := n.cr.kv.Get(rctx, key)
		cancel()
		now := time.Now()
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
			return nil
		case err != nil:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			first = 0
			if failing.IsZero() {
				failing = now
			} else if now.Sub(failing) > time.Minute {
				return fmt.Errorf("node %s: read heartbeat: %w", n.cfg.NodeID, err)
			}
		case first == 0:
			first, since, failing = e.Revision(), now, time.Time{}
		case e.Revision() != first, now.Sub(since) > bound:
			return running
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// report is the node's activity now.
func (n *Node) report(ctx context.Context) report {
	p := n.local.Frontier.Progress()
	r := report{
		V: valueVersion, Instance: n.instance,
		Pending: p.Pending, InFlight: p.InFlight, Fetched: p.Fetched,
		Work:   n.work.Load() + p.Commits,
		Owned:  int(n.serving.Load()),
		Fenced: n.fenced.Load(),
	}
	// Asked after the frontier: a commit in between shows as a row here, or as more work.
	out, err1 := n.local.Outbox.PendingOutbox(ctx, 100)
	recs, err2 := n.local.Records.PendingRecords(ctx, 100)
	r.Outbox, r.Records = len(out), len(recs)
	r.Idle = err1 == nil && err2 == nil && p.InFlight == 0 && (p.Pending == 0 || p.BudgetSpent) &&
		r.Outbox == 0 && r.Records == 0 && n.inHand.Load() == 0 && n.settled.Load() && !r.Fenced
	return r
}

// heartbeat renews the heartbeat key every interval with the node's report. When it cannot
// for longer than the TTL, counted from the last renewal sent that succeeded (the server's
// TTL started later than that), the node fences itself: others may take its shards a lease
// after the key expired, and by then it fetches and consumes nothing of them.
func (n *Node) heartbeat(ctx context.Context, done <-chan struct{}) error {
	key := aliveKey(n.cfg.NodeID)
	subject := "$KV." + n.cr.bucket() + "." + key
	tick := time.NewTicker(n.cfg.Heartbeat)
	defer tick.Stop()
	lastOK := time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-done:
			return nil
		case <-tick.C:
		}
		sent := time.Now()
		rep := n.report(ctx)
		err := n.renew(ctx, subject, key, rep)
		switch {
		case err == nil:
			lastOK = sent
			if n.fenced.CompareAndSwap(true, false) {
				n.log.Info("cluster: heartbeat back")
				n.signal()
			}
		case errors.Is(err, ErrNodeRunning):
			return err
		default:
			n.log.Warn("cluster: heartbeat", "err", err)
			if time.Since(lastOK) > n.cfg.HeartbeatTTL && n.fenced.CompareAndSwap(false, true) {
				n.log.Warn("cluster: heartbeat lost: fetching and consuming stop until it is back")
				n.signal()
			}
		}
	}
}

func (n *Node) signal() {
	select {
	case n.changed <- struct{}{}:
	default:
	}
}

// renew writes the heartbeat key with the TTL, if it is still this process's.
func (n *Node) renew(ctx context.Context, subject, key string, rep report) error {
	ctx, cancel := context.WithTimeout(ctx, max(n.cfg.Heartbeat, time.Second))
	defer cancel()
	msg := &nats.Msg{Subject: subject, Data: encodeValue(rep), Header: nats.Header{}}
	ack, err := n.cr.js.PublishMsg(ctx, msg,
		jetstream.WithExpectLastSequencePerSubject(n.aliveRev.Load()),
		jetstream.WithMsgTTL(n.cfg.HeartbeatTTL))
	if err == nil {
		n.aliveRev.Store(ack.Sequence)
		return nil
	}
	if !isWrongLastSequence(err) {
		return err
	}
	// The key changed under us: it expired while we could not renew it, a write of ours that
	// timed out reached the server late (the client sends what it buffered while away), or
	// another process took the id after it expired. Only a value of another instance says
	// the last.
	taken := fmt.Errorf("%w: node %q of crawl %q was taken by another process while this one was cut off", ErrNodeRunning, n.cfg.NodeID, n.cfg.CrawlID)
	for range 2 {
		e, gerr := n.cr.kv.Get(ctx, key)
		if gerr == nil {
			var other report
			if derr := decodeValue(key, e.Value(), &other); derr == nil && other.Instance == n.instance {
				n.aliveRev.Store(e.Revision())
				return fmt.Errorf("heartbeat: stale revision")
			}
			return taken
		}
		if !errors.Is(gerr, jetstream.ErrKeyNotFound) && !errors.Is(gerr, jetstream.ErrKeyDeleted) {
			return gerr
		}
		rev, cerr := n.cr.kv.Create(ctx, key, encodeValue(rep), jetstream.KeyTTL(n.cfg.HeartbeatTTL))
		if cerr == nil {
			n.aliveRev.Store(rev)
			return nil
		}
		if !errors.Is(cerr, jetstream.ErrKeyExists) {
			return cerr
		}
		// Written meanwhile, by a late write of ours or by another process: read it again.
	}
	return fmt.Errorf("heartbeat: the key keeps changing")
}

func isWrongLastSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
