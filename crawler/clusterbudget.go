package crawler

import (
	"context"
	"log/slog"
	"math"
	"time"

	"github.com/crawl-project/crawl/crawler/cluster"
)

// In a cluster crawl, --max-pages is one budget for every node: each draws allowances from
// the engine (cluster.Node.DrawPages) a few leases ahead of need, and leases while its fetch
// attempts and leases stay under what it was granted. The frontier asks; a goroutine of its
// own draws, so that the frontier never waits on the engine.

// budgetRetry is how long a node waits before drawing again after a draw that gave nothing
// (the budget is spent, for now: a lost node's allowance may come back) or failed.
const budgetRetry = time.Second

// pageGrant is the node's share of the budget, kept by the frontier.
type pageGrant struct {
	granted int
	chunk   int  // how many leases ahead of its attempts a draw asks for
	asking  bool // a draw is on its way
	// exhausted: the last draw gave nothing more. Once the grant is used up too, what is
	// queued waits (and the engine's done detection counts the node idle).
	exhausted bool
	retryAt   time.Time // no draw before then
	timer     *time.Timer
	asks      chan pageAsk
}

// pageAsk is a draw the frontier asks for: its fetch attempts over all runs, and how many
// more it wants to hold.
type pageAsk struct{ fetched, want int }

func newPageGrant(workers int) *pageGrant {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &pageGrant{chunk: max(2*workers, 16), timer: t, asks: make(chan pageAsk, 1)}
}

// budgetWake asks for a draw when the grant runs low and there may be URLs to fetch, and
// returns the channel that wakes the frontier when it may ask again (nil when none).
func (o *ownership) budgetWake(f *frontier) <-chan time.Time {
	b := o.budget
	if b == nil || b.asking {
		return nil
	}
	used := f.attempts + f.pagesLeased()
	if used+b.chunk/2 < b.granted || (len(f.ready) == 0 && !f.unloaded) {
		return nil // enough in hand, or nothing to fetch
	}
	if wait := time.Until(b.retryAt); wait > 0 {
		b.timer.Reset(wait)
		return b.timer.C
	}
	select {
	case b.asks <- pageAsk{fetched: f.attempts, want: f.pagesLeased() + b.chunk}:
		b.asking = true
	default: // the drawer holds an ask already
	}
	return nil
}

// take records the result of a draw: the node's grant over all its runs.
func (b *pageGrant) take(f *frontier, grant int, failed bool) {
	b.asking = false
	grew := grant > b.granted
	b.granted = max(b.granted, grant)
	b.exhausted = !grew && !failed
	if !grew {
		b.retryAt = time.Now().Add(budgetRetry)
	}
}

// pageDrawer draws allowances from the cluster-wide budget: *cluster.Node.
type pageDrawer interface {
	DrawPages(ctx context.Context, limit, fetched uint64, want int) (uint64, error)
}

var _ pageDrawer = (*cluster.Node)(nil)

// drawPages draws from the cluster-wide budget what the frontier asks for, until ctx ends.
func drawPages(ctx context.Context, node pageDrawer, limit int, f *frontier, log *slog.Logger) {
	b := f.own.budget
	for {
		var a pageAsk
		select {
		case a = <-b.asks:
		case <-ctx.Done():
			return
		}
		grant, err := node.DrawPages(ctx, uint64(limit), uint64(a.fetched), a.want)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Warn("cluster: page budget", "err", err)
		}
		g := int(min(grant, math.MaxInt))
		if !f.do(ctx, func(f *frontier) { b.take(f, g, err != nil) }) {
			return
		}
	}
}
