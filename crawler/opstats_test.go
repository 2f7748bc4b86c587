package crawler_test

import (
	"context"
	"testing"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/store"
)

// TestOperatorCounters checks the live counters against the database once a crawl has
// stopped: pending equals the URLs left in the frontier (exact, not estimated), nothing is
// in flight, and the per-code and latency counts add up to the responses.
func TestOperatorCounters(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxPages int
	}{
		{"complete", 0},
		{"page budget", 25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, crawltest.SiteConfig{Pages: 80, Seed: 11, BrokenFraction: 0.05, Robots: "User-agent: *\nDisallow: /guide/\n"})
			cfg := h.config(h.roots(), func(c *crawler.Config) { c.MaxPages = tc.maxPages })
			c, db := h.newCrawler(cfg)
			if c.QueueDepths() != nil {
				t.Error("queue depths before Run")
			}
			if err := c.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			var frontier int
			if err := db.View(func(s *store.Snapshot) error { frontier = s.Frontier(); return nil }); err != nil {
				t.Fatal(err)
			}
			db.Close()
			sum := c.Stats().Snapshot()
			if sum.Pending != int64(frontier) || sum.InFlight != 0 || sum.ActiveHosts != 0 {
				t.Errorf("pending %d, in flight %d, active hosts %d; want %d queued in the database, 0, 0",
					sum.Pending, sum.InFlight, sum.ActiveHosts, frontier)
			}
			if tc.maxPages > 0 && frontier == 0 {
				t.Error("budget left nothing queued: the test does not test pending")
			}
			var codes int64
			for _, n := range c.Stats().StatusCodes() {
				codes += n
			}
			lat := c.Stats().FetchLatency()
			if codes != sum.Responses || int64(lat.Count) != sum.Responses || lat.Cumulative[len(lat.Cumulative)-1] > lat.Count {
				t.Errorf("by code %d, latency count %d (cumulative %v); want %d responses", codes, lat.Count, lat.Cumulative, sum.Responses)
			}
			g := h.graph()
			// The response figures against what the site served and the database recorded.
			log := h.site.Log()
			if want := int64(log.Total() - log.Count("/robots.txt")); sum.Responses != want {
				t.Errorf("%d responses counted, the site answered %d page requests", sum.Responses, want)
			}
			var byClass [6]int64
			for _, n := range g.nodes {
				if n.Status > 0 {
					byClass[n.Status/100]++
				}
			}
			if sum.ByClass != byClass {
				t.Errorf("responses by class %v, %v in the database", sum.ByClass, byClass)
			}
			if n := int64(len(g.inState(crawl.StateBlocked))); sum.RobotsBlocked != n || (tc.maxPages == 0 && n == 0) {
				t.Errorf("robots blocked %d, %d in the database", sum.RobotsBlocked, n)
			}
			depths := c.QueueDepths()
			names := map[string]bool{}
			for _, q := range depths {
				names[q.Queue] = true
				if q.Len != 0 || q.Cap < 1 {
					t.Errorf("queue %s after the run: %d/%d", q.Queue, q.Len, q.Cap)
				}
			}
			for _, want := range []string{"parse", "write", "feedback", "notes"} {
				if !names[want] {
					t.Errorf("no queue %q in %v", want, depths)
				}
			}
		})
	}
}
