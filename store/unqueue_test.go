package store

import (
	"net/url"
	"testing"

	"github.com/crawl-project/crawl"
)

// The crawl keeps its count of queued URLs from crawl.CommitStats.Queued and Unqueued, so a commit
// must count each frontier entry it removes once, and none it does not find.
func TestCommitCountsEachFrontierEntryRemovedOnce(t *testing.T) {
	db := openTemp(t)
	// A URL on a non-ASCII host: its frontier key is url.URL.Host (unescaped), its stored URL
	// is escaped.
	target, err := url.Parse("http://bücher.test/new")
	if err != nil {
		t.Fatal(err)
	}
	// a.test/later stays queued, after the lease's entry in key order.
	seeds := []Seed{{URL: "http://a.test/old", Host: "a.test"}, {URL: target.String(), Host: target.Host},
		{URL: "http://a.test/later", Host: "a.test"}}
	if _, err := db.AddSeeds(seeds); err != nil {
		t.Fatal(err)
	}
	old := node(t, db, "http://a.test/old")
	batch := []crawl.Result{done(old.ID, "a.test"), done(node(t, db, target.String()).ID, target.Host)}
	w := db.Writer(-1)
	for _, step := range []struct {
		name         string
		wantUnqueued int
	}{
		{"two leases, one on a non-ASCII host", 2},
		{"the same result again", 0},
	} {
		stats, err := w.Commit(batch)
		if err != nil {
			t.Fatal(err)
		}
		if stats.Unqueued != step.wantUnqueued {
			t.Errorf("%s: unqueued %d, want %d", step.name, stats.Unqueued, step.wantUnqueued)
		}
		if got := frontier(t, db); len(got) != 1 || got["http://a.test/later"] != 0 {
			t.Errorf("%s: frontier = %v", step.name, got)
		}
	}
}
