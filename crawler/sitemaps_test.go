package crawler_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/crawler/crawltest"
)

// sitemapSite serves a home page without links, and pages only its sitemaps list: a sitemap
// index (named in robots.txt) pointing at a plain and a gzipped urlset.
func sitemapSite(t *testing.T, robots bool) *hostile {
	var s *hostile
	s = newHostile(t, []string{"site.test"}, func(w http.ResponseWriter, r *http.Request, n int) {
		u := func(p string) string { return s.url("site.test", p) }
		urlset := func(locs ...string) string {
			var b strings.Builder
			b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">`)
			for _, l := range locs {
				fmt.Fprintf(&b, "<url><loc>%s</loc></url>", l)
			}
			b.WriteString("</urlset>")
			return b.String()
		}
		switch r.URL.Path {
		case "/robots.txt":
			if !robots {
				http.NotFound(w, r)
				return
			}
			fmt.Fprintf(w, "User-agent: *\nDisallow: /private\nSitemap: %s\n", u("/index.xml"))
		case "/index.xml":
			fmt.Fprintf(w, `<sitemapindex><sitemap><loc>%s</loc></sitemap><sitemap><loc>%s</loc></sitemap></sitemapindex>`, u("/s1.xml"), u("/s2.xml.gz"))
		case "/s1.xml":
			fmt.Fprint(w, urlset(u("/o1"), u("/o2"), "http://elsewhere.invalid/x", u("/private/p")))
		case "/s2.xml.gz":
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write([]byte(urlset(u("/o3"))))
			zw.Close()
			w.Header().Set("Content-Type", "application/x-gzip")
			w.Write(buf.Bytes())
		case "/sitemap.xml":
			fmt.Fprint(w, urlset(u("/o4")))
		case "/":
			crawltest.WritePage(w, "home")
		default:
			crawltest.WritePage(w, r.URL.Path)
		}
	})
	return s
}

func TestSitemapsSeedTheFrontier(t *testing.T) {
	tests := []struct {
		name     string
		robots   bool // robots.txt names the sitemap index; else /sitemap.xml is tried
		sitemaps bool
		maxURLs  int
		fetched  []string // pages fetched besides /
	}{
		{name: "off", robots: true, sitemaps: false},
		{name: "from robots.txt", robots: true, sitemaps: true, fetched: []string{"/o1", "/o2", "/o3"}},
		{name: "URL limit", robots: true, sitemaps: true, maxURLs: 2, fetched: []string{"/o1", "/o2"}},
		{name: "conventional place", robots: false, sitemaps: true, fetched: []string{"/o4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sitemapSite(t, tt.robots)
			opt := func(c *crawler.Config) {
				c.Sitemaps = tt.sitemaps
				if tt.maxURLs > 0 {
					c.MaxSitemapURLs = tt.maxURLs
				}
			}
			sum := s.runWithin(30*time.Second, s.config([]string{s.url("site.test", "/")}, fastFailures(0, 0), opt))
			for _, p := range []string{"/o1", "/o2", "/o3", "/o4"} {
				want := 0
				if contains(tt.fetched, p) {
					want = 1
				}
				if c := s.count("site.test", p); c != want {
					t.Errorf("%s requested %d times, want %d", p, c, want)
				}
			}
			if c := s.count("site.test", "/private/p"); c != 0 {
				t.Errorf("a sitemap URL disallowed by robots.txt was requested %d times", c)
			}
			if c := s.count("site.test", "/robots.txt"); c != 1 {
				t.Errorf("robots.txt requested %d times, want 1", c)
			}
			if want := int64(len(tt.fetched)); tt.robots && tt.maxURLs == 0 && tt.sitemaps {
				want++ // /private/p is queued too, then recorded as blocked
				if sum.SitemapURLs != want {
					t.Errorf("summary: %d sitemap URLs, want %d", sum.SitemapURLs, want)
				}
			}
			g := s.graph()
			if _, ok := g.nodes["http://elsewhere.invalid/x"]; ok {
				t.Error("an out-of-scope sitemap URL was recorded")
			}
			// The pages read from a sitemap are marked so; the seed is not in one.
			for u, n := range g.nodes {
				path := strings.TrimPrefix(u, s.url("site.test", ""))
				if want := contains(tt.fetched, path) || tt.sitemaps && tt.robots && tt.maxURLs == 0 && path == "/private/p"; n.InSitemap != want {
					t.Errorf("%s in a sitemap: %v, want %v", path, n.InSitemap, want)
				}
			}
		})
	}
}

// TestSitemapsAreReadOncePerCrawl: a resumed crawl does not read the sitemaps again.
func TestSitemapsAreReadOncePerCrawl(t *testing.T) {
	s := sitemapSite(t, true)
	opt := func(c *crawler.Config) { c.Sitemaps = true }
	seeds := []string{s.url("site.test", "/")}
	s.runWithin(30*time.Second, s.config(seeds, fastFailures(0, 0), opt))
	sum := s.runWithin(30*time.Second, s.config(seeds, fastFailures(0, 0), opt))
	for _, p := range []string{"/index.xml", "/s1.xml", "/s2.xml.gz", "/robots.txt"} {
		if c := s.count("site.test", p); c != 1 {
			t.Errorf("%s requested %d times over two runs, want 1", p, c)
		}
	}
	if sum.SitemapURLs != 0 {
		t.Errorf("second run queued %d sitemap URLs", sum.SitemapURLs)
	}
	n := s.graph().node(t, s.url("site.test", "/o1"))
	if n.State != crawl.StateDone {
		t.Errorf("/o1: %v", n.State)
	}
}
