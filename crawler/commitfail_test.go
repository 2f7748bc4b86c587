package crawler_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/store"
)

// A write error (a full disk, an I/O error) in a commit stops the crawl with that error; the
// database stays consistent, and once the disk is fine again a rerun completes the crawl
// with exactly the graph of a crawl that never failed.
func TestCommitFailureStopsTheCrawlAndARerunCompletesIt(t *testing.T) {
	for _, failAt := range []int{1, 3} {
		t.Run(fmt.Sprintf("commit %d fails", failAt), func(t *testing.T) {
			h := newHarness(t, crawltest.SiteConfig{Seed: 7, Pages: 250, MinBytes: 1000, MaxBytes: 2000, BrokenFraction: 0.02, ExternalFraction: 0.03})
			small := func(c *crawler.Config) { c.BatchSize = 16 } // several commits even on a small site
			failing := h.dbPath
			h.dbPath = filepath.Join(t.TempDir(), "reference.db")
			h.run(h.config(h.roots(), small))
			want := h.graph()
			h.dbPath = failing

			errDisk := errors.New("write crawl.db: no space left on device")
			db, err := store.Open(h.dbPath, store.Options{FailCommit: func(n int) error {
				if n >= failAt {
					return errDisk
				}
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			c, err := crawler.New(db, h.config(h.roots(), small))
			if err != nil {
				t.Fatal(err)
			}
			err = c.Run(context.Background())
			db.Close()
			if !errors.Is(err, errDisk) {
				t.Fatalf("Run = %v, want the write error", err)
			}
			// failAt-1 commits of at most 16 results went through; of the single host's
			// results, only its robots.txt turn may have had a commit to itself.
			if s, most, least := c.Stats().Snapshot(), int64((failAt-1)*16), int64(max(failAt-2, 0)); s.Committed > most || s.Committed < least {
				t.Errorf("committed %d results before commit %d failed, want %d to %d", s.Committed, failAt, least, most)
			}

			h.run(h.config(h.roots(), small))
			sameGraph(t, want, h.graph())
		})
	}
}

// sameGraph compares two crawls by URL: every node's state, depth, status and title, and
// every edge.
func sameGraph(t *testing.T, want, got graph) {
	t.Helper()
	expectSameSet(t, "nodes", want.nodes, got.nodes)
	for u, w := range want.nodes {
		g, ok := got.nodes[u]
		if ok && (g.State != w.State || g.Depth != w.Depth || g.Status != w.Status || g.Title != w.Title || g.OutLinks != w.OutLinks) {
			t.Errorf("%s: got %v depth %d status %d %q links %d; want %v depth %d status %d %q links %d",
				u, g.State, g.Depth, g.Status, g.Title, g.OutLinks, w.State, w.Depth, w.Status, w.Title, w.OutLinks)
		}
	}
	expectSameSet(t, "pages with edges", want.edges, got.edges)
	for src, w := range want.edges {
		g := got.edges[src]
		expectSameSet(t, "edges of "+src, w, g)
		for dst, kind := range w {
			if k, ok := g[dst]; ok && k != kind {
				t.Errorf("edge %s -> %s: %v, want %v", src, dst, k, kind)
			}
		}
	}
}
