package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/crawl-project/crawl/store"
	"github.com/crawl-project/crawl/store/report"
)

// TestReportSections checks every section of the report on reportSite against what the
// site is known to contain.
func TestReportSections(t *testing.T) {
	db, base := crawlReportSite(t)
	code, stdout, stderr := runCmd(t, "report", "--db", db, "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r report.Report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	u := func(path string) string { return base + path }

	if !reflect.DeepEqual(r.Options, report.Options{Depth: 3, Limit: 20, Referrers: 5}) {
		t.Errorf("options %+v", r.Options)
	}
	// 15 pages answered (10 with 200, 3 redirects, a 404, a 500), 3 failed (a dropped
	// connection, and the two redirects of a loop), /b was skipped (nofollow), one external link.
	if want := (report.Totals{URLs: 20, Edges: 32, Fetched: 18, Hosts: 1}); r.Totals != want {
		t.Errorf("totals %+v, want %+v", r.Totals, want)
	}
	wantStates := []report.StateCount{{State: "done", Count: 15}, {State: "failed", Count: 3}, {State: "pending", Count: 0}, {State: "robots-blocked", Count: 0}, {State: "external", Count: 1}, {State: "skipped", Count: 1}}
	if !reflect.DeepEqual(r.States, wantStates) {
		t.Errorf("states %+v", r.States)
	}
	wantStatuses := []report.StatusCount{{Status: 200, Count: 10}, {Status: 301, Count: 2}, {Status: 302, Count: 1}, {Status: 404, Count: 1}, {Status: 500, Count: 1}}
	if !reflect.DeepEqual(r.Statuses, wantStatuses) {
		t.Errorf("statuses %+v", r.Statuses)
	}
	if want := []report.ReasonCount{{Reason: "nofollow", Count: 1}}; !reflect.DeepEqual(r.SkippedReasons, want) {
		t.Errorf("skipped reasons %+v", r.SkippedReasons)
	}

	// Broken links: those linked from two pages first (the loop's first URL, by a link and
	// by the loop's other redirect, and the 404), then by URL.
	var broken []string
	for _, b := range r.BrokenLinks.Items {
		broken = append(broken, b.URL)
	}
	if want := []string{u("/loop1"), u("/missing"), u("/error"), u("/loop2"), u("/reset")}; r.BrokenLinks.Total != 5 || !reflect.DeepEqual(broken, want) {
		t.Errorf("broken links %d %q, want %q", r.BrokenLinks.Total, broken, want)
	}
	if len(r.BrokenLinks.Items) == 5 {
		missing := r.BrokenLinks.Items[1]
		wantRefs := []report.Referrer{{URL: u("/"), Kind: "link", Anchor: "gone"}, {URL: u("/a"), Kind: "link", Anchor: "missing again"}}
		if missing.Status != 404 || missing.LinkedFrom != 2 || missing.MoreReferrers != 0 || !reflect.DeepEqual(missing.Referrers, wantRefs) {
			t.Errorf("/missing: %+v", missing)
		}
		if loop := r.BrokenLinks.Items[0]; loop.State != "failed" || loop.Status != 302 || !strings.Contains(loop.Error, "redirect loop") {
			t.Errorf("/loop1: %+v", loop)
		}
	}

	// Redirect chains: the loop /loop1 -> /loop2 -> /loop1, and /old -> /older -> /final;
	// /moved -> /a has one hop only.
	wantChain := report.RedirectChain{Hops: 2, LinkedFrom: 1, Steps: []report.ChainStep{
		{URL: u("/old"), State: "done", Status: 301}, {URL: u("/older"), State: "done", Status: 302}, {URL: u("/final"), State: "done", Status: 200},
	}}
	if r.RedirectChains.Total != 2 || len(r.RedirectChains.Items) != 2 || !r.RedirectChains.Items[0].Loop ||
		!reflect.DeepEqual(r.RedirectChains.Items[1], wantChain) {
		t.Errorf("redirect chains %+v", r.RedirectChains)
	}

	// Deep pages: /d4 and /d5 are four and five hops from the seed.
	wantDeep := []report.DeepPage{{URL: u("/d5"), Depth: 5}, {URL: u("/d4"), Depth: 4}}
	if r.DeepPages.Total != 2 || !reflect.DeepEqual(r.DeepPages.Items, wantDeep) {
		t.Errorf("deep pages %+v", r.DeepPages)
	}

	// Most linked: the home page (nine pages link to it; its canonical self-reference does
	// not count), then /missing (two).
	if got := r.MostLinked.Items; len(got) < 2 || got[0] != (report.LinkedPage{URL: u("/"), State: "done", Status: 200, LinkedFrom: 9}) ||
		got[1] != (report.LinkedPage{URL: u("/missing"), State: "done", Status: 404, LinkedFrom: 2}) {
		t.Errorf("most linked %+v", got)
	}
	if r.MostLinked.Total != 17 {
		t.Errorf("most linked total %d, want 17", r.MostLinked.Total)
	}

	wantHosts := []report.HostErrors{{Host: "127.0.0.1", Fetched: 18, Errors: 5, ClientError: 1, ServerError: 1, Failed: 3}}
	if r.ErrorHosts.Total != 1 || !reflect.DeepEqual(r.ErrorHosts.Items, wantHosts) {
		t.Errorf("error hosts %+v", r.ErrorHosts)
	}

	// The text report has a section per finding with the same content.
	code, text, stderr := runCmd(t, "report", "--db", db)
	if code != exitOK {
		t.Fatalf("text: exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"20 URLs, 32 links; 18 fetched on 1 host",
		"Broken links: 5\n  302  " + u("/loop1") + "  (linked from 2)\n      error: redirect loop: ",
		"  404  " + u("/missing") + "  (linked from 2)\n      <- " + u("/") + ` "gone"` + "\n",
		"Redirect chains longer than one hop: 2\n  2 hops, a loop (linked from 1)\n      302  " + u("/loop1") + "\n",
		"  2 hops (linked from 1)\n      301  " + u("/old") + "\n",
		"Pages more than 3 link hops from the seeds: 2\n  depth 5   " + u("/d5") + "\n",
		"Most linked-to pages: 17\n        9  " + u("/") + "\n",
		"Hosts with the most errors: 1\n  127.0.0.1  5 of 18 fetched (4xx 1, 5xx 1, failed 3)\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text report lacks %q:\n%s", want, text)
		}
	}
}

// TestReportLimits checks --limit, --referrers and --depth.
func TestReportLimits(t *testing.T) {
	db, base := crawlReportSite(t)
	code, stdout, stderr := runCmd(t, "report", "--db", db, "--json", "--limit", "1", "--referrers", "1", "--depth", "1")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r report.Report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	if r.BrokenLinks.Total != 5 || len(r.BrokenLinks.Items) != 1 {
		t.Errorf("broken links: total %d, %d items", r.BrokenLinks.Total, len(r.BrokenLinks.Items))
	} else if b := r.BrokenLinks.Items[0]; len(b.Referrers) != 1 || b.MoreReferrers != 1 || b.LinkedFrom != 2 {
		t.Errorf("referrers of %s: %+v", b.URL, b)
	}
	// d2..d5 are more than one hop away; the deepest is listed.
	if r.DeepPages.Total != 4 || len(r.DeepPages.Items) != 1 || r.DeepPages.Items[0].URL != base+"/d5" {
		t.Errorf("deep pages %+v", r.DeepPages)
	}
	if r.MostLinked.Total != 17 || len(r.MostLinked.Items) != 1 {
		t.Errorf("most linked %+v", r.MostLinked)
	}

	code, text, _ := runCmd(t, "report", "--db", db, "--limit", "1", "--referrers", "1")
	if code != exitOK || !strings.Contains(text, "Broken links: 5 (first 1 shown)") || !strings.Contains(text, "      ... and 1 more\n") {
		t.Errorf("text with limits:\n%s", text)
	}
}

func TestReportEmptyDatabase(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/empty.db"
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, stdout, stderr := runCmd(t, "report", "--db", path, "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// Empty lists are [] for scripts, never null.
	for _, want := range []string{`"broken_links": {`, `"items": []`, `"statuses": []`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("json lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "null") {
		t.Errorf("json has null:\n%s", stdout)
	}
	code, text, _ := runCmd(t, "report", "--db", path)
	if code != exitOK || !strings.Contains(text, "Broken links: none") {
		t.Errorf("text:\n%s", text)
	}
}

func TestReportErrors(t *testing.T) {
	dir := t.TempDir()
	text := writeFile(t, dir, "notes.txt", "not a database\n")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--db", dir + "/nope.db"}, exitUsage, "nope.db does not exist"},
		{[]string{"--db", text}, exitUsage, "not a crawl database"},
		{[]string{"--limit", "-1"}, exitUsage, "--limit -1"},
		{[]string{"--depth", "-2"}, exitUsage, "--depth -2"},
		{[]string{"--referrers", "-1"}, exitUsage, "--referrers -1"},
	}
	for _, c := range cases {
		code, stdout, stderr := runCmd(t, append([]string{"report"}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 || stdout != "" {
			t.Errorf("report %q: exit %d, stdout %q, stderr %q; want exit %d and %q", c.args, code, stdout, stderr, c.code, c.want)
		}
	}
}

func TestHelpListsCommands(t *testing.T) {
	code, out, _ := runCmd(t, "help")
	for _, name := range []string{"crawl ", "export ", "report ", "status ", "version "} {
		if code != exitOK || !strings.Contains(out, "\n  "+name) {
			t.Errorf("help: exit %d, lacks %q:\n%s", code, name, out)
		}
	}
}

// TestReportListsPagesReadInPart checks the report's section of pages read only in part,
// in JSON and in text: counts, then the pages, the most linked-to first, with what was lost.
func TestReportListsPagesReadInPart(t *testing.T) {
	db := incompleteDB(t)
	const root = "http://example.test/"
	code, stdout, stderr := runCmd(t, "report", "--db", db, "--json")
	var r report.Report
	if code != exitOK || json.Unmarshal([]byte(stdout), &r) != nil {
		t.Fatalf("exit %d:\n%s%s", code, stdout, stderr)
	}
	want := report.IncompleteSection{Total: 3, Truncated: 2, PartialParses: 2, Items: []report.IncompletePage{
		{URL: root + "deep", Status: 200, Bytes: 2048, Error: partialNote, LinkedFrom: 2},
		{URL: root + "big", Status: 200, Bytes: 2048, Truncated: true, LinkedFrom: 1},
		{URL: root + "both", Status: 200, Bytes: 2048, Truncated: true, Error: "parse " + root + "both: unexpected EOF", LinkedFrom: 1},
	}}
	if !reflect.DeepEqual(r.Incomplete, want) {
		t.Errorf("incomplete:\n got %+v\nwant %+v", r.Incomplete, want)
	}
	if !strings.Contains(stdout, `"incomplete": {`) || !strings.Contains(stdout, `"partial_parses": 2`) {
		t.Errorf("json field names:\n%s", stdout)
	}

	code, text, _ := runCmd(t, "report", "--db", db, "--limit", "2")
	wantText := "Pages read only in part, the most linked-to first: 3 (first 2 shown)\n" +
		"  2 truncated at --max-body, 2 parsed in part\n" +
		"        2  " + root + "deep  (parsed in part: " + partialNote + ")\n" +
		"        1  " + root + "big  (truncated at 2.0 KiB)\n"
	if code != exitOK || !strings.Contains(text, wantText) {
		t.Errorf("text lacks\n%s\n in:\n%s", wantText, text)
	}
	code, text, _ = runCmd(t, "report", "--db", db)
	if want := "        1  " + root + "both  (truncated at 2.0 KiB; parsed in part: parse " + root + "both: unexpected EOF)\n"; code != exitOK || !strings.Contains(text, want) {
		t.Errorf("text lacks %q:\n%s", want, text)
	}

	code, text, _ = runCmd(t, "report", "--db", nastyDB(t))
	if code != exitOK || !strings.Contains(text, "Pages read only in part, the most linked-to first: none\n") {
		t.Errorf("report of a crawl read whole:\n%s", text)
	}
}
