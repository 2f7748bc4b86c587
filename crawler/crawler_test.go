package crawler_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/fetch"
	"github.com/crawl-project/crawl/parse"
	"github.com/crawl-project/crawl/store"
	"github.com/crawl-project/crawl/store/storetest"
)

// harness is a test server and a crawl database: a generated site (newHarness), or a
// handler the test writes (serveHarness).
type harness struct {
	t      *testing.T
	site   *crawltest.Site     // nil for a handler the test writes
	log    *crawltest.Recorder // every request the server got
	srv    *httptest.Server
	dbPath string
	// resolve maps the site's host names to the server, for multi-host sites.
	resolve map[string]string
}

// serveHarness serves rec and makes a crawl database; the crawl's client resolves hosts
// to the server.
func serveHarness(t *testing.T, rec *crawltest.Recorder, hosts ...string) *harness {
	t.Helper()
	h := &harness{t: t, log: rec, dbPath: filepath.Join(t.TempDir(), "crawl.db"), resolve: map[string]string{}}
	h.srv = httptest.NewServer(rec)
	t.Cleanup(h.srv.Close)
	for _, host := range hosts {
		h.resolve[host+":"+h.port()] = h.srv.Listener.Addr().String()
	}
	return h
}

func newHarness(t *testing.T, cfg crawltest.SiteConfig) *harness {
	t.Helper()
	site := crawltest.NewSite(cfg)
	h := serveHarness(t, site.Log(), site.Hosts()...)
	h.site = site
	return h
}

// port is the server's port.
func (h *harness) port() string {
	_, port, _ := net.SplitHostPort(h.srv.Listener.Addr().String())
	return port
}

// atRequest makes the server call fn on the n-th request it gets from now on; n 0 removes
// the hook.
func (h *harness) atRequest(n int, fn func()) {
	if n == 0 {
		h.log.OnRequest(nil)
		return
	}
	var seen atomic.Int64
	h.log.OnRequest(func(*http.Request, crawltest.Arrival) {
		if seen.Add(1) == int64(n) {
			fn()
		}
	})
}

// roots are the seeds: "/" of every host (multi-host) or of the server (single host).
func (h *harness) roots() []string {
	if len(h.site.Hosts()) > 1 {
		return h.site.Roots(h.srv.URL)
	}
	return []string{h.srv.URL + "/"}
}

type option func(*crawler.Config)

func (h *harness) config(seeds []string, opts ...option) crawler.Config {
	var seedURLs []*url.URL
	var norm []string
	for _, s := range seeds {
		u, err := parse.Normalize(s)
		if err != nil {
			h.t.Fatal(err)
		}
		seedURLs = append(seedURLs, u)
		norm = append(norm, u.String())
	}
	scope, err := parse.NewScope(parse.ScopeHost, seedURLs, nil, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	client := fetch.NewClient(fetch.Config{UserAgent: "crawl-test", Resolve: h.resolve})
	cfg := crawler.Config{
		Seeds:           norm,
		Scope:           scope,
		MaxDepth:        -1,
		Workers:         8,
		Parsers:         2,
		HostConcurrency: 8,
		Fetch:           client,
		Robots:          fetch.NewRobotsCache(client, "crawl"),
	}
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// run crawls into the harness database until the crawl ends by itself.
func (h *harness) run(cfg crawler.Config) crawler.Summary {
	h.t.Helper()
	return h.runCtx(context.Background(), cfg, nil)
}

// runCtx is run with ctx; started, if set, sees the crawler before it runs and after it
// ends (nil then).
func (h *harness) runCtx(ctx context.Context, cfg crawler.Config, started func(*crawler.Crawler)) crawler.Summary {
	h.t.Helper()
	c, db := h.newCrawler(cfg)
	defer db.Close()
	if started != nil {
		started(c)
		defer started(nil)
	}
	if err := c.Run(ctx); err != nil {
		h.t.Fatalf("crawl: %v", err)
	}
	return c.Stats().Snapshot()
}

func (h *harness) newCrawler(cfg crawler.Config) (*crawler.Crawler, *store.DB) {
	h.t.Helper()
	db, err := store.Open(h.dbPath, store.Options{})
	if err != nil {
		h.t.Fatal(err)
	}
	c, err := crawler.New(db, cfg)
	if err != nil {
		db.Close()
		h.t.Fatal(err)
	}
	return c, db
}

// graph is the stored crawl, by URL.
type graph struct {
	nodes map[string]crawl.Node
	edges map[string]map[string]crawl.EdgeKind // src URL -> dst URL -> kind
}

func (h *harness) graph() graph {
	h.t.Helper()
	stored := storetest.ReadGraph(h.t, h.dbPath)
	g := graph{nodes: stored.ByURL, edges: map[string]map[string]crawl.EdgeKind{}}
	for _, e := range stored.Edges {
		if g.edges[e.From] == nil {
			g.edges[e.From] = map[string]crawl.EdgeKind{}
		}
		g.edges[e.From][e.To] = e.Kind
	}
	return g
}

func (g graph) inState(s crawl.State) map[string]bool {
	out := map[string]bool{}
	for u, n := range g.nodes {
		if n.State == s {
			out[u] = true
		}
	}
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// diff lists the keys only in want and only in got, a few of each.
func diff[A, B any](want map[string]A, got map[string]B) (missing, extra []string) {
	for _, k := range keys(want) {
		if _, ok := got[k]; !ok {
			missing = append(missing, k)
		}
	}
	for _, k := range keys(got) {
		if _, ok := want[k]; !ok {
			extra = append(extra, k)
		}
	}
	return missing, extra
}

func firstFew(s []string) []string { return s[:min(len(s), 5)] }

func expectSameSet[A, B any](t *testing.T, what string, want map[string]A, got map[string]B) {
	t.Helper()
	missing, extra := diff(want, got)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("%s: %d missing %v, %d extra %v", what, len(missing), firstFew(missing), len(extra), firstFew(extra))
	}
}

// pageDuplicates lists the URLs other than robots.txt that were fetched more than once.
func (h *harness) pageDuplicates() (dups []string, extra int) {
	for k, n := range h.fetchCounts() {
		if n > 1 {
			dups = append(dups, k)
			extra += n - 1
		}
	}
	sort.Strings(dups)
	return dups, extra
}

// fetchCounts is what the server answered, by URL, robots.txt left out.
func (h *harness) fetchCounts() map[string]int {
	out := map[string]int{}
	for k, n := range h.log.Counts() {
		if strings.HasSuffix(k, "/robots.txt") {
			continue
		}
		out[k] = n
	}
	return out
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCrawlFetchesEveryReachablePageOnceAndStoresEveryEdge(t *testing.T) {
	h := newHarness(t, crawltest.SiteConfig{Seed: 1, Pages: 400, MinBytes: 2000, MaxBytes: 4000, BrokenFraction: 0.03, ExternalFraction: 0.05})
	sum := h.run(h.config(h.roots()))
	want := h.site.ReachableWith(h.roots(), crawltest.ReachOptions{MaxDepth: -1, SameHostOnly: true, HonorNofollow: true})
	g := h.graph()

	if d, _ := h.pageDuplicates(); len(d) > 0 {
		t.Errorf("fetched more than once: %v", firstFew(d))
	}
	done := g.inState(crawl.StateDone)
	expected := map[string]int{}
	for u, d := range want.Pages {
		expected[u] = d
	}
	for u, d := range want.Broken {
		expected[u] = d
	}
	expectSameSet(t, "done pages", expected, done)
	expectSameSet(t, "external nodes", want.External, g.inState(crawl.StateExternal))
	for u, d := range want.Pages {
		if n := g.nodes[u]; n.Depth != d || n.Status != 200 || n.Title == "" {
			t.Errorf("%s: depth %d status %d title %q; want depth %d, 200, a title", u, n.Depth, n.Status, n.Title, d)
		}
	}
	for u := range want.Broken {
		if n := g.nodes[u]; n.Status != 404 {
			t.Errorf("%s: status %d, want 404", u, n.Status)
		}
	}
	// Every page's stored edges are exactly the distinct links it serves.
	for u := range want.Pages {
		host, page, ok := h.site.PageOf(u)
		if !ok {
			t.Fatalf("PageOf(%s) failed", u)
		}
		links := map[string]bool{}
		for _, l := range h.site.Links(host, page, h.srv.URL) {
			links[l.URL] = true
		}
		expectSameSet(t, "edges of "+u, links, g.edges[u])
	}
	if int(sum.Responses) != len(expected) || sum.Failed != 0 {
		t.Errorf("summary fetched %d failed %d, want %d and 0", sum.Responses, sum.Failed, len(expected))
	}
}

func TestMaxDepthIsExact(t *testing.T) {
	for _, depth := range []int{0, 1, 2} {
		h := newHarness(t, crawltest.SiteConfig{Seed: 2, Pages: 300, MinBytes: 1000, MaxBytes: 2000, BrokenFraction: 0.02})
		h.run(h.config(h.roots(), func(c *crawler.Config) { c.MaxDepth = depth }))
		want := h.site.ReachableWith(h.roots(), crawltest.ReachOptions{MaxDepth: depth, SameHostOnly: true, HonorNofollow: true})
		expected := map[string]int{}
		for u, d := range want.Pages {
			expected[u] = d
		}
		for u, d := range want.Broken {
			expected[u] = d
		}
		got := h.graph().inState(crawl.StateDone)
		expectSameSet(t, "done pages at max depth "+string(rune('0'+depth)), expected, got)
		if len(h.fetchCounts()) != len(expected) {
			t.Errorf("max depth %d: server saw %d URLs, want %d", depth, len(h.fetchCounts()), len(expected))
		}
	}
}

// TestRedirectsAreURLsOfTheirOwn: on a site where a tenth of the links go through a redirect,
// every redirect and every page is requested once, the redirect is recorded with its status
// and one redirect edge, and the page behind it is at the redirect's depth, so that depth
// limits stay exact with redirects in the way.
func TestRedirectsAreURLsOfTheirOwn(t *testing.T) {
	for _, depth := range []int{-1, 2, 3} {
		h := newHarness(t, crawltest.SiteConfig{Seed: 5, Pages: 300, MinBytes: 1000, MaxBytes: 2000,
			BrokenFraction: 0.02, RedirectFraction: 0.1})
		h.run(h.config(h.roots(), func(c *crawler.Config) { c.MaxDepth = depth }))
		want := h.site.ReachableWith(h.roots(), crawltest.ReachOptions{MaxDepth: depth, SameHostOnly: true, HonorNofollow: true})
		if len(want.Redirects) < 5 {
			t.Fatalf("max depth %d: the site has %d redirects within reach; the test needs some", depth, len(want.Redirects))
		}
		expected := map[string]int{}
		for _, m := range []map[string]int{want.Pages, want.Broken, want.Redirects} {
			for u, d := range m {
				expected[u] = d
			}
		}
		g := h.graph()
		expectSameSet(t, fmt.Sprintf("done URLs at max depth %d", depth), expected, g.inState(crawl.StateDone))
		if d, _ := h.pageDuplicates(); len(d) > 0 {
			t.Errorf("max depth %d: fetched more than once: %v", depth, firstFew(d))
		}
		for u, d := range expected {
			if n := g.nodes[u]; n.Depth != d {
				t.Errorf("max depth %d: %s at depth %d, want %d", depth, u, n.Depth, d)
			}
		}
		for u := range want.Redirects {
			if n := g.nodes[u]; n.Status != http.StatusMovedPermanently || len(g.edges[u]) != 1 {
				t.Errorf("max depth %d: redirect %s: status %d, edges %v; want 301 and one edge", depth, u, n.Status, g.edges[u])
			}
		}
	}
}

func TestMaxPagesIsExactAcrossRuns(t *testing.T) {
	h := newHarness(t, crawltest.SiteConfig{Seed: 3, Pages: 200, MinBytes: 1000, MaxBytes: 2000})
	h.run(h.config(h.roots(), func(c *crawler.Config) { c.MaxPages = 37 }))
	if n := len(h.fetchCounts()); n != 37 {
		t.Fatalf("first run fetched %d pages, want 37", n)
	}
	// A rerun with a larger budget continues to it, counting the pages of the first run.
	h.run(h.config(h.roots(), func(c *crawler.Config) { c.MaxPages = 50 }))
	if d, _ := h.pageDuplicates(); len(h.fetchCounts()) != 50 || len(d) != 0 {
		t.Fatalf("after second run: %d pages, duplicates %v; want 50 and none", len(h.fetchCounts()), d)
	}
	if got := len(h.graph().inState(crawl.StateDone)); got != 50 {
		t.Errorf("done nodes = %d, want 50", got)
	}
}

func TestHostScopeStaysOnSeedHosts(t *testing.T) {
	h := newHarness(t, crawltest.SiteConfig{Seed: 4, Pages: 60, Hosts: []string{"h1.test", "h2.test"}, MinBytes: 1000, MaxBytes: 2000, CrossHostFraction: 0.2})
	seed := h.site.Roots(h.srv.URL)[:1]
	h.run(h.config(seed))
	if n := h.site.Log().HostCount("h2.test"); n != 0 {
		t.Errorf("h2.test got %d requests from a crawl scoped to h1.test", n)
	}
	want := h.site.ReachableWith(seed, crawltest.ReachOptions{MaxDepth: -1, SameHostOnly: true, HonorNofollow: true})
	g := h.graph()
	expectSameSet(t, "done pages", want.Pages, g.inState(crawl.StateDone))
	externals := g.inState(crawl.StateExternal)
	for u := range want.OutOfScope {
		if !externals[u] {
			t.Errorf("out-of-scope link %s not recorded as external", u)
		}
	}
	if len(want.OutOfScope) == 0 {
		t.Fatal("site has no cross-host links: the test proves nothing")
	}
}

func TestStopDrainsAndRerunCompletesTheCrawl(t *testing.T) {
	h := newHarness(t, crawltest.SiteConfig{Seed: 5, Pages: 300, MinBytes: 1000, MaxBytes: 2000})
	cfg := h.config(h.roots())
	c, db := h.newCrawler(cfg)
	h.atRequest(60, c.Stop)
	if err := c.Run(context.Background()); err != nil {
		t.Fatalf("stopped crawl: %v", err)
	}
	db.Close()
	h.atRequest(0, nil)
	first := len(h.fetchCounts())
	if first >= 300 {
		t.Fatalf("Stop did not stop the crawl early: %d pages", first)
	}
	// After a graceful stop every fetched page is committed: nothing is fetched twice.
	h.run(h.config(h.roots()))
	if d, _ := h.pageDuplicates(); len(d) > 0 {
		t.Errorf("refetched after a graceful stop: %v", firstFew(d))
	}
	want := h.site.ReachableWith(h.roots(), crawltest.ReachOptions{MaxDepth: -1, SameHostOnly: true, HonorNofollow: true})
	expectSameSet(t, "done pages after resume", want.Pages, h.graph().inState(crawl.StateDone))
}

func TestCancelLeavesInFlightPendingForTheNextRun(t *testing.T) {
	h := newHarness(t, crawltest.SiteConfig{Seed: 6, Pages: 200, MinBytes: 1000, MaxBytes: 2000})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.atRequest(50, cancel)
	c, db := h.newCrawler(h.config(h.roots()))
	if err := c.Run(ctx); err == nil {
		t.Fatal("cancelled crawl returned nil")
	}
	db.Close()
	abandoned := c.Stats().Snapshot().InFlight
	h.atRequest(0, nil)
	h.run(h.config(h.roots()))
	want := h.site.ReachableWith(h.roots(), crawltest.ReachOptions{MaxDepth: -1, SameHostOnly: true, HonorNofollow: true})
	expectSameSet(t, "done pages after resume", want.Pages, h.graph().inState(crawl.StateDone))
	// Only what was in flight at the cancel may be fetched twice.
	if _, extra := h.pageDuplicates(); extra > int(abandoned) {
		t.Errorf("%d duplicate fetches, but only %d URLs were in flight at the cancel", extra, abandoned)
	}
	t.Logf("in flight at cancel: %d", abandoned)
}
