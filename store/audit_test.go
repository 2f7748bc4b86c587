package store

import (
	"reflect"
	"slices"
	"testing"

	"github.com/crawl-project/crawl"
)

func checkLink(u string, inScope bool, kind crawl.EdgeKind) crawl.Link {
	return crawl.Link{URL: u, Host: hostKey(u), Kind: kind, Count: 1, InScope: inScope, Check: true}
}

func commit(t *testing.T, w *Writer, rs ...crawl.Result) crawl.CommitStats {
	t.Helper()
	cs, err := w.Commit(rs)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// checkResult is what the fetch stage makes of a check that answered.
func checkResult(id uint64, host string, status int, ctype string) crawl.Result {
	r := done(id, host)
	r.Check, r.Page.Status, r.Page.ContentType, r.Page.Size = true, status, ctype, 1234
	return r
}

// A node record written before facts and check flags existed reads as it did: no facts, no
// flags. A record with them reads back whole, and an earlier reader, which stops after the
// error, reads the same fields as before.
func TestNodeFactsCodec(t *testing.T) {
	old := encoder{}
	old.byte(nodeCodecVersion)
	old.byte(byte(crawl.StateDone))
	old.byte(nodeFlagNoIndex)
	old.uvarint(2)   // depth
	old.uvarint(200) // status
	old.varint(512)  // size
	old.varint(0)    // fetched at
	old.varint(0)    // duration
	old.uvarint(3)   // out links
	old.uvarint(0)   // dropped
	old.str("http://a.test/")
	old.str("text/html")
	old.str("Home")
	old.str("")
	n, err := decodeNode(7, old.b)
	want := crawl.Node{ID: 7, URL: "http://a.test/", State: crawl.StateDone, Depth: 2, Status: 200, Size: 512,
		ContentType: "text/html", Title: "Home", NoIndex: true, OutLinks: 3}
	if err != nil || !reflect.DeepEqual(n, want) {
		t.Fatalf("old record: %+v, %v\nwant %+v", n, err, want)
	}

	full := want
	full.Check, full.External, full.InSitemap = true, true, true
	full.Facts = &crawl.PageFacts{HasTitle: true, Description: "About us", HasDescription: true, H1: "Us", H1Count: 2,
		Canonical: "http://a.test/us", Hreflang: "de en", Lang: "en-GB", Words: 321}
	b := encodeNode(&full)
	if got, err := decodeNode(7, b); err != nil || !reflect.DeepEqual(got, full) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if !slices.Equal(b[:len(old.b)], append([]byte{old.b[0], old.b[1], old.b[2] | nodeFlagCheck | nodeFlagExternal | nodeFlagInSitemap}, old.b[3:]...)) {
		t.Error("the facts section does not follow the fields of the earlier layout")
	}
	empty := want
	empty.Facts = &crawl.PageFacts{}
	if got, err := decodeNode(7, encodeNode(&empty)); err != nil || !reflect.DeepEqual(got, empty) {
		t.Fatalf("empty facts: %+v, %v", got, err)
	}
	if _, err := decodeNode(7, append(slices.Clone(old.b), factsVersion, 0, 5)); err == nil {
		t.Error("a cut facts section decoded")
	}
}

// A link to check queues its target as a check: whatever the depth limit and the host's
// budget, but not past a trap rule; an out-of-scope one is marked external. Its result
// counts as a check, not as a fetch attempt, and its redirect leads to another check.
func TestCheckLinksQueueChecks(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	w := db.Writer(0).WithHostBudget(1) // no link hop allowed; the seed used the budget
	trap := checkLink("http://a.test/a/a/a/a.png", true, crawl.KindImage)
	trap.Reject = crawl.ReasonRepeatedSegment
	cs := commitFrom(t, db, w, "http://a.test/",
		checkLink("http://a.test/logo.png", true, crawl.KindImage),
		checkLink("http://cdn.test/app.js", false, crawl.KindScript),
		trap,
		storetest{}.link("http://a.test/page", true),
	)
	if cs.Attempts != 1 || cs.Checks != 0 {
		t.Errorf("stats %+v", cs)
	}
	entries := frontierEntries(t, db)
	for u, ext := range map[string]bool{"http://a.test/logo.png": false, "http://cdn.test/app.js": true} {
		n := node(t, db, u)
		if n.State != crawl.StatePending || !n.Check || n.External != ext || n.Depth != 1 {
			t.Errorf("%s: %+v", u, n)
		}
		if e, ok := entries[u]; !ok || !e.Check {
			t.Errorf("%s: frontier entry %+v, %v", u, e, ok)
		}
	}
	if n := node(t, db, trap.URL); n.State != crawl.StateSkipped || n.Error != crawl.ReasonRepeatedSegment || n.Check {
		t.Errorf("trap: %+v", n)
	}
	if n := node(t, db, "http://a.test/page"); n.State != crawl.StateSkipped || n.Error != crawl.ReasonMaxDepth {
		t.Errorf("page beyond the depth limit: %+v", n)
	}
	if got := hostQueued(t, db, "a.test"); got != 1 {
		t.Errorf("a.test queued %d against its budget, want 1 (the seed)", got)
	}

	logo := node(t, db, "http://a.test/logo.png")
	cs = commit(t, w, checkResult(logo.ID, "a.test", 200, "image/png"))
	if cs.Checks != 1 || cs.Attempts != 0 {
		t.Errorf("check stats %+v", cs)
	}
	if n := node(t, db, logo.URL); n.State != crawl.StateDone || n.Status != 200 || n.ContentType != "image/png" || n.Size != 1234 || !n.Check || n.Facts != nil {
		t.Errorf("checked logo: %+v", n)
	}
	if got, err := db.FetchedCount(); err != nil || got != 1 {
		t.Errorf("fetched count %d, %v; want 1: checks are not fetch attempts", got, err)
	}

	js := node(t, db, "http://cdn.test/app.js")
	r := checkResult(js.ID, "cdn.test", 301, "")
	redirect := checkLink("http://cdn.test/v2/app.js", false, crawl.KindRedirect)
	redirect.Check, redirect.Follow, redirect.Fragments = false, true, []string{"x"} // a check's redirect is a check whatever it says
	r.Links = []crawl.Link{redirect}
	commit(t, w, r)
	if n := node(t, db, redirect.URL); n.State != crawl.StatePending || !n.Check || !n.External || n.Depth != 1 {
		t.Errorf("redirect target of a check: %+v", n)
	}
	if e := frontierEntries(t, db)[redirect.URL]; !e.Check || e.Redirects != 1 {
		t.Errorf("redirect target entry %+v", e)
	}
}

// storetest stands in for the helpers of package storetest, which imports this package.
type storetest struct{}

func (storetest) link(u string, follow bool) crawl.Link {
	return crawl.Link{URL: u, Host: hostKey(u), Kind: crawl.KindLink, Count: 1, InScope: true, Follow: follow}
}

// A followable link to a URL queued to be checked makes it a page to crawl; to a URL checked
// already, it queues it again as a page if the check found an HTML page or a redirect.
// A URL recorded external, or skipped for nofollow, that a page requisite refers to is checked.
func TestFollowableLinksCrawlWhatWasChecked(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	w := db.Writer(-1)
	commitFrom(t, db, w, "http://a.test/",
		checkLink("http://a.test/frame.html", true, crawl.KindFrame),
		checkLink("http://a.test/photo.jpg", true, crawl.KindImage),
		checkLink("http://a.test/pending.html", true, crawl.KindFrame),
		crawl.Link{URL: "http://b.test/", Host: "b.test", Kind: crawl.KindLink, Count: 1},
		storetest{}.link("http://a.test/nf.png", false),
	)
	frame, photo := node(t, db, "http://a.test/frame.html"), node(t, db, "http://a.test/photo.jpg")
	commit(t, w, checkResult(frame.ID, "a.test", 200, "text/html"), checkResult(photo.ID, "a.test", 200, "image/jpeg"))

	mustSeed(t, db, "http://a.test/second")
	cs := commitFrom(t, db, w, "http://a.test/second",
		storetest{}.link("http://a.test/frame.html", true),
		storetest{}.link("http://a.test/photo.jpg", true),
		storetest{}.link("http://a.test/pending.html", true),
		checkLink("http://b.test/", false, crawl.KindImage),
		checkLink("http://a.test/nf.png", true, crawl.KindImage),
	)
	entries := frontierEntries(t, db)
	if n := node(t, db, frame.URL); n.State != crawl.StatePending || n.Check {
		t.Errorf("checked HTML page linked: %+v", n)
	}
	if e, ok := entries[frame.URL]; !ok || e.Check {
		t.Errorf("checked HTML page linked: entry %+v, %v", e, ok)
	}
	if n := node(t, db, photo.URL); n.State != crawl.StateDone || !n.Check {
		t.Errorf("checked image linked: %+v", n)
	}
	if n := node(t, db, "http://a.test/pending.html"); n.State != crawl.StatePending || n.Check || entries[n.URL].Check {
		t.Errorf("pending check linked: %+v, entry %+v", n, entries[n.URL])
	}
	if n := node(t, db, "http://b.test/"); n.State != crawl.StatePending || !n.Check || !n.External || !entries[n.URL].Check {
		t.Errorf("external URL to check: %+v", n)
	}
	if n := node(t, db, "http://a.test/nf.png"); n.State != crawl.StatePending || !n.Check || n.External {
		t.Errorf("nofollow URL to check: %+v", n)
	}
	if !cs.HostsRequeued["a.test"] {
		t.Errorf("stats %+v: a.test must be read again from its start", cs)
	}

	// A check leased before a link made it a page comes back to the frontier.
	pending := node(t, db, "http://a.test/pending.html")
	cs = commit(t, w, checkResult(pending.ID, "a.test", 200, "text/html"))
	if n := node(t, db, pending.URL); n.State != crawl.StatePending || n.Check || cs.Checks != 0 || cs.Pages != 0 {
		t.Errorf("a check of a URL now to crawl: %+v, stats %+v", n, cs)
	}
	if _, ok := frontierEntries(t, db)[pending.URL]; !ok || !cs.HostsRequeued["a.test"] {
		t.Error("a check of a URL now to crawl left the frontier")
	}
}

// The fragment identifiers of a page and the fragments its links refer to are stored with
// it and read back, within their caps; a check and a failed fetch store none.
func TestTargetsAndFragmentsRoundTrip(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/", "http://a.test/failed")
	w := db.Writer(-1)
	l1 := storetest{}.link("http://a.test/doc", true)
	l1.Fragments = []string{"intro", "caf%C3%A9"}
	self := storetest{}.link("http://a.test/", true)
	self.Fragments = []string{"top", string(make([]byte, 300))}
	img := checkLink("http://a.test/i.png", true, crawl.KindImage)
	r := done(node(t, db, "http://a.test/").ID, "a.test", l1, self, img)
	r.Targets = &crawl.Targets{Hashes: []uint32{3, 9, 27}}
	r.Page.Facts = &crawl.PageFacts{HasTitle: true, Words: 12, Canonical: "http://a.test/" + string(make([]byte, MaxURLLength))}
	failed := failed(node(t, db, "http://a.test/failed").ID, "a.test")
	failed.Targets = &crawl.Targets{Hashes: []uint32{1}}
	commit(t, w, r, failed)

	home := node(t, db, "http://a.test/")
	if home.Facts == nil || home.Facts.Words != 12 || home.Facts.Canonical != "" {
		t.Errorf("facts %+v: want the words, and no canonical URL too long to store", home.Facts)
	}
	var refs []FragmentRef
	err := db.View(func(s *Snapshot) error {
		tg, ok, err := s.Targets(home.ID)
		if err != nil || !ok || !slices.Equal(tg.Hashes, []uint32{3, 9, 27}) || tg.Truncated {
			t.Errorf("targets %+v, %v, %v", tg, ok, err)
		}
		if _, ok, _ := s.Targets(node(t, db, "http://a.test/failed").ID); ok {
			t.Error("a failed fetch has targets")
		}
		return s.EachFragmentRef(func(r FragmentRef) error {
			refs = append(refs, r)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	doc := node(t, db, "http://a.test/doc").ID
	want := []FragmentRef{{home.ID, doc, "intro"}, {home.ID, doc, "caf%C3%A9"}, {home.ID, home.ID, "top"},
		{home.ID, home.ID, string(make([]byte, maxFragment))}}
	if !reflect.DeepEqual(refs, want) {
		t.Errorf("fragment refs %+v\nwant %+v", refs, want)
	}
}

// Seeds read from a sitemap mark their nodes, new or known; a seed that was a URL to check
// becomes a page to crawl.
func TestSitemapSeedsAreMarked(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	w := db.Writer(-1)
	commitFrom(t, db, w, "http://a.test/", storetest{}.link("http://a.test/known", true),
		checkLink("http://a.test/frame.html", true, crawl.KindFrame))
	queued, err := db.AddSeeds([]Seed{
		{URL: "http://a.test/known", Host: "a.test", InSitemap: true},
		{URL: "http://a.test/orphan", Host: "a.test", InSitemap: true},
		{URL: "http://a.test/frame.html", Host: "a.test"},
	})
	if err != nil || queued != 2 {
		t.Fatalf("queued %d, %v; want the orphan and the frame", queued, err)
	}
	for u, want := range map[string]bool{"http://a.test/": false, "http://a.test/known": true, "http://a.test/orphan": true} {
		if n := node(t, db, u); n.InSitemap != want {
			t.Errorf("%s in sitemap: %v", u, n.InSitemap)
		}
	}
	if n := node(t, db, "http://a.test/frame.html"); n.Check || frontierEntries(t, db)[n.URL].Check {
		t.Errorf("a seed stays a check: %+v", n)
	}
}

// Rescoping leaves checks alone: out-of-scope ones are checks already, and a check is not
// bound by the depth limit.
func TestRescopeKeepsChecks(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	commitFrom(t, db, db.Writer(-1), "http://a.test/", checkLink("http://b.test/x.css", false, crawl.KindStylesheet),
		checkLink("http://a.test/x.js", true, crawl.KindScript))
	st, err := db.Rescope(0, 0, func(u string) bool { return hostKey(u) == "a.test" })
	if err != nil || st != (RescopeStats{}) {
		t.Fatalf("rescope %+v, %v", st, err)
	}
	for _, u := range []string{"http://b.test/x.css", "http://a.test/x.js"} {
		if n := node(t, db, u); n.State != crawl.StatePending || !n.Check {
			t.Errorf("%s: %+v", u, n)
		}
	}
}

// URLs recorded external by runs that did not check them are queued as checks when a later
// run asks: by the kind of the edges that reach them, and their URL.
func TestQueueChecksOfEarlierRuns(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	ext := func(u string, kind crawl.EdgeKind) crawl.Link {
		return crawl.Link{URL: u, Host: hostKey(u), Kind: kind, Count: 1}
	}
	commitFrom(t, db, db.Writer(-1), "http://a.test/", ext("http://b.test/", crawl.KindLink),
		ext("http://b.test/skip", crawl.KindLink), ext("http://cdn.test/i.png", crawl.KindImage),
		ext("http://c.test/canon", crawl.KindCanonical))
	n, err := db.QueueChecks(func(kind crawl.EdgeKind, u string) bool {
		return kind == crawl.KindLink && u != "http://b.test/skip"
	})
	if err != nil || n != 1 {
		t.Fatalf("queued %d, %v; want 1", n, err)
	}
	entries := frontierEntries(t, db)
	for u, want := range map[string]bool{"http://b.test/": true, "http://b.test/skip": false, "http://cdn.test/i.png": false, "http://c.test/canon": false} {
		n := node(t, db, u)
		if queued := n.State == crawl.StatePending && n.Check && n.External && entries[u].Check; queued != want {
			t.Errorf("%s: %+v, entry %+v; want queued %v", u, n, entries[u], want)
		}
	}
	if n, err := db.QueueChecks(func(crawl.EdgeKind, string) bool { return true }); err != nil || n != 3 {
		t.Errorf("second pass queued %d, %v; want the 3 left", n, err)
	}
}
