package crawler

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler/cluster"
)

// testShards puts each test host in a shard of its own.
var testShards = map[string]int{"a.test": 1, "b.test": 2, "c.test": 3}

// nodeFrontier is a frontier of a node of a cluster crawl, owning no shard yet, run alone
// with the test playing the engine, the fetchers and the writer.
type nodeFrontier struct {
	*frontierRun
	f *frontier
}

func startNodeFrontier(t *testing.T, db pipelineStore, cfg *Config) *nodeFrontier {
	return startBudgetedFrontier(t, db, cfg, nil)
}

// startBudgetedFrontier is startNodeFrontier with a page budget drawn from d.
func startBudgetedFrontier(t *testing.T, db pipelineStore, cfg *Config, d pageDrawer) *nodeFrontier {
	r := &frontierRun{
		t: t, writer: db.writer(), tasks: make(chan task), feedback: make(chan hostFeedback, 16),
		notes: make(chan commitNote, 16), stop: make(chan struct{}), done: make(chan error, 1),
	}
	f := newFrontier(db, cfg, newStats(), cfg.Log, 0)
	f.own = newOwnership(func(h string) int { return testShards[h] }, new(atomic.Int64))
	f.calls = make(chan func(*frontier))
	if d != nil {
		f.own.budget = newPageGrant(cfg.Workers)
		go drawPages(t.Context(), d, cfg.MaxPages, f, cfg.Log)
	}
	go func() { r.done <- f.run(t.Context(), r.stop, r.tasks, r.feedback, r.notes) }()
	return &nodeFrontier{r, f}
}

func (n *nodeFrontier) gain(notBefore time.Time, shards ...int) {
	n.f.do(context.Background(), func(f *frontier) { f.gain(shards, notBefore) })
}

// drop starts a drop; its hold arrives on the channel once the drop is complete.
func (n *nodeFrontier) drop(shards ...int) chan time.Duration {
	reply := make(chan time.Duration, 1)
	n.f.do(context.Background(), func(f *frontier) { f.drop(shards, reply) })
	return reply
}

func (n *nodeFrontier) progress() cluster.Progress {
	var p cluster.Progress
	n.f.do(context.Background(), func(f *frontier) { p = f.progress() })
	return p
}

// noTask fails if the frontier hands out anything once every goroutine of the bubble waits.
func (n *nodeFrontier) noTask(t *testing.T, when string) {
	t.Helper()
	synctest.Wait()
	select {
	case tk := <-n.tasks:
		t.Fatalf("%s: %s handed out", when, tk.URL)
	default:
	}
}

// stopAndEnd stops the frontier as the crawl's end does and plays the writer ending.
func (n *nodeFrontier) stopAndEnd(t *testing.T) {
	t.Helper()
	close(n.stop)
	n.end(t)
}

// A node's frontier hands out only hosts of the shards it owns, none before the hold of the
// previous owner has passed; with nothing to hand out it waits for the engine instead of
// ending the crawl.
func TestNodeFrontierServesOnlyItsShards(t *testing.T) {
	eachStoreInBubble(t, func(t *testing.T, db pipelineStore) {
		db.seed(t, "http://a.test/1", "http://b.test/1", "http://c.test/1")
		n := startNodeFrontier(t, db, testConfig(Config{}))
		n.noTask(t, "owning no shard")
		if p := n.progress(); p.Pending != 0 || p.InFlight != 0 {
			t.Errorf("progress owning no shard = %+v", p)
		}

		start := time.Now()
		n.gain(start.Add(3*time.Second), testShards["b.test"])
		if p := n.progress(); p.Pending == 0 {
			t.Errorf("progress after gaining b.test's shard = %+v, want URLs pending", p)
		}
		tk := <-n.tasks
		if tk.URL != "http://b.test/1" || time.Since(start) != 3*time.Second {
			t.Errorf("first task %s after %v, want http://b.test/1 after the 3s hold", tk.URL, time.Since(start))
		}
		if p := n.progress(); p.InFlight != 1 {
			t.Errorf("progress with b.test/1 leased = %+v", p)
		}
		n.finish(tk)
		// Nothing of the shards it owns is left: the frontier waits, tasks stay open.
		n.noTask(t, "b.test done")
		if p := n.progress(); p.Pending != 0 || p.InFlight != 0 {
			t.Errorf("progress with nothing left = %+v", p)
		}
		n.gain(time.Time{}, testShards["a.test"])
		if tk := <-n.tasks; tk.URL != "http://a.test/1" {
			t.Errorf("after gaining a.test's shard: %s", tk.URL)
		} else {
			n.finish(tk)
		}
		n.noTask(t, "a.test and b.test done")
		n.stopAndEnd(t)
	})
}

// Dropping a shard stops its hand-outs at once and completes once its fetches are recorded,
// with the hold its hosts still need: here what is left of a 1 request/s host's interval.
func TestNodeFrontierDropWaitsForFetchesAndHandsOverTheHold(t *testing.T) {
	eachStoreInBubble(t, func(t *testing.T, db pipelineStore) {
		db.seed(t, "http://a.test/1", "http://a.test/2", "http://a.test/3")
		n := startNodeFrontier(t, db, testConfig(Config{HostRate: 1, HostConcurrency: 2}))
		n.gain(time.Time{}, testShards["a.test"])
		tk := <-n.tasks
		sent := time.Now()
		time.Sleep(200 * time.Millisecond) // the fetch takes 200ms
		reply := n.drop(testShards["a.test"])
		n.noTask(t, "after the drop")
		select {
		case hold := <-reply:
			t.Fatalf("drop complete (hold %v) with a fetch in flight", hold)
		default:
		}
		n.feedback <- hostFeedback{host: tk.Host, sent: sent, outcome: answered}
		synctest.Wait()
		select {
		case hold := <-reply:
			t.Fatalf("drop complete (hold %v) before the fetch's result was committed", hold)
		default:
		}
		n.commit(tk, crawl.StateDone)
		if hold := <-reply; hold != 800*time.Millisecond {
			t.Errorf("hold %v, want the 800ms left of the host's 1s interval", hold)
		}
		if p := n.progress(); p.Pending != 0 || p.InFlight != 0 {
			t.Errorf("progress after the drop = %+v", p)
		}
		// The URLs left stay queued for the shard's next owner.
		if rest, _ := db.FrontierNext("a.test", 0, 10, nil); len(rest) != 2 {
			t.Errorf("a.test entries after the drop: %d, want 2", len(rest))
		}
		n.stopAndEnd(t)
	})
}

// A lease handed back for a retry ends when its shard is dropped: the URL stays pending for
// the next owner, and the drop does not wait for the retry's backoff.
func TestNodeFrontierDropEndsLeasesHandedBack(t *testing.T) {
	eachStoreInBubble(t, func(t *testing.T, db pipelineStore) {
		db.seed(t, "http://a.test/1")
		n := startNodeFrontier(t, db, testConfig(Config{Retries: 2}))
		n.gain(time.Time{}, testShards["a.test"])
		tk := <-n.tasks
		again := tk
		again.tries++
		n.feedback <- hostFeedback{host: tk.Host, outcome: urlFailed, again: &again, sent: time.Now()}
		synctest.Wait()
		if p := n.progress(); p.InFlight != 1 {
			t.Fatalf("progress with a retry waiting = %+v", p)
		}
		reply := n.drop(testShards["a.test"])
		<-reply
		if p := n.progress(); p.InFlight != 0 {
			t.Errorf("progress after the drop = %+v", p)
		}
		n.stopAndEnd(t)
	})
}

// fakeDrawer is a cluster-wide page budget for one node: it grants up to limit pages.
type fakeDrawer struct{ draws atomic.Int64 }

func (d *fakeDrawer) DrawPages(_ context.Context, limit, fetched uint64, want int) (uint64, error) {
	d.draws.Add(1)
	return min(limit, fetched+uint64(want)), nil
}

// With --max-pages, a node leases only what it drew from the cluster's budget; once that is
// spent, what is queued waits and the node says so.
func TestNodeFrontierLeasesWithinItsGrant(t *testing.T) {
	eachStoreInBubble(t, func(t *testing.T, db pipelineStore) {
		db.seed(t, "http://a.test/1", "http://a.test/2", "http://a.test/3", "http://a.test/4")
		cfg := testConfig(Config{MaxPages: 2, Workers: 1})
		d := &fakeDrawer{}
		n := startBudgetedFrontier(t, db, cfg, d)
		n.gain(time.Time{}, testShards["a.test"])
		t1, t2 := <-n.tasks, <-n.tasks
		n.noTask(t, "with the grant of 2 leased")
		n.finish(t1)
		n.finish(t2)
		n.noTask(t, "with the budget spent")
		p := n.progress()
		if !p.BudgetSpent || p.Pending == 0 || p.Fetched != 2 {
			t.Errorf("progress with the budget spent = %+v", p)
		}
		if d.draws.Load() == 0 {
			t.Error("no draw from the budget")
		}
		n.stopAndEnd(t)
	})
}
