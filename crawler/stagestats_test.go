package crawler_test

import (
	"testing"

	"github.com/crawl-project/crawl/crawler/crawltest"
)

func TestStageFiguresCountEveryItemOnce(t *testing.T) {
	h := newHarness(t, crawltest.SiteConfig{Seed: 3, Pages: 60, BrokenFraction: 0.05})
	cfg := h.config(h.roots())
	c, db := h.newCrawler(cfg)
	defer db.Close()
	if err := c.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	sum := c.Stats().Snapshot()
	stages := c.Stats().Stages()
	// Each stage's input is the pipeline channels it drains; the fetchers' is unbuffered.
	capOf := map[string]int{}
	for _, q := range c.QueueDepths() {
		capOf[q.Queue] = q.Cap
	}
	inputCap := map[string]int{
		"frontier": capOf["feedback"] + capOf["notes"], "fetch": 0, "parse": capOf["parse"], "write": capOf["write"],
	}
	want := []struct {
		name  string
		width int
	}{{"frontier", 1}, {"fetch", cfg.Workers}, {"parse", cfg.Parsers}, {"write", 1}}
	if len(stages) != len(want) {
		t.Fatalf("%d stages, want %d", len(stages), len(want))
	}
	for i, s := range stages {
		if s.Name != want[i].name || s.Width != want[i].width {
			t.Errorf("stage %d is %s x%d, want %s x%d", i, s.Name, s.Width, want[i].name, want[i].width)
		}
		// Every URL handed out is fetched, parsed and committed exactly once, and so is the
		// turn of each host that went to its robots.txt (recorded as host state, not a page).
		// The frontier counts leases of queued URLs, not the turns handed back to it.
		want := sum.Committed + sum.RobotsFetched
		if s.Name == "frontier" {
			want = sum.Committed
		}
		if s.Items != want {
			t.Errorf("%s handled %d items, want %d", s.Name, s.Items, want)
		}
		if s.QueueCap != inputCap[s.Name] {
			t.Errorf("%s: input capacity %d, want %d", s.Name, s.QueueCap, inputCap[s.Name])
		}
		if s.Busy <= 0 || s.Blocked < 0 || s.QueuePeak > s.QueueCap || s.QueueAvg > float64(s.QueuePeak) {
			t.Errorf("%s: %+v", s.Name, s)
		}
		if u := s.Utilisation(sum.Elapsed); u <= 0 || u > 1 {
			t.Errorf("%s utilisation %v", s.Name, u)
		}
	}
	if c.Stats().Commits() < 1 {
		t.Errorf("%d commits", c.Stats().Commits())
	}
}
