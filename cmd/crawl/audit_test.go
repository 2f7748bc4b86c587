package main

import (
	"encoding/json"
	"encoding/xml"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/store/export"
	"github.com/crawl-project/crawl/store/export/exporttest"
	"github.com/crawl-project/crawl/store/report"
)

// auditSite is a site on 127.0.0.1 with a known finding of every kind the report looks for,
// external links to a live host on 127.0.0.2 and to a port on 127.0.0.3 where nothing
// listens, and a sitemap.
type auditSite struct {
	seed, ext *crawltest.Host
	dead      string // the base URL of the host where nothing listens
	db        string
}

func (s *auditSite) u(p string) string { return s.seed.URL + p }

func newAuditSite(t *testing.T) *auditSite {
	t.Helper()
	s := &auditSite{ext: crawltest.NewHost(t, "127.0.0.2", map[string]string{"/ok": "<title>ok</title>"})}
	ln, err := net.Listen("tcp", "127.0.0.3:0")
	if err != nil {
		t.Fatal(err)
	}
	s.dead = "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now: a connection is refused
	long := strings.Repeat("Une page en français, ", 4)
	s.seed = crawltest.NewHost(t, "127.0.0.1", nil)
	pages := map[string]string{
		"/robots.txt": "User-agent: *\nAllow: /\n",
		"/sitemap.xml": `<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` +
			`<url><loc>` + s.u("/") + `</loc></url><url><loc>` + s.u("/a") + `</loc></url><url><loc>` + s.u("/orphan") + `</loc></url></urlset>`,
		"/": `<html lang=en><head><title>Home</title><meta name=description content="The home page">
			<link rel=stylesheet href=/s.css><script src=/gone.js></script>
			<link rel=alternate hreflang=fr href=/fr></head>
			<body><h1>Home</h1><img src=/logo.png alt=Logo><img src=/missing.png alt=Missing>
			<a href=/a>a</a> <a href=/b>b</a> <a href=/a#intro>intro</a> <a href=/a#nowhere>nowhere</a>
			<a href=/old>old</a> <a href=/nope>nope</a> <a href=/fr>fr</a>
			<a href=/c>c</a> <a href=/d>d</a> <a href=/e>e</a> <a href=/f>f</a>
			<a href=` + s.ext.URL + `/ok>ext ok</a> <a href=` + s.ext.URL + `/dead>ext dead</a> <a href=` + s.dead + `/>refused</a></body></html>`,
		"/a":        `<title>Shared title</title><meta name=description content="Page A"><h1>A</h1><p id=intro>A.</p><a href=/>home</a>`,
		"/b":        `<title>Shared title</title><meta name=description content="Page B"><h1>B</h1><h1>B again</h1><img src=/logo.png alt=Logo>`,
		"/fr":       `<html lang=fr><title>` + long + `</title><h1>Accueil</h1><a href=/>en</a></html>`,
		"/orphan":   `<title></title><meta name=description content="Nobody links here"><p>orphan</p>`,
		"/c":        `<link rel=canonical href=/d><title>C</title>`,
		"/d":        `<link rel=canonical href=/c><title>D</title>`,
		"/e":        `<link rel=canonical href=/nocanon><title>E</title>`,
		"/f":        `<link rel=canonical href=/old><title>F</title>`,
		"/old":      "->/a",
		"/s.css":    "body{}",
		"/logo.png": "png",
	}
	for p, body := range pages {
		s.seed.Set(p, body)
	}
	dir := t.TempDir()
	s.db = filepath.Join(dir, "crawl.db")
	code, _, stderr := runCmd(t, "-u", s.u("/"), "--db", s.db, "--sitemaps", "--check-external", "--allow-private-addresses",
		"--host-rate", "0", "--retries", "0", "--backoff", "1ms", "--quiet")
	if code != exitOK {
		t.Fatalf("crawl: exit %d\n%s", code, stderr)
	}
	return s
}

func (s *auditSite) report(t *testing.T, args ...string) *report.Report {
	t.Helper()
	code, stdout, stderr := runCmd(t, append([]string{"report", "--db", s.db, "--format", "json", "--limit", "0"}, args...)...)
	if code != exitOK {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	var r report.Report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	return &r
}

// TestAuditFindings crawls a site with a known finding of each kind and checks that the
// report lists every one of them, and nothing else.
func TestAuditFindings(t *testing.T) {
	s := newAuditSite(t)
	r := s.report(t)
	u := s.u
	ref := func(p, kind, anchor string) []report.Referrer {
		return []report.Referrer{{URL: u(p), Kind: kind, Anchor: anchor}}
	}
	eq := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s\n got %+v\nwant %+v", what, got, want)
		}
	}

	// Checks: four requisites (two broken) and three external links (two broken).
	eq("checks", r.Checks, report.CheckTotals{Total: 7, Answered: 6, Failed: 1, External: 3})
	eq("broken links", r.BrokenLinks, report.Section[report.BrokenLink]{Total: 1, Items: []report.BrokenLink{
		{URL: u("/nope"), State: "done", Status: 404, LinkedFrom: 1, Referrers: ref("/", "link", "nope")}}})
	if r.BrokenExternal.Total != 2 || len(r.BrokenExternal.Items) != 2 {
		t.Fatalf("broken external %+v", r.BrokenExternal)
	}
	// The refused host's robots.txt is the first request to it to fail.
	if refused := &r.BrokenExternal.Items[1]; refused.Error != "robots.txt unavailable: connection refused" {
		t.Errorf("refused external link: error %q", refused.Error)
	} else {
		refused.Error = ""
	}
	eq("broken external", r.BrokenExternal.Items, []report.BrokenLink{
		{URL: s.ext.URL + "/dead", State: "done", Status: 404, LinkedFrom: 1, Referrers: ref("/", "link", "ext dead")},
		{URL: s.dead + "/", State: "failed", LinkedFrom: 1, Referrers: ref("/", "link", "refused")}})
	eq("broken assets", r.BrokenAssets, report.Section[report.BrokenLink]{Total: 2, Items: []report.BrokenLink{
		{URL: u("/gone.js"), State: "done", Status: 404, LinkedFrom: 1, Referrers: ref("/", "script", "")},
		{URL: u("/missing.png"), State: "done", Status: 404, LinkedFrom: 1, Referrers: ref("/", "image", "Missing")}}})
	eq("broken fragments", r.BrokenFragments, report.Section[report.BrokenFragment]{Total: 1, Items: []report.BrokenFragment{
		{URL: u("/a#nowhere"), Page: u("/a"), Fragment: "nowhere", LinkedFrom: 1, Referrers: ref("/", "link", "")}}})
	eq("links to redirects", r.RedirectedLinks, report.Section[report.RedirectedLink]{Total: 1, Items: []report.RedirectedLink{
		{URL: u("/old"), Status: 301, Target: u("/a"), Hops: 1, LinkedFrom: 1, Referrers: ref("/", "link", "old")}}})
	eq("redirect chains", r.RedirectChains.Total, 0)

	// Titles, descriptions and headings of the indexable pages: /, /a, /b, /fr and /orphan
	// (/c, /d, /e and /f name another URL as canonical).
	none := func() report.Section[report.PageRef] {
		return report.Section[report.PageRef]{Items: []report.PageRef{}}
	}
	pages := func(paths ...string) report.Section[report.PageRef] {
		sec := report.Section[report.PageRef]{Total: len(paths), Items: []report.PageRef{}}
		for _, p := range paths {
			sec.Items = append(sec.Items, report.PageRef{URL: u(p)})
		}
		return sec
	}
	long := strings.Repeat("Une page en français, ", 4)
	long = long[:len(long)-1] // the parser folds the trailing space
	eq("titles", r.Titles, report.TextFindings{
		Missing: none(), Empty: pages("/orphan"),
		TooLong:   report.Section[report.LongText]{Total: 1, Items: []report.LongText{{URL: u("/fr"), Text: long, Length: len([]rune(long))}}},
		Duplicate: report.Section[report.Duplicate]{Total: 1, Items: []report.Duplicate{{Text: "Shared title", Pages: 2, URLs: []string{u("/a"), u("/b")}}}},
	})
	eq("descriptions", r.Descriptions, report.TextFindings{
		Missing: pages("/fr"), Empty: none(),
		TooLong:   report.Section[report.LongText]{Items: []report.LongText{}},
		Duplicate: report.Section[report.Duplicate]{Items: []report.Duplicate{}},
	})
	eq("h1", r.H1, report.H1Findings{Missing: pages("/orphan"),
		Several: report.Section[report.H1Several]{Total: 1, Items: []report.H1Several{{URL: u("/b"), Count: 2, First: "B"}}}})
	eq("canonical conflicts", r.CanonicalConflicts, report.Section[report.CanonicalConflict]{Total: 4, Items: []report.CanonicalConflict{
		{URL: u("/c"), Canonical: u("/d"), Kind: report.CanonicalLoop, State: "done", Status: 200, Next: u("/c")},
		{URL: u("/d"), Canonical: u("/c"), Kind: report.CanonicalLoop, State: "done", Status: 200, Next: u("/d")},
		{URL: u("/e"), Canonical: u("/nocanon"), Kind: report.CanonicalUnlinked, State: "skipped"},
		{URL: u("/f"), Canonical: u("/old"), Kind: report.CanonicalNotOK, State: "done", Status: 301},
	}})
	eq("hreflang", r.HreflangWithoutReturn, report.Section[report.HreflangLink]{Total: 1, Items: []report.HreflangLink{
		{URL: u("/"), Alternate: u("/fr"), Hreflang: "fr"}}})
	eq("orphans", r.Orphans, report.OrphanSection{SitemapsRead: true, Total: 1, Items: []report.LinkedPage{
		{URL: u("/orphan"), State: "done", Status: 200}}})

	// The slowest pages are every page fetched, whatever its status (not the checks).
	var slow []string
	for _, p := range r.SlowestPages.Items {
		slow = append(slow, strings.TrimPrefix(p.URL, s.seed.URL))
	}
	slices.Sort(slow)
	eq("slowest pages", slow, []string{"/", "/a", "/b", "/c", "/d", "/e", "/f", "/fr", "/nope", "/old", "/orphan"})

	// --accept takes the 404s out of every broken list; --exclude leaves out the findings
	// about the URLs it matches.
	r = s.report(t, "--accept", "404,500-503")
	eq("accepted: broken", []int{r.BrokenLinks.Total, r.BrokenExternal.Total, r.BrokenAssets.Total}, []int{0, 1, 0})
	r = s.report(t, "--exclude", `\.(png|js)$`, "--exclude", "/nope$", "--exclude", "#nowhere$", "--exclude", "^http://127\\.0\\.0\\.[23]:")
	eq("excluded: broken", []int{r.BrokenLinks.Total, r.BrokenExternal.Total, r.BrokenAssets.Total, r.BrokenFragments.Total}, []int{0, 0, 0, 0})
	eq("excluded: other findings", []int{r.RedirectedLinks.Total, r.Titles.Duplicate.Total, r.CanonicalConflicts.Total}, []int{1, 1, 4})
}

// TestAuditFailOnAndJUnit: --fail-on exits 4 when a finding of the kinds named exists, 0
// otherwise, and the JUnit file has a failed test case per finding.
func TestAuditFailOnAndJUnit(t *testing.T) {
	s := newAuditSite(t)
	junit := filepath.Join(t.TempDir(), "report.xml")
	code, stdout, stderr := runCmd(t, "report", "--db", s.db, "--fail-on", "broken,fragments", "--junit", junit)
	if code != exitFindings {
		t.Errorf("--fail-on broken,fragments: exit %d, want %d", code, exitFindings)
	}
	if want := "crawl report: findings (--fail-on): 1 broken-links, 2 broken-external, 2 broken-assets, 1 fragments\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
	if !strings.Contains(stdout, "Broken page requisites (images, scripts, stylesheets, frames, media): 2\n  404  "+s.u("/gone.js")) {
		t.Errorf("the report is not printed whole:\n%s", stdout)
	}
	// Findings of other kinds, accepted or excluded, do not fail.
	code, _, stderr = runCmd(t, "report", "--db", s.db, "--fail-on", "redirect-chains")
	if code != exitOK || stderr != "" {
		t.Errorf("--fail-on redirect-chains: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCmd(t, "report", "--db", s.db, "--fail-on", "broken-assets", "--accept", "404")
	if code != exitOK || stderr != "" {
		t.Errorf("--fail-on broken-assets --accept 404: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCmd(t, "report", "--db", s.db, "--fail-on", "fragments", "--exclude", "#nowhere$")
	if code != exitOK || stderr != "" {
		t.Errorf("--fail-on fragments --exclude: exit %d, %q", code, stderr)
	}

	raw, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Failures int    `xml:"failures,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Text string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("junit: %v\n%s", err, raw)
	}
	failures := map[string]int{}
	total := 0
	for _, s := range doc.Suites {
		n := 0
		for _, c := range s.Cases {
			if c.Failure != nil {
				n++
			}
		}
		if n != s.Failures {
			t.Errorf("suite %s: %d failed cases, failures=%d", s.Name, n, s.Failures)
		}
		failures[s.Name] = n
		total += n
	}
	// Titles: one empty, one too long, one shared; h1: one missing, one with two;
	// canonical: four conflicts; descriptions: one missing.
	want := map[string]int{"broken-links": 1, "broken-external": 2, "broken-assets": 2, "fragments": 1, "redirects": 1,
		"redirect-chains": 0, "titles": 3, "descriptions": 1, "h1": 2, "canonical": 4, "hreflang": 1, "orphans": 1}
	if !reflect.DeepEqual(failures, want) || doc.Failures != total {
		t.Errorf("junit failures %v (total %d), want %v (total %d)", failures, doc.Failures, want, total)
	}
	if c := doc.Suites[0].Cases[0]; c.Failure == nil || !strings.Contains(c.Name, s.u("/nope")) || !strings.Contains(c.Failure.Text, "<- "+s.u("/")) {
		t.Errorf("broken-links case %+v", c)
	}

	// Bad values are refused before the database is read.
	for _, args := range [][]string{
		{"--fail-on", "broken,typo"}, {"--accept", "99"}, {"--accept", "500-400"}, {"--exclude", "("}, {"--format", "html"},
	} {
		code, _, stderr := runCmd(t, append([]string{"report", "--db", s.db}, args...)...)
		if code != exitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, args[0]) {
			t.Errorf("%q: exit %d, %q", args, code, stderr)
		}
	}
}

// TestAuditMarkdown: the Markdown report has the sections of the text report.
func TestAuditMarkdown(t *testing.T) {
	s := newAuditSite(t)
	_, text, _ := runCmd(t, "report", "--db", s.db)
	code, md, stderr := runCmd(t, "report", "--db", s.db, "--format", "markdown")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, line := range strings.Split(text, "\n") {
		title, count, ok := strings.Cut(line, ": ")
		if !ok || strings.HasPrefix(line, " ") {
			continue
		}
		if !strings.Contains(md, "\n## "+title+": ") {
			t.Errorf("markdown lacks the section %q (%s)", title, count)
		}
	}
	for _, want := range []string{
		"## Broken fragments (links to a part the page does not have): 1\n\n- <" + s.u("/a#nowhere") + ">  (linked from 1)\n  - \\<- <" + s.u("/") + ">\n",
		"## Titles shared by several pages: 1\n\n- \"Shared title\" on 2 pages\n  - <" + s.u("/a") + ">\n  - <" + s.u("/b") + ">\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestAuditExportsPageFacts checks that every export format carries the facts of the audit
// site's pages, their response times and sitemap marks, as the database holds them: in_sitemap
// false only on the site whose sitemap was read, unknown on the external hosts.
func TestAuditExportsPageFacts(t *testing.T) {
	s := newAuditSite(t)
	nodes, edges := dbGraph(t, s.db)
	want := wantGraphSitemaps(t, nodes, edges, map[string]bool{s.seed.URL: true})
	byURL := func(g *exporttest.Graph) map[string]map[string]string {
		m := map[string]map[string]string{}
		for _, n := range g.Nodes {
			m[n["url"]] = n
		}
		return m
	}
	// What the pages say, written out by hand: the comparison with the database above does
	// not show whether the facts were recorded at all.
	w := byURL(want)
	for u, facts := range map[string]map[string]string{
		s.u("/"):       {"description": "The home page", "h1": "Home", "h1_count": "1", "lang": "en", "hreflang": "fr", "in_sitemap": "true"},
		s.u("/b"):      {"h1": "B", "h1_count": "2", "in_sitemap": "false"},
		s.u("/c"):      {"canonical": s.u("/d"), "h1_count": "0", "word_count": "0", "in_sitemap": "false"},
		s.u("/orphan"): {"description": "Nobody links here", "word_count": "1", "in_sitemap": "true"},
		s.u("/fr"):     {"lang": "fr", "word_count": "2"},
	} {
		for k, v := range facts {
			if w[u][k] != v {
				t.Errorf("%s: %s %q, want %q", u, k, w[u][k], v)
			}
		}
		if w[u]["response_ms"] == "" {
			t.Errorf("%s: no response time", u)
		}
	}
	if n := w[s.ext.URL+"/ok"]; n == nil || n["in_sitemap"] != "" || n["response_ms"] == "" {
		t.Errorf("checked external link: %v; want a response time and no in_sitemap", n)
	}
	for _, format := range append(export.Formats(), "csv-neo4j", "tsv-neo4j", "gexf-1.3") {
		t.Run(format, func(t *testing.T) {
			args := []string{"--db", s.db}
			want := wantGraphSitemaps(t, nodes, edges, map[string]bool{s.seed.URL: true})
			f, extra, _ := strings.Cut(format, "-")
			switch extra {
			case "neo4j":
				args = append(args, "--neo4j")
				want.Neo4j(export.LevelPage)
			case "1.3":
				args = append(args, "--gexf-version", "1.3")
			}
			got := exportAndParse(t, t.TempDir(), f, args...)
			if d := got.Diff(want); d != "" {
				t.Errorf("export differs from the database:\n%s", d)
			}
		})
	}
}
