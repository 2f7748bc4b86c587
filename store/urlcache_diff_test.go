package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
)

// dumpGraph is every node, edge and frontier entry of db, as text to compare.
func dumpGraph(t *testing.T, db *DB) string {
	t.Helper()
	var b strings.Builder
	err := db.View(func(s *Snapshot) error {
		if err := s.EachNode(func(n crawl.Node) error { fmt.Fprintf(&b, "N %+v\n", n); return nil }); err != nil {
			return err
		}
		return s.EachEdge(func(e crawl.Edge) error { fmt.Fprintf(&b, "E %+v\n", e); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "F %v\n", frontier(t, db))
	return b.String()
}

// The URL cache must change nothing that is stored. Two databases take the same random
// history (commits with redirects, failures, rejects, nofollow and external links, a depth
// limit and a host budget; commits that fail after applying their batch and are retried;
// RequeueFailed, Rescope and AddSeeds between them), one without the cache and one with it
// (tiny, so that it evicts all the time, or full size), and must end every step identical.
func TestURLCacheChangesNothingStored(t *testing.T) {
	errInjected := errors.New("injected write error")
	histories := uint64(60)
	if testing.Short() {
		histories = 10
	}
	for seed := uint64(1); seed <= histories; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		plain, cached := openTemp(t), openTemp(t)
		plain.urls = newURLCache(0)
		cached.urls = newURLCache([]int{2, 5, urlCacheSize}[seed%3])
		dbs := []*DB{plain, cached}
		randomURL := func() string {
			h := []string{"a.test", "b.test", "x.test"}[r.IntN(3)]
			return fmt.Sprintf("http://%s/%d", h, r.IntN(30))
		}
		for _, db := range dbs {
			mustSeed(t, db, "http://a.test/0", "http://b.test/0")
		}
		maxDepth, budget := []int{-1, 2, 3}[seed%3], int(seed%2*12)
		writers := []*Writer{plain.Writer(maxDepth).WithHostBudget(budget), cached.Writer(maxDepth).WithHostBudget(budget)}
		for step := range 80 {
			queued := frontier(t, plain)
			switch op := r.IntN(20); op {
			case 0, 1, 2:
				md, seedURL := r.IntN(4), randomURL()
				for _, db := range dbs {
					var err error
					switch op {
					case 0:
						_, err = db.RequeueFailed()
					case 1:
						_, err = db.Rescope(md, 0, func(u string) bool { return !strings.Contains(u, "x.test") })
					case 2:
						_, err = db.AddSeeds([]Seed{{URL: seedURL, Host: hostKey(seedURL)}})
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				continue
			}
			var batch []crawl.Result
			for u := range queued {
				if r.IntN(2) == 0 {
					continue
				}
				res := done(node(t, plain, u).ID, hostKey(u))
				switch r.IntN(6) {
				case 0:
					res.Page.State = crawl.StateFailed
				case 1:
					res = redirect(res.ID, res.Host, 301, randomURL())
				}
				for range r.IntN(6) {
					dst := randomURL()
					l := link(dst, r.IntN(3) > 0)
					if strings.Contains(dst, "x.test") {
						l.InScope, l.Follow = false, false
					}
					if r.IntN(15) == 0 {
						l.Reject = "too-long"
					}
					res.Links = append(res.Links, l)
				}
				res.Page.FetchedAt = time.Unix(1700000000, 0).UTC()
				batch = append(batch, res)
			}
			fail := r.IntN(2) == 0
			for i, db := range dbs {
				db.failCommit = func(int) error {
					if fail {
						return errInjected
					}
					return nil
				}
				if _, err := writers[i].Commit(batch); fail != errors.Is(err, errInjected) {
					t.Fatalf("history %d step %d: commit error %v", seed, step, err)
				}
				if fail {
					db.failCommit = nil
					if _, err := writers[i].Commit(batch); err != nil {
						t.Fatal(err)
					}
				}
			}
			if want, got := dumpGraph(t, plain), dumpGraph(t, cached); want != got {
				t.Fatalf("history %d step %d: with the cache\n%s\nwithout\n%s", seed, step, got, want)
			}
			if !reflect.DeepEqual(frontier(t, plain), frontier(t, cached)) {
				t.Fatalf("history %d step %d: frontiers differ", seed, step)
			}
		}
	}
}
