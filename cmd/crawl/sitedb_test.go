package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/store/export/exporttest"
	"github.com/crawl-project/crawl/store/storetest"
)

// reportSite is a small site with something for every report section and every escaping
// rule of the exports: titles and anchors with quotes, commas and <&>, non-ASCII paths and
// titles, a two-hop and a one-hop redirect, a 404 linked from two pages, a 500, a dropped
// connection, a redirect loop, an external link and a chain of pages five hops deep.
var reportSite = map[string]string{
	"/": `<html><head><title>Home &quot;quoted&quot;, commas &amp; &lt;tags&gt;</title></head><body>
		<a href="/a">Café, &quot;menu&quot; &lt;&amp;&gt;</a>
		<a href="/caf%C3%A9">Unicode ✓ 日本</a>
		<a href="/日本">日本語</a>
		<a href="/old">old page</a>
		<a href="/moved">moved page</a>
		<a href="/missing">gone</a>
		<a href="/error">server error</a>
		<a href="/reset">dropped</a>
		<a href="/loop1">loop</a>
		<a href="http://elsewhere.invalid/x?a=1&amp;b=2">elsewhere, "quoted"</a>
		<a href="/d1">deep</a>
		<a href="/a">again</a>
		<link rel="canonical" href="/">
		</body></html>`,
	"/a":     `<title>A page, with a comma</title><a href="/">home</a> <a href="/missing">missing again</a> <a href="/b" rel="nofollow">b</a>`,
	"/café":  `<title>Crème brûlée — ünïcödé</title><a href="/">home</a>`,
	"/日本":    `<title>日本語のページ</title><a href="/">ホーム</a>`,
	"/final": `<title>Final</title><a href="/">home</a>`,
	"/d1":    `<title>D1</title><a href="/">home</a> <a href="/d2">next</a>`,
	"/d2":    `<title>D2</title><a href="/">home</a> <a href="/d3">next</a>`,
	"/d3":    `<title>D3</title><a href="/">home</a> <a href="/d4">next</a>`,
	"/d4":    `<title>D4</title><a href="/">home</a> <a href="/d5">next</a>`,
	"/d5":    `<title>D5</title><a href="/">home</a>`,
}

// reportRedirects are the redirects of reportSite: path -> status and location.
var reportRedirects = map[string]struct {
	status int
	to     string
}{
	"/old":   {http.StatusMovedPermanently, "/older"},
	"/older": {http.StatusFound, "/final"},
	"/moved": {http.StatusMovedPermanently, "/a"},
	"/loop1": {http.StatusFound, "/loop2"},
	"/loop2": {http.StatusFound, "/loop1"},
}

func serveReportSite(t testing.TB) *httptest.Server {
	t.Helper()
	pages := crawltest.NewPages(reportSite)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rd, ok := reportRedirects[r.URL.Path]; ok {
			http.Redirect(w, r, rd.to, rd.status)
			return
		}
		switch r.URL.Path {
		case "/error":
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		case "/reset":
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		pages.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// crawlReportSite crawls reportSite into a new database and returns the database path and
// the site's base URL (without the trailing slash).
func crawlReportSite(t *testing.T) (dbPath, base string) {
	t.Helper()
	srv := serveReportSite(t)
	dir := t.TempDir()
	seeds := writeFile(t, dir, "seeds.txt", srv.URL+"/\n")
	dbPath = filepath.Join(dir, "crawl.db")
	code, _, stderr := runCmd(t, "--seeds", seeds, "--db", dbPath, "--host-rate", "0", "--quiet", "--backoff", "1ms")
	if code != exitOK {
		t.Fatalf("crawl: exit %d\n%s", code, stderr)
	}
	return dbPath, srv.URL
}

// nastyDB writes a crawl database through store.Writer with the strings a crawl cannot
// produce (titles and anchors keep no line breaks after whitespace folding): line breaks,
// tabs, quotes, commas, <&>, non-ASCII, in titles, anchors, rels and errors.
func nastyDB(t *testing.T) string {
	t.Helper()
	const root = "http://example.test/"
	db, path := storetest.Create(t, "nasty.db", root)
	defer db.Close()
	id := storetest.Node(t, db, root).ID
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	link := func(u, anchor, rel string, kind crawl.EdgeKind, in bool) crawl.Link {
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		return crawl.Link{URL: u, Host: pu.Host, Kind: kind, Rel: rel, Anchor: anchor, Count: 1, InScope: in, Follow: in && rel == ""}
	}
	w := db.Writer(-1)
	_, err := w.Commit([]crawl.Result{{ID: id, Host: "example.test", Page: crawl.Node{
		State: crawl.StateDone, Status: 200, ContentType: "text/html", Size: 1234, FetchedAt: at,
		Title: "Line one\nline two, \"quoted\"\t<&> ünï 日本 🚀",
	}, Links: []crawl.Link{
		link("http://example.test/p%C3%BC?a=1&b=%22x%22", "anchor, with \"quotes\"\nand a break <&>", "", crawl.KindLink, true),
		link("http://example.test/fail", "tab\there", "", crawl.KindLink, true),
		link("http://other.test/%E6%97%A5", "外部 link", "nofollow noopener", crawl.KindLink, false),
		link("http://example.test/", "", "canonical", crawl.KindCanonical, true),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	failID := storetest.Node(t, db, "http://example.test/fail").ID
	_, err = w.Commit([]crawl.Result{{ID: failID, Host: "example.test", Page: crawl.Node{
		State: crawl.StateFailed, FetchedAt: at, Error: "dial tcp: \"refused\", <&>\nretry later",
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// dbGraph reads every node and edge of a database.
func dbGraph(t *testing.T, path string) ([]crawl.Node, []crawl.Edge) {
	t.Helper()
	g := storetest.ReadGraph(t, path)
	edges := make([]crawl.Edge, len(g.Edges))
	for i, e := range g.Edges {
		edges[i] = e.Edge
	}
	return g.Nodes, edges
}

// wantGraph is the page graph an export of all of nodes and edges must contain, in the
// text form every format shares. Empty attributes are left out, as graphml, gexf and dot
// leave them out.
func wantGraph(t *testing.T, nodes []crawl.Node, edges []crawl.Edge) *exporttest.Graph {
	t.Helper()
	return wantGraphSitemaps(t, nodes, edges, nil)
}

// wantGraphSitemaps is wantGraph for a crawl that read the sitemaps of the origins
// (scheme://host:port) sitemaps holds: their pages' in_sitemap is true or false, that of
// every other URL unknown unless a sitemap listed it.
func wantGraphSitemaps(t *testing.T, nodes []crawl.Node, edges []crawl.Edge, sitemaps map[string]bool) *exporttest.Graph {
	t.Helper()
	in, out := map[uint64]int{}, map[uint64]int{}
	for _, e := range edges {
		out[e.Src]++
		in[e.Dst]++
	}
	g := exporttest.NewGraph()
	for _, n := range nodes {
		a := map[string]string{
			"url": n.URL, "state": n.State.String(),
			"content_type": n.ContentType, "depth": fmt.Sprint(n.Depth),
			"title": n.Title, "error": n.Error, "in_degree": fmt.Sprint(in[n.ID]), "out_degree": fmt.Sprint(out[n.ID]),
		}
		if n.State == crawl.StateDone { // the rest exists only for a URL that got a response
			a["status"], a["bytes"] = fmt.Sprint(n.Status), fmt.Sprint(n.Size)
			a["noindex"], a["truncated"] = fmt.Sprint(n.NoIndex), fmt.Sprint(n.Truncated)
			us := n.Duration.Microseconds() // milliseconds, to the microsecond
			a["response_ms"] = strings.TrimRight(strings.TrimRight(fmt.Sprintf("%d.%03d", us/1000, us%1000), "0"), ".")
		}
		if f := n.Facts; f != nil {
			a["description"], a["h1"], a["canonical"], a["hreflang"], a["lang"] = f.Description, f.H1, f.Canonical, f.Hreflang, f.Lang
			a["h1_count"], a["word_count"] = fmt.Sprint(f.H1Count), fmt.Sprint(f.Words)
		}
		if u, err := url.Parse(n.URL); err == nil {
			a["host"] = strings.ToLower(u.Hostname())
			if n.InSitemap || sitemaps[u.Scheme+"://"+u.Host] {
				a["in_sitemap"] = fmt.Sprint(n.InSitemap)
			}
		}
		for k, v := range a {
			if v == "" {
				delete(a, k)
			}
		}
		if !n.FetchedAt.IsZero() {
			a["fetched_at"] = n.FetchedAt.UTC().Format(time.RFC3339)
		}
		if err := g.AddNode(fmt.Sprint(n.ID), a); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range edges {
		g.AddEdge(map[string]string{
			"source": fmt.Sprint(e.Src), "target": fmt.Sprint(e.Dst), "kind": e.Kind.String(), "rel": e.Rel,
			"nofollow": fmt.Sprint(e.Nofollow()), "anchor": e.Anchor, "count": fmt.Sprint(e.Count),
		})
	}
	return g
}
