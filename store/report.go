package store

import (
	"cmp"
	"container/heap"
	"context"
	"iter"
	"math"
	"slices"
	"strings"

	"github.com/crawl-project/crawl"
)

// ReportOptions choose how much a Report lists.
type ReportOptions struct {
	// Depth is the number of link hops within which a page counts as easy to reach: fetched
	// pages deeper than this are listed in DeepPages.
	Depth int `json:"depth"`
	// Limit caps the items of each list section; 0 lists everything. Totals always count
	// everything.
	Limit int `json:"limit"`
	// Referrers caps the linking pages listed per broken link; 0 lists them all.
	Referrers int `json:"referrers"`
}

// Report is what a crawl found that a site owner can act on. It is also the JSON document
// printed by `crawl report --json`: field names and meanings are stable, new fields may be
// added. Lists are sorted as each field says; ties are broken by URL unless noted.
type Report struct {
	Options ReportOptions `json:"options"`
	Totals  ReportTotals  `json:"totals"`
	// States counts URLs by state, every state listed in a fixed order, zeros included.
	States []StateCount `json:"states"`
	// Statuses counts fetched pages by HTTP status code, ascending.
	Statuses []StatusCount `json:"statuses"`
	// SkippedReasons counts skipped URLs by reason (max-depth, nofollow, ...), most first.
	SkippedReasons []ReasonCount `json:"skipped_reasons"`
	// BrokenLinks are link targets that answered 4xx or 5xx or could not be fetched, the
	// most linked-to first.
	BrokenLinks Section[BrokenLink] `json:"broken_links"`
	// RedirectChains are chains of more than one redirect hop, the longest first.
	RedirectChains Section[RedirectChain] `json:"redirect_chains"`
	// DeepPages are fetched 2xx pages more than Options.Depth link hops from every seed, the
	// deepest first.
	DeepPages Section[DeepPage] `json:"deep_pages"`
	// MostLinked are the URLs that the most pages link to (<a>/<area> links, not
	// self-links), the most first; ties in the order the URLs were discovered.
	MostLinked Section[LinkedPage] `json:"most_linked"`
	// ErrorHosts are the hosts with the most error responses and failed fetches, the most
	// first; hosts without errors are left out.
	ErrorHosts Section[HostErrors] `json:"error_hosts"`
	// NoIndex are the fetched pages that ask not to be indexed (meta robots or X-Robots-Tag
	// noindex), the most linked-to first (as MostLinked counts), ties in discovery order:
	// links to them lead readers and crawlers to pages kept out of search results.
	NoIndex Section[LinkedPage] `json:"noindex"`
	// Incomplete are the fetched pages the crawl read only in part, whose links past the
	// loss are missing from the graph: bodies cut at the size limit (--max-body) and pages
	// whose HTML could be parsed only in part (Node.PartialParse). The most linked-to first
	// (as MostLinked counts), ties in discovery order.
	Incomplete IncompleteSection `json:"incomplete"`
}

// IncompleteSection is the Incomplete list of a Report: Total pages read only in part, of
// which Truncated were cut at the size limit and PartialParses parsed in part (a page can
// be both); the first Limit are in Items.
type IncompleteSection struct {
	Total         int              `json:"total"`
	Truncated     int              `json:"truncated"`
	PartialParses int              `json:"partial_parses"`
	Items         []IncompletePage `json:"items"`
}

// IncompletePage is a fetched page that was read only in part.
type IncompletePage struct {
	URL        string `json:"url"`
	Status     int    `json:"status"`
	Bytes      int64  `json:"bytes"`           // body bytes kept
	Truncated  bool   `json:"truncated"`       // the body was cut at the size limit
	Error      string `json:"error,omitempty"` // what a partial parse lost; empty if parsed whole
	LinkedFrom int    `json:"linked_from"`
}

// Section is one list of a Report: Total items exist, the first Limit are in Items.
type Section[T any] struct {
	Total int `json:"total"`
	Items []T `json:"items"`
}

// ReportTotals sizes the crawl.
type ReportTotals struct {
	URLs    int `json:"urls"`    // every URL recorded, whatever its state
	Edges   int `json:"edges"`   // links, redirects, canonical and alternate references
	Fetched int `json:"fetched"` // URLs fetched or tried: done plus failed
	Hosts   int `json:"hosts"`   // distinct hosts of the fetched URLs
}

// StateCount is the number of URLs in one state.
type StateCount struct {
	State string `json:"state"`
	Count int    `json:"count"`
}

// StatusCount is the number of fetched pages that answered one HTTP status.
type StatusCount struct {
	Status int `json:"status"`
	Count  int `json:"count"`
}

// ReasonCount is the number of skipped URLs with one reason.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// BrokenLink is a link target that answered an error status or could not be fetched.
type BrokenLink struct {
	URL    string `json:"url"`
	State  string `json:"state"`           // done (with an error status) or failed
	Status int    `json:"status"`          // 0 when the fetch failed
	Error  string `json:"error,omitempty"` // why the fetch failed
	// LinkedFrom counts the references to the target: one per referring page and kind.
	LinkedFrom int `json:"linked_from"`
	// Referrers lists the first Options.Referrers references, by referring URL.
	Referrers []Referrer `json:"referrers"`
	// MoreReferrers counts the references left out of Referrers.
	MoreReferrers int `json:"more_referrers"`
}

// Referrer is a page that refers to a URL.
type Referrer struct {
	URL    string `json:"url"`
	Kind   string `json:"kind"` // link, redirect, canonical or alternate
	Anchor string `json:"anchor,omitempty"`
}

// RedirectChain is a URL that redirects, hop after hop, to a final URL.
type RedirectChain struct {
	Hops int `json:"hops"` // redirects followed: len(Steps)-1
	// Loop reports a chain that comes back to one of its own URLs; its last step repeats
	// the URL where the loop closes.
	Loop bool `json:"loop"`
	// Steps are the URLs from the start of the chain to its end.
	Steps []ChainStep `json:"steps"`
	// LinkedFrom counts the pages that link to the start of the chain: the links to update.
	LinkedFrom int `json:"linked_from"`
}

// ChainStep is one URL of a redirect chain.
type ChainStep struct {
	URL    string `json:"url"`
	State  string `json:"state"`
	Status int    `json:"status"`
}

// DeepPage is a page that is far from every seed.
type DeepPage struct {
	URL   string `json:"url"`
	Depth int    `json:"depth"`
}

// LinkedPage is a URL with its number of linking pages.
type LinkedPage struct {
	URL        string `json:"url"`
	State      string `json:"state"`
	Status     int    `json:"status"`
	LinkedFrom int    `json:"linked_from"`
}

// HostErrors counts the fetches and the errors of one host.
type HostErrors struct {
	Host        string `json:"host"`
	Fetched     int    `json:"fetched"`
	Errors      int    `json:"errors"` // ClientErrors + ServerErrors + Failed
	ClientError int    `json:"4xx"`
	ServerError int    `json:"5xx"`
	Failed      int    `json:"failed"`
}

// reportStates is the order of Report.States.
var reportStates = []crawl.State{crawl.StateDone, crawl.StateFailed, crawl.StatePending, crawl.StateBlocked, crawl.StateExternal, crawl.StateSkipped}

// reportCheckEvery is how many nodes or edges Report reads between checks of its context
// (the first is checked too).
const reportCheckEvery = 4096

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

// Report reads the whole snapshot and summarises it. It makes one pass over the nodes and
// one over the edges; besides what it returns it holds a 4-byte in-degree counter per node,
// one entry per broken target, redirect and host, and the ids of the noindex pages and of
// the pages read in part, never the graph itself. It stops with ctx's error when ctx is
// cancelled.
func (s *Snapshot) Report(ctx context.Context, opt ReportOptions) (_ *Report, err error) {
	g := s.guard()
	defer g.catch(&err)
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
	err = s.EachNode(func(n crawl.Node) error {
		if r.Totals.URLs++; r.Totals.URLs%reportCheckEvery == 1 && ctx.Err() != nil {
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
			h := HostName(n.URL)
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
		if r.Totals.Edges++; r.Totals.Edges%reportCheckEvery == 1 && ctx.Err() != nil {
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
	for _, st := range reportStates {
		r.States = append(r.States, StateCount{State: st.String(), Count: states[st]})
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

	if r.BrokenLinks, err = s.brokenLinks(targets, limit); err != nil {
		return nil, err
	}
	if r.RedirectChains, err = s.redirectChains(redirects, redirected, inDegree, limit); err != nil {
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
	if r.MostLinked, err = s.mostLinked(inDegree, limit, linked); err != nil {
		return nil, err
	}
	if r.NoIndex, err = s.mostLinked(inDegree, limit, slices.Values(noindex)); err != nil {
		return nil, err
	}
	if r.Incomplete.Items, err = s.incompletePages(inDegree, limit, partial); err != nil {
		return nil, err
	}
	r.ErrorHosts = errorHosts(hosts, limit)
	return r, nil
}

func (s *Snapshot) brokenLinks(targets map[uint64]*broken, limit int) (Section[BrokenLink], error) {
	var sec Section[BrokenLink]
	for _, b := range targets {
		if b.linkedFrom == 0 {
			continue // a seed or redirect target nobody links to is not a broken link
		}
		n, err := s.Node(b.id)
		if err != nil {
			return sec, err
		}
		bl := BrokenLink{URL: n.URL, State: n.State.String(), Status: n.Status, LinkedFrom: b.linkedFrom,
			MoreReferrers: b.linkedFrom - len(b.refs), Referrers: []Referrer{}}
		if n.State == crawl.StateFailed {
			bl.Error = n.Error
		}
		for _, ref := range b.refs {
			src, err := s.Node(ref.src)
			if err != nil {
				return sec, err
			}
			bl.Referrers = append(bl.Referrers, Referrer{URL: src.URL, Kind: ref.kind.String(), Anchor: ref.anchor})
		}
		slices.SortFunc(bl.Referrers, func(a, b Referrer) int {
			return cmp.Or(strings.Compare(a.URL, b.URL), strings.Compare(a.Kind, b.Kind))
		})
		sec.Items = append(sec.Items, bl)
	}
	sec.Total = len(sec.Items)
	slices.SortFunc(sec.Items, func(a, b BrokenLink) int {
		return cmp.Or(cmp.Compare(b.LinkedFrom, a.LinkedFrom), strings.Compare(a.URL, b.URL))
	})
	sec.Items = clip(sec.Items, limit)
	return sec, nil
}

// redirectChains follows the redirect edges from every URL that redirects and is not itself
// reached by a redirect, then from what is left over (chains that are pure loops).
func (s *Snapshot) redirectChains(next map[uint64]uint64, redirected map[uint64]bool, inDegree []uint32, limit int) (Section[RedirectChain], error) {
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
func (s *Snapshot) mostLinked(inDegree []uint32, limit int, ids iter.Seq[uint64]) (Section[LinkedPage], error) {
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
func (s *Snapshot) incompletePages(inDegree []uint32, limit int, ids []uint64) ([]IncompletePage, error) {
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
