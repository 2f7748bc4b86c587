package crawler

import (
	"container/heap"
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"time"

	"github.com/crawl-project/crawl/crawler/cluster"
)

// A node of a crawl shared by many machines fetches only the hosts of the shards it owns
// (see crawler/cluster). These are the frontier's methods for that: the engine gives it
// shards (gain), takes them back (drop, which waits until their fetches are recorded and says
// how long their hosts must still be left alone), and asks how busy the node is (progress).
// They run on the frontier's goroutine, sent through frontier.calls.

// errFrontierEnded: the pipeline has stopped, so the frontier answers no more calls.
var errFrontierEnded = errors.New("crawler: the frontier has stopped")

// ownership is the frontier's state in a cluster crawl.
type ownership struct {
	shardOf func(host string) int
	owned   map[int]time.Time // shard -> when its hosts may first be requested
	drops   []*shardDrop      // drops waiting for their shards' fetches to be recorded
	// unnoted counts the writer's commits of engine operations whose note the frontier has
	// not taken yet: their URLs may be queued without showing in its queues.
	unnoted *atomic.Int64
	budget  *pageGrant // the node's share of a cluster-wide --max-pages; nil without one
}

type shardDrop struct {
	shards map[int]bool
	reply  chan time.Duration // the hold, once nothing of the shards is in flight
}

func newOwnership(shardOf func(string) int, unnoted *atomic.Int64) *ownership {
	return &ownership{shardOf: shardOf, owned: map[int]time.Time{}, unnoted: unnoted}
}

// owns reports whether the node may fetch h now: always, in a crawl on one machine.
func (f *frontier) owns(h *hostQueue) bool {
	if f.own == nil {
		return true
	}
	_, ok := f.own.owned[h.shard]
	return ok
}

// ownsHost is owns for a host not in memory.
func (f *frontier) ownsHost(host string) bool {
	if f.own == nil {
		return true
	}
	_, ok := f.own.owned[f.own.shardOf(host)]
	return ok
}

// unlease ends a lease without a record: its URL stays pending in the database.
func (f *frontier) unlease(id uint64) {
	if _, ok := f.leased[id]; ok {
		f.endLease(id)
		f.stats.leased.Add(-1)
	}
}

// gain lets the frontier hand out the hosts of shards, none before notBefore.
func (f *frontier) gain(shards []int, notBefore time.Time) {
	set := make(map[int]bool, len(shards))
	for _, s := range shards {
		f.own.owned[s] = notBefore
		set[s] = true
	}
	for _, h := range f.hosts {
		if set[h.shard] {
			h.nextAt = maxTime(h.nextAt, notBefore)
			h.more, h.lastID = true, 0
			f.schedule(h)
		}
	}
	// Their URLs are on disk (rebuilt from the engine, or kept from an earlier run): look
	// for their hosts.
	f.unloaded, f.scanAfter = true, ""
}

// drop stops handing out the hosts of shards at once and answers reply once none of their
// fetches is in flight and every result of them is committed.
func (f *frontier) drop(shards []int, reply chan time.Duration) {
	set := make(map[int]bool, len(shards))
	for _, s := range shards {
		delete(f.own.owned, s)
		set[s] = true
	}
	for _, h := range f.hosts {
		if !set[h.shard] {
			continue
		}
		if h.index >= 0 {
			heap.Remove(&f.ready, h.index)
		}
		for _, e := range h.buf {
			delete(f.promoted, e.ID)
		}
		// Leases handed back (retries) end here: their URLs are pending on disk.
		for _, t := range h.retry {
			f.unlease(t.ID)
		}
		h.buf, h.retry, h.more, h.draining = nil, nil, false, false
	}
	f.skips = slices.DeleteFunc(f.skips, func(t task) bool {
		if set[f.own.shardOf(t.Host)] {
			f.unlease(t.ID)
			return true
		}
		return false
	})
	f.draining = slices.DeleteFunc(f.draining, func(h *hostQueue) bool { return set[h.shard] })
	f.own.drops = append(f.own.drops, &shardDrop{shards: set, reply: reply})
	f.own.checkDrops(f)
}

// checkDrops answers the drops whose shards have nothing in flight any more: no lease (a
// lease ends when its result is committed) and no fetch whose feedback has not come back
// (it may move the host's next allowed time). The hold is how long the node would still
// have waited before its next request to any host of them.
func (o *ownership) checkDrops(f *frontier) {
	if len(o.drops) == 0 {
		return
	}
	busy := map[int]bool{}
	for _, l := range f.leased {
		busy[l.shard] = true
	}
	for _, h := range f.hosts {
		if h.inflight > 0 {
			busy[h.shard] = true
		}
	}
	now := time.Now()
	o.drops = slices.DeleteFunc(o.drops, func(d *shardDrop) bool {
		for s := range d.shards {
			if busy[s] {
				return false
			}
		}
		d.reply <- f.forget(d.shards, now)
		return true
	})
}

// forget removes the hosts of shards from memory and returns the longest any of them must
// still wait, from now.
func (f *frontier) forget(shards map[int]bool, now time.Time) time.Duration {
	var hold time.Duration
	for key, h := range f.hosts {
		if shards[h.shard] {
			hold = max(hold, f.nextTime(h, now).Sub(now))
			delete(f.hosts, key)
		}
	}
	return hold
}

// endDrops answers the drops still waiting when the frontier returns: the pipeline has
// drained (or was abandoned, and what it held stays pending in the database).
func (o *ownership) endDrops(f *frontier) {
	now := time.Now()
	for _, d := range o.drops {
		d.reply <- f.forget(d.shards, now)
	}
	o.drops = nil
}

// noted takes what a commit note means for ownership: an engine operation's note has
// arrived, and leases ended may complete a drop.
func (o *ownership) noted(f *frontier, n commitNote) {
	if n.engine {
		o.unnoted.Add(-1)
	}
	o.checkDrops(f)
}

// progress is the node's activity as the engine's done detection and status read it.
// Pending counts the URLs read into the owned hosts' queues, one for each owned host whose
// queue on disk is not read to its end and one while the frontier may not know every host
// with queued URLs: a lower bound, zero exactly when no URL of an owned shard is queued.
func (f *frontier) progress() cluster.Progress {
	p := cluster.Progress{InFlight: len(f.leased), Fetched: uint64(f.attempts)}
	for _, h := range f.hosts {
		if !f.owns(h) {
			continue
		}
		p.Pending += len(h.buf)
		if h.more {
			p.Pending++
		}
	}
	if f.unloaded || f.own.unnoted.Load() > 0 {
		p.Pending++
	}
	p.BudgetSpent = f.own.budget != nil && f.own.budget.exhausted && f.budgetSpent()
	return p
}

// do runs fn on the frontier's goroutine and returns once it has run: false if the frontier
// has ended or ctx is done first.
func (f *frontier) do(ctx context.Context, fn func(*frontier)) bool {
	ran := make(chan struct{})
	select {
	case f.calls <- func(f *frontier) { fn(f); close(ran) }:
		<-ran // taken by the frontier's loop, which runs it at once
		return true
	case <-f.ended:
		return false
	case <-ctx.Done():
		return false
	}
}
