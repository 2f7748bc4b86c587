package crawler

import (
	"sync/atomic"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/fetch"
)

// opCounters are the counters an operator watches while a crawl runs (the live progress line
// and the metrics endpoint). They are plain atomics, so reading them never slows a stage.
type opCounters struct {
	// queued is the number of entries in the on-disk frontier: read once when Run starts, then
	// kept up to date from each commit (entries added minus entries removed). Leased URLs keep
	// their entry until their result commits, so pending = queued - in flight.
	queued      atomic.Int64
	activeHosts atomic.Int64 // hosts with at least one fetch in flight
	// retries counts fetch attempts repeated after a transient failure; the retry logic adds
	// to it through countRetry.
	retries atomic.Int64

	codes   [600]atomic.Int64 // responses by status code; codes outside 100..599 count at 0
	latency latencyHistogram
}

// LatencyBuckets are the upper bounds of the fetch latency histogram, in seconds.
var LatencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// latencyHistogram counts fetch durations into LatencyBuckets, plus one overflow bucket.
type latencyHistogram struct {
	counts   [14]atomic.Int64 // len(LatencyBuckets)+1
	sumNanos atomic.Int64
}

func (h *latencyHistogram) observe(d time.Duration) {
	s := d.Seconds()
	i := 0
	for i < len(LatencyBuckets) && s > LatencyBuckets[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sumNanos.Add(int64(d))
}

// Latency is a copy of the fetch latency histogram.
type Latency struct {
	// Cumulative[i] is the number of fetches that took at most LatencyBuckets[i] seconds.
	Cumulative []uint64
	Count      uint64 // all fetches observed
	Sum        time.Duration
}

func (o *opCounters) countResponse(resp *fetch.Response) {
	code := resp.Status
	if code < 100 || code >= len(o.codes) {
		code = 0
	}
	o.codes[code].Add(1)
	o.latency.observe(resp.Duration)
}

// countCommit keeps queued in step with the frontier bucket.
func (o *opCounters) countCommit(cs crawl.CommitStats) {
	o.queued.Add(int64(cs.Queued - cs.Unqueued))
}

// countRetry records that a fetch is attempted again after a transient failure.
func (s *Stats) countRetry() { s.ops.retries.Add(1) }

// StatusCodes returns the number of responses received by HTTP status code; responses
// with a code outside 100..599 are counted under 0.
func (s *Stats) StatusCodes() map[int]int64 {
	m := make(map[int]int64)
	for code := range s.ops.codes {
		if n := s.ops.codes[code].Load(); n > 0 {
			m[code] = n
		}
	}
	return m
}

// FetchLatency returns the histogram of the time from request to full body, over the
// fetches that got a response.
func (s *Stats) FetchLatency() Latency {
	h := &s.ops.latency
	l := Latency{Cumulative: make([]uint64, len(LatencyBuckets))}
	var run uint64
	for i := range LatencyBuckets {
		run += uint64(h.counts[i].Load())
		l.Cumulative[i] = run
	}
	l.Count = run + uint64(h.counts[len(LatencyBuckets)].Load())
	l.Sum = time.Duration(h.sumNanos.Load())
	return l
}
