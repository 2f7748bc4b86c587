package report

import (
	"cmp"
	"context"
	"hash/maphash"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
)

// auditor builds the sections about what search engines read and what pages refer to:
// links to redirects, broken fragments, titles, descriptions, headings, canonical and
// hreflang links, orphans and the slowest pages.
type auditor struct {
	b *builder

	// crawled has a bit per node id: an HTML page crawled and read, answered 2xx, not a
	// check: the pages whose facts, fragment targets and alternates are known.
	crawled bitset
	// redirects are the URLs that answered a redirect, with the references to them.
	redirects map[uint64]*redirected

	titles, descriptions textAudit
	noH1                 *topHeap[PageRef]
	severalH1            *topHeap[H1Several]
	noH1N, severalH1N    int

	canonicalFrom []uint64 // pages with a canonical link to another URL
	multiple      []uint64 // pages with canonical links to more than one URL
	edgeSrc       uint64   // the page whose edges the edge pass is reading
	canonicals    int      // its canonical edges so far

	hreflang  *topHeap[HreflangLink]
	hreflangN int

	inSitemap []uint64
	slowest   *topHeap[SlowPage]
}

type redirected struct {
	status int
	refs   references
}

func (a *auditor) init(b *builder) {
	a.b = b
	a.redirects = map[uint64]*redirected{}
	byURL := func(x, y PageRef) bool { return x.URL < y.URL }
	a.titles.init(TitleMaxLength)
	a.descriptions.init(DescriptionMaxLength)
	a.noH1 = &topHeap[PageRef]{less: byURL}
	a.severalH1 = &topHeap[H1Several]{less: func(x, y H1Several) bool { return x.URL < y.URL }}
	a.hreflang = &topHeap[HreflangLink]{less: func(x, y HreflangLink) bool {
		return x.URL < y.URL || x.URL == y.URL && x.Alternate < y.Alternate
	}}
	a.slowest = &topHeap[SlowPage]{less: func(x, y SlowPage) bool {
		return x.Milliseconds > y.Milliseconds || x.Milliseconds == y.Milliseconds && x.URL < y.URL
	}}
}

// indexable reports whether a page is one search engines index, for the sections about
// what they read: crawled (see auditor.crawled), not noindex, without a canonical link to
// another URL.
func indexable(n *crawl.Node) bool {
	return crawledPage(n) && !n.NoIndex && (n.Facts.Canonical == "" || n.Facts.Canonical == n.URL)
}

func crawledPage(n *crawl.Node) bool {
	return n.State == crawl.StateDone && !n.Check && n.Facts != nil && n.Status >= 200 && n.Status <= 299
}

func (a *auditor) node(n *crawl.Node) {
	b, r := a.b, a.b.r
	if n.Check {
		r.Checks.Total++
		switch n.State {
		case crawl.StateDone:
			r.Checks.Answered++
		case crawl.StateFailed:
			r.Checks.Failed++
		}
	}
	if n.Check && n.OutOfScope() {
		r.Checks.External++
	}
	if n.State == crawl.StateDone && isRedirect(n.Status) && !b.excluded(n.URL) {
		a.redirects[n.ID] = &redirected{status: n.Status}
	}
	if n.InSitemap && !b.excluded(n.URL) {
		a.inSitemap = append(a.inSitemap, n.ID)
	}
	if n.State == crawl.StateDone && !n.Check && !n.FetchedAt.IsZero() && !b.excluded(n.URL) {
		r.SlowestPages.Total++
		a.slowest.offer(SlowPage{URL: n.URL, Status: n.Status, Milliseconds: float64(n.Duration) / float64(time.Millisecond)}, b.limit)
	}
	if !crawledPage(n) {
		return
	}
	a.crawled.set(n.ID)
	if b.excluded(n.URL) {
		return
	}
	if f := n.Facts; f.Canonical != "" && f.Canonical != n.URL {
		a.canonicalFrom = append(a.canonicalFrom, n.ID)
	}
	if !indexable(n) {
		return
	}
	f := n.Facts
	a.titles.add(n.URL, n.Title, f.HasTitle, b.limit)
	a.descriptions.add(n.URL, f.Description, f.HasDescription, b.limit)
	switch {
	case f.H1Count == 0:
		a.noH1N++
		a.noH1.offer(PageRef{URL: n.URL}, b.limit)
	case f.H1Count > 1:
		a.severalH1N++
		a.severalH1.offer(H1Several{URL: n.URL, Count: f.H1Count, First: f.H1}, b.limit)
	}
}

// edge reads one edge; edges come by source page.
func (a *auditor) edge(e *crawl.Edge) error {
	b := a.b
	if e.Src != a.edgeSrc {
		a.endEdges()
		a.edgeSrc = e.Src
	}
	switch {
	case e.Kind == crawl.KindCanonical:
		a.canonicals++
	case e.Kind == crawl.KindAlternate && e.Src != e.Dst && a.crawled.has(e.Dst) && a.crawled.has(e.Src):
		return a.alternate(e)
	case e.Kind == crawl.KindLink || e.Kind.Requisite():
		if rd := a.redirects[e.Dst]; rd != nil {
			rd.refs.add(e, b.opt.Referrers)
		}
	}
	return nil
}

// endEdges ends the edges of a page.
func (a *auditor) endEdges() {
	if a.canonicals > 1 {
		a.multiple = append(a.multiple, a.edgeSrc)
	}
	a.canonicals = 0
}

// alternate checks that the alternate page of an hreflang link names the page back.
func (a *auditor) alternate(e *crawl.Edge) error {
	s := a.b.s
	back := false
	err := s.EachEdgeFrom(e.Dst, func(r crawl.Edge) error {
		if r.Kind == crawl.KindAlternate && r.Dst == e.Src {
			back = true
			return errFound
		}
		return nil
	})
	if err != nil && err != errFound {
		return err
	}
	if back {
		return nil
	}
	src, err := s.Node(e.Src)
	if err != nil || a.b.excluded(src.URL) {
		return err
	}
	dst, err := s.Node(e.Dst)
	if err != nil {
		return err
	}
	a.hreflangN++
	a.hreflang.offer(HreflangLink{URL: src.URL, Alternate: dst.URL, Hreflang: e.Anchor}, a.b.limit)
	return nil
}

type sentinel string

func (e sentinel) Error() string { return string(e) }

const errFound = sentinel("found")

// finish resolves what needed every node and edge and fills the report's sections.
func (a *auditor) finish(ctx context.Context, inDegree []uint32, redirects map[uint64]uint64) error {
	b, r, s := a.b, a.b.r, a.b.s
	var err error
	if r.RedirectedLinks, err = a.redirected(redirects); err != nil {
		return err
	}
	if err := a.duplicates(ctx); err != nil {
		return err
	}
	r.Titles, r.Descriptions = a.titles.findings(), a.descriptions.findings()
	r.H1 = H1Findings{
		Missing: Section[PageRef]{Total: a.noH1N, Items: a.noH1.sorted()},
		Several: Section[H1Several]{Total: a.severalH1N, Items: a.severalH1.sorted()},
	}
	if r.CanonicalConflicts, err = a.canonicalConflicts(); err != nil {
		return err
	}
	r.HreflangWithoutReturn = Section[HreflangLink]{Total: a.hreflangN, Items: a.hreflang.sorted()}
	r.SlowestPages.Items = a.slowest.sorted()

	r.Orphans.Items = []LinkedPage{}
	err = s.EachHost(func(h crawl.HostRecord) error {
		r.Orphans.SitemapsRead = r.Orphans.SitemapsRead || !h.SitemapsReadAt.IsZero()
		return nil
	})
	if err != nil {
		return err
	}
	orphans := &topHeap[LinkedPage]{less: func(x, y LinkedPage) bool { return x.URL < y.URL }}
	for _, id := range a.inSitemap {
		if id < uint64(len(inDegree)) && inDegree[id] > 0 {
			continue
		}
		n, err := s.Node(id)
		if err != nil {
			return err
		}
		r.Orphans.Total++
		orphans.offer(LinkedPage{URL: n.URL, State: n.State.String(), Status: n.Status}, b.limit)
	}
	r.Orphans.Items = orphans.sorted()
	return nil
}

// redirected lists the URLs that answered a redirect and that links or requisites lead to.
func (a *auditor) redirected(next map[uint64]uint64) (Section[RedirectedLink], error) {
	s := a.b.s
	var sec Section[RedirectedLink]
	for id, rd := range a.redirects {
		if rd.refs.linkedFrom == 0 {
			continue
		}
		n, err := s.Node(id)
		if err != nil {
			return sec, err
		}
		l := RedirectedLink{URL: n.URL, Status: rd.status, LinkedFrom: rd.refs.linkedFrom,
			MoreReferrers: rd.refs.linkedFrom - len(rd.refs.refs)}
		// Follow the chain to its end, or a loop, or maxChain hops.
		const maxChain = 20
		seen := map[uint64]bool{id: true}
		for cur, ok := next[id]; ok && l.Hops < maxChain; cur, ok = next[cur] {
			l.Hops++
			t, err := s.Node(cur)
			if err != nil {
				return sec, err
			}
			l.Target = t.URL
			if seen[cur] {
				break
			}
			seen[cur] = true
		}
		if l.Referrers, err = referrers(s, rd.refs.refs); err != nil {
			return sec, err
		}
		sec.Items = append(sec.Items, l)
	}
	sec.Total = len(sec.Items)
	slices.SortFunc(sec.Items, func(x, y RedirectedLink) int {
		return cmp.Or(cmp.Compare(y.LinkedFrom, x.LinkedFrom), strings.Compare(x.URL, y.URL))
	})
	sec.Items = clip(sec.Items, a.b.limit)
	return sec, nil
}

// canonicalConflicts looks at the canonical URL of each page that names another.
func (a *auditor) canonicalConflicts() (Section[CanonicalConflict], error) {
	s := a.b.s
	var out []CanonicalConflict
	for _, id := range a.canonicalFrom {
		n, err := s.Node(id)
		if err != nil {
			return Section[CanonicalConflict]{}, err
		}
		c := CanonicalConflict{URL: n.URL, Canonical: n.Facts.Canonical}
		t, found, err := s.Lookup(c.Canonical)
		if err != nil {
			return Section[CanonicalConflict]{}, err
		}
		if !found {
			continue // not recorded (longer than the store keeps): nothing to tell
		}
		c.State, c.Status = t.State.String(), t.Status
		switch {
		case t.State == crawl.StateSkipped && t.Error == crawl.ReasonNofollow:
			c.Kind = CanonicalUnlinked
		case t.State == crawl.StateFailed || t.State == crawl.StateBlocked || t.State == crawl.StateDone && t.Status != 200:
			c.Kind = CanonicalNotOK
		case t.State == crawl.StateDone && t.Facts != nil && t.Facts.Canonical != "" && t.Facts.Canonical != t.URL:
			c.Kind, c.Next = CanonicalChain, t.Facts.Canonical
			if c.Next == n.URL {
				c.Kind = CanonicalLoop
			}
		default:
			continue // a page 200, or a URL out of the scope or not fetched: nothing to tell
		}
		out = append(out, c)
	}
	for _, id := range a.multiple {
		n, err := s.Node(id)
		if err != nil {
			return Section[CanonicalConflict]{}, err
		}
		if !crawledPage(&n) || a.b.excluded(n.URL) {
			continue
		}
		out = append(out, CanonicalConflict{URL: n.URL, Canonical: n.Facts.Canonical, Kind: CanonicalMultiple, State: n.State.String(), Status: n.Status})
	}
	slices.SortFunc(out, func(x, y CanonicalConflict) int {
		return cmp.Or(strings.Compare(x.URL, y.URL), strings.Compare(x.Kind, y.Kind))
	})
	return Section[CanonicalConflict]{Total: len(out), Items: clip(out, a.b.limit)}, nil
}

// fragments reads the fragment references and lists those a crawled page does not define.
func (a *auditor) fragments(ctx context.Context) error {
	b, s := a.b, a.b.s
	type key struct {
		dst      uint64
		fragment string
	}
	bad := map[key]*references{}
	cache := map[uint64]*crawl.Targets{}
	n := 0
	err := s.EachFragmentRef(func(ref store.FragmentRef) error {
		if n++; n%checkEvery == 1 && ctx.Err() != nil {
			return ctx.Err()
		}
		if !a.crawled.has(ref.Dst) {
			return nil // not a page read: what it defines is unknown
		}
		tg := cache[ref.Dst]
		if tg == nil {
			t, _, err := s.Targets(ref.Dst) // none recorded: a page without ids
			if err != nil {
				return err
			}
			if len(cache) >= 1024 {
				clear(cache)
			}
			tg = &t
			cache[ref.Dst] = tg
		}
		if tg.Truncated || tg.Has(ref.Fragment) || crawl.TopFragment(ref.Fragment) {
			return nil
		}
		k := key{ref.Dst, ref.Fragment}
		r := bad[k]
		if r == nil {
			r = &references{}
			bad[k] = r
		}
		r.add(&crawl.Edge{Src: ref.Src, Dst: ref.Dst, Kind: crawl.KindLink}, b.opt.Referrers)
		return nil
	})
	if err != nil {
		return err
	}
	sec := Section[BrokenFragment]{Items: []BrokenFragment{}}
	for k, refs := range bad {
		page, err := s.Node(k.dst)
		if err != nil {
			return err
		}
		f := BrokenFragment{URL: page.URL + "#" + k.fragment, Page: page.URL, Fragment: k.fragment,
			LinkedFrom: refs.linkedFrom, MoreReferrers: refs.linkedFrom - len(refs.refs)}
		if b.excluded(f.URL) {
			continue
		}
		if f.Referrers, err = referrers(s, refs.refs); err != nil {
			return err
		}
		sec.Items = append(sec.Items, f)
	}
	sec.Total = len(sec.Items)
	slices.SortFunc(sec.Items, func(x, y BrokenFragment) int {
		return cmp.Or(cmp.Compare(y.LinkedFrom, x.LinkedFrom), strings.Compare(x.URL, y.URL))
	})
	sec.Items = clip(sec.Items, b.limit)
	b.r.BrokenFragments = sec
	return nil
}

// duplicates reads the nodes again to list the titles and descriptions several pages
// share, if the first pass found any.
func (a *auditor) duplicates(ctx context.Context) error {
	if !a.titles.shared() && !a.descriptions.shared() {
		return nil
	}
	b := a.b
	n := 0
	err := b.s.EachNode(func(node crawl.Node) error {
		if n++; n%checkEvery == 1 && ctx.Err() != nil {
			return ctx.Err()
		}
		if !indexable(&node) || b.excluded(node.URL) {
			return nil
		}
		a.titles.group(node.URL, node.Title, node.Facts.HasTitle, b.opt.Referrers)
		a.descriptions.group(node.URL, node.Facts.Description, node.Facts.HasDescription, b.opt.Referrers)
		return nil
	})
	if err != nil {
		return err
	}
	a.titles.sortGroups(b.limit)
	a.descriptions.sortGroups(b.limit)
	return nil
}

// textAudit finds the titles (or descriptions) of indexable pages that are missing, empty,
// too long or shared: a first pass counts each text by its hash, a second groups the pages
// of the texts counted more than once.
type textAudit struct {
	max                   int
	missing, empty        *topHeap[PageRef]
	long                  *topHeap[LongText]
	missingN, emptyN      int
	longN                 int
	counts                map[uint64]uint32
	seed                  maphash.Seed
	groups                map[uint64]*Duplicate
	duplicates            []Duplicate
	sharedTexts, dupTotal int
	keep                  int // the URLs listed per group (Options.Referrers; 0: all)
}

func (t *textAudit) init(max int) {
	byURL := func(x, y PageRef) bool { return x.URL < y.URL }
	t.max, t.seed, t.counts = max, maphash.MakeSeed(), map[uint64]uint32{}
	t.missing, t.empty = &topHeap[PageRef]{less: byURL}, &topHeap[PageRef]{less: byURL}
	t.long = &topHeap[LongText]{less: func(x, y LongText) bool { return x.URL < y.URL }}
}

func (t *textAudit) add(u, text string, has bool, limit int) {
	switch {
	case !has:
		t.missingN++
		t.missing.offer(PageRef{URL: u}, limit)
		return
	case text == "":
		t.emptyN++
		t.empty.offer(PageRef{URL: u}, limit)
		return
	}
	if n := utf8.RuneCountInString(text); n > t.max {
		t.longN++
		t.long.offer(LongText{URL: u, Text: text, Length: n}, limit)
	}
	h := maphash.String(t.seed, text)
	if c := t.counts[h]; c < 2 {
		t.counts[h] = c + 1
		if c == 1 {
			t.sharedTexts++
		}
	}
}

// shared reports whether some text was counted more than once.
func (t *textAudit) shared() bool { return t.sharedTexts > 0 }

// group adds a page to its text's group, if the text is shared.
func (t *textAudit) group(u, text string, has bool, keep int) {
	if !has || text == "" {
		return
	}
	h := maphash.String(t.seed, text)
	if t.counts[h] < 2 {
		return
	}
	if t.groups == nil {
		t.groups = map[uint64]*Duplicate{}
	}
	g := t.groups[h]
	if g == nil {
		g = &Duplicate{Text: text, URLs: []string{}}
		t.groups[h] = g
	}
	g.Pages++
	g.URLs = append(g.URLs, u)
	if keep > 0 && len(g.URLs) >= 2*keep {
		// Only the first keep by URL are listed: the group holds no more than twice that.
		slices.Sort(g.URLs)
		g.URLs = g.URLs[:keep]
	}
	t.keep = keep
}

func (t *textAudit) sortGroups(limit int) {
	for _, g := range t.groups {
		slices.Sort(g.URLs)
		if t.keep > 0 && len(g.URLs) > t.keep {
			g.URLs = g.URLs[:t.keep]
		}
		t.duplicates = append(t.duplicates, *g)
	}
	t.groups = nil
	slices.SortFunc(t.duplicates, func(x, y Duplicate) int {
		return cmp.Or(cmp.Compare(y.Pages, x.Pages), strings.Compare(x.Text, y.Text))
	})
	t.dupTotal = len(t.duplicates)
	t.duplicates = clip(t.duplicates, limit)
}

func (t *textAudit) findings() TextFindings {
	return TextFindings{
		Missing:   Section[PageRef]{Total: t.missingN, Items: t.missing.sorted()},
		Empty:     Section[PageRef]{Total: t.emptyN, Items: t.empty.sorted()},
		TooLong:   Section[LongText]{Total: t.longN, Items: t.long.sorted()},
		Duplicate: Section[Duplicate]{Total: t.dupTotal, Items: clip(t.duplicates, len(t.duplicates))},
	}
}

// bitset is a set of node ids, a bit each.
type bitset []uint64

func (s *bitset) set(id uint64) {
	for uint64(len(*s)) <= id/64 {
		*s = append(*s, 0)
	}
	(*s)[id/64] |= 1 << (id % 64)
}

func (s bitset) has(id uint64) bool {
	return id/64 < uint64(len(s)) && s[id/64]&(1<<(id%64)) != 0
}

// isRedirect reports whether an HTTP status is a redirect the crawl follows.
func isRedirect(status int) bool {
	switch status {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}
