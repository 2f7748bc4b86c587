package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// controller is the state of the node's control loop: which shards it serves and what it
// knows of them. Only the control goroutine uses it.
type controller struct {
	v *view
	// serving: shards rebuilt, consumed and handed to the frontier, by epoch.
	serving map[int]uint64
	// current: shard -> epoch at which this node's database holds the shard's state (rebuilt
	// then, or resumed from an earlier run with the same database).
	current map[int]uint64
	// holds: for shards claimed by this process and not yet served, when the first request
	// to their hosts may go.
	notBefore map[int]time.Time
	gone      map[string]time.Time // owners without a heartbeat, since when (this node's clock)
	first     bool                 // the first reconcile after start has not run
	done      doneDetector
}

// control keeps the node's shards in line with the KV: it serves the shards the KV gives it,
// claims free ones up to its share, lets go of its surplus when others lack shards, frees the
// shards of nodes gone longer than the lease, and, on the node that checks, detects the end.
// It returns nil when the crawl is done.
func (n *Node) control(ctx context.Context) error {
	c := &controller{
		serving: map[int]uint64{}, current: map[int]uint64{}, notBefore: map[int]time.Time{},
		gone: map[string]time.Time{}, first: true,
	}
	tick := time.NewTicker(n.cfg.Heartbeat)
	defer tick.Stop()
	var w jetstream.KeyWatcher
	defer func() {
		if w != nil {
			_ = w.Stop()
		}
	}()
	rewatch := func() {
		if w != nil {
			_ = w.Stop()
			w = nil
		}
		var err error
		if w, err = n.cr.kv.WatchAll(ctx); err != nil {
			n.log.Warn("cluster: watch", "err", err)
			w = nil
			return
		}
		c.v = newView(n.cr.config.Shards, n.log)
		c.done.reset() // what it observed came from the old view
	}
	rewatch()
	for {
		var updates <-chan jetstream.KeyValueEntry
		if w != nil {
			updates = w.Updates()
		}
		select {
		case e, ok := <-updates:
			if !ok {
				rewatch()
				continue
			}
			n.applyUpdate(c, e)
			// Take every update already there before acting on them.
			for more := true; more; {
				select {
				case e, ok := <-updates:
					if !ok {
						more = false
						break
					}
					n.applyUpdate(c, e)
				default:
					more = false
				}
			}
		case <-tick.C:
			if w == nil {
				rewatch()
			}
		case <-n.changed:
		case <-n.conn.reconnected:
			rewatch() // an ordered watcher may have missed updates while the server was away
		case <-ctx.Done():
			return ctx.Err()
		}
		if c.v == nil || !c.v.ready {
			continue
		}
		if c.v.done {
			n.log.Info("cluster: crawl complete")
			return nil
		}
		if err := n.reconcile(ctx, c); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, errFatal) {
				return err
			}
			n.log.Warn("cluster: reconcile", "err", err) // retried on the next tick
		}
	}
}

func (n *Node) applyUpdate(c *controller, e jetstream.KeyValueEntry) {
	if c.v == nil {
		return
	}
	if e == nil {
		c.v.ready = true
		return
	}
	c.v.apply(e)
}

// errFatal wraps errors of the node's own side (the store): the node stops with them.
var errFatal = errors.New("node failure")

func fatal(err error) error { return fmt.Errorf("%w: %w", errFatal, err) }

// reconcile makes one round of decisions from the view.
func (n *Node) reconcile(ctx context.Context, c *controller) error {
	me := n.cfg.NodeID
	if n.fenced.Load() {
		n.settled.Store(false)
		if len(c.serving) > 0 {
			if _, err := n.drop(ctx, c, keys(c.serving)); err != nil {
				return err
			}
		}
		return nil
	}
	live := c.v.live()
	if !slices.Contains(live, me) {
		n.settled.Store(false)
		return nil // the watcher has not shown this node's own heartbeat yet
	}
	if c.first {
		// Shards the KV still gives this node with this database: its database holds them.
		for _, s := range c.v.ownedBy(me) {
			if a := c.v.assign[s]; n.cfg.DatabaseID != "" && a.DB == n.cfg.DatabaseID {
				c.current[s] = a.Epoch
			}
		}
		c.first = false
	}

	// Shards served that the KV no longer gives this node (moved by an operator's reassign
	// while this node was away): stop at once.
	var lost []int
	for s, epoch := range c.serving {
		if a := c.v.assign[s]; a.Owner != me || a.Epoch != epoch {
			lost = append(lost, s)
		}
	}
	if len(lost) > 0 {
		n.log.Warn("cluster: shards taken away", "shards", lost)
		if _, err := n.drop(ctx, c, lost); err != nil {
			return err
		}
	}

	// Calls to the server are bounded by the heartbeat TTL, so that the loop comes back to a
	// fence in time while the server does not answer. Dropping, flushing and rebuilding take
	// as long as they need (fetches in flight, a shard's history).
	short, cancel := context.WithTimeout(ctx, n.cfg.HeartbeatTTL)
	defer cancel()
	if err := n.freeLost(short, c, live); err != nil {
		return err
	}

	p := balance(me, live, c.v.owners())
	if len(p.claim) > 0 {
		if err := n.claim(short, c, p.claim); err != nil {
			return err
		}
	}
	if len(p.release) > 0 {
		if err := n.release(ctx, c, p.release); err != nil {
			return err
		}
	}

	// Serve what the KV gives this node and it does not serve yet.
	var start []int
	for _, s := range c.v.ownedBy(me) {
		if _, ok := c.serving[s]; !ok {
			start = append(start, s)
		}
	}
	if len(start) > 0 {
		if err := n.serve(ctx, c, start); err != nil {
			return err
		}
	}
	n.settled.Store(len(c.serving) == len(c.v.ownedBy(me)))
	n.serving.Store(int64(len(c.serving)))
	short2, cancel2 := context.WithTimeout(ctx, n.cfg.HeartbeatTTL)
	defer cancel2()
	return n.checkDone(short2, c, live)
}

// freeLost frees the shards of owners whose heartbeat has been gone for the lease, counted
// on this node's clock from when it first saw them gone: no clocks are compared.
func (n *Node) freeLost(ctx context.Context, c *controller, live []string) error {
	now := time.Now()
	owners := map[string]bool{}
	for _, a := range c.v.assign {
		if a.Owner != "" && !slices.Contains(live, a.Owner) {
			owners[a.Owner] = true
		}
	}
	for o := range c.gone {
		if !owners[o] {
			delete(c.gone, o)
		}
	}
	for o := range owners {
		since, ok := c.gone[o]
		if !ok {
			c.gone[o] = now
			continue
		}
		if now.Sub(since) < n.cfg.Lease {
			continue
		}
		n.log.Warn("cluster: node gone longer than the lease: its shards move", "gone", o, "lease", n.cfg.Lease)
		if err := n.cr.freeShardsOf(ctx, c.v, o, n.cfg.MaxHostDelay); err != nil {
			return err
		}
		delete(c.gone, o)
	}
	return nil
}

// freeShardsOf frees every shard the view gives to node, by compare-and-set, marking it lost
// with the given hold, and returns the node's unused page allowance to the budget.
func (cr *crawl) freeShardsOf(ctx context.Context, v *view, node string, hold time.Duration) error {
	for s, a := range v.assign {
		if a.Owner != node {
			continue
		}
		next := assignment{V: valueVersion, Epoch: a.Epoch, HoldMS: hold.Milliseconds(), From: node, Lost: true}
		rev, err := cr.kv.Update(ctx, shardKey(s), encodeValue(next), a.rev)
		if isRevisionMismatch(err) {
			continue // changed meanwhile: the watcher brings the new value
		}
		if err != nil {
			return fmt.Errorf("free shard %d of %s: %w", s, node, err)
		}
		v.set(s, next, rev)
	}
	return cr.returnAllowance(ctx, node)
}

// claim takes free shards by compare-and-set; the ones won are served by reconcile.
func (n *Node) claim(ctx context.Context, c *controller, shards []int) error {
	for _, s := range shards {
		cur := c.v.assign[s]
		if cur.Owner != "" {
			continue
		}
		next := assignment{V: valueVersion, Owner: n.cfg.NodeID, Epoch: cur.Epoch + 1, HoldMS: cur.HoldMS, From: cur.From, Lost: cur.Lost}
		var rev uint64
		var err error
		if cur.rev == 0 {
			rev, err = n.cr.kv.Create(ctx, shardKey(s), encodeValue(next))
		} else {
			rev, err = n.cr.kv.Update(ctx, shardKey(s), encodeValue(next), cur.rev)
		}
		if isRevisionMismatch(err) {
			continue // another node was first
		}
		if err != nil {
			return fmt.Errorf("claim shard %d: %w", s, err)
		}
		c.v.set(s, next, rev)
		// The hold runs from the claim, which follows the previous owner's release: no clocks
		// of two machines are compared.
		c.notBefore[s] = time.Now().Add(next.hold())
	}
	return nil
}

// release lets go of served shards: the frontier stops them and finishes their fetches, the
// publisher sends everything committed (their records and links included), then each shard
// is freed with the hold the frontier reported.
func (n *Node) release(ctx context.Context, c *controller, shards []int) error {
	n.log.Info("cluster: letting go of shards for balance", "shards", len(shards))
	var served []int
	for _, s := range shards {
		if _, ok := c.serving[s]; ok {
			served = append(served, s)
		}
	}
	hold, err := n.drop(ctx, c, served)
	if err != nil {
		return err
	}
	if err := n.flush(ctx); err != nil {
		return err
	}
	for _, s := range shards {
		cur := c.v.assign[s]
		if cur.Owner != n.cfg.NodeID {
			continue
		}
		next := assignment{V: valueVersion, Epoch: cur.Epoch, HoldMS: hold.Milliseconds(), From: n.cfg.NodeID}
		rev, err := n.cr.kv.Update(ctx, shardKey(s), encodeValue(next), cur.rev)
		if isRevisionMismatch(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("release shard %d: %w", s, err)
		}
		c.v.set(s, next, rev)
		delete(c.current, s)
	}
	return nil
}

// serve starts shards the KV gives this node: rebuilds those its database does not hold at
// their epoch, starts their consumers and hands them to the frontier. A shard whose consumer
// had to be created is rebuilt whatever the database holds: a new consumer starts at new
// messages, so the earlier ones come only from the replay. A shard is served once its
// consumer runs and the frontier has it: if the server fails half-way, the shards whose
// consumers started are handed to the frontier all the same, so that the node never consumes
// a shard's URLs without fetching them (and reports idle while they wait).
func (n *Node) serve(ctx context.Context, c *controller, shards []int) (err error) {
	var rebuild []int
	for _, s := range shards {
		created, err := n.ensureConsumer(ctx, s)
		if err != nil {
			return err
		}
		if e, ok := c.current[s]; created || !ok || e != c.v.assign[s].Epoch {
			rebuild = append(rebuild, s)
		}
	}
	if len(rebuild) > 0 {
		n.log.Info("cluster: rebuilding shards from the engine", "shards", len(rebuild))
		if err := n.rebuild(ctx, rebuild); err != nil {
			return err
		}
		for _, s := range rebuild {
			a := c.v.assign[s]
			c.current[s] = a.Epoch
			a.DB = n.cfg.DatabaseID
			rev, err := n.cr.kv.Update(ctx, shardKey(s), encodeValue(a.assignment), a.rev)
			if isRevisionMismatch(err) {
				continue // moved meanwhile: the next round drops it
			}
			if err != nil {
				return fmt.Errorf("shard %d: record rebuild: %w", s, err)
			}
			c.v.set(s, a.assignment, rev)
		}
	}
	byTime := map[time.Time][]int{}
	defer func() {
		for t, ss := range byTime {
			n.local.Frontier.GainShards(ss, t)
		}
		if len(byTime) > 0 {
			n.bump()
		}
	}()
	now := time.Now()
	for _, s := range shards {
		if n.beforeStart != nil {
			n.beforeStart(s)
		}
		if err := n.startConsumer(ctx, s); err != nil {
			return err
		}
		t, ok := c.notBefore[s]
		if !ok || t.Before(now) {
			t = now
		}
		delete(c.notBefore, s)
		byTime[t] = append(byTime[t], s)
		c.serving[s] = c.v.assign[s].Epoch
	}
	return nil
}

// drop stops serving shards: their consumers first (what they hold is handed back to the
// server), then the frontier, which returns once their fetches are committed.
func (n *Node) drop(ctx context.Context, c *controller, shards []int) (time.Duration, error) {
	if len(shards) == 0 {
		return 0, nil
	}
	for _, s := range shards {
		n.stopConsumer(s)
		delete(c.serving, s)
	}
	n.serving.Store(int64(len(c.serving)))
	hold, err := n.local.Frontier.DropShards(ctx, shards)
	if err != nil {
		return 0, fatal(fmt.Errorf("drop shards: %w", err))
	}
	n.bump()
	return hold, nil
}

func keys(m map[int]uint64) []int {
	s := make([]int, 0, len(m))
	for k := range m {
		s = append(s, k)
	}
	slices.Sort(s)
	return s
}
