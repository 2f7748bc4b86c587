package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
)

func failed(id uint64, host string) crawl.Result {
	return crawl.Result{ID: id, Host: host, Page: crawl.Node{State: crawl.StateFailed, Error: "connection reset", FetchedAt: time.Unix(1700000000, 0).UTC()}}
}

func TestRequeueFailedQueuesFailedURLsAndCountsEachAttempt(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	w := db.Writer(-1)
	root := node(t, db, "http://a.test/")
	if _, err := w.Commit([]crawl.Result{done(root.ID, "a.test", link("http://a.test/1", true), link("http://a.test/2", true))}); err != nil {
		t.Fatal(err)
	}
	one := node(t, db, "http://a.test/1")
	if _, err := w.Commit([]crawl.Result{failed(one.ID, "a.test")}); err != nil {
		t.Fatal(err)
	}
	if got := frontier(t, db); !reflect.DeepEqual(got, map[string]int{"http://a.test/2": 1}) {
		t.Fatalf("frontier before retry = %v", got)
	}
	n, err := db.RequeueFailed()
	if err != nil || n != 1 {
		t.Fatalf("RequeueFailed = %d, %v; want 1", n, err)
	}
	if got := frontier(t, db); !reflect.DeepEqual(got, map[string]int{"http://a.test/1": 1, "http://a.test/2": 1}) {
		t.Errorf("frontier after retry = %v", got)
	}
	if n := node(t, db, "http://a.test/1"); n.State != crawl.StatePending || n.Error != "" || n.Depth != 1 {
		t.Errorf("retried node = %+v", n)
	}
	// The failed attempt stays counted; the retry counts when it is fetched.
	if c, _ := db.FetchedCount(); c != 2 {
		t.Errorf("FetchedCount after retry = %d, want 2", c)
	}
	if _, err := w.Commit([]crawl.Result{done(one.ID, "a.test")}); err != nil {
		t.Fatal(err)
	}
	if c, _ := db.FetchedCount(); c != 3 {
		t.Errorf("FetchedCount after refetch = %d, want 3", c)
	}
	if n, _ := db.RequeueFailed(); n != 0 {
		t.Errorf("second RequeueFailed = %d, want 0", n)
	}
}

func TestRescopeAppliesNewDepthAndScopeToUnfetchedURLs(t *testing.T) {
	everything := func(string) bool { return true }
	cases := []struct {
		name     string
		maxDepth int
		inScope  func(string) bool
		want     RescopeStats
		frontier map[string]int
		states   map[string]crawl.State
	}{
		{
			name: "raise", maxDepth: 3, inScope: everything,
			want:     RescopeStats{Requeued: 1},
			frontier: map[string]int{"http://a.test/2": 1, "http://a.test/deep": 2},
			states:   map[string]crawl.State{"http://a.test/deep": crawl.StatePending},
		},
		{
			name: "same", maxDepth: 1, inScope: everything,
			frontier: map[string]int{"http://a.test/2": 1},
			states:   map[string]crawl.State{"http://a.test/deep": crawl.StateSkipped},
		},
		{
			name: "lower", maxDepth: 0, inScope: everything,
			want:   RescopeStats{TooDeep: 1},
			states: map[string]crawl.State{"http://a.test/2": crawl.StateSkipped, "http://a.test/deep": crawl.StateSkipped},
		},
		{
			name: "narrow scope", maxDepth: 3, inScope: func(u string) bool { return !strings.HasSuffix(u, "/2") },
			want:     RescopeStats{Requeued: 1, OutOfScope: 1},
			frontier: map[string]int{"http://a.test/deep": 2},
			states:   map[string]crawl.State{"http://a.test/2": crawl.StateExternal, "http://a.test/deep": crawl.StatePending},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := openTemp(t)
			mustSeed(t, db, "http://a.test/")
			w := db.Writer(1)
			root := node(t, db, "http://a.test/")
			if _, err := w.Commit([]crawl.Result{done(root.ID, "a.test", link("http://a.test/1", true), link("http://a.test/2", true))}); err != nil {
				t.Fatal(err)
			}
			one := node(t, db, "http://a.test/1")
			if _, err := w.Commit([]crawl.Result{done(one.ID, "a.test", link("http://a.test/deep", true))}); err != nil {
				t.Fatal(err)
			}
			st, err := db.Rescope(c.maxDepth, 0, c.inScope)
			if err != nil {
				t.Fatal(err)
			}
			if st != c.want {
				t.Errorf("stats = %+v, want %+v", st, c.want)
			}
			got := frontier(t, db)
			if len(got) != 0 || len(c.frontier) != 0 {
				if !reflect.DeepEqual(got, c.frontier) {
					t.Errorf("frontier = %v, want %v", got, c.frontier)
				}
			}
			for u, s := range c.states {
				if n := node(t, db, u); n.State != s {
					t.Errorf("%s: %v, want %v", u, n.State, s)
				}
			}
			// Done pages are never touched.
			if n := node(t, db, "http://a.test/1"); n.State != crawl.StateDone {
				t.Errorf("fetched page changed: %+v", n)
			}
		})
	}
}

func TestExternalURLReachedAfterTheScopeGrewJoinsTheCrawl(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	w := db.Writer(-1)
	root := node(t, db, "http://a.test/")
	out := link("http://b.test/x", false)
	out.InScope = false
	if _, err := w.Commit([]crawl.Result{done(root.ID, "a.test", out)}); err != nil {
		t.Fatal(err)
	}
	if n := node(t, db, "http://b.test/x"); n.State != crawl.StateExternal {
		t.Fatalf("b.test/x = %v", n.State)
	}
	// A later run adds a seed on b.test: its links to b.test are now in scope.
	mustSeed(t, db, "http://b.test/")
	b := node(t, db, "http://b.test/")
	if _, err := w.Commit([]crawl.Result{done(b.ID, "b.test", link("http://b.test/x", true))}); err != nil {
		t.Fatal(err)
	}
	if n := node(t, db, "http://b.test/x"); n.State != crawl.StatePending || n.Depth != 1 {
		t.Errorf("b.test/x = %v depth %d, want pending at 1", n.State, n.Depth)
	}
	if got := frontier(t, db); got["http://b.test/x"] != 1 {
		t.Errorf("frontier = %v", got)
	}
}

func TestFailedCommitStoresNothingAndLeavesTheLeasePending(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crawl.db")
	errDisk := errors.New("no space left on device")
	db, err := Open(path, Options{FailCommit: func(n int) error {
		if n == 2 {
			return errDisk
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	mustSeed(t, db, "http://a.test/")
	w := db.Writer(-1)
	root := node(t, db, "http://a.test/")
	if _, err := w.Commit([]crawl.Result{done(root.ID, "a.test", link("http://a.test/1", true))}); err != nil {
		t.Fatal(err)
	}
	one := node(t, db, "http://a.test/1")
	if _, err := w.Commit([]crawl.Result{done(one.ID, "a.test", link("http://a.test/2", true))}); !errors.Is(err, errDisk) {
		t.Fatalf("second commit: err = %v, want %v", err, errDisk)
	}
	db.Close()

	db, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("reopen after a failed commit: %v", err)
	}
	defer db.Close()
	if n := node(t, db, "http://a.test/1"); n.State != crawl.StatePending {
		t.Errorf("page of the failed commit = %v, want pending", n.State)
	}
	if got := frontier(t, db); !reflect.DeepEqual(got, map[string]int{"http://a.test/1": 1}) {
		t.Errorf("frontier = %v", got)
	}
	if c, _ := db.FetchedCount(); c != 1 {
		t.Errorf("FetchedCount = %d, want 1", c)
	}
}

// The graph a crawl stores must not depend on the order pages are fetched and committed in:
// a resumed crawl fetches in a different order from an uninterrupted one, and both must end
// with the same nodes (state, depth, skip reason) and edges.
func TestCommitOrderDoesNotChangeTheGraph(t *testing.T) {
	const pages = 40
	site := rand.New(rand.NewPCG(1, 2))
	type out struct {
		dst              string
		follow, external bool
	}
	links := make([][]out, pages)
	pageURL := func(i int) string { return fmt.Sprintf("http://a.test/%d", i) }
	for i := range links {
		for range 1 + site.IntN(5) {
			switch r := site.IntN(10); {
			case r == 0:
				links[i] = append(links[i], out{dst: fmt.Sprintf("http://x.test/%d", site.IntN(8)), external: true})
			default:
				links[i] = append(links[i], out{dst: pageURL(site.IntN(pages)), follow: r > 2})
			}
		}
	}
	// cacheSize 0 runs without the writer's URL cache; a tiny one evicts on most commits.
	crawl := func(seed uint64, cacheSize int) map[string]crawl.Node {
		db := openTemp(t)
		db.urls = newURLCache(cacheSize)
		mustSeed(t, db, pageURL(0), pageURL(1))
		w := db.Writer(3)
		order := rand.New(rand.NewPCG(seed, seed))
		for {
			queued := frontier(t, db)
			if len(queued) == 0 {
				break
			}
			var batch []crawl.Result
			for u := range queued { // map order: random
				if order.IntN(3) == 0 && len(batch) > 0 {
					continue
				}
				var i int
				fmt.Sscanf(u, "http://a.test/%d", &i)
				r := done(node(t, db, u).ID, "a.test")
				for _, l := range links[i] {
					lk := link(l.dst, l.follow)
					if l.external {
						lk.Host, lk.InScope = "x.test", false
					}
					if !l.follow && !l.external {
						lk.Rel = "nofollow"
					}
					r.Links = append(r.Links, lk)
				}
				batch = append(batch, r)
			}
			order.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
			for len(batch) > 0 {
				n := 1 + order.IntN(len(batch))
				if _, err := w.Commit(batch[:n]); err != nil {
					t.Fatal(err)
				}
				batch = batch[n:]
			}
		}
		nodes := map[string]crawl.Node{}
		db.View(func(s *Snapshot) error {
			return s.EachNode(func(n crawl.Node) error {
				nodes[n.URL] = crawl.Node{State: n.State, Depth: n.Depth, Error: n.Error, OutLinks: n.OutLinks}
				return nil
			})
		})
		return nodes
	}
	want := crawl(0, 0)
	for seed := uint64(1); seed <= 25; seed++ {
		got := crawl(seed, []int{urlCacheSize, 3, 0}[seed%3])
		if !reflect.DeepEqual(got, want) {
			for u, w := range want {
				if got[u] != w {
					t.Errorf("order %d: %s = %+v, want %+v", seed, u, got[u], w)
				}
			}
			t.FailNow()
		}
	}
}
