package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
	"github.com/crawl-project/crawl/store/storetest"
)

// TestMergeOfShardedCrawlEqualsOneDatabase crawls the same site twice from the same results:
// with one database, and with three nodes of a cluster of 16 shards; the merge of the three
// databases is the one database's crawl: the same URLs in the same states, depths and
// records, the same edges, refusals and per-host counts.
func TestMergeOfShardedCrawlEqualsOneDatabase(t *testing.T) {
	one := storetest.ReadGraph(t, crawlOne(t, testSite))
	c := newSimCluster(t, testSite, 3, 16)
	c.run()
	paths := c.close()

	// The crawl is spread: every node fetched pages and holds remote nodes.
	for _, p := range paths {
		g := storetest.ReadGraph(t, p)
		if len(g.InState(crawl.StateDone)) == 0 || len(g.InState(crawl.StateRemote)) == 0 {
			t.Fatalf("%s: %d done, %d remote: the crawl did not spread over the nodes", p,
				len(g.InState(crawl.StateDone)), len(g.InState(crawl.StateRemote)))
		}
	}
	out := filepath.Join(t.TempDir(), "all.db")
	st, err := store.Merge(context.Background(), out, paths, store.MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	merged := storetest.ReadGraph(t, out)
	checkSameGraph(t, "the merge of three nodes' databases", one, merged)
	if st.URLs != len(one.Nodes) || st.Edges != len(one.Edges) || st.Remote != 0 || st.Shared == 0 {
		t.Errorf("stats %+v: want %d URLs, %d edges, none remote, some shared", st, len(one.Nodes), len(one.Edges))
	}
	// The site has pages of every kind, so the comparison covers them.
	for _, s := range []crawl.State{crawl.StateDone, crawl.StateFailed, crawl.StateBlocked, crawl.StateExternal, crawl.StateSkipped} {
		if len(one.InState(s)) == 0 {
			t.Errorf("the site has no URL %v", s)
		}
	}
	// Fetch attempts are each node's own: they add up.
	db, err := store.Open(out, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fetched, err := db.FetchedCount()
	if want := len(one.InState(crawl.StateDone)) + len(one.InState(crawl.StateFailed)); err != nil || fetched != want {
		t.Errorf("merged fetch attempts %d, %v; want %d", fetched, err, want)
	}
}
