package store

import (
	"reflect"
	"testing"

	"github.com/crawl-project/crawl"
)

func rejections(t *testing.T, db *DB) map[string]int {
	t.Helper()
	var out map[string]int
	if err := db.View(func(s *Snapshot) (err error) { out, err = s.Rejections(); return err }); err != nil {
		t.Fatal(err)
	}
	return out
}

func hostQueued(t *testing.T, db *DB, host string) int {
	t.Helper()
	var n int
	if err := db.View(func(s *Snapshot) error { n = s.HostQueued(host); return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func commitFrom(t *testing.T, db *DB, w *Writer, src string, links ...crawl.Link) crawl.CommitStats {
	t.Helper()
	n := node(t, db, src)
	cs, err := w.Commit([]crawl.Result{done(n.ID, hostKey(src), links...)})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestHostBudgetIsExact(t *testing.T) {
	for _, budget := range []int{0, 1, 2, 3, 6, 7} {
		db := openTemp(t)
		mustSeed(t, db, "http://a.test/")
		w := db.Writer(-1).WithHostBudget(budget)
		var links []crawl.Link
		for _, p := range []string{"1", "2", "3", "4", "5"} {
			links = append(links, link("http://a.test/"+p, true))
		}
		links = append(links, link("http://b.test/1", true)) // another host, another budget
		cs := commitFrom(t, db, w, "http://a.test/", links...)

		// The seed used one URL of a.test's budget; 0 means unlimited.
		wantQueued := 5
		if budget > 0 {
			wantQueued = min(max(budget-1, 0), 5)
		}
		wantRefused := 5 - wantQueued
		q := frontier(t, db)
		got := 0
		for _, p := range []string{"1", "2", "3", "4", "5"} {
			u := "http://a.test/" + p
			n := node(t, db, u)
			if _, ok := q[u]; ok {
				got++
				if n.State != crawl.StatePending {
					t.Errorf("budget %d: %s queued but %v", budget, u, n.State)
				}
			} else if n.State != crawl.StateSkipped || n.Error != crawl.ReasonHostBudget {
				t.Errorf("budget %d: %s = %v %q, want skipped for %s", budget, u, n.State, n.Error, crawl.ReasonHostBudget)
			}
		}
		if got != wantQueued {
			t.Errorf("budget %d: %d of a.test queued, want %d", budget, got, wantQueued)
		}
		if _, ok := q["http://b.test/1"]; !ok {
			t.Errorf("budget %d: b.test/1 not queued", budget)
		}
		if n := hostQueued(t, db, "a.test"); n != 1+wantQueued {
			t.Errorf("budget %d: HostQueued(a.test) = %d, want %d", budget, n, 1+wantQueued)
		}
		if cs.Rejected[crawl.ReasonHostBudget] != wantRefused {
			t.Errorf("budget %d: CommitStats.Rejected = %v, want %d %s", budget, cs.Rejected, wantRefused, crawl.ReasonHostBudget)
		}
		if r := rejections(t, db); r[crawl.ReasonHostBudget] != wantRefused {
			t.Errorf("budget %d: stored rejections = %v", budget, r)
		}
		// The refused URLs are recorded once: linking them again counts nothing new.
		if cs := commitFrom(t, db, w, "http://a.test/1", links...); budget > 1 && cs.Rejected != nil {
			t.Errorf("budget %d: relinking counted %v", budget, cs.Rejected)
		}
	}
}

func TestHostBudgetCountsEarlierRuns(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	commitFrom(t, db, db.Writer(-1).WithHostBudget(3), "http://a.test/", link("http://a.test/1", true))
	// A new writer (the next run) with the same budget has one URL of a.test left.
	cs := commitFrom(t, db, db.Writer(-1).WithHostBudget(3), "http://a.test/1",
		link("http://a.test/2", true), link("http://a.test/3", true))
	if n := node(t, db, "http://a.test/2"); n.State != crawl.StatePending {
		t.Errorf("a.test/2 = %v, want pending", n.State)
	}
	if n := node(t, db, "http://a.test/3"); n.State != crawl.StateSkipped || n.Error != crawl.ReasonHostBudget {
		t.Errorf("a.test/3 = %v %q", n.State, n.Error)
	}
	if cs.Rejected[crawl.ReasonHostBudget] != 1 || hostQueued(t, db, "a.test") != 3 {
		t.Errorf("rejected %v, queued %d; want 1 refused, 3 queued", cs.Rejected, hostQueued(t, db, "a.test"))
	}
}

func TestSeedsCountAgainstTheBudgetButAreQueued(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/", "http://a.test/s2", "http://a.test/s3")
	if got := len(frontier(t, db)); got != 3 {
		t.Fatalf("%d seeds queued, want 3", got)
	}
	cs := commitFrom(t, db, db.Writer(-1).WithHostBudget(2), "http://a.test/", link("http://a.test/1", true))
	if n := node(t, db, "http://a.test/1"); n.State != crawl.StateSkipped || n.Error != crawl.ReasonHostBudget {
		t.Errorf("a.test/1 = %v %q, want skipped for the budget", n.State, n.Error)
	}
	if cs.Rejected[crawl.ReasonHostBudget] != 1 || hostQueued(t, db, "a.test") != 3 {
		t.Errorf("rejected %v, queued %d", cs.Rejected, hostQueued(t, db, "a.test"))
	}
}

// A URL skipped for its depth joins the frontier when a shorter path reaches it, but only
// within its host's budget; otherwise it stays skipped, for the budget, at the lower depth.
func TestRequeueRespectsHostBudget(t *testing.T) {
	tests := []struct {
		budget    int
		wantState crawl.State
		wantError string
	}{
		{0, crawl.StatePending, ""},
		{4, crawl.StatePending, ""},
		{3, crawl.StateSkipped, crawl.ReasonHostBudget},
	}
	for _, tt := range tests {
		db := openTemp(t)
		mustSeed(t, db, "http://a.test/", "http://a.test/b") // 2 URLs of the budget
		w := db.Writer(1).WithHostBudget(tt.budget)
		commitFrom(t, db, w, "http://a.test/", link("http://a.test/1", true)) // 3
		commitFrom(t, db, w, "http://a.test/1", link("http://a.test/deep", true))
		if n := node(t, db, "http://a.test/deep"); n.State != crawl.StateSkipped || n.Error != crawl.ReasonMaxDepth {
			t.Fatalf("budget %d: deep = %v %q, want skipped for max-depth", tt.budget, n.State, n.Error)
		}
		cs := commitFrom(t, db, w, "http://a.test/b", link("http://a.test/deep", true))
		n := node(t, db, "http://a.test/deep")
		if n.State != tt.wantState || n.Error != tt.wantError || n.Depth != 1 {
			t.Errorf("budget %d: deep = %v %q depth %d, want %v %q depth 1", tt.budget, n.State, n.Error, n.Depth, tt.wantState, tt.wantError)
		}
		_, queued := frontier(t, db)["http://a.test/deep"]
		if queued != (tt.wantState == crawl.StatePending) {
			t.Errorf("budget %d: deep in frontier = %v", tt.budget, queued)
		}
		wantRejected := 0
		if tt.wantError == crawl.ReasonHostBudget {
			wantRejected = 1
		}
		if cs.Rejected[crawl.ReasonHostBudget] != wantRejected || rejections(t, db)[crawl.ReasonMaxDepth] != 0 {
			t.Errorf("budget %d: rejected %v, stored %v", tt.budget, cs.Rejected, rejections(t, db))
		}
	}
}

func TestRejectedLinksAreSkippedAndCounted(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/", "http://a.test/2", "http://a.test/3")
	w := db.Writer(-1)
	long := link("http://a.test/long", true)
	long.Follow, long.Reject = false, "too-long"
	deep := link("http://a.test/a/a/a/", true)
	deep.Follow, deep.Reject = false, "repeated-segment"
	nofollow := link("http://a.test/nf", false)
	cs := commitFrom(t, db, w, "http://a.test/", long, deep, nofollow, link("http://a.test/ok", true))
	for u, reason := range map[string]string{"http://a.test/long": "too-long", "http://a.test/a/a/a/": "repeated-segment", "http://a.test/nf": crawl.ReasonNofollow} {
		if n := node(t, db, u); n.State != crawl.StateSkipped || n.Error != reason {
			t.Errorf("%s = %v %q, want skipped for %s", u, n.State, n.Error, reason)
		}
	}
	want := map[string]int{"too-long": 1, "repeated-segment": 1}
	if !reflect.DeepEqual(cs.Rejected, want) {
		t.Errorf("CommitStats.Rejected = %v, want %v", cs.Rejected, want)
	}
	if es := edges(t, db, "http://a.test/"); len(es) != 4 {
		t.Errorf("%d edges, want 4: rejected links stay in the graph", len(es))
	}
	// Another page linking the same rejected URL adds an edge, not a rejection; a rejected
	// URL is never queued, even by a followable link.
	cs = commitFrom(t, db, w, "http://a.test/2", long, link("http://a.test/nf", true))
	if cs.Rejected != nil {
		t.Errorf("relinking counted %v", cs.Rejected)
	}
	if !reflect.DeepEqual(rejections(t, db), want) {
		t.Errorf("stored rejections = %v, want %v", rejections(t, db), want)
	}
	q := frontier(t, db)
	if _, ok := q["http://a.test/long"]; ok {
		t.Error("rejected URL queued")
	}
	if _, ok := q["http://a.test/nf"]; !ok {
		t.Error("nofollow URL not queued by a followable link")
	}
	// The stored counts add up over commits.
	long2 := link("http://a.test/long2", true)
	long2.Follow, long2.Reject = false, "too-long"
	commitFrom(t, db, w, "http://a.test/3", long2)
	want["too-long"]++
	if got := rejections(t, db); !reflect.DeepEqual(got, want) {
		t.Errorf("stored rejections after another commit = %v, want %v", got, want)
	}
}

func TestOutOfScopeLinksAreExternalNotRejected(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	ext := link("http://b.test/long", false)
	ext.InScope, ext.Reject = false, "too-long"
	cs := commitFrom(t, db, db.Writer(-1).WithHostBudget(1), "http://a.test/", ext)
	if n := node(t, db, "http://b.test/long"); n.State != crawl.StateExternal {
		t.Errorf("external = %v %q", n.State, n.Error)
	}
	if cs.Rejected != nil {
		t.Errorf("rejected %v", cs.Rejected)
	}
}

func TestDroppedLinksReachTheNodeAndTheCounter(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	id := node(t, db, "http://a.test/").ID
	r := done(id, "a.test", link("http://a.test/1", true))
	r.Page.DroppedOut = 4000
	w := db.Writer(-1)
	cs, err := w.Commit([]crawl.Result{r})
	if err != nil {
		t.Fatal(err)
	}
	if n := node(t, db, "http://a.test/"); n.DroppedOut != 4000 || n.OutLinks != 1 {
		t.Errorf("node DroppedOut %d OutLinks %d, want 4000 and 1", n.DroppedOut, n.OutLinks)
	}
	if cs.Rejected[crawl.ReasonLinkCap] != 4000 {
		t.Errorf("CommitStats.Rejected = %v", cs.Rejected)
	}
	// A duplicate result for the same lease is not recorded, nor counted.
	if _, err := w.Commit([]crawl.Result{r}); err != nil {
		t.Fatal(err)
	}
	if got := rejections(t, db); !reflect.DeepEqual(got, map[string]int{crawl.ReasonLinkCap: 4000}) {
		t.Errorf("stored rejections = %v", got)
	}
}

// A rerun with a deeper --max-depth queues URLs skipped for their depth, within the budget.
func TestRescopeRespectsHostBudget(t *testing.T) {
	tests := []struct {
		budget    int
		wantState crawl.State
		wantError string
		want      RescopeStats
	}{
		{0, crawl.StatePending, "", RescopeStats{Requeued: 1}},
		{4, crawl.StatePending, "", RescopeStats{Requeued: 1}},
		{3, crawl.StateSkipped, crawl.ReasonHostBudget, RescopeStats{}},
	}
	for _, tt := range tests {
		db := openTemp(t)
		mustSeed(t, db, "http://a.test/")
		w := db.Writer(1).WithHostBudget(tt.budget)
		commitFrom(t, db, w, "http://a.test/", link("http://a.test/1", true), link("http://a.test/2", true))
		commitFrom(t, db, w, "http://a.test/1", link("http://a.test/deep", true))
		st, err := db.Rescope(3, tt.budget, func(string) bool { return true })
		if err != nil {
			t.Fatal(err)
		}
		if st != tt.want {
			t.Errorf("budget %d: Rescope = %+v, want %+v", tt.budget, st, tt.want)
		}
		if n := node(t, db, "http://a.test/deep"); n.State != tt.wantState || n.Error != tt.wantError {
			t.Errorf("budget %d: deep = %v %q, want %v %q", tt.budget, n.State, n.Error, tt.wantState, tt.wantError)
		}
		if q := hostQueued(t, db, "a.test"); q > max(tt.budget, 4) {
			t.Errorf("budget %d: %d queued", tt.budget, q)
		}
	}
}
