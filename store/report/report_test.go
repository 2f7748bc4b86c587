package report

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
	"github.com/crawl-project/crawl/store/storetest"
)

// reportFixture builds a crawl through the writer: a home page linking to five pages, each of
// which links to a 404; two redirect chains that share a tail; a redirect loop; pages at
// depths 1 to 3; and a failed fetch on a second host.
func reportFixture(t *testing.T) *store.DB {
	t.Helper()
	db := storetest.Open(t)
	storetest.Seed(t, db, "http://a.test/", "http://b.test/")
	w := db.Writer(-1)
	commit := func(rs ...crawl.Result) {
		t.Helper()
		if _, err := w.Commit(rs); err != nil {
			t.Fatal(err)
		}
	}
	id := func(u string) uint64 { return storetest.Node(t, db, u).ID }
	var homeLinks []crawl.Link
	for i := range 5 {
		homeLinks = append(homeLinks, storetest.Link(fmt.Sprintf("http://a.test/p%d", i), true))
	}
	homeLinks = append(homeLinks, storetest.Link("http://a.test/c", true), storetest.Link("http://a.test/f", true),
		storetest.Link("http://a.test/x", true), storetest.Link("http://a.test/deep1", true))
	commit(storetest.Done(id("http://a.test/"), "a.test", homeLinks...))
	for i := range 5 {
		l := storetest.Link("http://a.test/missing", true)
		l.Anchor = fmt.Sprintf("anchor %d", i)
		commit(storetest.Done(id(fmt.Sprintf("http://a.test/p%d", i)), "a.test", l, storetest.Link("http://a.test/", true)))
	}
	missing := storetest.Done(id("http://a.test/missing"), "a.test")
	missing.Page.Status = 404
	commit(missing)

	// c -> d -> e and f -> d: two chains of two hops that share d -> e.
	commit(storetest.Redirect(id("http://a.test/c"), "a.test", 301, "http://a.test/d"))
	commit(storetest.Redirect(id("http://a.test/d"), "a.test", 302, "http://a.test/e"))
	commit(storetest.Done(id("http://a.test/e"), "a.test"))
	commit(storetest.Redirect(id("http://a.test/f"), "a.test", 301, "http://a.test/d"))

	// x -> y -> x: hops that come back to where they started.
	commit(storetest.Redirect(id("http://a.test/x"), "a.test", 301, "http://a.test/y"))
	commit(storetest.Redirect(id("http://a.test/y"), "a.test", 301, "http://a.test/x"))

	commit(storetest.Done(id("http://a.test/deep1"), "a.test", storetest.Link("http://a.test/deep2", true)))
	commit(storetest.Done(id("http://a.test/deep2"), "a.test", storetest.Link("http://a.test/deep3", true)))
	commit(storetest.Done(id("http://a.test/deep3"), "a.test"))

	commit(crawl.Result{ID: id("http://b.test/"), Host: "b.test", Page: crawl.Node{State: crawl.StateFailed, Error: "connection refused"}})
	return db
}

func build(t *testing.T, db *store.DB, opt Options) *Report {
	t.Helper()
	var r *Report
	err := db.View(func(s *store.Snapshot) error {
		var err error
		r, err = Build(context.Background(), s, opt)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReportBrokenLinksCapsReferrers(t *testing.T) {
	db := reportFixture(t)
	r := build(t, db, Options{Depth: 5, Referrers: 2})
	// /missing, and the two URLs of the redirect loop x -> y -> x, which never reach a page.
	if r.BrokenLinks.Total != 3 || len(r.BrokenLinks.Items) != 3 {
		t.Fatalf("broken links %+v", r.BrokenLinks)
	}
	if x := r.BrokenLinks.Items[1]; x.URL != "http://a.test/x" || x.State != "failed" || x.Status != 301 ||
		x.Error != "redirect loop: http://a.test/y -> http://a.test/x -> http://a.test/y" {
		t.Errorf("loop: %+v", x)
	}
	b := r.BrokenLinks.Items[0]
	want := BrokenLink{URL: "http://a.test/missing", State: "done", Status: 404, LinkedFrom: 5, MoreReferrers: 3,
		Referrers: []Referrer{{URL: "http://a.test/p0", Kind: "link", Anchor: "anchor 0"}, {URL: "http://a.test/p1", Kind: "link", Anchor: "anchor 1"}}}
	if !reflect.DeepEqual(b, want) {
		t.Errorf("got  %+v\nwant %+v", b, want)
	}
	// The failed seed of b.test is broken but nothing links to it: not a broken link.
	if all := build(t, db, Options{}).BrokenLinks.Items[0]; len(all.Referrers) != 5 || all.MoreReferrers != 0 {
		t.Errorf("Referrers 0 lists %d, %d more", len(all.Referrers), all.MoreReferrers)
	}
}

func TestReportRedirectChainsAndLoops(t *testing.T) {
	r := build(t, reportFixture(t), Options{})
	type chain struct {
		hops int
		loop bool
		urls string
	}
	var got []chain
	for _, c := range r.RedirectChains.Items {
		urls := ""
		for _, s := range c.Steps {
			urls += fmt.Sprintf("%s %d ", s.URL, s.Status)
		}
		got = append(got, chain{c.Hops, c.Loop, urls})
	}
	want := []chain{
		{2, false, "http://a.test/c 301 http://a.test/d 302 http://a.test/e 200 "},
		{2, false, "http://a.test/f 301 http://a.test/d 302 http://a.test/e 200 "},
		{2, true, "http://a.test/x 301 http://a.test/y 301 http://a.test/x 301 "},
	}
	if r.RedirectChains.Total != 3 || !reflect.DeepEqual(got, want) {
		t.Errorf("chains %d\n got %v\nwant %v", r.RedirectChains.Total, got, want)
	}
	if c := r.RedirectChains.Items[0]; c.LinkedFrom != 1 {
		t.Errorf("chain from /c linked from %d, want 1", c.LinkedFrom)
	}
}

func TestReportDeepPagesAndLimit(t *testing.T) {
	db := reportFixture(t)
	r := build(t, db, Options{Depth: 1, Limit: 1})
	want := Section[DeepPage]{Total: 2, Items: []DeepPage{{URL: "http://a.test/deep3", Depth: 3}}}
	if !reflect.DeepEqual(r.DeepPages, want) {
		t.Errorf("deep pages %+v, want %+v", r.DeepPages, want)
	}
	// Depth 0: every fetched 2xx page but the seed: p0-p4, e (the end of a redirect chain)
	// and deep1-3.
	if r := build(t, db, Options{Depth: 0}); r.DeepPages.Total != 9 {
		t.Errorf("depth 0: %d deep pages, want 9", r.DeepPages.Total)
	}
}

func TestReportMostLinkedAndHosts(t *testing.T) {
	r := build(t, reportFixture(t), Options{Limit: 2})
	// The home page has five links back (p0-p4), so does /missing; ties go to the URL
	// discovered first.
	want := []LinkedPage{
		{URL: "http://a.test/", State: "done", Status: 200, LinkedFrom: 5},
		{URL: "http://a.test/missing", State: "done", Status: 404, LinkedFrom: 5},
	}
	if !reflect.DeepEqual(r.MostLinked.Items, want) {
		t.Errorf("most linked %+v", r.MostLinked.Items)
	}
	wantHosts := []HostErrors{
		{Host: "a.test", Errors: 3, ClientError: 1, Failed: 2, Fetched: 16},
		{Host: "b.test", Errors: 1, Failed: 1, Fetched: 1},
	}
	if r.ErrorHosts.Total != 2 || !reflect.DeepEqual(r.ErrorHosts.Items, wantHosts) {
		t.Errorf("error hosts %+v", r.ErrorHosts)
	}
}

// Pages marked noindex are listed the most linked-to first, the unlinked ones included; a
// URL never fetched is not listed, whatever links to it.
func TestReportNoIndexPages(t *testing.T) {
	db := storetest.Open(t)
	storetest.Seed(t, db, "http://a.test/")
	w := db.Writer(-1)
	commit := func(u string, noindex bool, links ...crawl.Link) {
		t.Helper()
		r := storetest.Done(storetest.Node(t, db, u).ID, "a.test", links...)
		r.Page.NoIndex = noindex
		if _, err := w.Commit([]crawl.Result{r}); err != nil {
			t.Fatal(err)
		}
	}
	commit("http://a.test/", false, storetest.Link("http://a.test/n1", true), storetest.Link("http://a.test/n2", true),
		storetest.Link("http://a.test/n3", true), storetest.Link("http://a.test/ok", true), storetest.Link("http://a.test/pending", true))
	commit("http://a.test/n1", true)
	commit("http://a.test/n2", true, storetest.Link("http://a.test/n3", true))
	commit("http://a.test/ok", false, storetest.Link("http://a.test/n3", true), storetest.Link("http://a.test/n4", true))
	commit("http://a.test/n3", true)
	commit("http://a.test/n4", true)
	r := build(t, db, Options{Limit: 3})
	want := []LinkedPage{
		{URL: "http://a.test/n3", State: "done", Status: 200, LinkedFrom: 3},
		{URL: "http://a.test/n1", State: "done", Status: 200, LinkedFrom: 1},
		{URL: "http://a.test/n2", State: "done", Status: 200, LinkedFrom: 1},
	}
	if r.NoIndex.Total != 4 || !reflect.DeepEqual(r.NoIndex.Items, want) {
		t.Errorf("noindex %d: %+v; want 4: %+v", r.NoIndex.Total, r.NoIndex.Items, want)
	}
}

func TestReportStopsWhenCancelled(t *testing.T) {
	db := reportFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := db.View(func(s *store.Snapshot) error {
		_, err := Build(ctx, s, Options{})
		return err
	})
	if err != context.Canceled {
		t.Errorf("err %v, want context.Canceled", err)
	}
}

// Pages read only in part, cut at the size limit or parsed in part (done with an error
// note), are counted and listed the most linked-to first; a failed page's error is not a
// partial parse.
func TestReportIncompletePages(t *testing.T) {
	db := storetest.Open(t)
	storetest.Seed(t, db, "http://a.test/")
	w := db.Writer(-1)
	const note = "nested deeper than 512 elements: links read by the token scanner"
	commit := func(u string, truncated bool, errNote string, links ...crawl.Link) {
		t.Helper()
		r := storetest.Done(storetest.Node(t, db, u).ID, "a.test", links...)
		r.Page.Truncated, r.Page.Error, r.Page.Size = truncated, errNote, 2048
		if _, err := w.Commit([]crawl.Result{r}); err != nil {
			t.Fatal(err)
		}
	}
	commit("http://a.test/", false, "", storetest.Link("http://a.test/big", true), storetest.Link("http://a.test/deep", true),
		storetest.Link("http://a.test/both", true), storetest.Link("http://a.test/ok", true), storetest.Link("http://a.test/down", true))
	commit("http://a.test/ok", false, "", storetest.Link("http://a.test/deep", true))
	commit("http://a.test/big", true, "")
	commit("http://a.test/deep", false, note)
	commit("http://a.test/both", true, "parse http://a.test/both: unexpected EOF")
	if _, err := w.Commit([]crawl.Result{storetest.Failed(storetest.Node(t, db, "http://a.test/down").ID, "a.test")}); err != nil {
		t.Fatal(err)
	}

	r := build(t, db, Options{Limit: 2})
	want := IncompleteSection{Total: 3, Truncated: 2, PartialParses: 2, Items: []IncompletePage{
		{URL: "http://a.test/deep", Status: 200, Bytes: 2048, Error: note, LinkedFrom: 2},
		{URL: "http://a.test/big", Status: 200, Bytes: 2048, Truncated: true, LinkedFrom: 1},
	}}
	if !reflect.DeepEqual(r.Incomplete, want) {
		t.Errorf("incomplete:\n got %+v\nwant %+v", r.Incomplete, want)
	}
	r = build(t, db, Options{})
	if len(r.Incomplete.Items) != 3 || r.Incomplete.Items[2] != (IncompletePage{URL: "http://a.test/both", Status: 200,
		Bytes: 2048, Truncated: true, Error: "parse http://a.test/both: unexpected EOF", LinkedFrom: 1}) {
		t.Errorf("all incomplete pages: %+v", r.Incomplete.Items)
	}

	b, err := json.Marshal(build(t, reportFixture(t), Options{}).Incomplete)
	if err != nil || string(b) != `{"total":0,"truncated":0,"partial_parses":0,"items":[]}` {
		t.Errorf("no incomplete pages: %s, %v", b, err)
	}
}
