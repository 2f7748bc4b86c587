package crawler_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/crawler/crawltest"
)

// TestRedirectIntoADisallowedPathIsNeverRequested: a redirect is checked as a link is, so a
// redirect into a path robots.txt disallows records its target as robots-blocked and never
// requests it.
func TestRedirectIntoADisallowedPathIsNeverRequested(t *testing.T) {
	s := newHostile(t, []string{"site.test"}, func(w http.ResponseWriter, r *http.Request, n int) {
		switch r.URL.Path {
		case "/robots.txt":
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte("User-agent: *\nDisallow: /private/\n"))
		case "/":
			crawltest.WritePage(w, "home", "/r/1", "/r/2")
		case "/r/1":
			http.Redirect(w, r, "/private/secret.html", http.StatusFound)
		case "/r/2":
			http.Redirect(w, r, "/r/1", http.StatusMovedPermanently)
		default:
			crawltest.WritePage(w, r.URL.Path)
		}
	})
	s.runWithin(30*time.Second, s.config([]string{s.url("site.test", "/")}))
	if c := s.count("site.test", "/private/secret.html"); c != 0 {
		t.Errorf("the disallowed target was requested %d times", c)
	}
	g := s.graph()
	if n := g.node(t, s.url("site.test", "/private/secret.html")); n.State != crawl.StateBlocked {
		t.Errorf("target: %v, want robots-blocked", n.State)
	}
	for _, p := range []string{"/r/1", "/r/2"} {
		if n := g.node(t, s.url("site.test", p)); n.State != crawl.StateDone || s.count("site.test", p) != 1 {
			t.Errorf("%s: %v after %d requests, want done after 1", p, n.State, s.count("site.test", p))
		}
	}
}

// TestRedirectChainIntoALinkedPageFetchesItOnce: a chain that ends at a page the site also
// links directly adds nothing to fetch: every URL is requested once, whichever way the crawl
// meets it first.
func TestRedirectChainIntoALinkedPageFetchesItOnce(t *testing.T) {
	s := newHostile(t, []string{"site.test"}, func(w http.ResponseWriter, r *http.Request, n int) {
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/":
			crawltest.WritePage(w, "home", "/old", "/page", "/other")
		case "/old":
			http.Redirect(w, r, "/older", http.StatusMovedPermanently)
		case "/older":
			http.Redirect(w, r, "/page", http.StatusFound)
		case "/other":
			crawltest.WritePage(w, "other", "/older", "/page")
		default:
			crawltest.WritePage(w, r.URL.Path)
		}
	})
	s.runWithin(30*time.Second, s.config([]string{s.url("site.test", "/")}))
	for _, p := range []string{"/", "/old", "/older", "/page", "/other"} {
		if c := s.count("site.test", p); c != 1 {
			t.Errorf("%s requested %d times, want 1", p, c)
		}
	}
	g := s.graph()
	if n := g.node(t, s.url("site.test", "/page")); n.State != crawl.StateDone || n.Status != 200 || n.Depth != 1 {
		t.Errorf("/page: %v %d at depth %d, want done 200 at depth 1", n.State, n.Status, n.Depth)
	}
	if kind := g.edges[s.url("site.test", "/older")][s.url("site.test", "/page")]; kind != crawl.KindRedirect {
		t.Errorf("/older -> /page is %v, want a redirect edge", kind)
	}
}

// TestCrossHostRedirectWaitsForItsHost: a redirect to another host is fetched in that host's
// own turn: after its robots.txt, and spaced from that host's other requests by its rate.
func TestCrossHostRedirectWaitsForItsHost(t *testing.T) {
	var s *hostile
	s = newHostile(t, []string{"a.test", "b.test"}, func(w http.ResponseWriter, r *http.Request, n int) {
		host := strings.Split(r.Host, ":")[0]
		switch {
		case r.URL.Path == "/robots.txt" && host == "b.test":
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte("User-agent: *\nDisallow: /no/\n"))
		case r.URL.Path == "/robots.txt":
			http.NotFound(w, r)
		case host == "a.test" && r.URL.Path == "/":
			crawltest.WritePage(w, "a", "/go", "/go-no")
		case host == "a.test" && r.URL.Path == "/go":
			http.Redirect(w, r, s.url("b.test", "/target"), http.StatusFound)
		case host == "a.test" && r.URL.Path == "/go-no":
			http.Redirect(w, r, s.url("b.test", "/no/thing"), http.StatusFound)
		case host == "b.test" && r.URL.Path == "/":
			crawltest.WritePage(w, "b", "/one", "/two")
		default:
			crawltest.WritePage(w, r.URL.Path)
		}
	})
	const interval = 200 * time.Millisecond
	s.runWithin(30*time.Second, s.config([]string{s.url("a.test", "/"), s.url("b.test", "/")}, func(c *crawler.Config) {
		c.HostRate = float64(time.Second / interval)
	}))
	reqs, ts := s.requests("b.test"), s.times("b.test")
	if len(reqs) == 0 || reqs[0] != "/robots.txt" || !contains(reqs, "/target") {
		t.Fatalf("b.test requests %v, want robots.txt first and /target", reqs)
	}
	for i := 1; i < len(ts); i++ {
		if gap := ts[i].Sub(ts[i-1]); gap < interval-10*time.Millisecond {
			t.Errorf("b.test: %s came %v after %s, within the host's interval of %v", reqs[i], gap, reqs[i-1], interval)
		}
	}
	if s.count("b.test", "/no/thing") != 0 {
		t.Errorf("a redirect into b.test's disallowed path was requested")
	}
	if s.count("b.test", "/target") != 1 {
		t.Errorf("/target requested %d times, want 1", s.count("b.test", "/target"))
	}
}
