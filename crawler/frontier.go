package crawler

import (
	"container/heap"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/crawl-project/crawl/store"
)

// task is one leased URL on its way through the pipeline.
type task struct {
	store.Entry
	tries int // earlier tries of this lease that failed
	// retrying: the task was handed back after a failed try, so handing it out is a retry.
	retrying bool
	// skip, when set, is the reason the URL is recorded as skipped without being fetched
	// (its host was parked). Skip tasks take no turn of their host: no feedback comes back.
	skip string
}

// hostFeedback tells the frontier that a fetch for a host finished, and how the host behaved.
type hostFeedback struct {
	host string
	// notBefore, when set, holds the host back until then.
	notBefore time.Time
	// minInterval, when set, is a lower bound on the spacing of this host's requests (Crawl-delay).
	minInterval time.Duration
	// failed: the host did not answer usefully (no answer, 429, 5xx, robots.txt unreachable).
	// It is held back (retryAfter, else exponential backoff) and a long enough streak parks it.
	failed bool
	// answered: the host answered; its failure streak ends.
	answered bool
	// retried: the failed attempt was a retry of a URL that had failed before.
	retried bool
	// retryAfter is the server's Retry-After, when hasRetryAfter.
	retryAfter    time.Duration
	hasRetryAfter bool
	// again, when set, is the task handed back: the lease continues and the URL is handed
	// out again in a later turn of the host (a retry, or the page after its robots.txt).
	again *task
	// sent, when set, is when the request reached the wire; the host's next request waits a
	// full rate interval from then, not from the hand-out, which was earlier by the wait
	// for a connection (a dial, for a host's first request).
	sent time.Time
}

// commitNote tells the frontier that the writer made results durable.
type commitNote struct {
	released     []uint64        // leases ended
	fetched      int             // how many of them count against --max-pages
	hostsWithNew map[string]int  // hosts that got new frontier entries
	requeued     map[string]bool // hosts whose new entries may sort before those already read
	redirected   []store.Entry   // redirect targets among the new entries: handed out first
}

// hostQueue is a host's back queue: a small window of its frontier entries, read from disk
// ahead of need, and the state that decides when it may be fetched next.
type hostQueue struct {
	key      string
	buf      []store.Entry
	lastID   uint64 // highest id read from disk; entries above it may still be there
	more     bool   // the disk may hold entries above lastID
	limiter  *rate.Limiter
	nextAt   time.Time
	inflight int
	index    int // position in the ready heap, -1 when not in it

	lastAt     time.Time // when a URL of the host was last handed out
	retry      []task    // leases handed back, served before buf; on disk they are still pending
	errStreak  int       // failed attempts since the last answer: the backoff grows with it
	failedURLs int       // URLs that failed since the last answer: enough of them park the host
	parked     bool      // failed too often: its URLs are recorded as skipped, never fetched
	draining   bool      // parked, and listed in frontier.draining
}

// frontier hands out URLs host by host: whichever host may be fetched soonest, within its
// rate and concurrency limits. It is the only goroutine that touches its state.
type frontier struct {
	db     *store.DB
	cfg    *Config
	stats  *Stats
	log    *slog.Logger
	hosts  map[string]*hostQueue
	ready  hostHeap
	leased map[uint64]struct{}
	// promoted are entries put at the head of their host's queue before their turn on disk
	// (redirect targets): reading the disk skips them, as it skips leased ones.
	promoted map[uint64]struct{}

	skips    []task       // leased entries of parked hosts, passed on to be recorded as skipped
	draining []*hostQueue // parked hosts whose entries on disk are still to be read into skips
	rnd      func() float64

	unloaded  bool   // the disk may hold hosts not in hosts
	scanAfter string // where the next scan for unloaded hosts starts
	fetched   int    // pages counted against MaxPages, including earlier runs
}

const (
	hostWindow = 32 // entries read from disk per host at a time
)

func newFrontier(db *store.DB, cfg *Config, stats *Stats, log *slog.Logger, fetchedBefore int) *frontier {
	return &frontier{
		db:       db,
		stats:    stats,
		cfg:      cfg,
		log:      log,
		hosts:    make(map[string]*hostQueue),
		leased:   make(map[uint64]struct{}),
		promoted: make(map[uint64]struct{}),
		unloaded: true,
		fetched:  fetchedBefore,
		rnd:      rand.Float64,
	}
}

// run feeds out until the crawl is complete, stop is closed or ctx is cancelled, then closes
// out and keeps taking feedback until the writer has drained (notes closed).
func (f *frontier) run(ctx context.Context, stop <-chan struct{}, out chan<- task, feedback <-chan hostFeedback, notes <-chan commitNote) error {
	outOpen := true
	closeOut := func() {
		if outOpen {
			close(out)
			outOpen = false
		}
	}
	defer closeOut()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()

	clock := &f.stats.stages.frontier
	woke := time.Now()
	for {
		var send chan<- task
		var next task
		var from *hostQueue // the host next comes from
		var retryOnly bool  // the page budget allows only leases handed back
		var wake <-chan time.Time
		if outOpen {
			now := time.Now()
			if err := f.drain(); err != nil {
				return err
			}
			var h *hostQueue
			if len(f.skips) == 0 {
				var err error
				if h, err = f.peek(now); err != nil {
					return err
				}
			}
			switch {
			case len(f.skips) > 0:
				next, send = f.skips[0], out
			case h != nil && !h.nextAt.After(now):
				retryOnly = f.budgetSpent()
				next, from, send = h.next(retryOnly), h, out
			case h != nil:
				timer.Reset(h.nextAt.Sub(now))
				wake = timer.C
			case len(f.leased) == 0 && f.budgetSpent():
				f.log.Debug("frontier: page budget spent")
				closeOut()
				continue
			case len(f.leased) == 0:
				done, err := f.complete()
				if err != nil {
					return err
				}
				if done {
					f.log.Debug("frontier: crawl complete")
					closeOut()
				}
				continue // done, or hosts on disk to load
			}
		}
		clock.busy.Add(int64(time.Since(woke)))
		select {
		case send <- next:
			if next.skip != "" {
				f.skips = f.skips[1:]
			} else {
				f.handOut(from, retryOnly, time.Now())
			}
		case fb := <-feedback:
			f.release(fb)
		case n, ok := <-notes:
			if !ok {
				return nil // the writer has finished: nothing more can come back
			}
			f.noteCommit(n)
		case <-wake:
		case <-stop:
			stop = nil
			closeOut()
		case <-ctx.Done():
			return ctx.Err()
		}
		woke = time.Now()
	}
}

// peek returns the host that may be fetched soonest, refilling back queues from disk, or nil
// when no host has work that may be handed out now or later.
func (f *frontier) peek(now time.Time) (*hostQueue, error) {
	if f.budgetSpent() {
		return f.peekRetry(), nil
	}
	for {
		if len(f.ready) == 0 {
			if !f.unloaded {
				return nil, nil
			}
			n, err := f.loadHosts(now)
			if err != nil {
				return nil, err
			}
			if n == 0 {
				return nil, nil
			}
			continue
		}
		h := f.ready[0]
		if len(h.buf) == 0 && (len(h.retry) == 0 || (h.errStreak > 0 && h.more)) {
			if err := f.refill(h); err != nil {
				return nil, err
			}
			if len(h.buf) == 0 {
				heap.Pop(&f.ready)
				f.evict(h, now)
				continue
			}
		}
		return h, nil
	}
}

// peekRetry returns, while --max-pages allows no new lease, the host holding a lease handed
// back that may go soonest: such a lease holds its place in the budget already. The ready
// heap is scanned: this happens only at the end of a budgeted crawl.
func (f *frontier) peekRetry() *hostQueue {
	var best *hostQueue
	for _, h := range f.ready {
		if len(h.retry) > 0 && (best == nil || h.nextAt.Before(best.nextAt)) {
			best = h
		}
	}
	return best
}

// takeRetry says whether h hands out a lease handed back (a retry, or a page after its
// robots.txt) rather than a queued entry. Handed-back leases go first, except after a
// failure: then a fresh URL goes first, so that a host failing everywhere is parked after
// MaxHostErrors different URLs failed, while a few bad URLs retried in a row on a healthy
// host do not add up to a streak.
// With retryOnly (no new lease allowed), only handed-back leases go.
func (h *hostQueue) takeRetry(retryOnly bool) bool {
	return len(h.retry) > 0 && (retryOnly || h.errStreak == 0 || len(h.buf) == 0)
}

// next is the task h hands out next. Its URL is parsed by the fetcher that takes it, not
// here: the frontier is one goroutine, and it builds the next task again each time it wakes
// before the task is taken.
func (h *hostQueue) next(retryOnly bool) task {
	if h.takeRetry(retryOnly) {
		return h.retry[0]
	}
	return task{Entry: h.buf[0]}
}

// handOut leases the first entry of h, a host in the ready heap, or hands out its first
// lease handed back.
func (f *frontier) handOut(h *hostQueue, retryOnly bool, now time.Time) {
	if h.takeRetry(retryOnly) {
		if h.retry[0].retrying {
			f.stats.countRetry()
		}
		h.retry = h.retry[1:]
	} else {
		e := h.buf[0]
		h.buf = h.buf[1:]
		f.lease(e.ID)
	}
	h.inflight++
	if h.inflight == 1 {
		f.stats.ops.activeHosts.Add(1)
	}
	h.lastAt = now
	h.limiter.ReserveN(now, 1)
	h.nextAt = f.nextTime(h, now)
	if h.inflight >= f.cfg.HostConcurrency {
		heap.Remove(&f.ready, h.index)
	} else {
		heap.Fix(&f.ready, h.index)
	}
}

// nextTime is when the limiter has a token for h again.
func (f *frontier) nextTime(h *hostQueue, now time.Time) time.Time {
	if h.limiter.Limit() == rate.Inf {
		return h.nextAt
	}
	tokens := h.limiter.TokensAt(now)
	if tokens >= 1 {
		return maxTime(h.nextAt, now)
	}
	wait := time.Duration((1 - tokens) / float64(h.limiter.Limit()) * float64(time.Second))
	return maxTime(h.nextAt, now.Add(wait))
}

func (f *frontier) lease(id uint64) {
	delete(f.promoted, id)
	f.leased[id] = struct{}{}
	f.stats.leased.Add(1)
}

func (f *frontier) release(fb hostFeedback) {
	h, ok := f.hosts[fb.host]
	if !ok {
		return // cannot happen: a host with fetches in flight is never evicted
	}
	h.inflight--
	if h.inflight == 0 {
		f.stats.ops.activeHosts.Add(-1)
	}
	if fb.minInterval > 0 && rate.Every(fb.minInterval) < h.limiter.Limit() {
		// A new limiter, charged with the last request, so that the next one keeps the
		// interval from it: the old limiter may hold a token that the new rate would not give.
		h.limiter = rate.NewLimiter(rate.Every(fb.minInterval), 1)
		h.limiter.ReserveN(h.lastAt, 1)
		h.nextAt = f.nextTime(h, time.Now())
	}
	h.nextAt = maxTime(h.nextAt, fb.notBefore)
	if limit := h.limiter.Limit(); !fb.sent.IsZero() && limit != rate.Inf && limit > 0 {
		h.nextAt = maxTime(h.nextAt, fb.sent.Add(time.Duration(float64(time.Second)/float64(limit))))
	}
	switch {
	case fb.failed:
		f.failed(h, fb)
	case fb.answered:
		h.errStreak, h.failedURLs = 0, 0
	}
	if fb.again != nil {
		if h.parked {
			f.skips = append(f.skips, skipTask(*fb.again))
		} else {
			h.retry = append(h.retry, *fb.again)
		}
	}
	f.schedule(h)
}

// complete reports whether nothing is queued anywhere. Only meaningful with no leases out.
func (f *frontier) complete() (bool, error) {
	if len(f.skips) > 0 {
		return false, nil
	}
	for _, h := range f.hosts {
		if len(h.buf) > 0 || h.more || len(h.retry) > 0 {
			return false, nil
		}
	}
	empty, err := f.db.FrontierEmpty()
	if err != nil {
		return false, err
	}
	if !empty {
		// Entries of hosts not in memory: go and find them.
		f.unloaded, f.scanAfter = true, ""
	}
	return empty, nil
}

// budgetSpent reports whether --max-pages allows no more leases now.
func (f *frontier) budgetSpent() bool {
	return f.cfg.MaxPages > 0 && f.fetched+len(f.leased) >= f.cfg.MaxPages
}

// loadHosts brings hosts with queued URLs into memory, continuing the previous scan and
// wrapping around once, and returns how many it activated.
func (f *frontier) loadHosts(now time.Time) (int, error) {
	if len(f.hosts) >= f.cfg.MaxActiveHosts {
		for _, h := range f.hosts {
			f.evict(h, now)
		}
	}
	room := f.cfg.MaxActiveHosts - len(f.hosts)
	activated := 0
	for pass := 0; pass < 2 && room > 0; pass++ {
		hosts, err := f.db.FrontierHosts(f.scanAfter, room)
		if err != nil {
			return activated, fmt.Errorf("frontier: %w", err)
		}
		for _, host := range hosts {
			f.scanAfter = host
			h, ok := f.hosts[host]
			if !ok {
				h = f.activate(host)
				room--
			} else if h.more || len(h.buf) > 0 {
				continue
			}
			// A known host with entries on disk: read them again from its start (ids
			// already leased are skipped when reading).
			h.more, h.lastID = true, 0
			f.schedule(h)
			activated++
		}
		if room == 0 {
			return activated, nil // the scan stopped for lack of room: there may be more
		}
		f.scanAfter = ""
	}
	f.unloaded = false
	return activated, nil
}

func (f *frontier) activate(host string) *hostQueue {
	// The key may be part of a larger string (a page's links share one): a copy keeps only
	// the host alive as long as the queue.
	host = strings.Clone(host)
	h := &hostQueue{key: host, more: true, limiter: rate.NewLimiter(f.cfg.hostLimit(), 1), index: -1}
	f.hosts[host] = h
	return h
}

// evict forgets a host that has nothing buffered and nothing in flight, once its rate limit
// would allow a request anyway, so that forgetting its limiter cannot let a request through early.
func (f *frontier) evict(h *hostQueue, now time.Time) {
	if len(h.buf) > 0 || h.more || h.inflight > 0 || h.index >= 0 || h.nextAt.After(now) || len(h.retry) > 0 || h.parked {
		return
	}
	delete(f.hosts, h.key)
}

func (f *frontier) refill(h *hostQueue) error {
	if !h.more {
		return nil
	}
	entries, err := f.db.FrontierNext(h.key, h.lastID, hostWindow, func(id uint64) bool {
		_, leased := f.leased[id]
		_, promoted := f.promoted[id]
		return leased || promoted
	})
	if err != nil {
		return fmt.Errorf("frontier: host %s: %w", h.key, err)
	}
	h.more = len(entries) == hostWindow
	if len(entries) > 0 {
		h.lastID = entries[len(entries)-1].ID
	}
	h.buf = append(h.buf, entries...)
	return nil
}

// schedule puts h in the ready heap if it has or may have work and room for another fetch.
// A parked host goes to the draining list instead.
func (f *frontier) schedule(h *hostQueue) {
	if h.parked {
		if h.more && !h.draining {
			h.draining = true
			f.draining = append(f.draining, h)
		}
		return
	}
	if h.index >= 0 {
		heap.Fix(&f.ready, h.index)
		return
	}
	if (len(h.buf) > 0 || h.more || len(h.retry) > 0) && h.inflight < f.cfg.HostConcurrency {
		heap.Push(&f.ready, h)
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// hostHeap orders hosts by the time they may be fetched next.
type hostHeap []*hostQueue

func (q hostHeap) Len() int           { return len(q) }
func (q hostHeap) Less(i, j int) bool { return q[i].nextAt.Before(q[j].nextAt) }
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
