package cluster

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Three nodes draw from a 50-page budget at once: the grants add up to 50 exactly. A node
// restarted keeps its unused allowance; a lost node's unused allowance returns to the others.
func TestPageBudgetIsClusterWide(t *testing.T) {
	ts := startServer(t)
	site := &fakeSite{hosts: 1, pages: 1}
	ctx := context.Background()
	const limit = 50
	var nodes []*Node
	for _, id := range []string{"a", "b", "c"} {
		n, err := dial(t, ts).Join(ctx, testConfig("budget", id), newFakeNode(16, site).local())
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, n)
	}
	grants := make([]uint64, len(nodes))
	fetched := make([]uint64, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			// Draw 7 at a time, "fetch" them, draw again, until nothing more is granted.
			for {
				g, err := n.DrawPages(ctx, limit, fetched[i], 7)
				if err != nil {
					t.Error(err)
					return
				}
				if g <= fetched[i] {
					return
				}
				grants[i], fetched[i] = g, g
			}
		})
	}
	wg.Wait()
	var total uint64
	for i := range nodes {
		total += grants[i]
	}
	if total != limit {
		t.Fatalf("grants %v add up to %d, want %d", grants, total, limit)
	}

	// c drew 7 more than it fetched, and dies without fetching them.
	if _, err := nodes[0].DrawPages(ctx, limit+7, fetched[0], 0); err != nil {
		t.Fatal(err)
	}
	g, err := nodes[2].DrawPages(ctx, limit+7, fetched[2], 7)
	if err != nil || g != fetched[2]+7 {
		t.Fatalf("c's draw with a larger limit: %d, %v; want %d", g, err, fetched[2]+7)
	}
	// A restart of c keeps its allowance: asking for nothing more returns the grant.
	if g2, err := nodes[2].DrawPages(ctx, limit+7, fetched[2], 0); err != nil || g2 != g {
		t.Fatalf("c after a restart: grant %d, %v; want %d", g2, err, g)
	}
	if err := nodes[2].Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := dial(t, ts).Reassign(ctx, "budget", "c", time.Second); err != nil {
		t.Fatal(err)
	}
	// c's 7 unused pages are free again: a gets them.
	ga, err := nodes[0].DrawPages(ctx, limit+7, fetched[0], 100)
	if err != nil || ga != fetched[0]+7 {
		t.Fatalf("a after c's allowance returned: grant %d, %v; want %d", ga, err, fetched[0]+7)
	}
	if g, err := nodes[0].DrawPages(ctx, 0, 0, 1); err != nil || g != ^uint64(0) {
		t.Fatalf("no limit: %d, %v", g, err)
	}
}

// reassign moves a stopped node's shards at once, without the lease; a live node is refused.
// The new owner holds the shards' hosts for the hold given.
func TestReassignMovesAStoppedNodesShards(t *testing.T) {
	ts := startServer(t)
	site := &fakeSite{hosts: 1, pages: 1}
	cfgA, cfgB := testConfig("re", "a"), testConfig("re", "b")
	cfgA.Lease, cfgB.Lease = time.Hour, time.Hour // only reassign moves them
	fa := newFakeNode(16, site)
	a := startNode(t, ts, cfgA, fa, false)
	b := startNode(t, ts, cfgB, newFakeNode(16, site), false)
	obs := dial(t, ts)
	v := watchView(t, obs, "re", 20*time.Second, "a and b balanced", balanced("a", "b"))
	bShards := v.ownedBy("b")

	if _, err := obs.Reassign(context.Background(), "re", "b", time.Second); err == nil {
		t.Fatal("reassign of a live node accepted")
	}
	b.stop()
	freed := time.Now() // a's claim follows the free, which follows this
	moved, err := obs.Reassign(context.Background(), "re", "b", 2*time.Second)
	if err != nil || moved != len(bShards) {
		t.Fatalf("reassign b: %d shards, %v; want %d", moved, err, len(bShards))
	}
	v = watchView(t, obs, "re", 20*time.Second, "a to own every shard", balanced("a"))
	st, err := obs.Status(context.Background(), "re")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Nodes) != 1 || st.Nodes[0].ID != "a" || len(st.Nodes[0].Shards) != 16 {
		t.Errorf("status after reassign: %+v", st.Nodes)
	}
	fa.mu.Lock()
	defer fa.mu.Unlock()
	for _, s := range bShards {
		if got := fa.gainedAt[s]; got.Before(freed.Add(2 * time.Second)) {
			t.Errorf("shard %d: a may fetch from %s, before the 2s hold from the reassign (%s)", s, got, freed)
		}
	}
	_ = a
}

// A shard moved for balance: the new owner waits the hold the old owner reported from its
// drop (the rate interval still to run), counted from its claim, which follows the release.
func TestNewOwnerWaitsTheOldOwnersHold(t *testing.T) {
	ts := startServer(t)
	site := &fakeSite{hosts: 1, pages: 1}
	fa, fb := newFakeNode(16, site), newFakeNode(16, site)
	startNode(t, ts, testConfig("hold", "a"), fa, false)
	obs := dial(t, ts)
	watchView(t, obs, "hold", 20*time.Second, "a to own every shard", balanced("a"))
	startNode(t, ts, testConfig("hold", "b"), fb, false)
	v := watchView(t, obs, "hold", 20*time.Second, "a and b balanced", balanced("a", "b"))
	fa.mu.Lock()
	fb.mu.Lock()
	defer fa.mu.Unlock()
	defer fb.mu.Unlock()
	for _, s := range v.ownedBy("b") {
		if v.assign[s].HoldMS != 50 {
			t.Errorf("shard %d: hold %dms in the KV, the old owner reported 50ms", s, v.assign[s].HoldMS)
		}
		dropped, gained := fa.droppedAt[s], fb.gainedAt[s]
		if dropped.IsZero() || gained.Sub(dropped) < 50*time.Millisecond {
			t.Errorf("shard %d: a dropped it at %s, b may fetch from %s: less than the 50ms hold", s, dropped, gained)
		}
	}
}
