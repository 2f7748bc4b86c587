package crawler

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/crawl-project/crawl/fetch"
	"github.com/crawl-project/crawl/store"
)

// Stats counts what a crawl run did. Stages update it as they go; Snapshot reads it at any time.
type Stats struct {
	start    time.Time
	fetches  atomic.Int64 // HTTP responses received (redirect hops included in one fetch)
	failures atomic.Int64 // fetches that got no response
	bytes    atomic.Int64
	byClass  [6]atomic.Int64 // index status/100; 0 for anything else

	leased  atomic.Int64 // URLs handed to the fetchers
	pages   atomic.Int64 // results committed
	blocked atomic.Int64
	links   atomic.Int64 // edges stored
	newURLs atomic.Int64

	stages stageStats // per-stage time and queue figures

	mu    sync.Mutex
	hosts map[string]struct{}
	ended time.Time
}

func newStats() *Stats {
	return &Stats{start: time.Now(), hosts: make(map[string]struct{})}
}

func (s *Stats) countFetch(resp *fetch.Response, err error) {
	if err != nil {
		s.failures.Add(1)
		return
	}
	s.fetches.Add(1)
	s.bytes.Add(int64(len(resp.Body)))
	class := resp.Status / 100
	if class < 1 || class > 5 {
		class = 0
	}
	s.byClass[class].Add(1)
}

func (s *Stats) countCommit(batch []store.Result, cs store.CommitStats) {
	s.pages.Add(int64(len(batch)))
	s.links.Add(int64(cs.Edges))
	s.newURLs.Add(int64(cs.NewURLs))
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range batch {
		if r.Page.State == store.StateBlocked {
			s.blocked.Add(1)
		}
		s.hosts[r.Host] = struct{}{}
	}
}

func (s *Stats) finish() {
	s.mu.Lock()
	s.ended = time.Now()
	s.mu.Unlock()
}

// Summary is a point-in-time copy of Stats.
type Summary struct {
	Fetched   int64    // HTTP responses
	Failed    int64    // fetches without a response
	ByClass   [6]int64 // responses by status class: [2] is 2xx, ...; [0] other
	Bytes     int64
	Committed int64 // results recorded
	// Abandoned counts URLs leased but not recorded when the run ended: they were in flight at
	// a hard stop, stay pending, and are fetched again by the next run.
	Abandoned     int64
	RobotsBlocked int64
	Links         int64 // edges recorded
	NewURLs       int64 // URLs discovered
	Hosts         int   // hosts with at least one recorded result
	Elapsed       time.Duration
}

// PagesPerSecond is the fetch rate over the run.
func (s Summary) PagesPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Fetched+s.Failed) / s.Elapsed.Seconds()
}

// Snapshot returns the counters as they are now.
func (s *Stats) Snapshot() Summary {
	var sum Summary
	sum.Fetched = s.fetches.Load()
	sum.Failed = s.failures.Load()
	for i := range s.byClass {
		sum.ByClass[i] = s.byClass[i].Load()
	}
	sum.Bytes = s.bytes.Load()
	sum.Committed = s.pages.Load()
	sum.Abandoned = s.leased.Load() - sum.Committed
	sum.RobotsBlocked = s.blocked.Load()
	sum.Links = s.links.Load()
	sum.NewURLs = s.newURLs.Load()
	s.mu.Lock()
	sum.Hosts = len(s.hosts)
	end := s.ended
	s.mu.Unlock()
	if end.IsZero() {
		end = time.Now()
	}
	sum.Elapsed = end.Sub(s.start)
	return sum
}
