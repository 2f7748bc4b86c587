package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Done detection. The crawl is done when no node has anything to do and nothing is on its way
// to one. One node checks (the live node with the smallest id; if two believe they are, both
// check, which is harmless). An observation is taken in two halves:
//
//  1. the cut: the URL and record streams' last sequences and every shard consumer's
//     undelivered and unacknowledged counts, then the KV bucket's last revision R;
//  2. a report from every live node built after the cut (the second heartbeat stored after R).
//
// It is quiet when the consumers hold nothing, every shard is owned by a live node that
// serves it, and every report is idle (nothing pending that the node may fetch, nothing in
// flight, outbox and records empty, no inbound message in hand). The crawl is done when two
// observations in a row are quiet and equal: same stream sequences, same shard owners and
// epochs, same work counter of every node.
//
// Why that cannot fire early: work exists only as a pending URL (a node reports it), a fetch
// in flight (reported), an outbox row or unreplicated record (reported), or a URL message not
// yet committed by its owner (undelivered or unacknowledged at the cut, or published after
// it, which changes the stream's sequence in the next observation). A message acknowledged
// before the cut was committed before it, and its effect shows in its owner's report, written
// after the cut. Whatever a node did between the two observations bumped its work counter
// (every commit and publish does), or published a message (sequence changed). So two equal
// quiet observations bracket a time when nothing happened and nothing could start.
//
// Across a loss of the server (a restart) none of that is trusted: an observation whose
// cut, reports or decision straddle a disconnection or reconnection is discarded, and so is
// the previous one, so both observations that end a crawl are taken on one connection to a
// server that was up throughout. The cut also requires the durable consumer of every shard
// to be listed: a consumer missing (not restored, or never created) hides what it would hold.
type doneDetector struct {
	waiting    bool // the cut is taken; waiting for reports built after it
	cut        cut
	firstAfter map[string]uint64 // each node's first report stored after the cut
	prev       *observation
}

type cut struct {
	urls, records uint64 // last stream sequences
	kvRev         uint64
	session       uint64 // Conn.sessions when the cut was taken
}

type observation struct {
	cut
	owners string // owners and epochs of every shard
	work   map[string]uint64
}

func (o *observation) equal(p *observation) bool {
	return o.session == p.session && o.urls == p.urls && o.records == p.records && o.owners == p.owners && maps.Equal(o.work, p.work)
}

func (d *doneDetector) reset() { *d = doneDetector{} }

// checkDone advances done detection by one step; it never blocks on other nodes.
func (n *Node) checkDone(ctx context.Context, c *controller, live []string) error {
	d := &c.done
	if len(live) == 0 || live[0] != n.cfg.NodeID || !quietView(c.v, live) {
		d.reset()
		return nil
	}
	if d.waiting && d.cut.session != n.conn.sessions.Load() {
		d.reset() // the server went away since the cut
	}
	if !d.waiting {
		ct, quiet, err := n.takeCut(ctx)
		if err != nil || !quiet {
			d.reset()
			return err
		}
		d.cut, d.waiting, d.firstAfter = ct, true, map[string]uint64{}
		return nil
	}
	// A report is built before it is stored, so the first one stored after the cut may have
	// been built before it; the one after that was built after the first was stored.
	fresh := true
	for _, node := range live {
		rev := c.v.alive[node].rev
		first, ok := d.firstAfter[node]
		switch {
		case !ok && rev > d.cut.kvRev:
			d.firstAfter[node] = rev
			fresh = false
		case !ok || rev <= first:
			fresh = false
		}
	}
	if !fresh {
		return nil
	}
	obs := &observation{cut: d.cut, owners: ownersKey(c.v), work: map[string]uint64{}}
	for _, node := range live {
		obs.work[node] = c.v.alive[node].Work
	}
	if d.prev == nil || !obs.equal(d.prev) {
		prev := obs
		d.reset()
		d.prev = prev
		return nil
	}
	if n.conn.sessions.Load() != obs.session {
		d.reset()
		return nil
	}
	n.log.Info("cluster: every node idle and nothing in flight, twice in a row: the crawl is done")
	_, err := n.cr.kv.Create(ctx, keyDone, encodeValue(doneMark{V: valueVersion, At: time.Now().UTC(), By: n.cfg.NodeID}))
	if err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("mark done: %w", err)
	}
	return nil
}

// quietView: every shard owned by a live node that serves all it owns, every report idle.
func quietView(v *view, live []string) bool {
	owned := map[string]int{}
	for _, a := range v.assign {
		if !slices.Contains(live, a.Owner) {
			return false
		}
		owned[a.Owner]++
	}
	for _, node := range live {
		r := v.alive[node]
		if !r.Idle || r.Fenced || r.Owned != owned[node] {
			return false
		}
	}
	return true
}

func ownersKey(v *view) string {
	b := make([]byte, 0, 16*len(v.assign))
	for _, a := range v.assign {
		b = fmt.Appendf(b, "%s/%d,", a.Owner, a.Epoch)
	}
	return string(b)
}

// takeCut reads the streams and consumers, then the KV's last revision; quiet says no
// consumer holds anything.
func (n *Node) takeCut(ctx context.Context) (cut, bool, error) {
	ct := cut{session: n.conn.sessions.Load()}
	ui, err := n.cr.urls.Info(ctx)
	if err != nil {
		return ct, false, fmt.Errorf("done check: %w", err)
	}
	ri, err := n.cr.records.Info(ctx)
	if err != nil {
		return ct, false, fmt.Errorf("done check: %w", err)
	}
	ct.urls, ct.records = ui.State.LastSeq, ri.State.LastSeq
	quiet := true
	shards := 0
	list := n.cr.urls.ListConsumers(ctx)
	for ci := range list.Info() {
		if _, ok := n.cr.shardOfConsumer(ci.Name); !ok {
			continue // a replay's ordered consumer, or someone else's
		}
		shards++
		if ci.NumPending > 0 || ci.NumAckPending > 0 {
			n.log.Debug("cluster: done check: consumer holds messages", "consumer", ci.Name, "pending", ci.NumPending, "unacked", ci.NumAckPending)
			quiet = false
		}
	}
	if err := list.Err(); err != nil {
		return ct, false, fmt.Errorf("done check: consumers: %w", err)
	}
	if shards != n.cr.config.Shards {
		// Every shard is served (quietView), so each has its consumer: one missing is not
		// restored yet, or was lost, and what it would hold is unknown.
		n.log.Debug("cluster: done check: shard consumers missing", "listed", shards, "shards", n.cr.config.Shards)
		quiet = false
	}
	st, err := n.cr.kv.Status(ctx)
	if err != nil {
		return ct, false, fmt.Errorf("done check: %w", err)
	}
	bs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok {
		return ct, false, fmt.Errorf("done check: bucket status %T", st)
	}
	ct.kvRev = bs.StreamInfo().State.LastSeq
	return ct, quiet, nil
}
