package crawler_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/store"
)

func TestRobotsBlockedURLsAreRecordedAndNeverRequested(t *testing.T) {
	h := newHarness(t, crawltest.SiteConfig{Seed: 21, Pages: 120, MinBytes: 500, MaxBytes: 1000,
		Robots: "User-agent: *\nDisallow: /blog/\nDisallow: /catalog/\n\nUser-agent: otherbot\nDisallow: /\n"})
	sum := h.run(h.config(h.roots()))
	blocked := h.graph().inState(crawl.StateBlocked)
	if len(blocked) == 0 {
		t.Fatal("no URL recorded as robots-blocked")
	}
	for u := range blocked {
		if !strings.Contains(u, "/blog/") && !strings.Contains(u, "/catalog/") {
			t.Errorf("%s blocked, robots.txt allows it", u)
		}
	}
	for k := range h.site.Log().Counts() {
		if strings.Contains(k, "/blog/") || strings.Contains(k, "/catalog/") {
			t.Errorf("disallowed %s was requested", k)
		}
	}
	if n := h.site.Log().Count("/robots.txt"); n != 1 {
		t.Errorf("robots.txt requested %d times, want 1", n)
	}
	if sum.RobotsBlocked != int64(len(blocked)) || sum.RobotsFetched != 1 {
		t.Errorf("summary: %d blocked, %d robots.txt fetched; want %d, 1", sum.RobotsBlocked, sum.RobotsFetched, len(blocked))
	}
}

// TestUnreachableRobotsTxtHoldsTheURLBack: while robots.txt answers 5xx, nothing of the host
// is fetched, and its URLs are not recorded as blocked: they wait, and are fetched once
// robots.txt answers.
func TestUnreachableRobotsTxtHoldsTheURLBack(t *testing.T) {
	s := newHostile(t, []string{"site.test"}, func(w http.ResponseWriter, r *http.Request, n int) {
		switch r.URL.Path {
		case "/robots.txt":
			if n <= 2 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.Write([]byte("User-agent: *\nDisallow: /private\n"))
		case "/":
			crawltest.WritePage(w, "home", "/a", "/private")
		default:
			crawltest.WritePage(w, r.URL.Path)
		}
	})
	sum := s.runWithin(30*time.Second, s.config([]string{s.url("site.test", "/")}, fastFailures(2, 5)))
	if reqs := s.requests("site.test"); strings.Join(reqs, " ") != "/robots.txt /robots.txt /robots.txt / /a" {
		t.Errorf("requests %v; want robots.txt three times, then / and /a", reqs)
	}
	g := s.graph()
	for path, want := range map[string]crawl.State{"/": crawl.StateDone, "/a": crawl.StateDone, "/private": crawl.StateBlocked} {
		if n := g.node(t, s.url("site.test", path)); n.State != want {
			t.Errorf("%s: %v %q, want %v", path, n.State, n.Error, want)
		}
	}
	if sum.Retries != 2 || sum.RobotsFetched != 1 || sum.RobotsUnavailable != 0 {
		t.Errorf("summary: %d retries, %d robots.txt fetched, %d unavailable; want 2, 1, 0", sum.Retries, sum.RobotsFetched, sum.RobotsUnavailable)
	}
}

// TestRobotsTxtThatNeverAnswers: once its tries are spent, the URL is recorded as failed
// because of robots.txt, the page itself never requested, and the crawl ends.
func TestRobotsTxtThatNeverAnswers(t *testing.T) {
	s := newHostile(t, []string{"site.test"}, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.URL.Path == "/robots.txt" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		crawltest.WritePage(w, "home")
	})
	sum := s.runWithin(30*time.Second, s.config([]string{s.url("site.test", "/")}, fastFailures(2, 0)))
	if reqs := s.requests("site.test"); strings.Join(reqs, " ") != "/robots.txt /robots.txt /robots.txt" {
		t.Errorf("requests %v; want robots.txt three times and nothing else", reqs)
	}
	n := s.graph().node(t, s.url("site.test", "/"))
	if want := crawl.ReasonRobotsUnavailable + ": HTTP 500"; n.State != crawl.StateFailed || n.Error != want {
		t.Errorf("/: %v %q; want failed %q", n.State, n.Error, want)
	}
	if sum.RobotsUnavailable != 1 || sum.Retries != 2 {
		t.Errorf("summary: %d robots-unavailable, %d retries; want 1, 2", sum.RobotsUnavailable, sum.Retries)
	}
	if sum.Failed != 3 || sum.FailedBy["HTTP 500"] != 3 {
		t.Errorf("summary: %d failed fetches %v; want the 3 robots.txt fetches, HTTP 500", sum.Failed, sum.FailedBy)
	}
}

// TestRobotsTxtIsKeptAcrossRuns: robots.txt is recorded in the database with its fetch time,
// and a resumed crawl uses that copy for 24 hours instead of fetching it again.
func TestRobotsTxtIsKeptAcrossRuns(t *testing.T) {
	const robots = "User-agent: *\nDisallow: /blog/\nCrawl-delay: 0.01\nSitemap: http://site.test/sitemap.xml\n"
	tests := []struct {
		name     string
		age      time.Duration // the stored copy is made this old before the second run
		fetches  int           // robots.txt requests over both runs
		restored int64         // robots.txt files the second run read from the database
	}{
		{"fresh copy reused", 0, 1, 1},
		{"stale copy fetched again", 25 * time.Hour, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, crawltest.SiteConfig{Seed: 22, Pages: 60, MinBytes: 500, MaxBytes: 1000, Robots: robots})
			h.run(h.config(h.roots(), func(c *crawler.Config) { c.MaxPages = 5 }))
			origin := strings.TrimSuffix(h.roots()[0], "/")

			db, err := store.Open(h.dbPath, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			rec, ok, err := db.Host(origin)
			if err != nil || !ok {
				db.Close()
				t.Fatalf("no host record for %s: %v", origin, err)
			}
			if rec.RobotsStatus != 200 || string(rec.Robots) != robots || rec.RobotsFetchedAt.IsZero() ||
				rec.CrawlDelay != 10*time.Millisecond || len(rec.Sitemaps) != 1 {
				t.Errorf("host record %+v", rec)
			}
			if tt.age > 0 {
				rec.RobotsFetchedAt = rec.RobotsFetchedAt.Add(-tt.age)
				if err := db.PutHost(rec); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()

			sum := h.run(h.config(h.roots()))
			if n := h.site.Log().Count("/robots.txt"); n != tt.fetches {
				t.Errorf("robots.txt requested %d times over two runs, want %d", n, tt.fetches)
			}
			if want := int64(tt.fetches - 1); sum.RobotsFetched != want || sum.RobotsRestored != tt.restored {
				t.Errorf("second run: %d fetched, %d restored; want %d, %d", sum.RobotsFetched, sum.RobotsRestored, want, tt.restored)
			}
			// The rules of the stored copy still apply.
			for k := range h.site.Log().Counts() {
				if strings.Contains(k, "/blog/") {
					t.Errorf("disallowed %s was requested", k)
				}
			}
			blogBlocked := 0
			for u := range h.graph().inState(crawl.StateBlocked) {
				if strings.Contains(u, "/blog/") {
					blogBlocked++
				}
			}
			if blogBlocked == 0 {
				t.Error("no /blog/ URL recorded as blocked: the site gave the rules nothing to refuse")
			}
		})
	}
}

// TestPageBudgetOfOneFetchesRobotsTxtThenThePage: robots.txt takes the host's first turn and
// the page waits for the next one, inside a budget that has room for that page only.
func TestPageBudgetOfOneFetchesRobotsTxtThenThePage(t *testing.T) {
	h := newHarness(t, crawltest.SiteConfig{Seed: 23, Pages: 10, MinBytes: 500, MaxBytes: 1000, Robots: "User-agent: *\nAllow: /\n"})
	h.runWithin(30*time.Second, h.config(h.roots(), func(c *crawler.Config) { c.MaxPages = 1 }))
	if n := h.site.Log().Total(); n != 2 || h.site.Log().Count("/robots.txt") != 1 || h.site.Log().Count("/") != 1 {
		t.Errorf("%d requests %v; want robots.txt and / once each", n, h.site.Log().Counts())
	}
}
