package store

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/crawl-project/crawl"
)

// reportFixture builds a crawl through the writer: a home page linking to five pages, each of
// which links to a 404; two redirect chains that share a tail; a redirect loop; pages at
// depths 1 to 3; and a failed fetch on a second host.
func reportFixture(t *testing.T) *DB {
	t.Helper()
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/", "http://b.test/")
	w := db.Writer(-1)
	commit := func(rs ...crawl.Result) {
		t.Helper()
		if _, err := w.Commit(rs); err != nil {
			t.Fatal(err)
		}
	}
	id := func(u string) uint64 { return node(t, db, u).ID }
	var homeLinks []crawl.Link
	for i := range 5 {
		homeLinks = append(homeLinks, link(fmt.Sprintf("http://a.test/p%d", i), true))
	}
	homeLinks = append(homeLinks, link("http://a.test/c", true), link("http://a.test/f", true),
		link("http://a.test/x", true), link("http://a.test/deep1", true))
	commit(done(id("http://a.test/"), "a.test", homeLinks...))
	for i := range 5 {
		l := link("http://a.test/missing", true)
		l.Anchor = fmt.Sprintf("anchor %d", i)
		commit(done(id(fmt.Sprintf("http://a.test/p%d", i)), "a.test", l, link("http://a.test/", true)))
	}
	missing := done(id("http://a.test/missing"), "a.test")
	missing.Page.Status = 404
	commit(missing)

	// c -> d -> e and f -> d: two chains of two hops that share d -> e.
	commit(redirect(id("http://a.test/c"), "a.test", 301, "http://a.test/d"))
	commit(redirect(id("http://a.test/d"), "a.test", 302, "http://a.test/e"))
	commit(done(id("http://a.test/e"), "a.test"))
	commit(redirect(id("http://a.test/f"), "a.test", 301, "http://a.test/d"))

	// x -> y -> x: hops that come back to where they started.
	commit(redirect(id("http://a.test/x"), "a.test", 301, "http://a.test/y"))
	commit(redirect(id("http://a.test/y"), "a.test", 301, "http://a.test/x"))

	commit(done(id("http://a.test/deep1"), "a.test", link("http://a.test/deep2", true)))
	commit(done(id("http://a.test/deep2"), "a.test", link("http://a.test/deep3", true)))
	commit(done(id("http://a.test/deep3"), "a.test"))

	commit(crawl.Result{ID: id("http://b.test/"), Host: "b.test", Page: crawl.Node{State: crawl.StateFailed, Error: "connection refused"}})
	return db
}

func report(t *testing.T, db *DB, opt ReportOptions) *Report {
	t.Helper()
	var r *Report
	err := db.View(func(s *Snapshot) error {
		var err error
		r, err = s.Report(context.Background(), opt)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReportBrokenLinksCapsReferrers(t *testing.T) {
	db := reportFixture(t)
	r := report(t, db, ReportOptions{Depth: 5, Referrers: 2})
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
	if all := report(t, db, ReportOptions{}).BrokenLinks.Items[0]; len(all.Referrers) != 5 || all.MoreReferrers != 0 {
		t.Errorf("Referrers 0 lists %d, %d more", len(all.Referrers), all.MoreReferrers)
	}
}

func TestReportRedirectChainsAndLoops(t *testing.T) {
	r := report(t, reportFixture(t), ReportOptions{})
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
	r := report(t, db, ReportOptions{Depth: 1, Limit: 1})
	want := Section[DeepPage]{Total: 2, Items: []DeepPage{{URL: "http://a.test/deep3", Depth: 3}}}
	if !reflect.DeepEqual(r.DeepPages, want) {
		t.Errorf("deep pages %+v, want %+v", r.DeepPages, want)
	}
	// Depth 0: every fetched 2xx page but the seed: p0-p4, e (the end of a redirect chain)
	// and deep1-3.
	if r := report(t, db, ReportOptions{Depth: 0}); r.DeepPages.Total != 9 {
		t.Errorf("depth 0: %d deep pages, want 9", r.DeepPages.Total)
	}
}

func TestReportMostLinkedAndHosts(t *testing.T) {
	r := report(t, reportFixture(t), ReportOptions{Limit: 2})
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
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	w := db.Writer(-1)
	commit := func(u string, noindex bool, links ...crawl.Link) {
		t.Helper()
		r := done(node(t, db, u).ID, "a.test", links...)
		r.Page.NoIndex = noindex
		if _, err := w.Commit([]crawl.Result{r}); err != nil {
			t.Fatal(err)
		}
	}
	commit("http://a.test/", false, link("http://a.test/n1", true), link("http://a.test/n2", true),
		link("http://a.test/n3", true), link("http://a.test/ok", true), link("http://a.test/pending", true))
	commit("http://a.test/n1", true)
	commit("http://a.test/n2", true, link("http://a.test/n3", true))
	commit("http://a.test/ok", false, link("http://a.test/n3", true), link("http://a.test/n4", true))
	commit("http://a.test/n3", true)
	commit("http://a.test/n4", true)
	r := report(t, db, ReportOptions{Limit: 3})
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
	err := db.View(func(s *Snapshot) error {
		_, err := s.Report(ctx, ReportOptions{})
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
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	w := db.Writer(-1)
	const note = "nested deeper than 512 elements: links read by the token scanner"
	commit := func(u string, truncated bool, errNote string, links ...crawl.Link) {
		t.Helper()
		r := done(node(t, db, u).ID, "a.test", links...)
		r.Page.Truncated, r.Page.Error, r.Page.Size = truncated, errNote, 2048
		if _, err := w.Commit([]crawl.Result{r}); err != nil {
			t.Fatal(err)
		}
	}
	commit("http://a.test/", false, "", link("http://a.test/big", true), link("http://a.test/deep", true),
		link("http://a.test/both", true), link("http://a.test/ok", true), link("http://a.test/down", true))
	commit("http://a.test/ok", false, "", link("http://a.test/deep", true))
	commit("http://a.test/big", true, "")
	commit("http://a.test/deep", false, note)
	commit("http://a.test/both", true, "parse http://a.test/both: unexpected EOF")
	if _, err := w.Commit([]crawl.Result{failed(node(t, db, "http://a.test/down").ID, "a.test")}); err != nil {
		t.Fatal(err)
	}

	r := report(t, db, ReportOptions{Limit: 2})
	want := IncompleteSection{Total: 3, Truncated: 2, PartialParses: 2, Items: []IncompletePage{
		{URL: "http://a.test/deep", Status: 200, Bytes: 2048, Error: note, LinkedFrom: 2},
		{URL: "http://a.test/big", Status: 200, Bytes: 2048, Truncated: true, LinkedFrom: 1},
	}}
	if !reflect.DeepEqual(r.Incomplete, want) {
		t.Errorf("incomplete:\n got %+v\nwant %+v", r.Incomplete, want)
	}
	r = report(t, db, ReportOptions{})
	if len(r.Incomplete.Items) != 3 || r.Incomplete.Items[2] != (IncompletePage{URL: "http://a.test/both", Status: 200,
		Bytes: 2048, Truncated: true, Error: "parse http://a.test/both: unexpected EOF", LinkedFrom: 1}) {
		t.Errorf("all incomplete pages: %+v", r.Incomplete.Items)
	}

	b, err := json.Marshal(report(t, reportFixture(t), ReportOptions{}).Incomplete)
	if err != nil || string(b) != `{"total":0,"truncated":0,"partial_parses":0,"items":[]}` {
		t.Errorf("no incomplete pages: %s, %v", b, err)
	}
}
