package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

// BodyBudget bounds the bytes of response bodies held in memory at once, whatever the
// workers meet: pages of --max-body each, gzip bombs cut at --max-body. A body takes its part
// when it grows past FreeBody bytes and keeps it until its Response is released; the
// crawler releases it once the page is parsed, so the budget covers bodies being read and
// bodies waiting for a parser. A fetch that would exceed it waits for room.
//
// A fetch takes its part in one step, holding no other part while it waits: a body of known
// length takes that length; one of unknown length (compressed, chunked) takes MaxBody when
// it grows past FreeBody, and gives back what it did not use once read. Waiting while
// holding nothing is what keeps fetches from holding parts of the budget while waiting for
// each other's.
type BodyBudget struct {
	sem   *semaphore.Weighted
	size  int64
	inUse atomic.Int64
	peak  atomic.Int64
}

// FreeBody is the size up to which a body takes nothing from the budget: most pages are
// smaller, and the bodies held this way are bounded by the fetches, and parses, that can be
// in progress at once.
const FreeBody = 256 << 10

// NewBodyBudget returns a budget of size bytes. It must hold the largest body a fetch keeps
// (Config.MaxBody), or such a body could never be read.
func NewBodyBudget(size int64) *BodyBudget {
	return &BodyBudget{sem: semaphore.NewWeighted(size), size: size}
}

// Size is the budget's size in bytes.
func (b *BodyBudget) Size() int64 { return b.size }

// Peak is the most bytes of the budget held at once so far.
func (b *BodyBudget) Peak() int64 { return b.peak.Load() }

func (b *BodyBudget) acquire(ctx context.Context, n int64) error {
	if err := b.sem.Acquire(ctx, n); err != nil {
		return err
	}
	now := b.inUse.Add(n)
	for {
		p := b.peak.Load()
		if now <= p || b.peak.CompareAndSwap(p, now) {
			return nil
		}
	}
}

func (b *BodyBudget) release(n int64) {
	if n > 0 {
		b.inUse.Add(-n)
		b.sem.Release(n)
	}
}

// errBudget wraps a failure to wait for room in the budget (the fetch's time ran out).
var errBudget = errors.New("waiting for memory for the body")

// readBody reads r, of contentLength bytes when it is known (> 0), keeping at most max bytes
// (one more tells a longer body), with the memory the body holds taken from budget (nil: no
// budget). It returns the body and the part of the budget it holds.
func readBody(ctx context.Context, r io.Reader, contentLength, max int64, budget *BodyBudget) (body []byte, held int64, err error) {
	limit := max + 1 // one byte more than max tells a cut from an exact fit
	r = io.LimitReader(r, limit)
	size := int64(4 << 10)
	if contentLength > 0 {
		size = min(contentLength+1, limit) // +1: the EOF read needs room to report
	}
	take := func(n int64) error {
		if budget == nil {
			return nil
		}
		if err := budget.acquire(ctx, n); err != nil {
			return fmt.Errorf("%w: %w", errBudget, err)
		}
		held += n
		return nil
	}
	giveBack := func() {
		if budget != nil {
			budget.release(held)
		}
		held = 0
	}
	if size > FreeBody {
		if err := take(size); err != nil {
			return nil, 0, err
		}
	}
	b := make([]byte, 0, size)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			giveBack()
			return nil, 0, err
		}
		if int64(len(b)) >= limit {
			break // the caller cuts it
		}
		if len(b) < cap(b) {
			continue
		}
		// The buffer is full and the body goes on.
		if held == 0 && int64(cap(b))*2 <= FreeBody {
			b = append(b, 0)[:len(b)] // let append pick the next size
			continue
		}
		// Past what a body holds for free (or longer than its length said): room for the
		// longest body at once, taken while holding no part of the budget, rather than step
		// by step while holding some.
		giveBack()
		if err := take(limit); err != nil {
			return nil, 0, err
		}
		b = append(make([]byte, 0, limit), b...)
	}
	if held > 0 && int64(cap(b))-int64(len(b)) > FreeBody {
		// Give back what the body does not use: a right-sized copy, the rest to the budget.
		exact := append(make([]byte, 0, len(b)), b...)
		budget.release(held - int64(cap(exact)))
		held = int64(cap(exact))
		b = exact
	}
	return b, held, nil
}

// Release gives back the memory budget the response's body holds. The body must not be used
// afterwards. It may be called more than once, and on a nil Response.
func (r *Response) Release() {
	if r == nil || r.budget == nil {
		return
	}
	r.budget.release(r.held)
	r.budget, r.held = nil, 0
}
