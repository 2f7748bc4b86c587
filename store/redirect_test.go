package store

import (
	"reflect"
	"strings"
	"testing"

	"github.com/crawl-project/crawl"
)

// frontierEntries returns every queued entry by URL.
func frontierEntries(t *testing.T, db *DB) map[string]crawl.Entry {
	t.Helper()
	out := map[string]crawl.Entry{}
	hosts, err := db.FrontierHosts("", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		es, err := db.FrontierNext(h, 0, 1000, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			out[e.URL] = e
		}
	}
	return out
}

// A redirect is recorded as a page with one redirect edge, and its target is queued like a
// link but at the redirect's own depth, counted as one redirect, and reported so that the
// frontier can hand it out first.
func TestRedirectQueuesItsTargetAtTheSameDepth(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/old")
	w := db.Writer(-1)
	stats, err := w.Commit([]crawl.Result{redirect(node(t, db, "http://a.test/old").ID, "a.test", 301, "http://b.test/new")})
	if err != nil {
		t.Fatal(err)
	}
	target := node(t, db, "http://b.test/new")
	want := crawl.Entry{ID: target.ID, Host: "b.test", URL: "http://b.test/new", Depth: 0, Redirects: 1}
	if !reflect.DeepEqual(stats.Redirected, []crawl.Entry{want}) {
		t.Errorf("Redirected = %+v, want %+v", stats.Redirected, want)
	}
	if got := frontierEntries(t, db); !reflect.DeepEqual(got, map[string]crawl.Entry{want.URL: want}) {
		t.Errorf("frontier = %+v", got)
	}
	if n := node(t, db, "http://a.test/old"); n.State != crawl.StateDone || n.Status != 301 || n.OutLinks != 1 {
		t.Errorf("old = %+v", n)
	}
	if es := edges(t, db, "http://a.test/old"); len(es) != 1 || es[0].Kind != crawl.KindRedirect || es[0].Dst != target.ID {
		t.Errorf("edges = %+v", es)
	}
	// The target's own links are one hop deeper than the redirect.
	r := done(target.ID, "b.test", link("http://b.test/next", true))
	r.Redirects = 1
	if _, err := w.Commit([]crawl.Result{r}); err != nil {
		t.Fatal(err)
	}
	if e := frontierEntries(t, db)["http://b.test/next"]; e.Depth != 1 || e.Redirects != 0 {
		t.Errorf("link of the target = %+v, want depth 1, no redirects", e)
	}
}

// A redirect to a URL already seen queues nothing: the URL is fetched once.
func TestRedirectToAKnownURLQueuesNothing(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/", "http://a.test/old")
	w := db.Writer(-1)
	if _, err := w.Commit([]crawl.Result{done(node(t, db, "http://a.test/").ID, "a.test")}); err != nil {
		t.Fatal(err)
	}
	stats, err := w.Commit([]crawl.Result{redirect(node(t, db, "http://a.test/old").ID, "a.test", 308, "http://a.test/")})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Queued != 0 || len(stats.Redirected) != 0 || len(frontierEntries(t, db)) != 0 {
		t.Errorf("stats %+v, frontier %v", stats, frontierEntries(t, db))
	}
	if n := node(t, db, "http://a.test/"); n.State != crawl.StateDone || n.Error != "" {
		t.Errorf("target = %+v", n)
	}
}

// A chain longer than the writer's limit counts its excess as link hops, so that a site
// redirecting forever is bounded by --max-depth as a site linking forever is.
func TestRedirectChainBeyondTheLimitCountsAsALinkHop(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/r0")
	w := db.Writer(1).WithMaxRedirects(2)
	want := []struct {
		depth, redirects int
		state            crawl.State
	}{
		{0, 1, crawl.StatePending}, // r1
		{0, 2, crawl.StatePending}, // r2
		{1, 0, crawl.StatePending}, // r3: the third redirect in a row is a link hop
		{1, 1, crawl.StatePending}, // r4
		{1, 2, crawl.StatePending}, // r5
		{2, 0, crawl.StateSkipped}, // r6: beyond --max-depth 1
	}
	for i, step := range want {
		from, to := "http://a.test/r"+string(rune('0'+i)), "http://a.test/r"+string(rune('1'+i))
		var redirects int
		if i > 0 {
			e, ok := frontierEntries(t, db)[from]
			if !ok {
				t.Fatalf("%s not queued", from)
			}
			redirects = e.Redirects
		}
		r := redirect(node(t, db, from).ID, "a.test", 302, to)
		r.Redirects = redirects
		if _, err := w.Commit([]crawl.Result{r}); err != nil {
			t.Fatal(err)
		}
		n := node(t, db, to)
		if n.Depth != step.depth || n.State != step.state {
			t.Errorf("%s: depth %d %v, want %d %v", to, n.Depth, n.State, step.depth, step.state)
		}
		if e, ok := frontierEntries(t, db)[to]; ok && e.Redirects != step.redirects {
			t.Errorf("%s: %d redirects, want %d", to, e.Redirects, step.redirects)
		}
	}
}

// A redirect that comes back to where its chain started is a loop: every URL of it is
// recorded as failed, with the chain in its error, and its redirect edges are kept.
func TestRedirectLoopFailsEveryURLOfIt(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/1")
	w := db.Writer(-1)
	for _, hop := range []struct{ from, to string }{{"1", "2"}, {"2", "3"}, {"3", "1"}} {
		from := "http://a.test/" + hop.from
		if _, err := w.Commit([]crawl.Result{redirect(node(t, db, from).ID, "a.test", 301, "http://a.test/"+hop.to)}); err != nil {
			t.Fatal(err)
		}
	}
	msg := "redirect loop: http://a.test/3 -> http://a.test/1 -> http://a.test/2 -> http://a.test/3"
	for _, p := range []string{"1", "2", "3"} {
		n := node(t, db, "http://a.test/"+p)
		if n.State != crawl.StateFailed || n.Status != 301 || n.Error != msg {
			t.Errorf("/%s = %v %d %q, want failed 301 %q", p, n.State, n.Status, n.Error, msg)
		}
		if es := edges(t, db, "http://a.test/"+p); len(es) != 1 || es[0].Kind != crawl.KindRedirect {
			t.Errorf("/%s edges = %+v", p, es)
		}
	}
	if len(frontierEntries(t, db)) != 0 {
		t.Errorf("frontier = %v", frontierEntries(t, db))
	}
	if c, _ := db.FetchedCount(); c != 3 {
		t.Errorf("FetchedCount = %d, want 3", c)
	}
}

// A chain that merely reaches a URL already recorded, without coming back, is no loop.
func TestRedirectIntoAnotherChainIsNoLoop(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/a", "http://a.test/b")
	w := db.Writer(-1)
	commit := func(r crawl.Result) {
		t.Helper()
		if _, err := w.Commit([]crawl.Result{r}); err != nil {
			t.Fatal(err)
		}
	}
	commit(redirect(node(t, db, "http://a.test/a").ID, "a.test", 301, "http://a.test/c"))
	commit(redirect(node(t, db, "http://a.test/c").ID, "a.test", 301, "http://a.test/d"))
	commit(redirect(node(t, db, "http://a.test/b").ID, "a.test", 301, "http://a.test/c"))
	for _, p := range []string{"a", "b", "c"} {
		if n := node(t, db, "http://a.test/"+p); n.State != crawl.StateDone || strings.Contains(n.Error, "loop") {
			t.Errorf("/%s = %+v", p, n)
		}
	}
}

// A shorter path to a redirect passes its depth on through the redirect edge unchanged.
func TestShorterPathPassesThroughRedirectsAtTheSameDepth(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	w := db.Writer(-1)
	commit := func(r crawl.Result) {
		t.Helper()
		if _, err := w.Commit([]crawl.Result{r}); err != nil {
			t.Fatal(err)
		}
	}
	id := func(u string) uint64 { return node(t, db, u).ID }
	commit(done(id("http://a.test/"), "a.test", link("http://a.test/1", true), link("http://a.test/short", true)))
	commit(done(id("http://a.test/1"), "a.test", link("http://a.test/2", true)))
	commit(done(id("http://a.test/2"), "a.test", link("http://a.test/moved", true)))
	commit(redirect(id("http://a.test/moved"), "a.test", 301, "http://a.test/target"))
	if n := node(t, db, "http://a.test/target"); n.Depth != 3 {
		t.Fatalf("target depth %d, want 3", n.Depth)
	}
	commit(done(id("http://a.test/short"), "a.test", link("http://a.test/moved", true)))
	if n := node(t, db, "http://a.test/moved"); n.Depth != 2 {
		t.Errorf("moved depth %d, want 2", n.Depth)
	}
	if e := frontierEntries(t, db)["http://a.test/target"]; e.Depth != 2 || e.Redirects != 1 {
		t.Errorf("target entry %+v, want depth 2 after one redirect", e)
	}
}

// Frontier entries written before redirects were counted read as zero redirects.
func TestFrontierEntryWithoutRedirectsDecodes(t *testing.T) {
	old := encoder{}
	old.uvarint(3)
	old.str("http://a.test/x")
	depth, u, redirects, check, err := decodeFrontier(old.b)
	if err != nil || depth != 3 || u != "http://a.test/x" || redirects != 0 || check {
		t.Errorf("decode = %d %q %d %v %v", depth, u, redirects, check, err)
	}
	depth, u, redirects, check, err = decodeFrontier(encodeFrontier(2, "http://a.test/y", 4, false))
	if err != nil || depth != 2 || u != "http://a.test/y" || redirects != 4 || check {
		t.Errorf("round trip = %d %q %d %v %v", depth, u, redirects, check, err)
	}
	for _, redirects := range []int{0, 3} {
		d, u, r, check, err := decodeFrontier(encodeFrontier(1, "http://a.test/i.png", redirects, true))
		if err != nil || d != 1 || u != "http://a.test/i.png" || r != redirects || !check {
			t.Errorf("check entry after %d redirects = %d %q %d %v %v", redirects, d, u, r, check, err)
		}
	}
}
