package store

import (
	"testing"
	"time"

	"github.com/crawl-project/crawl"
)

func TestStatusCountsOneScan(t *testing.T) {
	db := openTemp(t)
	status := func() Status {
		t.Helper()
		var st Status
		if err := db.View(func(s *Snapshot) (err error) { st, err = s.Status(); return err }); err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := status(); st.URLs != 0 || !st.Updated.IsZero() || st.Config != nil || st.Schema != SchemaVersion {
		t.Fatalf("new database: %+v", st)
	}
	mustSeed(t, db, "http://a.test/", "http://b.test:8080/")
	if err := db.SetConfig([]byte(`{"scope":"host"}`)); err != nil {
		t.Fatal(err)
	}
	w := db.Writer(1)
	before := time.Now()
	root := node(t, db, "http://a.test/")
	ext := link("http://c.test/", false)
	ext.InScope = false
	nf := link("http://a.test/nf", false)
	if _, err := w.Commit([]crawl.Result{done(root.ID, "a.test", link("http://a.test/1", true), ext, nf)}); err != nil {
		t.Fatal(err)
	}
	one := node(t, db, "http://a.test/1")
	if _, err := w.Commit([]crawl.Result{done(one.ID, "a.test", link("http://a.test/deep", true))}); err != nil {
		t.Fatal(err)
	}
	b := node(t, db, "http://b.test:8080/")
	if _, err := w.Commit([]crawl.Result{failed(b.ID, "b.test:8080")}); err != nil {
		t.Fatal(err)
	}

	st := status()
	want := map[crawl.State]int{crawl.StateDone: 2, crawl.StateFailed: 1, crawl.StateExternal: 1, crawl.StateSkipped: 2}
	for s, n := range want {
		if st.ByState[s] != n {
			t.Errorf("%v = %d, want %d (all: %v)", s, st.ByState[s], n, st.ByState)
		}
	}
	if st.URLs != 6 || st.Frontier != 0 || st.QueuedHosts != 0 || !st.Finished() {
		t.Errorf("urls %d frontier %d queued hosts %d finished %v", st.URLs, st.Frontier, st.QueuedHosts, st.Finished())
	}
	if st.Skipped[crawl.ReasonMaxDepth] != 1 || st.Skipped[crawl.ReasonNofollow] != 1 {
		t.Errorf("skipped = %v", st.Skipped)
	}
	if st.Hosts != 2 || st.Edges != 4 || st.Fetched != 3 {
		t.Errorf("hosts %d edges %d fetched %d; want 2, 4, 3", st.Hosts, st.Edges, st.Fetched)
	}
	if st.Updated.Before(before.Add(-time.Second)) || string(st.Config) != `{"scope":"host"}` {
		t.Errorf("updated %v (commit after %v), config %q", st.Updated, before, st.Config)
	}

	if _, err := db.RequeueFailed(); err != nil {
		t.Fatal(err)
	}
	mustSeed(t, db, "http://d.test/")
	if st := status(); st.Frontier != 2 || st.QueuedHosts != 2 || st.ByState[crawl.StatePending] != 2 || st.Finished() {
		t.Errorf("after requeue: frontier %d on %d hosts, pending %d", st.Frontier, st.QueuedHosts, st.ByState[crawl.StatePending])
	}
}

// Status counts the pages read only in part: bodies cut at the size limit and done pages
// with an error note; a failed or skipped page's error is not a partial parse.
func TestStatusCountsIncompletePages(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	w := db.Writer(-1)
	commit := func(r crawl.Result) {
		t.Helper()
		if _, err := w.Commit([]crawl.Result{r}); err != nil {
			t.Fatal(err)
		}
	}
	commit(done(node(t, db, "http://a.test/").ID, "a.test", link("http://a.test/big", true), link("http://a.test/deep", true),
		link("http://a.test/both", true), link("http://a.test/down", true), link("http://a.test/later", true)))
	page := func(u string, truncated bool, note string) crawl.Result {
		r := done(node(t, db, u).ID, "a.test")
		r.Page.Truncated, r.Page.Error = truncated, note
		return r
	}
	commit(page("http://a.test/big", true, ""))
	commit(page("http://a.test/deep", false, "nested deeper than 512 elements: links read by the token scanner"))
	commit(page("http://a.test/both", true, "decode http://a.test/both: bad charset"))
	commit(failed(node(t, db, "http://a.test/down").ID, "a.test"))

	var st Status
	if err := db.View(func(s *Snapshot) (err error) { st, err = s.Status(); return err }); err != nil {
		t.Fatal(err)
	}
	if st.Truncated != 2 || st.PartialParses != 2 || st.ByState[crawl.StateFailed] != 1 || st.ByState[crawl.StatePending] != 1 {
		t.Errorf("truncated %d, partial parses %d (want 2, 2); states %v", st.Truncated, st.PartialParses, st.ByState)
	}
}
