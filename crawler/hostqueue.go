package crawler

import (
	"slices"
	"time"

	"golang.org/x/time/rate"

	"github.com/crawl-project/crawl"
)

// hostQueue is a host's back queue: a small window of its frontier entries, read from disk
// ahead of need, and the state that decides when it may be fetched next.
type hostQueue struct {
	key      string
	buf      []crawl.Entry
	lastID   uint64 // highest id read from disk; entries above it may still be there
	more     bool   // the disk may hold entries above lastID
	limiter  *rate.Limiter
	nextAt   time.Time
	inflight int
	index    int // position in the ready heap, -1 when not in it
	shard    int // in a cluster crawl, the shard of the host (see crawl.ShardOf)

	lastAt     time.Time // when a URL of the host was last handed out
	retry      []task    // leases handed back, by notBefore, served before buf; on disk they are still pending
	errStreak  int       // failed attempts since the last answer: the backoff grows with it
	failedURLs int       // URLs that failed since the last answer, weighted (see failed): enough of them park the host
	parked     bool      // failed too often: its URLs are recorded as skipped, never fetched
	draining   bool      // parked, and listed in frontier.draining
}

// wakeAt is when h has something to hand out: when its rate and backoff allow, or, if all it
// holds are leases handed back, when the first of them may be tried again.
func (h *hostQueue) wakeAt() time.Time {
	if len(h.buf) > 0 || h.more || len(h.retry) == 0 {
		return h.nextAt
	}
	return maxTime(h.nextAt, h.retry[0].notBefore)
}

// addRetry puts a lease handed back among the others, in the order they may be tried again.
func (h *hostQueue) addRetry(t task) {
	i := len(h.retry)
	for i > 0 && h.retry[i-1].notBefore.After(t.notBefore) {
		i--
	}
	h.retry = slices.Insert(h.retry, i, t)
}

// takeRetry says whether h hands out a lease handed back (a retry, or a page after its
// robots.txt) rather than a queued entry. Handed-back leases go first once their time has
// come, except after a failure: then a fresh URL goes first, so that a host failing
// everywhere is parked after MaxHostErrors different URLs failed, while a few bad URLs
// retried in a row on a healthy host do not add up to a streak.
// With retryOnly (no new lease allowed), only handed-back leases go.
func (h *hostQueue) takeRetry(retryOnly bool, now time.Time) bool {
	if len(h.retry) == 0 || h.retry[0].notBefore.After(now) {
		return false
	}
	return retryOnly || h.errStreak == 0 || len(h.buf) == 0
}

// next is the task h hands out next, and whether it is a lease handed back. Its URL is
// parsed by the fetcher that takes it, not here: the frontier is one goroutine, and it
// builds the next task again each time it wakes before the task is taken.
func (h *hostQueue) next(retryOnly bool, now time.Time) (task, bool) {
	if h.takeRetry(retryOnly, now) {
		return h.retry[0], true
	}
	return task{Entry: h.buf[0]}, false
}

// hostHeap orders hosts by the time they have something to hand out (wakeAt). Whatever
// changes that time (its rate, a backoff, its queue) is followed by a heap.Fix.
type hostHeap []*hostQueue

func (q hostHeap) Len() int           { return len(q) }
func (q hostHeap) Less(i, j int) bool { return q[i].wakeAt().Before(q[j].wakeAt()) }
func (q hostHeap) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}
func (q *hostHeap) Push(x any) {
	h := x.(*hostQueue)
	h.index = len(*q)
	*q = append(*q, h)
}
func (q *hostHeap) Pop() any {
	old := *q
	h := old[len(old)-1]
	old[len(old)-1] = nil
	h.index = -1
	*q = old[:len(old)-1]
	return h
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
