package crawler_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/fetch"
)

// TestRobotsCacheSmallerThanTheCrawl: with a robots cache that holds fewer origins than the
// crawl has hosts, a resumed crawl reads each host's robots.txt from the database, again
// whenever the cache dropped it, and never requests it a second time; its rules still apply.
func TestRobotsCacheSmallerThanTheCrawl(t *testing.T) {
	const hosts, bound = 6, 2
	var names []string
	for i := range hosts {
		names = append(names, fmt.Sprintf("h%d.test", i))
	}
	h := newHarness(t, crawltest.SiteConfig{Seed: 24, Pages: 25, Hosts: names, MinBytes: 500, MaxBytes: 1000,
		CrossHostFraction: 0.3, Robots: "User-agent: *\nDisallow: /blog/\n"})
	smallCache := func(c *crawler.Config) { c.Robots = fetch.NewRobotsCache(c.Fetch, "crawl").WithMaxOrigins(bound) }

	// The first run reads every seed's robots.txt before crawling (for its sitemaps), so each
	// host's file is in the database when it stops at its page budget.
	first := h.run(h.config(h.roots(), smallCache, func(c *crawler.Config) { c.Sitemaps, c.MaxPages = true, 3 }))
	if first.RobotsFetched != hosts {
		t.Fatalf("first run fetched %d robots.txt files, want %d", first.RobotsFetched, hosts)
	}

	second := h.run(h.config(h.roots(), smallCache))
	for _, name := range names {
		if n := h.site.Log().Count(name + "/robots.txt"); n != 1 {
			t.Errorf("%s/robots.txt requested %d times over both runs, want 1", name, n)
		}
	}
	if second.RobotsFetched != 0 || second.RobotsRestored < hosts {
		t.Errorf("second run: %d robots.txt fetched, %d read from the database; want 0, at least %d",
			second.RobotsFetched, second.RobotsRestored, hosts)
	}
	if second.Responses == 0 {
		t.Fatal("second run fetched nothing: the test shows nothing")
	}
	for k := range h.site.Log().Counts() {
		if strings.Contains(k, "/blog/") {
			t.Errorf("disallowed %s was requested", k)
		}
	}
	blocked := h.graph().inState(crawl.StateBlocked)
	if len(blocked) == 0 {
		t.Error("no URL recorded as blocked: the site gave the rules nothing to refuse")
	}
	t.Logf("second run: %d pages, robots.txt read from the database %d times for %d hosts",
		second.Responses, second.RobotsRestored, hosts)
}
