package crawler

import (
	"container/heap"
	"slices"
	"time"

	"github.com/crawl-project/crawl"
)

// A failing host is held back, then parked. These are the frontier's methods for it.

// failuresToHoldHost is how many failed answers in a row hold a host back although each
// failed on its own (a 500 here and there is the page's trouble; a run of them, the host's).
const failuresToHoldHost = 3

// brokenPagesPerHostError is how many more pages that fail on their own (a 500) it takes to
// park a host than failures of the host itself: a server that answers gets more rope, since
// the URLs left at the end of a crawl are often the broken ones nobody else links to, while
// an application down behind a live server still shows within a few dozen.
const brokenPagesPerHostError = 4

// failed holds back what failed. A URL that failed on its own (a 5xx other than 503) waits
// for its retry alone, its wait growing with its tries, while the host goes on with its other
// URLs, fresh ones first; once failuresToHoldHost answers in a row have failed, each further
// failure holds the host back for one backoff too, so a host answering mostly failures slows
// down. A failure of the host itself (no answer, 429, 503, robots.txt unreachable) holds the
// whole host back: for the server's Retry-After, else for an exponential backoff that grows
// with the failures in a row.
//
// A host is parked when MaxHostErrors different URLs failed in a row through failures of the
// host, or brokenPagesPerHostError times as many through failures of their own. Retries of a
// URL that failed already do not add to that count, so that a few bad URLs of a host that
// answers the rest cannot park it, while a host that fails everywhere is given up after
// about MaxHostErrors requests.
func (f *frontier) failed(h *hostQueue, fb hostFeedback) {
	h.errStreak++
	now := time.Now()
	var wait time.Duration
	switch {
	case fb.outcome == hostFailed && fb.hasRetryAfter:
		wait = min(fb.retryAfter, f.cfg.MaxBackoff)
		f.stats.polite.retryAfters.Add(1)
	case fb.outcome == hostFailed:
		wait = backoff(f.cfg.Backoff, f.cfg.MaxBackoff, h.errStreak, f.rnd)
	case h.errStreak >= failuresToHoldHost:
		wait = backoff(f.cfg.Backoff, f.cfg.MaxBackoff, 1, f.rnd)
	}
	if fb.outcome == urlFailed && fb.again != nil {
		fb.again.notBefore = now.Add(backoff(f.cfg.Backoff, f.cfg.MaxBackoff, fb.again.tries, f.rnd))
	}
	if wait > 0 {
		f.stats.polite.backoffs.Add(1)
		h.nextAt = maxTime(h.nextAt, now.Add(wait))
		f.log.Debug("frontier: host backed off", "host", h.key, "streak", h.errStreak, "wait", wait)
	}
	if !fb.retried {
		if fb.outcome == hostFailed {
			h.failedURLs += brokenPagesPerHostError
		} else {
			h.failedURLs++
		}
	}
	if limit := f.cfg.MaxHostErrors * brokenPagesPerHostError; limit > 0 && h.failedURLs >= limit && !h.parked {
		f.park(h)
	}
}

// park gives up on a host for the rest of the run: every URL it has queued, in memory or on
// disk, and every lease of it handed back, is passed on to be recorded as skipped. Its
// fetches in flight finish normally. A parked host stays in memory, so that URLs found for
// it later are skipped too.
func (f *frontier) park(h *hostQueue) {
	h.parked = true
	f.stats.polite.parked.Add(1)
	f.log.Warn("host parked: too many consecutive failures; its remaining URLs are skipped",
		"host", h.key, "failed_attempts", h.errStreak)
	if h.index >= 0 {
		heap.Remove(&f.ready, h.index)
	}
	for _, t := range h.retry {
		f.skips = append(f.skips, skipTask(t))
	}
	h.retry = nil
	f.skipBuffered(h)
	f.schedule(h)
}

func skipTask(t task) task {
	return task{Entry: t.Entry, skip: crawl.ReasonHostUnreachable}
}

// skipBuffered leases h's buffered entries as skip tasks.
func (f *frontier) skipBuffered(h *hostQueue) {
	for _, e := range h.buf {
		f.lease(h, e)
		f.skips = append(f.skips, task{Entry: e, skip: crawl.ReasonHostUnreachable})
	}
	h.buf = nil
}

// drain reads the queues of parked hosts from disk into skips, a window at a time, when the
// skips handed out so far are gone.
func (f *frontier) drain() error {
	for len(f.skips) == 0 && len(f.draining) > 0 {
		h := f.draining[0]
		if err := f.refill(h); err != nil {
			return err
		}
		f.skipBuffered(h)
		if !h.more {
			h.draining = false
			f.draining = f.draining[1:]
		}
	}
	return nil
}

func (f *frontier) noteCommit(n commitNote) {
	for _, id := range n.released {
		f.endLease(id)
	}
	f.attempts += n.attempts
	for host := range n.hostsWithNew {
		if h, ok := f.hosts[host]; ok {
			h.more = true
			if n.requeued[host] {
				h.lastID = 0 // read from the start; leased ids are skipped, buffered ones stay in buf
			}
			f.schedule(h)
			continue
		}
		switch {
		case !f.ownsHost(host):
			// A URL sent for a shard this node is taking over: the scan at GainShards finds it.
		case len(f.hosts) < f.cfg.MaxActiveHosts:
			f.schedule(f.activate(host))
		default:
			f.unloaded = true
		}
	}
	f.promote(n.redirected)
	if f.own != nil {
		f.own.noted(f, n)
	}
}

// promote puts redirect targets just queued at the head of their host's queue: a redirect is
// the page the crawl asked for, moved, and its chain is best followed while it is fresh. A
// host not in memory, or parked, reads them from disk in their turn.
func (f *frontier) promote(entries []crawl.Entry) {
	for _, e := range entries {
		h, ok := f.hosts[e.Host]
		if _, leased := f.leased[e.ID]; !ok || h.parked || leased || !f.owns(h) {
			continue // leased: read from disk and handed out before this note came
		}
		if i := slices.IndexFunc(h.buf, func(b crawl.Entry) bool { return b.ID == e.ID }); i >= 0 {
			h.buf = slices.Delete(h.buf, i, i+1) // read from disk already: moved, not repeated
		} else {
			f.promoted[e.ID] = struct{}{}
		}
		h.buf = slices.Insert(h.buf, 0, e)
		f.schedule(h)
	}
}
