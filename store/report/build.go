package report

import (
	"cmp"
	"context"
	"math"
	"slices"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
)

// stateOrder is the order of Report.States.
var stateOrder = []crawl.State{crawl.StateDone, crawl.StateFailed, crawl.StatePending, crawl.StateBlocked, crawl.StateExternal, crawl.StateSkipped}

// checkEvery is how many nodes or edges Build reads between checks of its context
// (the first is checked too).
const checkEvery = 4096

// maxReasons bounds the distinct skip reasons counted; further ones count as "other".
const maxReasons = 64

// broken accumulates the references to one broken target.
type broken struct {
	id         uint64
	linkedFrom int
	refs       []brokenRef
}

type brokenRef struct {
	src    uint64
	kind   crawl.EdgeKind
	anchor string
}

// Build reads the whole snapshot and summarises it. It makes one pass over the nodes and
// one over the edges; besides what it returns it holds a 4-byte in-degree counter per node,
// one entry per broken target, redirect and host, and the ids of the noindex pages and of
// the pages read in part, never the graph itself. It stops with ctx's error when ctx is
// cancelled.
func Build(ctx context.Context, s *store.Snapshot, opt Options) (*Report, error) {
	// Empty lists are [] rather than null in JSON.
	r := &Report{Options: opt, Statuses: []StatusCount{}, SkippedReasons: []ReasonCount{}}
	limit := opt.Limit
	if limit <= 0 {
		limit = math.MaxInt
	}

	var (
		states   = map[crawl.State]int{}
		statuses = map[int]int{}
		reasons  = map[string]int{}
		hosts    = map[string]*HostErrors{}
		targets  = map[uint64]*broken{}
		deep     = &topHeap[DeepPage]{less: deeper}
		noindex  []uint64
		partial  []uint64 // pages read only in part
		maxID    uint64
	)
	err := s.EachNode(func(n crawl.Node) error {
		if r.Totals.URLs++; r.Totals.URLs%checkEvery == 1 && ctx.Err() != nil {
			return ctx.Err()
		}
		maxID = max(maxID, n.ID)
		states[n.State]++
		switch n.State {
		case crawl.StateSkipped:
			reason := n.Error
			if _, ok := reasons[reason]; !ok && len(reasons) >= maxReasons {
				reason = "other"
			}
			reasons[reason]++
		case crawl.StateDone, crawl.StateFailed:
			r.Totals.Fetched++
			h := store.HostName(n.URL)
			he := hosts[h]
			if he == nil {
				he = &HostErrors{Host: h}
				hosts[h] = he
			}
			he.Fetched++
			switch {
			case n.State == crawl.StateFailed:
				he.Failed++
			case n.Status >= 500:
				he.ServerError++
			case n.Status >= 400:
				he.ClientError++
			}
			if n.State == crawl.StateDone {
				statuses[n.Status]++
			}
			if n.State == crawl.StateFailed || n.Status >= 400 {
				targets[n.ID] = &broken{id: n.ID}
			}
			if n.State == crawl.StateDone && n.NoIndex {
				noindex = append(noindex, n.ID)
			}
			if n.Truncated || n.PartialParse() {
				partial = append(partial, n.ID)
				r.Incomplete.Total++
				if n.Truncated {
					r.Incomplete.Truncated++
				}
				if n.PartialParse() {
					r.Incomplete.PartialParses++
				}
			}
			if n.State == crawl.StateDone && n.Status >= 200 && n.Status <= 299 && n.Depth > opt.Depth {
				r.DeepPages.Total++
				deep.offer(DeepPage{URL: n.URL, Depth: n.Depth}, limit)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	// Redirect edges are kept whole: there is one per redirecting URL.
	var (
		inDegree   = make([]uint32, maxID+1)
		redirects  = map[uint64]uint64{}
		redirected = map[uint64]bool{} // targets of a redirect
	)
	err = s.EachEdge(func(e crawl.Edge) error {
		if r.Totals.Edges++; r.Totals.Edges%checkEvery == 1 && ctx.Err() != nil {
			return ctx.Err()
		}
		switch e.Kind {
		case crawl.KindLink:
			if e.Src != e.Dst && e.Dst < uint64(len(inDegree)) && inDegree[e.Dst] < math.MaxUint32 {
				inDegree[e.Dst]++
			}
		case crawl.KindRedirect:
			redirects[e.Src] = e.Dst
			redirected[e.Dst] = true
		}
		if b := targets[e.Dst]; b != nil {
			b.linkedFrom++
			if opt.Referrers <= 0 || len(b.refs) < opt.Referrers {
				b.refs = append(b.refs, brokenRef{src: e.Src, kind: e.Kind, anchor: e.Anchor})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	r.Totals.Hosts = len(hosts)
	for _, st := range stateOrder {
		r.States = append(r.States, StateCount{State: st.String(), Count: states[st]})
	}
	if n := states[crawl.StateRemote]; n > 0 { // a cluster node's database, not merged
		r.States = append(r.States, StateCount{State: crawl.StateRemote.String(), Count: n})
	}
	for code, c := range statuses {
		r.Statuses = append(r.Statuses, StatusCount{Status: code, Count: c})
	}
	slices.SortFunc(r.Statuses, func(a, b StatusCount) int { return cmp.Compare(a.Status, b.Status) })
	for reason, c := range reasons {
		r.SkippedReasons = append(r.SkippedReasons, ReasonCount{Reason: reason, Count: c})
	}
	slices.SortFunc(r.SkippedReasons, func(a, b ReasonCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Reason, b.Reason))
	})

	if r.BrokenLinks, err = brokenLinks(s, targets, limit); err != nil {
		return nil, err
	}
	if r.RedirectChains, err = redirectChains(s, redirects, redirected, inDegree, limit); err != nil {
		return nil, err
	}
	r.DeepPages.Items = deep.sorted()
	linked := func(yield func(uint64) bool) {
		for id, deg := range inDegree {
			if deg > 0 && !yield(uint64(id)) {
				return
			}
		}
	}
	if r.MostLinked, err = mostLinked(s, inDegree, limit, linked); err != nil {
		return nil, err
	}
	if r.NoIndex, err = mostLinked(s, inDegree, limit, slices.Values(noindex)); err != nil {
		return nil, err
	}
	if r.Incomplete.Items, err = incompletePages(s, inDegree, limit, partial); err != nil {
		return nil, err
	}
	r.ErrorHosts = errorHosts(hosts, limit)
	return r, nil
}
