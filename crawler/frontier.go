package crawler

import (
	"container/heap"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"golang.org/x/time/rate"

	"github.com/crawl-project/crawl/store"
)

// task is one leased URL on its way through the pipeline.
type task struct {
	store.Entry
	url *url.URL
}

// hostFeedback tells the frontier that a fetch for a host finished, and how the host behaved.
type hostFeedback struct {
	host string
	// notBefore, when set, holds the host back until then (Retry-After, backoff, Crawl-delay).
	notBefore time.Time
	// minInterval, when set, is a lower bound on the spacing of this host's requests (Crawl-delay).
	minInterval time.Duration
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
		unloaded: true,
		fetched:  fetchedBefore,
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
		var wake <-chan time.Time
		if outOpen {
			now := time.Now()
			h, err := f.peek(now)
			if err != nil {
				return err
			}
			switch {
			case h != nil && !h.nextAt.After(now):
				next = task{Entry: h.buf[0]}
				u, err := url.Parse(next.URL)
				if err != nil {
					return fmt.Errorf("frontier entry %d %q: %w", next.ID, next.URL, err)
				}
				next.url = u
				send = out
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
			f.handOut(time.Now())
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
		return nil, nil
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
		if len(h.buf) == 0 {
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

// handOut leases the first entry of the top host.
func (f *frontier) handOut(now time.Time) {
	h := f.ready[0]
	e := h.buf[0]
	h.buf = h.buf[1:]
	f.leased[e.ID] = struct{}{}
	f.stats.leased.Add(1)
	h.inflight++
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

func (f *frontier) release(fb hostFeedback) {
	h, ok := f.hosts[fb.host]
	if !ok {
		return
	}
	h.inflight--
	if fb.minInterval > 0 && rate.Every(fb.minInterval) < h.limiter.Limit() {
		h.limiter.SetLimit(rate.Every(fb.minInterval))
	}
	h.nextAt = maxTime(h.nextAt, fb.notBefore)
	if limit := h.limiter.Limit(); !fb.sent.IsZero() && limit != rate.Inf && limit > 0 {
		h.nextAt = maxTime(h.nextAt, fb.sent.Add(time.Duration(float64(time.Second)/float64(limit))))
	}
	f.schedule(h)
}

func (f *frontier) noteCommit(n commitNote) {
	for _, id := range n.released {
		delete(f.leased, id)
	}
	f.fetched += n.fetched
	for host := range n.hostsWithNew {
		if h, ok := f.hosts[host]; ok {
			h.more = true
			if n.requeued[host] {
				h.lastID = 0 // read from the start; leased ids are skipped, buffered ones stay in buf
			}
			f.schedule(h)
			continue
		}
		if len(f.hosts) < f.cfg.MaxActiveHosts {
			f.schedule(f.activate(host))
		} else {
			f.unloaded = true
		}
	}
}

// complete reports whether nothing is queued anywhere. Only meaningful with no leases out.
func (f *frontier) complete() (bool, error) {
	for _, h := range f.hosts {
		if len(h.buf) > 0 || h.more {
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
	limit := rate.Inf
	if f.cfg.HostRate > 0 {
		limit = rate.Limit(f.cfg.HostRate)
	}
	h := &hostQueue{key: host, more: true, limiter: rate.NewLimiter(limit, 1), index: -1}
	f.hosts[host] = h
	return h
}

// evict forgets a host that has nothing buffered and nothing in flight, once its rate limit
// would allow a request anyway, so that forgetting its limiter cannot let a request through early.
func (f *frontier) evict(h *hostQueue, now time.Time) {
	if len(h.buf) > 0 || h.more || h.inflight > 0 || h.index >= 0 || h.nextAt.After(now) {
		return
	}
	delete(f.hosts, h.key)
}

func (f *frontier) refill(h *hostQueue) error {
	if !h.more {
		return nil
	}
	entries, err := f.db.FrontierNext(h.key, h.lastID, hostWindow, func(id uint64) bool {
		_, ok := f.leased[id]
		return ok
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
func (f *frontier) schedule(h *hostQueue) {
	if h.index >= 0 {
		heap.Fix(&f.ready, h.index)
		return
	}
	if (len(h.buf) > 0 || h.more) && h.inflight < f.cfg.HostConcurrency {
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
