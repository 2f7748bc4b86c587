package cluster

import (
	"context"
	"testing"
	"time"
)

// running is a Node serving a crawl with its fake, on its own connection, as one process.
type running struct {
	t       *testing.T
	node    *Node
	fake    *fakeNode
	conn    *Conn
	cancel  context.CancelFunc
	result  chan error
	crawled chan struct{}
	stopped bool
}

// startNode joins and runs a node; crawl says whether the fake's crawl loop runs.
func startNode(t *testing.T, ts *testServer, cfg Config, fake *fakeNode, crawl bool) *running {
	t.Helper()
	return startNodeWith(t, ts, cfg, fake, crawl, nil)
}

// startNodeWith is startNode with prepare called on the node between Join and Run.
func startNodeWith(t *testing.T, ts *testServer, cfg Config, fake *fakeNode, crawl bool, prepare func(*Node)) *running {
	t.Helper()
	conn := dial(t, ts)
	n, err := conn.Join(context.Background(), cfg, fake.local())
	if err != nil {
		t.Fatalf("join %s: %v", cfg.NodeID, err)
	}
	if prepare != nil {
		prepare(n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{t: t, node: n, fake: fake, conn: conn, cancel: cancel, result: make(chan error, 1), crawled: make(chan struct{})}
	go func() { r.result <- n.Run(ctx) }()
	if crawl {
		go func() { defer close(r.crawled); fake.crawl(ctx, n.Notify) }()
	} else {
		close(r.crawled)
	}
	t.Cleanup(r.kill)
	return r
}

// kill stops the node as kill -9 would: no goodbye, its heartbeat key stays until it expires.
func (r *running) kill() {
	if r.stopped {
		return
	}
	r.stopped = true
	r.cancel()
	within(r.t, 20*time.Second, r.result, r.node.cfg.NodeID+" to stop")
	<-r.crawled
	r.conn.Close()
}

// stop stops the node as Ctrl-C would: Run ends, then Close says goodbye.
func (r *running) stop() {
	r.t.Helper()
	if r.stopped {
		return
	}
	r.stopped = true
	r.cancel()
	within(r.t, 20*time.Second, r.result, r.node.cfg.NodeID+" to stop")
	<-r.crawled
	if err := r.node.Close(context.Background()); err != nil {
		r.t.Errorf("close %s: %v", r.node.cfg.NodeID, err)
	}
	r.conn.Close()
}

// wait returns Run's result (the crawl is done: nil).
func (r *running) wait(d time.Duration) error {
	r.t.Helper()
	err := within(r.t, d, r.result, r.node.cfg.NodeID+" to finish the crawl")
	r.stopped = true
	r.cancel()
	<-r.crawled
	return err
}

// watchView calls cond with the crawl's KV view after each change until it returns true;
// the test fails after d.
func watchView(t *testing.T, c *Conn, crawlID string, d time.Duration, what string, cond func(v *view) bool) *view {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cr, err := c.openCrawl(ctx, crawlID) // the test joined a node first: the crawl exists
	if err != nil {
		t.Fatalf("open crawl: %v", err)
	}
	w, err := cr.kv.WatchAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Stop() }()
	v := newView(cr.config.Shards, nil)
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				t.Fatalf("the watcher stopped while waiting for %s", what)
			}
			if e == nil {
				v.ready = true
			} else {
				v.apply(e)
			}
			if v.ready && cond(v) {
				return v
			}
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
	}
}

// balanced: every shard owned by one of nodes, each at its target, each serving all of it.
func balanced(nodes ...string) func(v *view) bool {
	return func(v *view) bool {
		count := map[string]int{}
		for _, a := range v.assign {
			count[a.Owner]++
		}
		for _, n := range nodes {
			r, ok := v.alive[n]
			if !ok || count[n] != target(nodes, n, v.shards) || r.Owned != count[n] {
				return false
			}
		}
		return count[""] == 0 && len(count) == len(nodes)
	}
}
