package crawler_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler/crawltest"
)

// TestRedirectChainAndLoop: a page behind three redirects is stored under its final URL,
// each hop a node of its own with a redirect edge to the next; a redirect loop is recorded
// as an error.
func TestRedirectChainAndLoop(t *testing.T) {
	s := newHostile(t, []string{"site.test"}, func(w http.ResponseWriter, r *http.Request, n int) {
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/":
			crawltest.WritePage(w, "home", "/r1", "/loop1")
		case "/r1":
			http.Redirect(w, r, "/r2", http.StatusMovedPermanently)
		case "/r2":
			http.Redirect(w, r, "/r3", http.StatusFound)
		case "/r3":
			http.Redirect(w, r, "/final", http.StatusTemporaryRedirect)
		case "/loop1":
			http.Redirect(w, r, "/loop2", http.StatusFound)
		case "/loop2":
			http.Redirect(w, r, "/loop1", http.StatusFound)
		default:
			crawltest.WritePage(w, "page "+r.URL.Path)
		}
	})
	s.runWithin(30*time.Second, s.config([]string{s.url("site.test", "/")}, fastFailures(2, 5)))
	g := s.graph()
	u := func(p string) string { return s.url("site.test", p) }

	chain := []struct {
		path   string
		status int
		next   string
	}{{"/r1", 301, "/r2"}, {"/r2", 302, "/r3"}, {"/r3", 307, "/final"}}
	for _, hop := range chain {
		n := g.node(t, u(hop.path))
		if n.State != crawl.StateDone || n.Status != hop.status {
			t.Errorf("%s: %v %d, want done %d", hop.path, n.State, n.Status, hop.status)
		}
		if kind, ok := g.edges[u(hop.path)][u(hop.next)]; !ok || kind != crawl.KindRedirect || len(g.edges[u(hop.path)]) != 1 {
			t.Errorf("%s: edges %v, want one redirect edge to %s", hop.path, g.edges[u(hop.path)], hop.next)
		}
	}
	if n := g.node(t, u("/final")); n.State != crawl.StateDone || n.Status != 200 || n.Title != "page /final" {
		t.Errorf("/final: %v %d %q", n.State, n.Status, n.Title)
	}
	if n := g.node(t, u("/loop1")); n.State != crawl.StateFailed || !strings.Contains(n.Error, "redirect loop") {
		t.Errorf("/loop1: %v %q, want failed with a redirect loop", n.State, n.Error)
	}
	for _, p := range []string{"/r1", "/r2", "/r3", "/final", "/loop1", "/loop2"} {
		// A loop is the site's answer, not a failure to retry.
		if c := s.count("site.test", p); c != 1 {
			t.Errorf("%s requested %d times, want 1", p, c)
		}
	}
}

// TestXRobotsTagHeader: a page whose X-Robots-Tag header says nofollow, for every crawler or
// for ours, has its links stored but not followed; a header for another crawler is ignored.
func TestXRobotsTagHeader(t *testing.T) {
	tests := []struct {
		name   string
		header string
		follow bool
	}{
		{"none", "", true},
		{"nofollow", "nofollow", false},
		{"none directive", "none", false},
		{"for us", "crawl: noindex, nofollow", false},
		{"for another crawler", "otherbot: nofollow", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newHostile(t, []string{"site.test"}, func(w http.ResponseWriter, r *http.Request, n int) {
				switch r.URL.Path {
				case "/robots.txt":
					http.NotFound(w, r)
				case "/":
					if tt.header != "" {
						w.Header().Set("X-Robots-Tag", tt.header)
					}
					crawltest.WritePage(w, "home", "/a", "/b")
				default:
					crawltest.WritePage(w, r.URL.Path)
				}
			})
			s.runWithin(30*time.Second, s.config([]string{s.url("site.test", "/")}, fastFailures(0, 0)))
			g := s.graph()
			if len(g.edges[s.url("site.test", "/")]) != 2 {
				t.Errorf("edges of /: %v, want both links stored", g.edges[s.url("site.test", "/")])
			}
			for _, p := range []string{"/a", "/b"} {
				n := g.node(t, s.url("site.test", p))
				fetched := s.count("site.test", p) > 0
				if fetched != tt.follow {
					t.Errorf("%s fetched: %v, want %v", p, fetched, tt.follow)
				}
				if !tt.follow && (n.State != crawl.StateSkipped || n.Error != crawl.ReasonNofollow) {
					t.Errorf("%s: %v %q, want skipped as nofollow", p, n.State, n.Error)
				}
			}
		})
	}
}
