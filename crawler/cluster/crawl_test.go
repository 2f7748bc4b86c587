package cluster

import (
	"context"
	"testing"
	"time"
)

// checkCrawl checks that the nodes' fakes together fetched every reachable URL, each once,
// except the URLs in allowTwice.
func checkCrawl(t *testing.T, site *fakeSite, seeds []string, fakes []*fakeNode, allowTwice map[string]bool) {
	t.Helper()
	want := site.reachable(seeds...)
	fetched := map[string]int{}
	for _, f := range fakes {
		for u, c := range f.fetchCounts() {
			fetched[u] += c
		}
	}
	for u := range want {
		if fetched[u] == 0 {
			t.Errorf("%s was never fetched", u)
		}
	}
	for u, c := range fetched {
		if !want[u] {
			t.Errorf("%s fetched but not reachable", u)
		}
		if c > 1 && !allowTwice[u] {
			t.Errorf("%s fetched %d times", u, c)
		}
	}
	if t.Failed() {
		t.Logf("fetched %d distinct URLs of %d reachable", len(fetched), len(want))
	}
}

// Three nodes crawl a 16-host site through the engine: every reachable URL is fetched once,
// cluster-wide, and every node's Run returns nil once the crawl is done.
func TestThreeNodesCrawlEverythingOnceAndEnd(t *testing.T) {
	ts := startServer(t)
	site := &fakeSite{hosts: 16, pages: 12}
	seeds := []string{site.url(0, 0)}
	var nodes []*running
	var fakes []*fakeNode
	for _, id := range []string{"a", "b", "c"} {
		f := newFakeNode(16, site)
		fakes = append(fakes, f)
		nodes = append(nodes, startNode(t, ts, testConfig("e2e", id), f, true))
	}
	if err := nodes[0].node.PublishSeeds(context.Background(), seeds); err != nil {
		t.Fatal(err)
	}
	for _, r := range nodes {
		if err := r.wait(60 * time.Second); err != nil {
			t.Fatalf("%s: %v", r.node.cfg.NodeID, err)
		}
	}
	checkCrawl(t, site, seeds, fakes, nil)

	st, err := dial(t, ts).Status(context.Background(), "e2e")
	if err != nil {
		t.Fatal(err)
	}
	var done uint64
	for _, ns := range st.Nodes {
		done += ns.Done
		if ns.Pending != 0 || ns.Waiting != 0 {
			t.Errorf("status of %s after the end: %+v", ns.ID, ns)
		}
	}
	if want := uint64(len(site.reachable(seeds...))); !st.Done || done != want || st.Records != want || len(st.Free) != 0 {
		t.Errorf("status after the end: done %v, %d records (%d by node), want %d; free %v", st.Done, st.Records, done, want, st.Free)
	}
}

// A node lost for good: its shards move to the live nodes, which rebuild them from the engine
// alone. Pages whose records the engine holds are not fetched again; the crawl completes.
func TestLostNodesShardsAreRebuiltFromTheEngine(t *testing.T) {
	ts := startServer(t)
	site := &fakeSite{hosts: 16, pages: 12}
	seeds := []string{site.url(0, 0), site.url(7, 3)}
	fa, fb := newFakeNode(16, site), newFakeNode(16, site)

	// a crawls alone for a while, so it owns every shard and records pages of all of them.
	a := startNode(t, ts, testConfig("lost", "a"), fa, false)
	if err := a.node.PublishSeeds(context.Background(), seeds); err != nil {
		t.Fatal(err)
	}
	obs := dial(t, ts)
	watchView(t, obs, "lost", 20*time.Second, "a to own every shard", balanced("a"))
	// Crawl 40 pages by hand, then wait until a has published every record and link.
	ctx := context.Background()
	for i := 0; i < 40; {
		if ok, _ := fa.step(time.Now()); ok {
			i++
			continue
		}
		// Nothing pending yet: the seeds are on their way in; wait for an insert.
		within(t, 10*time.Second, fa.wake, "URLs for a")
	}
	a.node.Notify()
	if err := a.node.flush(ctx); err != nil {
		t.Fatal(err)
	}
	before := fa.fetchCounts()
	// One more page that a commits and never publishes: lost with a, fetched again by b.
	if ok, _ := fa.step(time.Now()); !ok {
		t.Fatal("a has nothing more to fetch")
	}
	var unpublished string
	for u := range fa.fetchCounts() {
		if _, ok := before[u]; !ok {
			unpublished = u
		}
	}
	a.kill()

	// b joins after a is gone; after the lease it frees a's shards and takes them all.
	b := startNode(t, ts, testConfig("lost", "b"), fb, true)
	if err := b.wait(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	for u := range before {
		if fb.fetchCounts()[u] > 0 {
			t.Errorf("%s fetched again although its record was in the engine", u)
		}
	}
	if fb.fetchCounts()[unpublished] != 1 {
		t.Errorf("%s, recorded by a but never published, fetched %d times by b, want 1", unpublished, fb.fetchCounts()[unpublished])
	}
	fb.mu.Lock()
	applied := fb.applied
	fb.mu.Unlock()
	if applied < len(before) {
		t.Errorf("b applied %d records, a had published %d", applied, len(before))
	}
	checkCrawl(t, site, seeds, []*fakeNode{fa, fb}, map[string]bool{unpublished: true})
	// b's database holds every reachable URL as done: a's through their records.
	if got, want := len(fb.done()), len(site.reachable(seeds...)); got != want {
		t.Errorf("b holds %d done URLs, want %d", got, want)
	}
}

// A node killed and restarted with the same database resumes its shards without rebuilding
// them, and the crawl loses nothing.
func TestKilledNodeRestartsAndResumes(t *testing.T) {
	ts := startServer(t)
	site := &fakeSite{hosts: 16, pages: 12}
	seeds := []string{site.url(0, 0)}
	fa, fb := newFakeNode(16, site), newFakeNode(16, site)
	a := startNode(t, ts, testConfig("restart", "a"), fa, true)
	b := startNode(t, ts, testConfig("restart", "b"), fb, true)
	watchView(t, dial(t, ts), "restart", 20*time.Second, "a and b sharing the shards", balanced("a", "b"))
	if err := a.node.PublishSeeds(context.Background(), seeds); err != nil {
		t.Fatal(err)
	}
	within(t, 10*time.Second, fb.wake, "b to get URLs")
	b.kill()
	fb.mu.Lock()
	applied := fb.applied
	fb.mu.Unlock()
	b = startNode(t, ts, testConfig("restart", "b"), fb, true)
	for _, r := range []*running{a, b} {
		if err := r.wait(60 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	fb.mu.Lock()
	again := fb.applied - applied
	fb.mu.Unlock()
	if again != 0 {
		t.Errorf("b replayed %d records after its restart: its shards should resume as they are", again)
	}
	checkCrawl(t, site, seeds, []*fakeNode{fa, fb}, nil)
}
