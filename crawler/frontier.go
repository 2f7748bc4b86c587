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

	"github.com/crawl-project/crawl"
)

// FrontierStore is the stored frontier as the frontier reads it: the URLs queued for
// fetching, by host. The frontier only reads it; URLs enter and leave it through the
// writer's commits (see Committer), which run at the same time on another goroutine, so an
// implementation must be safe for that. A read sees every commit that returned before it
// began, and each call sees one consistent state. *store.DB is the crawl's; a cluster's
// frontier or a test's fake plugs in here.
type FrontierStore interface {
	// FrontierHosts returns up to limit distinct hosts that have queued URLs, in ascending
	// byte order of the host key, starting after the host after ("" for the first). The
	// frontier loads hosts a window at a time with it and wraps around at the end, so its
	// cost should grow with the hosts returned, not with the URLs queued.
	FrontierHosts(after string, limit int) ([]string, error)
	// FrontierNext returns up to limit queued URLs of host with ids above afterID, in
	// ascending id order (the order they were queued in, except URLs queued again, which keep
	// their earlier id: see crawl.CommitStats.HostsRequeued). It leaves out the ids for which
	// skip returns true (URLs already handed out), and returns fewer than limit only when no
	// more are queued above the last one returned. skip is called on the caller's goroutine,
	// during the call only.
	FrontierNext(host string, afterID uint64, limit int, skip func(id uint64) bool) ([]crawl.Entry, error)
	// FrontierEmpty reports whether no URL is queued at all.
	FrontierEmpty() (bool, error)
}

// task is one leased URL on its way through the pipeline.
type task struct {
	crawl.Entry
	tries int // earlier tries of this lease that failed
	// retrying: the task was handed back after a failed try, so handing it out is a retry.
	retrying bool
	// skip, when set, is the reason the URL is recorded as skipped without being fetched
	// (its host was parked). Skip tasks take no turn of their host: no feedback comes back.
	skip string
	// notBefore is when a lease handed back after a failure of its own may be tried again.
	notBefore time.Time
	// checkGET: the URL is a check whose HEAD was refused; it is checked with a GET.
	checkGET bool
}

// outcome is what a finished fetch says about its host.
type outcome uint8

const (
	// unknown: nothing about the host (cancelled, or refused before any request was sent).
	unknown outcome = iota
	// answered: the host answered; its failure streaks end.
	answered
	// urlFailed: the page failed (a 5xx other than 503). Its retry waits, the host goes on,
	// unless its answers keep failing (see failuresToHoldHost).
	urlFailed
	// hostFailed: the host is in trouble (no answer, 429, 503, robots.txt unreachable). The
	// whole host is held back: for Retry-After, else for an exponential backoff.
	hostFailed
)

// hostFeedback tells the frontier that a fetch for a host finished, and how the host behaved.
type hostFeedback struct {
	host string
	// notBefore, when set, holds the host back until then.
	notBefore time.Time
	// minInterval, when set, is a lower bound on the spacing of this host's requests (Crawl-delay).
	minInterval time.Duration
	// outcome says how the host behaved: a failure holds back the URL or the host, a long
	// enough streak of failures parks it, an answer ends the streak.
	outcome outcome
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
	attempts     int             // how many of them were fetch attempts: what --max-pages counts
	hostsWithNew map[string]int  // hosts that got new frontier entries
	requeued     map[string]bool // hosts whose new entries may sort before those already read
	redirected   []crawl.Entry   // redirect targets among the new entries: handed out first
	// engine: the note of an engine operation (URLs sent by other nodes), not of results.
	engine bool
}

// frontier hands out URLs host by host: whichever host may be fetched soonest, within its
// rate and concurrency limits. It is the only goroutine that touches its state.
type frontier struct {
	db     FrontierStore
	cfg    *Config
	stats  *Stats
	log    *slog.Logger
	hosts  map[string]*hostQueue
	ready  hostHeap
	leased map[uint64]leaseOf // every URL leased and not yet recorded
	// leasedChecks counts the checks among leased: they are not fetch attempts, so they do
	// not count against --max-pages.
	leasedChecks int
	// promoted are entries put at the head of their host's queue before their turn on disk
	// (redirect targets): reading the disk skips them, as it skips leased ones.
	promoted map[uint64]struct{}

	skips    []task       // leased entries of parked hosts, passed on to be recorded as skipped
	draining []*hostQueue // parked hosts whose entries on disk are still to be read into skips
	rnd      func() float64

	unloaded  bool   // the disk may hold hosts not in hosts
	scanAfter string // where the next scan for unloaded hosts starts
	attempts  int    // fetch attempts counted against MaxPages, including earlier runs

	// own is the node's part of a crawl shared by many machines (nil for a crawl on one):
	// the shards whose hosts it may fetch, and the page budget it drew. calls are the
	// engine's requests, run on the frontier's goroutine (nil: none come).
	own   *ownership
	calls chan func(*frontier)
	ended chan struct{} // closed when run returns: calls are answered no more
}

const (
	hostWindow = 32 // entries read from disk per host at a time
)

func newFrontier(db FrontierStore, cfg *Config, stats *Stats, log *slog.Logger, attemptsBefore int) *frontier {
	return &frontier{
		db:       db,
		stats:    stats,
		cfg:      cfg,
		log:      log,
		hosts:    make(map[string]*hostQueue),
		leased:   make(map[uint64]leaseOf),
		promoted: make(map[uint64]struct{}),
		unloaded: true,
		attempts: attemptsBefore,
		rnd:      rand.Float64,
		ended:    make(chan struct{}),
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
	defer func() {
		if f.own != nil {
			f.own.endDrops(f)
		}
		close(f.ended)
	}()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()

	clock := f.stats.stages.clock(stageFrontier)
	woke := time.Now()
	for {
		var send chan<- task
		var next task
		var from *hostQueue // the host next comes from
		var fromRetry bool  // next is a lease handed back, not a queued entry
		var wake, redraw <-chan time.Time
		if f.own != nil {
			redraw = f.own.budgetWake(f)
		}
		if outOpen {
			now := time.Now()
			if err := f.drain(); err != nil {
				return err
			}
			var h *hostQueue
			var at time.Time // when h has something to hand out
			if len(f.skips) == 0 {
				var err error
				if h, at, err = f.peek(now); err != nil {
					return err
				}
			}
			switch {
			case len(f.skips) > 0:
				next, send = f.skips[0], out
			case h != nil && !at.After(now):
				next, fromRetry = h.next(f.budgetSpent(), now)
				from, send = h, out
			case h != nil:
				timer.Reset(at.Sub(now))
				wake = timer.C
			case f.own != nil:
				// A node of a cluster crawl with nothing to hand out waits for URLs and shards
				// from the engine, whose done detection ends the crawl (see crawler/cluster).
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
					continue
				}
				if f.unloaded {
					continue // hosts on disk to load
				}
				// Queued URLs wait for their hosts to come free: a host's feedback can come
				// after the note that ended its lease, so wait for it rather than spin.
			}
		}
		clock.busy.Add(int64(time.Since(woke)))
		select {
		case send <- next:
			if next.skip != "" {
				f.skips = f.skips[1:]
			} else {
				f.handOut(from, fromRetry, time.Now())
			}
		case fb := <-feedback:
			f.release(fb)
		case n, ok := <-notes:
			if !ok {
				return nil // the writer has finished: nothing more can come back
			}
			f.noteCommit(n)
		case <-wake:
		case <-redraw:
		case call := <-f.calls:
			call(f)
		case <-stop:
			stop = nil
			closeOut()
		case <-ctx.Done():
			return ctx.Err()
		}
		woke = time.Now()
	}
}

// peek returns the host that may be fetched soonest and when it has something to hand out,
// refilling back queues from disk, or nil when no host has work that may be handed out now
// or later.
func (f *frontier) peek(now time.Time) (*hostQueue, time.Time, error) {
	if f.budgetSpent() {
		h := f.peekRetry()
		if h == nil {
			return nil, time.Time{}, nil
		}
		return h, maxTime(h.nextAt, h.retry[0].notBefore), nil
	}
	for {
		if len(f.ready) == 0 {
			if !f.unloaded {
				return nil, time.Time{}, nil
			}
			n, err := f.loadHosts(now)
			if err != nil {
				return nil, time.Time{}, err
			}
			if n == 0 {
				return nil, time.Time{}, nil
			}
			continue
		}
		h := f.ready[0]
		if len(h.buf) == 0 && (len(h.retry) == 0 || h.more) {
			// Read ahead while the host's queue on disk may hold entries: after a failure
			// fresh URLs go before retries, and a retry waiting for its time holds back none.
			if err := f.refill(h); err != nil {
				return nil, time.Time{}, err
			}
			if len(h.buf) == 0 && len(h.retry) == 0 {
				heap.Pop(&f.ready)
				f.evict(h, now)
				continue
			}
			heap.Fix(&f.ready, 0) // its time may be a waiting retry's now
			if f.ready[0] != h {
				continue
			}
		}
		return h, h.wakeAt(), nil
	}
}

// peekRetry returns, while --max-pages allows no new lease, the host holding a lease handed
// back that may go soonest: such a lease holds its place in the budget already. The ready
// heap is scanned: this happens only at the end of a budgeted crawl.
func (f *frontier) peekRetry() *hostQueue {
	var best *hostQueue
	var bestAt time.Time
	for _, h := range f.ready {
		if len(h.retry) == 0 {
			continue
		}
		if at := maxTime(h.nextAt, h.retry[0].notBefore); best == nil || at.Before(bestAt) {
			best, bestAt = h, at
		}
	}
	return best
}

// handOut leases the first entry of h, a host in the ready heap, or hands out its first
// lease handed back (fromRetry), as next chose.
func (f *frontier) handOut(h *hostQueue, fromRetry bool, now time.Time) {
	if fromRetry {
		if h.retry[0].retrying {
			f.stats.countRetry()
		}
		h.retry = h.retry[1:]
	} else {
		e := h.buf[0]
		h.buf = h.buf[1:]
		f.lease(h, e)
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

// leaseOf is what the frontier keeps of a lease: its host's shard (a cluster node drops a
// shard only once none of its hosts' leases is out) and whether it is a check.
type leaseOf struct {
	shard int
	check bool
}

// lease leases e, an entry of h.
func (f *frontier) lease(h *hostQueue, e crawl.Entry) {
	delete(f.promoted, e.ID)
	f.leased[e.ID] = leaseOf{shard: h.shard, check: e.Check}
	if e.Check {
		f.leasedChecks++
	}
	f.stats.leased.Add(1)
}

// endLease ends a lease once its result is committed.
func (f *frontier) endLease(id uint64) {
	if l, ok := f.leased[id]; ok {
		if l.check {
			f.leasedChecks--
		}
		delete(f.leased, id)
	}
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
	switch fb.outcome {
	case urlFailed, hostFailed:
		f.failed(h, fb)
	case answered:
		h.errStreak, h.failedURLs = 0, 0
	}
	if fb.again != nil {
		switch {
		case !f.owns(h):
			// Its shard moved while it was fetched: the lease ends unrecorded, and the URL,
			// still pending in the database, is the new owner's (see DropShards).
			f.endLease(fb.again.ID)
		case h.parked:
			f.skips = append(f.skips, skipTask(*fb.again))
		default:
			h.addRetry(*fb.again)
		}
	}
	f.schedule(h)
	if f.own != nil {
		f.own.checkDrops(f)
	}
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

// budgetSpent reports whether --max-pages allows no more leases now. In a cluster crawl the
// limit is the node's grant from the cluster-wide budget. Checks are not pages: they do not
// count, but once the budget is spent the crawl ends with the checks still queued, as it
// does with pages.
func (f *frontier) budgetSpent() bool {
	pages := f.attempts + f.pagesLeased()
	if f.own != nil && f.own.budget != nil {
		return pages >= f.own.budget.granted
	}
	return f.cfg.MaxPages > 0 && pages >= f.cfg.MaxPages
}

// pagesLeased is how many leases out are pages, which the page budget counts; checks are not.
func (f *frontier) pagesLeased() int { return len(f.leased) - f.leasedChecks }

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
	for pass := 0; pass < 2 && room > 0; {
		asked := room
		hosts, err := f.db.FrontierHosts(f.scanAfter, asked)
		if err != nil {
			return activated, fmt.Errorf("frontier: %w", err)
		}
		for _, host := range hosts {
			f.scanAfter = host
			h, ok := f.hosts[host]
			switch {
			case !ok && !f.ownsHost(host):
				continue // a host of a shard another node owns: its entries wait for it
			case !ok:
				h = f.activate(host)
				room--
			case h.more || len(h.buf) > 0 || !f.owns(h):
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
		if len(hosts) == asked {
			continue // hosts known or skipped filled the answer: the scan goes on from there
		}
		f.scanAfter = ""
		pass++
	}
	f.unloaded = false
	return activated, nil
}

func (f *frontier) activate(host string) *hostQueue {
	// The key may be part of a larger string (a page's links share one): a copy keeps only
	// the host alive as long as the queue.
	host = strings.Clone(host)
	h := &hostQueue{key: host, more: true, limiter: rate.NewLimiter(f.cfg.hostLimit(), 1), index: -1}
	if f.own != nil {
		h.shard = f.own.shardOf(host)
		h.nextAt = f.own.owned[h.shard] // the previous owner's hold, if any
	}
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
	if !f.owns(h) {
		return // its shard is another node's now
	}
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
