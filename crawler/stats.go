package crawler

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/fetch"
)

// Stats counts what a crawl run did. Stages update it as they go; Snapshot reads it at any time.
type Stats struct {
	start time.Time
	// Responses received, and their classes, are read from ops.codes: one counter per
	// response, not three kept in step.
	failures atomic.Int64 // fetches that got no response
	bytes    atomic.Int64

	leased  atomic.Int64 // URLs handed to the fetchers
	pages   atomic.Int64 // results committed
	blocked atomic.Int64
	// Pages recorded with a loss: a body cut at --max-body, a page read only in part (a done
	// page with an error note: its HTML read without a tree, a redirect target not recorded).
	truncated, partial atomic.Int64
	links              atomic.Int64 // edges stored
	newURLs            atomic.Int64
	// Checks made (answers and failures alike, a HEAD refused and its GET each), and those
	// that failed or answered 4xx or 5xx: not counted with the pages.
	checks, checkErrors atomic.Int64

	ops    opCounters // for the progress line and the metrics endpoint
	polite politeStats
	stages stageStats // per-stage time and queue figures

	mu    sync.Mutex
	hosts map[string]struct{}
	ended time.Time

	rejected map[string]int64 // under mu: URLs refused by reason, links over a page's cap
	causes   map[string]int64 // under mu: fetches without an answer by fetch.Cause
}

func newStats() *Stats {
	return &Stats{start: time.Now(), hosts: make(map[string]struct{}), rejected: make(map[string]int64), causes: make(map[string]int64)}
}

// countFetch counts a fetch's outcome: a page's, or a check's, which is counted apart.
func (s *Stats) countFetch(check bool, resp *fetch.Response, err error) {
	switch {
	case check && (err != nil || resp.Status >= 400):
		s.checks.Add(1)
		s.checkErrors.Add(1)
	case check:
		s.checks.Add(1)
	case err != nil:
		s.countFailure(err)
	default:
		s.bytes.Add(int64(len(resp.Body)))
		s.ops.countResponse(resp)
	}
}

// countFailure counts a fetch, of a page or of a robots.txt, that got no usable answer.
func (s *Stats) countFailure(err error) {
	s.failures.Add(1)
	s.mu.Lock()
	s.causes[fetch.Cause(err)]++
	s.mu.Unlock()
}

func (s *Stats) countCommit(batch []crawl.Result, cs crawl.CommitStats) {
	s.ops.countCommit(cs) // before pages, so that pending (queued - in flight) never overshoots
	s.links.Add(int64(cs.Edges))
	s.newURLs.Add(int64(cs.NewURLs))
	s.mu.Lock()
	defer s.mu.Unlock()
	for reason, n := range cs.Rejected {
		s.rejected[reason] += int64(n)
	}
	for _, r := range batch {
		if r.ID == 0 {
			continue // host state only, no lease
		}
		s.pages.Add(1)
		if r.Page.State == crawl.StateBlocked {
			s.blocked.Add(1)
		}
		if r.Page.Truncated {
			s.truncated.Add(1)
		}
		if r.Page.State == crawl.StateDone && r.Page.Error != "" {
			s.partial.Add(1)
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
	Responses     int64    // HTTP responses received, whatever their status
	Failed        int64    // fetches without a usable answer, robots.txt fetches included
	ByClass       [6]int64 // responses by status class: [2] is 2xx, ...; [0] other
	Bytes         int64
	Committed     int64 // results recorded
	RobotsBlocked int64
	// Truncated counts bodies cut at --max-body; PartialParses, fetched pages read only in
	// part (their error note says why): in both, links past the loss are missing.
	Truncated, PartialParses int64
	Links                    int64 // edges recorded
	NewURLs                  int64 // URLs discovered
	// Checks counts the requests that checked a URL rather than fetched a page (page
	// requisites, external links), answered or not; CheckErrors those that got no answer or
	// answered 4xx or 5xx. Responses, Failed and ByClass count pages only.
	Checks, CheckErrors int64
	Hosts               int // hosts with at least one recorded result
	Elapsed             time.Duration

	// Rejected counts, by reason, the URLs the crawl refused to fetch although they were in
	// scope (trap rules, host budget), and the links beyond a page's cap.
	Rejected map[string]int64
	// FailedBy counts the failed fetches by cause (fetch.Cause: "connection refused", ...).
	FailedBy map[string]int64

	// Live state, for watching a crawl run. Pending and InFlight are read from separate
	// counters without a lock, so one may be a commit batch ahead of the other for an instant.
	// Once Run has returned, InFlight counts the URLs abandoned by a hard stop: they stay
	// pending and are fetched again by the next run.
	Pending     int64 // URLs queued in the frontier, not handed out
	InFlight    int64 // URLs handed out and not yet recorded
	ActiveHosts int64 // hosts with a fetch in flight
	Retries     int64 // fetch attempts repeated after a transient failure

	Politeness
}

// PagesPerSecond is the fetch rate over the run.
func (s Summary) PagesPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Responses+s.Failed) / s.Elapsed.Seconds()
}

// Snapshot returns the counters as they are now.
func (s *Stats) Snapshot() Summary {
	var sum Summary
	// codes[0] holds the codes outside 100..599, which is class 0 too.
	for code := range s.ops.codes {
		if n := s.ops.codes[code].Load(); n > 0 {
			sum.ByClass[code/100] += n
			sum.Responses += n
		}
	}
	sum.Failed = s.failures.Load()
	sum.Bytes = s.bytes.Load()
	sum.Committed = s.pages.Load()
	sum.InFlight = s.leased.Load() - sum.Committed
	sum.Pending = max(s.ops.queued.Load()-sum.InFlight, 0)
	sum.ActiveHosts = s.ops.activeHosts.Load()
	sum.Retries = s.ops.retries.Load()
	sum.RobotsBlocked = s.blocked.Load()
	sum.Truncated, sum.PartialParses = s.truncated.Load(), s.partial.Load()
	sum.Links = s.links.Load()
	sum.NewURLs = s.newURLs.Load()
	sum.Checks, sum.CheckErrors = s.checks.Load(), s.checkErrors.Load()
	sum.Politeness = s.polite.snapshot()
	s.mu.Lock()
	sum.Hosts = len(s.hosts)
	sum.Rejected = make(map[string]int64, len(s.rejected))
	for reason, n := range s.rejected {
		sum.Rejected[reason] = n
	}
	sum.FailedBy = make(map[string]int64, len(s.causes))
	for cause, n := range s.causes {
		sum.FailedBy[cause] = n
	}
	end := s.ended
	s.mu.Unlock()
	if end.IsZero() {
		end = time.Now()
	}
	sum.Elapsed = end.Sub(s.start)
	return sum
}
