package report

import (
	"cmp"
	"container/heap"
	"iter"
	"slices"
	"strings"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
)

// brokenLinks lists the broken targets that have references of one kind (brokenInternal...),
// with those references.
func brokenLinks(s *store.Snapshot, targets map[uint64]*broken, kind, limit int) (Section[BrokenLink], error) {
	var sec Section[BrokenLink]
	for _, b := range targets {
		refs := &b.refs[kind]
		if refs.linkedFrom == 0 {
			continue // a seed or redirect target nobody links to is not a broken link
		}
		n, err := s.Node(b.id)
		if err != nil {
			return sec, err
		}
		bl := BrokenLink{URL: n.URL, State: n.State.String(), Status: n.Status, LinkedFrom: refs.linkedFrom,
			MoreReferrers: refs.linkedFrom - len(refs.refs)}
		if n.State == crawl.StateFailed {
			bl.Error = n.Error
		}
		if bl.Referrers, err = referrers(s, refs.refs); err != nil {
			return sec, err
		}
		sec.Items = append(sec.Items, bl)
	}
	sec.Total = len(sec.Items)
	slices.SortFunc(sec.Items, func(a, b BrokenLink) int {
		return cmp.Or(cmp.Compare(b.LinkedFrom, a.LinkedFrom), strings.Compare(a.URL, b.URL))
	})
	sec.Items = clip(sec.Items, limit)
	return sec, nil
}

// referrers returns the pages of refs, by URL.
func referrers(s *store.Snapshot, refs []brokenRef) ([]Referrer, error) {
	out := []Referrer{}
	for _, ref := range refs {
		src, err := s.Node(ref.src)
		if err != nil {
			return nil, err
		}
		out = append(out, Referrer{URL: src.URL, Kind: ref.kind.String(), Anchor: ref.anchor})
	}
	slices.SortFunc(out, func(a, b Referrer) int {
		return cmp.Or(strings.Compare(a.URL, b.URL), strings.Compare(a.Kind, b.Kind))
	})
	return out, nil
}

// redirectChains follows the redirect edges from every URL that redirects and is not itself
// reached by a redirect, then from what is left over (chains that are pure loops).
func redirectChains(s *store.Snapshot, next map[uint64]uint64, redirected map[uint64]bool, inDegree []uint32, limit int) (Section[RedirectChain], error) {
	var sec Section[RedirectChain]
	starts := make([]uint64, 0, len(next))
	for id := range next {
		if !redirected[id] {
			starts = append(starts, id)
		}
	}
	slices.Sort(starts)
	visited := map[uint64]bool{}
	var chains [][]uint64
	walk := func(start uint64) ([]uint64, bool) {
		path := []uint64{start}
		inPath := map[uint64]bool{start: true}
		visited[start] = true
		for id := start; ; {
			dst, ok := next[id]
			if !ok {
				return path, false
			}
			path = append(path, dst)
			if inPath[dst] {
				return path, true
			}
			inPath[dst], visited[dst] = true, true
			id = dst
		}
	}
	loops := map[int]bool{}
	for _, id := range starts {
		path, loop := walk(id)
		if len(path)-1 > 1 || loop {
			if loop {
				loops[len(chains)] = true
			}
			chains = append(chains, path)
		}
	}
	var rest []uint64
	for id := range next {
		if !visited[id] {
			rest = append(rest, id)
		}
	}
	slices.Sort(rest)
	for _, id := range rest {
		if visited[id] {
			continue
		}
		path, _ := walk(id)
		loops[len(chains)] = true
		chains = append(chains, path)
	}

	for i, path := range chains {
		c := RedirectChain{Hops: len(path) - 1, Loop: loops[i]}
		if start := path[0]; start < uint64(len(inDegree)) {
			c.LinkedFrom = int(inDegree[start])
		}
		for _, id := range path {
			n, err := s.Node(id)
			if err != nil {
				return sec, err
			}
			c.Steps = append(c.Steps, ChainStep{URL: n.URL, State: n.State.String(), Status: n.Status})
		}
		sec.Items = append(sec.Items, c)
	}
	sec.Total = len(sec.Items)
	slices.SortFunc(sec.Items, func(a, b RedirectChain) int {
		return cmp.Or(cmp.Compare(b.Hops, a.Hops), strings.Compare(a.Steps[0].URL, b.Steps[0].URL))
	})
	sec.Items = clip(sec.Items, limit)
	return sec, nil
}

// mostLinked lists the nodes ids yields, the most linked-to first.
func mostLinked(s *store.Snapshot, inDegree []uint32, limit int, ids iter.Seq[uint64]) (Section[LinkedPage], error) {
	sec := Section[LinkedPage]{Items: []LinkedPage{}}
	var top []uint64
	sec.Total, top = topLinked(inDegree, limit, ids)
	for _, id := range top {
		n, err := s.Node(id)
		if err != nil {
			return sec, err
		}
		sec.Items = append(sec.Items, LinkedPage{URL: n.URL, State: n.State.String(), Status: n.Status, LinkedFrom: int(inDegree[id])})
	}
	return sec, nil
}

// topLinked counts the ids and returns the first limit of them, the most linked-to first,
// ties in id (discovery) order.
func topLinked(inDegree []uint32, limit int, ids iter.Seq[uint64]) (total int, top []uint64) {
	type cand struct {
		id  uint64
		deg uint32
	}
	h := &topHeap[cand]{less: func(a, b cand) bool {
		return a.deg > b.deg || a.deg == b.deg && a.id < b.id
	}}
	for id := range ids {
		total++
		h.offer(cand{id, inDegree[id]}, limit)
	}
	for _, c := range h.sorted() {
		top = append(top, c.id)
	}
	return total, top
}

// incompletePages lists the pages of ids, the most linked-to first.
func incompletePages(s *store.Snapshot, inDegree []uint32, limit int, ids []uint64) ([]IncompletePage, error) {
	_, top := topLinked(inDegree, limit, slices.Values(ids))
	items := make([]IncompletePage, 0, len(top))
	for _, id := range top {
		n, err := s.Node(id)
		if err != nil {
			return nil, err
		}
		p := IncompletePage{URL: n.URL, Status: n.Status, Bytes: n.Size, Truncated: n.Truncated, LinkedFrom: int(inDegree[id])}
		if n.PartialParse() {
			p.Error = n.Error
		}
		items = append(items, p)
	}
	return items, nil
}

func errorHosts(hosts map[string]*HostErrors, limit int) Section[HostErrors] {
	var sec Section[HostErrors]
	for _, h := range hosts {
		h.Errors = h.ClientError + h.ServerError + h.Failed
		if h.Errors > 0 {
			sec.Items = append(sec.Items, *h)
		}
	}
	sec.Total = len(sec.Items)
	slices.SortFunc(sec.Items, func(a, b HostErrors) int {
		return cmp.Or(cmp.Compare(b.Errors, a.Errors), strings.Compare(a.Host, b.Host))
	})
	sec.Items = clip(sec.Items, limit)
	return sec
}

func deeper(a, b DeepPage) bool {
	return a.Depth > b.Depth || a.Depth == b.Depth && a.URL < b.URL
}

// clip returns the first limit items, and an empty rather than nil slice, so that JSON
// shows [] for an empty list.
func clip[T any](items []T, limit int) []T {
	if items == nil {
		return []T{}
	}
	if len(items) > limit {
		return items[:limit:limit]
	}
	return items
}

// topHeap keeps the best limit items offered, by less (a before b), in a min-heap whose root
// is the worst item kept.
type topHeap[T any] struct {
	items []T
	less  func(a, b T) bool
}

func (h *topHeap[T]) Len() int           { return len(h.items) }
func (h *topHeap[T]) Less(i, j int) bool { return h.less(h.items[j], h.items[i]) }
func (h *topHeap[T]) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *topHeap[T]) Push(x any)         { h.items = append(h.items, x.(T)) }
func (h *topHeap[T]) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// offer adds x if fewer than limit items are kept or x is better than the worst of them.
func (h *topHeap[T]) offer(x T, limit int) {
	switch {
	case len(h.items) < limit:
		heap.Push(h, x)
	case limit > 0 && h.less(x, h.items[0]):
		h.items[0] = x
		heap.Fix(h, 0)
	}
}

// sorted returns the kept items, best first.
func (h *topHeap[T]) sorted() []T {
	out := slices.Clone(h.items)
	slices.SortFunc(out, func(a, b T) int {
		switch {
		case h.less(a, b):
			return -1
		case h.less(b, a):
			return 1
		}
		return 0
	})
	return clip(out, len(out))
}
