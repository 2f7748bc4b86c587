package report

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"regexp"
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

// The kinds of broken reference, by what is broken: a URL in the crawl's scope, one out of
// it, a page requisite.
const (
	brokenInternal = iota
	brokenExternal
	brokenAsset
	brokenKinds
)

// broken accumulates the references to one broken target, by kind.
type broken struct {
	id         uint64
	outOfScope bool // the target is out of the crawl's scope
	check      bool // the target was checked, not crawled
	refs       [brokenKinds]references
}

// references are the references to one URL: how many, and the first few.
type references struct {
	linkedFrom int
	refs       []brokenRef
}

func (r *references) add(e *crawl.Edge, keep int) {
	r.linkedFrom++
	if keep <= 0 || len(r.refs) < keep {
		r.refs = append(r.refs, brokenRef{src: e.Src, kind: e.Kind, anchor: e.Anchor})
	}
}

type brokenRef struct {
	src    uint64
	kind   crawl.EdgeKind
	anchor string
}

// builder holds what Build has read so far.
type builder struct {
	s       *store.Snapshot
	opt     Options
	limit   int
	r       *Report
	exclude []*regexp.Regexp
	accept  map[int]bool

	states   map[crawl.State]int
	statuses map[int]int
	reasons  map[string]int
	hosts    map[string]*HostErrors
	targets  map[uint64]*broken
	deep     *topHeap[DeepPage]
	noindex  []uint64
	partial  []uint64 // pages read only in part
	maxID    uint64

	audit auditor
}

// Build reads the whole snapshot and summarises it. It makes one pass over the nodes, one
// over the edges and one over the fragment references, and a second pass over the nodes
// when pages share titles or descriptions; besides what it returns it holds a 4-byte
// in-degree counter and a bit per node, a hash per distinct title and description, one
// entry per broken target, redirect, host and page with a conflicting canonical link, and
// the ids of the noindex pages, of the pages read in part and of those in a sitemap, never
// the graph itself. It stops with ctx's error when ctx is cancelled.
func Build(ctx context.Context, s *store.Snapshot, opt Options) (*Report, error) {
	// Empty lists are [] rather than null in JSON.
	b := &builder{s: s, opt: opt, limit: opt.Limit, r: &Report{Options: opt, Statuses: []StatusCount{}, SkippedReasons: []ReasonCount{}},
		states: map[crawl.State]int{}, statuses: map[int]int{}, reasons: map[string]int{}, hosts: map[string]*HostErrors{},
		targets: map[uint64]*broken{}, accept: map[int]bool{}}
	if b.limit <= 0 {
		b.limit = math.MaxInt
	}
	b.deep = &topHeap[DeepPage]{less: deeper}
	for _, p := range opt.Exclude {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("exclude %q: %w", p, err)
		}
		b.exclude = append(b.exclude, re)
	}
	for _, code := range opt.Accept {
		b.accept[code] = true
	}
	b.audit.init(b)
	r := b.r

	err := s.EachNode(func(n crawl.Node) error {
		if r.Totals.URLs++; r.Totals.URLs%checkEvery == 1 && ctx.Err() != nil {
			return ctx.Err()
		}
		b.node(&n)
		return nil
	})
	if err != nil {
		return nil, err
	}

	// Redirect edges are kept whole: there is one per redirecting URL.
	var (
		inDegree   = make([]uint32, b.maxID+1)
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
		if t := b.targets[e.Dst]; t != nil {
			t.refs[t.kindOf(e.Kind)].add(&e, opt.Referrers)
		}
		return b.audit.edge(&e)
	})
	if err != nil {
		return nil, err
	}
	b.audit.endEdges()
	if err := b.audit.fragments(ctx); err != nil {
		return nil, err
	}

	r.Totals.Hosts = len(b.hosts)
	for _, st := range stateOrder {
		r.States = append(r.States, StateCount{State: st.String(), Count: b.states[st]})
	}
	if n := b.states[crawl.StateRemote]; n > 0 { // a cluster node's database, not merged
		r.States = append(r.States, StateCount{State: crawl.StateRemote.String(), Count: n})
	}
	for code, c := range b.statuses {
		r.Statuses = append(r.Statuses, StatusCount{Status: code, Count: c})
	}
	slices.SortFunc(r.Statuses, func(a, b StatusCount) int { return cmp.Compare(a.Status, b.Status) })
	for reason, c := range b.reasons {
		r.SkippedReasons = append(r.SkippedReasons, ReasonCount{Reason: reason, Count: c})
	}
	slices.SortFunc(r.SkippedReasons, func(a, b ReasonCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Reason, b.Reason))
	})

	limit := b.limit
	if r.BrokenLinks, err = brokenLinks(s, b.targets, brokenInternal, limit); err != nil {
		return nil, err
	}
	if r.BrokenExternal, err = brokenLinks(s, b.targets, brokenExternal, limit); err != nil {
		return nil, err
	}
	if r.BrokenAssets, err = brokenLinks(s, b.targets, brokenAsset, limit); err != nil {
		return nil, err
	}
	if r.RedirectChains, err = redirectChains(s, redirects, redirected, inDegree, limit); err != nil {
		return nil, err
	}
	r.DeepPages.Items = b.deep.sorted()
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
	if r.NoIndex, err = mostLinked(s, inDegree, limit, slices.Values(b.noindex)); err != nil {
		return nil, err
	}
	if r.Incomplete.Items, err = incompletePages(s, inDegree, limit, b.partial); err != nil {
		return nil, err
	}
	r.ErrorHosts = errorHosts(b.hosts, limit)
	if err := b.audit.finish(ctx, inDegree, redirects); err != nil {
		return nil, err
	}
	return r, nil
}

// node reads one node.
func (b *builder) node(n *crawl.Node) {
	r, opt := b.r, &b.opt
	b.maxID = max(b.maxID, n.ID)
	b.states[n.State]++
	switch n.State {
	case crawl.StateSkipped:
		reason := n.Error
		if _, ok := b.reasons[reason]; !ok && len(b.reasons) >= maxReasons {
			reason = "other"
		}
		b.reasons[reason]++
	case crawl.StateDone, crawl.StateFailed:
		if !n.Check {
			r.Totals.Fetched++
		}
		h := store.HostName(n.URL)
		he := b.hosts[h]
		if he == nil {
			he = &HostErrors{Host: h}
			b.hosts[h] = he
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
		if n.State == crawl.StateDone && !n.Check {
			b.statuses[n.Status]++
		}
		if b.broken(n) && !b.excluded(n.URL) {
			b.targets[n.ID] = &broken{id: n.ID, outOfScope: n.OutOfScope(), check: n.Check}
		}
		if n.State == crawl.StateDone && n.NoIndex {
			b.noindex = append(b.noindex, n.ID)
		}
		if n.Truncated || n.PartialParse() {
			b.partial = append(b.partial, n.ID)
			r.Incomplete.Total++
			if n.Truncated {
				r.Incomplete.Truncated++
			}
			if n.PartialParse() {
				r.Incomplete.PartialParses++
			}
		}
		if n.State == crawl.StateDone && n.Status >= 200 && n.Status <= 299 && n.Depth > opt.Depth && !n.Check {
			r.DeepPages.Total++
			b.deep.offer(DeepPage{URL: n.URL, Depth: n.Depth}, b.limit)
		}
	}
	b.audit.node(n)
}

// broken reports whether a URL the crawl fetched or checked is broken: no answer, or an
// answer 4xx or 5xx that Options.Accept does not accept.
func (b *builder) broken(n *crawl.Node) bool {
	return n.State == crawl.StateFailed || n.State == crawl.StateDone && n.Status >= 400 && !b.accept[n.Status]
}

// excluded reports whether findings about u are left out (Options.Exclude).
func (b *builder) excluded(u string) bool {
	for _, re := range b.exclude {
		if re.MatchString(u) {
			return true
		}
	}
	return false
}

// kindOf says what a reference of kind k to t is a broken one of: a requisite's (a
// requisite moved by a redirect too), a link out of the scope's, or a link in it's.
func (t *broken) kindOf(k crawl.EdgeKind) int {
	switch {
	case k.Requisite(), k == crawl.KindRedirect && t.check && !t.outOfScope:
		return brokenAsset
	case t.outOfScope:
		return brokenExternal
	}
	return brokenInternal
}
