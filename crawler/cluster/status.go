package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Status is what `crawl cluster status` shows: the crawl's nodes, the shards each owns, and
// how far each has got.
type Status struct {
	Crawl  string
	Shards int
	Done   bool
	Nodes  []NodeStatus // sorted by id: live nodes, and nodes that own shards without a heartbeat
	Free   []int        // shards no node owns now (waiting to be claimed)
	// URLMessages and Records are the messages the crawl's streams hold.
	URLMessages, Records uint64
}

// NodeStatus is one node's line.
type NodeStatus struct {
	ID     string
	Alive  bool  // its heartbeat is live
	Shards []int // owned, sorted
	// From its last heartbeat (zero when it has none):
	Idle     bool
	Pending  int    // URLs queued in its database for its shards
	InFlight int    // URLs being fetched
	Fetched  uint64 // its fetches over all its runs
	Outbox   int    // links not yet published (counted up to 100)
	Records  int    // page records not yet published (counted up to 100)
	// Waiting is the URL messages sent to its shards and not yet delivered or acknowledged.
	Waiting uint64
	// Done is the page records the engine holds for its shards: pages recorded by whoever
	// owned them (a record sent twice after a crash counts twice).
	Done uint64
}

// Status reads the KV bucket and the streams' and consumers' state of a crawl.
func (c *Conn) Status(ctx context.Context, crawlID string) (*Status, error) {
	cr, err := c.openCrawl(ctx, crawlID)
	if err != nil {
		return nil, err
	}
	v, err := cr.readView(ctx)
	if err != nil {
		return nil, err
	}
	st := &Status{Crawl: crawlID, Shards: cr.config.Shards, Done: v.done}
	byNode := map[string]*NodeStatus{}
	node := func(id string) *NodeStatus {
		if ns, ok := byNode[id]; ok {
			return ns
		}
		ns := &NodeStatus{ID: id}
		byNode[id] = ns
		return ns
	}
	for id, a := range v.alive {
		ns := node(id)
		ns.Alive, ns.Idle = true, a.Idle
		ns.Pending, ns.InFlight, ns.Fetched, ns.Outbox, ns.Records = a.Pending, a.InFlight, a.Fetched, a.Outbox, a.Records
	}
	owner := make([]string, cr.config.Shards)
	for s, a := range v.assign {
		owner[s] = a.Owner
		if a.Owner == "" {
			st.Free = append(st.Free, s)
			continue
		}
		ns := node(a.Owner)
		ns.Shards = append(ns.Shards, s)
	}
	ri, err := cr.records.Info(ctx, jetstream.WithSubjectFilter(cr.recordSubjects()))
	if err != nil {
		return nil, fmt.Errorf("crawl %s: records: %w", crawlID, err)
	}
	st.Records = ri.State.Msgs
	for s := range owner {
		if owner[s] != "" {
			node(owner[s]).Done += ri.State.Subjects[cr.recordSubject(s)]
		}
	}
	ui, err := cr.urls.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("crawl %s: urls: %w", crawlID, err)
	}
	st.URLMessages = ui.State.Msgs
	list := cr.urls.ListConsumers(ctx)
	for ci := range list.Info() {
		var s int
		if _, err := fmt.Sscanf(ci.Name, "shard-%d", &s); err != nil || s < 0 || s >= len(owner) || owner[s] == "" {
			continue
		}
		node(owner[s]).Waiting += ci.NumPending + uint64(ci.NumAckPending)
	}
	if err := list.Err(); err != nil {
		return nil, fmt.Errorf("crawl %s: consumers: %w", crawlID, err)
	}
	for _, ns := range byNode {
		st.Nodes = append(st.Nodes, *ns)
	}
	slices.SortFunc(st.Nodes, func(a, b NodeStatus) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return st, nil
}

// readView reads the whole bucket once.
func (cr *crawl) readView(ctx context.Context) (*view, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	w, err := cr.kv.WatchAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("crawl %s: read bucket: %w", cr.crawl, err)
	}
	defer func() { _ = w.Stop() }()
	v := newView(cr.config.Shards, nil)
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("crawl %s: read bucket: watcher stopped", cr.crawl)
			}
			if e == nil {
				v.ready = true
				return v, nil
			}
			v.apply(e)
		case <-ctx.Done():
			return nil, fmt.Errorf("crawl %s: read bucket: %w", cr.crawl, ctx.Err())
		}
	}
}

// Reassign frees every shard of a node that is gone, at once, without waiting for its lease
// (`crawl cluster reassign`): the live nodes claim them and rebuild them from the engine. The
// new owners wait hold (the longest a host may ask between requests) before their first
// request to a host of them. A node with a live heartbeat is refused with ErrNodeRunning.
func (c *Conn) Reassign(ctx context.Context, crawlID, nodeID string, hold time.Duration) (int, error) {
	if err := checkID("node id", nodeID); err != nil {
		return 0, err
	}
	cr, err := c.openCrawl(ctx, crawlID)
	if err != nil {
		return 0, err
	}
	v, err := cr.readView(ctx)
	if err != nil {
		return 0, err
	}
	if _, ok := v.alive[nodeID]; ok {
		return 0, fmt.Errorf("%w: node %q of crawl %q has a live heartbeat; stop it first", ErrNodeRunning, nodeID, crawlID)
	}
	owned := len(v.ownedBy(nodeID))
	if err := cr.freeShardsOf(ctx, v, nodeID, hold); err != nil {
		return 0, fmt.Errorf("crawl %s: reassign %s: %w", crawlID, nodeID, err)
	}
	return owned, nil
}

// DeleteCrawl removes a crawl's bucket and streams (for tests and `crawl cluster delete`).
func (c *Conn) DeleteCrawl(ctx context.Context, crawlID string) error {
	if err := checkID("crawl id", crawlID); err != nil {
		return err
	}
	nm := names{crawlID}
	for _, s := range []string{nm.urlStream(), nm.recordStream()} {
		if err := c.js.DeleteStream(ctx, s); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			return fmt.Errorf("crawl %s: delete %s: %w", crawlID, s, err)
		}
	}
	if err := c.js.DeleteKeyValue(ctx, nm.bucket()); err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) {
		return fmt.Errorf("crawl %s: delete bucket: %w", crawlID, err)
	}
	return nil
}
