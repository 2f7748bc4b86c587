package export

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store/export/exporttest"
)

// memSource is an in-memory Source.
type memSource struct {
	nodes   []crawl.Node
	edges   []crawl.Edge
	hosts   []crawl.HostRecord
	nodeErr error // returned by EachNode after the last node
	edgeErr error // returned by EachEdge after the last edge
}

func (s *memSource) EachNode(fn func(crawl.Node) error) error {
	for _, n := range s.nodes {
		if err := fn(n); err != nil {
			return err
		}
	}
	return s.nodeErr
}

func (s *memSource) EachHost(fn func(crawl.HostRecord) error) error {
	for _, h := range s.hosts {
		if err := fn(h); err != nil {
			return err
		}
	}
	return nil
}

// plainSource is a Source that cannot list host records.
type plainSource struct{ src *memSource }

func (p plainSource) EachNode(fn func(crawl.Node) error) error { return p.src.EachNode(fn) }
func (p plainSource) EachEdge(fn func(crawl.Edge) error) error { return p.src.EachEdge(fn) }

func (s *memSource) EachEdge(fn func(crawl.Edge) error) error {
	for _, e := range s.edges {
		if err := fn(e); err != nil {
			return err
		}
	}
	return s.edgeErr
}

// nasty strings that every format must carry (or clean in a documented way).
var nasty = []string{
	`He said "hi", then left`,
	"tab\there,comma;semi",
	"line1\nline2\r\nline3\rend",
	`<&>'"]]> &amp; <!-- x -->`,
	"Ünïcödé — 日本語 🚀",
	"ctrl\x00\x01\x1f\x7f\u0085 end",
	"bad utf8 \xff\xfe\xc3 end",
	"\uFFFE\uFFFF nonchars \U0010FFFD",
	" leading and trailing space ",
	`back\slash\`,
	`\"\\n`,
	`=,;[]{}-> "digraph" }`,
	"\u2028sep\u2029",
}

// fixture is a small crawl: pages on several hosts, an external link target, every state,
// parallel edges of different kinds, a self-loop and strings that need escaping.
func fixture() *memSource {
	t0 := time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("X", 3600))
	n := func(id uint64, u string, s crawl.State, title string) crawl.Node {
		nd := crawl.Node{ID: id, URL: u, State: s, Depth: int(id % 4), Title: title}
		if s == crawl.StateDone {
			nd.Status, nd.ContentType, nd.Size, nd.FetchedAt = 200, "text/html", int64(id)*1000, t0.Add(time.Duration(id)*time.Minute)
			nd.NoIndex = id%3 == 0
			nd.Truncated = id%4 == 1
			nd.Duration = time.Duration(id)*1234567*time.Nanosecond + time.Duration(id%2)*time.Second
			if id != 11 { // a done page without facts: not HTML, or recorded before facts were kept
				nd.Facts = &crawl.PageFacts{
					HasTitle: title != "", Description: nasty[int(id+3)%len(nasty)], HasDescription: id%2 == 0,
					H1: nasty[int(id+5)%len(nasty)], H1Count: int(id % 3), Canonical: nasty[int(id+7)%len(nasty)],
					Hreflang: []string{"", "en de-CH x-default", " fr\tnl "}[id%3], Lang: []string{"", "en", "zh-Hant-TW"}[id%3],
					Words: int(id * id * 100),
				}
			}
		}
		nd.InSitemap = id == 1 || id == 6 || id == 9
		if s == crawl.StateFailed || s == crawl.StateSkipped {
			nd.Error = nasty[int(id)%len(nasty)]
		}
		return nd
	}
	src := &memSource{nodes: []crawl.Node{
		n(1, "https://www.example.com/", crawl.StateDone, nasty[0]),
		n(2, "https://www.example.com/a?x=1&y=\"2\"", crawl.StateDone, nasty[1]),
		n(3, "https://blog.example.com/p%C3%A9/日本", crawl.StateDone, nasty[2]),
		n(4, "https://WWW.Example.com:8443/b,c", crawl.StateFailed, nasty[3]),
		n(5, "https://sub.example.co.uk/x", crawl.StateDone, nasty[4]),
		n(6, "http://127.0.0.1:8080/admin", crawl.StatePending, ""),
		n(7, "http://localhost/x", crawl.StateBlocked, ""),
		n(8, "https://例え.jp/パス", crawl.StateExternal, ""),
		n(9, "https://other.org/", crawl.StateExternal, ""),
		n(10, "https://[::1]:8443/p", crawl.StateSkipped, nasty[5]),
		n(11, "https://www.example.com/t", crawl.StateDone, nasty[6]),
		n(12, "https://www.example.com/u", crawl.StateDone, nasty[7]),
		n(13, "https://www.example.com/v", crawl.StateDone, nasty[8]),
		n(14, "https://www.example.com/w", crawl.StateDone, nasty[9]),
		n(15, "https://www.example.com/y", crawl.StateDone, nasty[10]+nasty[11]+nasty[12]),
	}}
	// Sitemaps were read on two sites, www.example.com and one no page of which is a node.
	src.hosts = []crawl.HostRecord{
		{Origin: "https://www.example.com", SitemapsReadAt: t0},
		{Origin: "https://blog.example.com:8443", SitemapsReadAt: t0},
		{Origin: "https://sub.example.co.uk"},
	}
	e := func(s, d uint64, k crawl.EdgeKind, rel, anchor string, c int) crawl.Edge {
		return crawl.Edge{Src: s, Dst: d, Kind: k, Rel: rel, Anchor: anchor, Count: c}
	}
	src.edges = []crawl.Edge{
		e(1, 1, crawl.KindLink, "", "home", 1),
		e(1, 2, crawl.KindLink, "nofollow", nasty[0], 2),
		e(1, 2, crawl.KindCanonical, "canonical", "", 1),
		e(1, 3, crawl.KindLink, "NoFollow noopener", nasty[2], 1),
		e(1, 8, crawl.KindLink, "", nasty[4], 3),
		e(2, 1, crawl.KindRedirect, "", "", 1),
		e(2, 4, crawl.KindLink, "", nasty[3], 1),
		e(2, 9, crawl.KindLink, "", nasty[5], 1),
		e(3, 1, crawl.KindLink, "", nasty[6], 4),
		e(3, 5, crawl.KindAlternate, "alternate", nasty[7], 1),
		e(3, 99, crawl.KindLink, "", "dangling", 1), // no such node: never exported
		e(5, 6, crawl.KindLink, "", nasty[8], 1),
		e(5, 7, crawl.KindLink, "", nasty[9], 2),
		e(5, 9, crawl.EdgeKind(99), "", nasty[10], 1),
		e(11, 12, crawl.KindLink, "", nasty[11], 1),
		e(12, 13, crawl.KindLink, "", nasty[12], 1),
		e(13, 14, crawl.KindLink, "", "", 1),
		e(14, 15, crawl.KindLink, "", "", 1),
		e(15, 10, crawl.KindLink, "", "", 1),
	}
	return src
}

// readBack reads the export in b back.
func readBack(opt Options, b *buffers) (*exporttest.Graph, error) {
	stream := func(name string) ([]byte, error) {
		buf, ok := b.streams[name]
		if !ok {
			return nil, fmt.Errorf("no %s stream", name)
		}
		return buf.Bytes(), nil
	}
	if opt.Format == FormatCSV || opt.Format == FormatTSV {
		nodes, err := stream(StreamNodes)
		if err != nil {
			return nil, err
		}
		edges, err := stream(StreamEdges)
		if err != nil {
			return nil, err
		}
		switch {
		case opt.Format == FormatCSV:
			return exporttest.ParseCSV(nodes, edges, ',')
		case opt.Neo4j:
			return exporttest.ParseCSV(nodes, edges, '\t') // neo4j-admin's tsv is quoted
		}
		return exporttest.ParseTSV(nodes, edges)
	}
	data, err := stream(StreamGraph)
	if err != nil {
		return nil, err
	}
	switch opt.Format {
	case FormatJSONL:
		return exporttest.ParseJSONL(data)
	case FormatGraphML:
		return exporttest.ParseGraphML(data)
	case FormatGEXF:
		return exporttest.ParseGEXF(data, opt.Level)
	case FormatDOT:
		return exporttest.ParseDOT(data, opt.Level)
	}
	return nil, fmt.Errorf("no parser for %q", opt.Format)
}

// cleaner is what a format does to strings, written independently of the encoders.
func cleaner(opt Options) func(string) string {
	valid := func(s string) string { return strings.ToValidUTF8(s, "") }
	switch {
	case opt.Format == FormatTSV && !opt.Neo4j: // escaped, not quoted: read back exactly
		return valid
	case opt.Format == FormatCSV, opt.Format == FormatTSV:
		// encoding/csv reads a CRLF inside a quoted field back as LF.
		return func(s string) string { return strings.ReplaceAll(valid(s), "\r\n", "\n") }
	case opt.Format == FormatGraphML, opt.Format == FormatGEXF, opt.Format == FormatDOT:
		return func(s string) string {
			return strings.Map(func(r rune) rune {
				if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r <= 0x9f) || r == 0xfffe || r == 0xffff {
					return -1
				}
				return r
			}, valid(s))
		}
	}
	return valid
}

// testHost is the host of a URL per net/url, for comparison with store.HostName.
func testHost(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return strings.ToLower(p.Hostname())
}

// want computes the graph Write should export, independently of the package's code.
func want(src *memSource, opt Options) *exporttest.Graph {
	return wantFrom(src, opt, true)
}

// wantFrom is want, where hosts says whether Write can read src's host records.
func wantFrom(src *memSource, opt Options, hosts bool) *exporttest.Graph {
	clean := cleaner(opt)
	sitemapsRead := map[string]bool{}
	for _, h := range src.hosts {
		if hosts && !h.SitemapsReadAt.IsZero() {
			sitemapsRead[h.Origin] = true
		}
	}
	keep := map[uint64]bool{}
	for _, n := range src.nodes {
		k := len(opt.States) == 0 || slices.Contains(opt.States, n.State)
		if opt.InternalOnly && n.State == crawl.StateExternal {
			k = false
		}
		keep[n.ID] = k
	}
	var edges []crawl.Edge
	for _, e := range src.edges {
		if keep[e.Src] && keep[e.Dst] {
			edges = append(edges, e)
		}
	}
	g := exporttest.NewGraph()
	if opt.Level == LevelHost || opt.Level == LevelDomain {
		return wantGroups(src, opt, keep, edges)
	}
	in, out := map[uint64]int{}, map[uint64]int{}
	for _, e := range edges {
		out[e.Src]++
		in[e.Dst]++
	}
	for _, n := range src.nodes {
		if !keep[n.ID] {
			continue
		}
		fetched := ""
		if !n.FetchedAt.IsZero() {
			fetched = n.FetchedAt.UTC().Format(time.RFC3339)
		}
		attrs := map[string]string{
			"url": clean(n.URL), "host": testHost(n.URL), "state": n.State.String(),
			"content_type": n.ContentType, "depth": strconv.Itoa(n.Depth),
			"title": clean(n.Title), "fetched_at": fetched, "error": clean(n.Error),
			"in_degree": strconv.Itoa(in[n.ID]), "out_degree": strconv.Itoa(out[n.ID]),
		}
		if n.State == crawl.StateDone { // what only a response tells, empty for the others
			attrs["status"] = strconv.Itoa(n.Status)
			attrs["bytes"] = strconv.FormatInt(n.Size, 10)
			attrs["noindex"] = strconv.FormatBool(n.NoIndex)
			attrs["truncated"] = strconv.FormatBool(n.Truncated)
			us := n.Duration.Microseconds() // milliseconds to the microsecond
			attrs["response_ms"] = strings.TrimRight(strings.TrimRight(fmt.Sprintf("%d.%03d", us/1000, us%1000), "0"), ".")
		}
		if f := n.Facts; f != nil {
			attrs["description"], attrs["h1"], attrs["canonical"] = clean(f.Description), clean(f.H1), clean(f.Canonical)
			attrs["hreflang"], attrs["lang"] = clean(f.Hreflang), clean(f.Lang)
			attrs["h1_count"], attrs["word_count"] = strconv.Itoa(f.H1Count), strconv.Itoa(f.Words)
		}
		if p, err := url.Parse(n.URL); n.InSitemap || err == nil && sitemapsRead[p.Scheme+"://"+p.Host] {
			attrs["in_sitemap"] = strconv.FormatBool(n.InSitemap)
		}
		g.AddNode(strconv.FormatUint(n.ID, 10), attrs)
	}
	for _, e := range edges {
		g.AddEdge(map[string]string{
			"source": strconv.FormatUint(e.Src, 10), "target": strconv.FormatUint(e.Dst, 10),
			"kind": e.Kind.String(), "rel": clean(e.Rel), "nofollow": strconv.FormatBool(e.Nofollow()),
			"anchor": clean(e.Anchor), "count": strconv.Itoa(e.Count),
		})
	}
	return g
}

func wantGroups(src *memSource, opt Options, keep map[uint64]bool, edges []crawl.Edge) *exporttest.Graph {
	name := func(u string) string {
		h := testHost(u)
		if opt.Level == LevelDomain && strings.Contains(h, ".") && net.ParseIP(h) == nil {
			if d, err := publicsuffix.EffectiveTLDPlusOne(h); err == nil {
				return d
			}
		}
		return h
	}
	ids := map[string]int{}
	var order []string
	counts := map[string]map[string]int{}
	groupOf := map[uint64]string{}
	for _, n := range src.nodes {
		if !keep[n.ID] {
			continue
		}
		k := name(n.URL)
		groupOf[n.ID] = k
		if _, ok := ids[k]; !ok {
			order = append(order, k)
			ids[k] = len(order)
			counts[k] = map[string]int{}
		}
		counts[k]["pages"]++
		counts[k]["pages_"+strings.ReplaceAll(n.State.String(), "-", "_")]++
	}
	type pair struct{ s, d string }
	weight, folded := map[pair]int{}, map[pair]int{}
	for _, e := range edges {
		p := pair{groupOf[e.Src], groupOf[e.Dst]}
		weight[p] += e.Count
		folded[p]++
	}
	in, out := map[string]int{}, map[string]int{}
	g := exporttest.NewGraph()
	for p := range weight {
		out[p.s]++
		in[p.d]++
		g.AddEdge(map[string]string{
			"source": strconv.Itoa(ids[p.s]), "target": strconv.Itoa(ids[p.d]),
			"weight": strconv.Itoa(weight[p]), "page_edges": strconv.Itoa(folded[p]),
		})
	}
	for _, k := range order {
		a := map[string]string{opt.Level: k, "in_degree": strconv.Itoa(in[k]), "out_degree": strconv.Itoa(out[k])}
		for _, s := range []string{"pages", "pages_pending", "pages_done", "pages_failed", "pages_robots_blocked", "pages_external", "pages_skipped"} {
			a[s] = strconv.Itoa(counts[k][s])
		}
		g.AddNode(strconv.Itoa(ids[k]), a)
	}
	return g
}

// buffers is an OpenFunc target that keeps each stream in memory.
type buffers struct {
	streams map[string]*closeBuffer
	order   []string
}

type closeBuffer struct {
	bytes.Buffer
	closed bool
}

func (b *closeBuffer) Close() error {
	if b.closed {
		return fmt.Errorf("closed twice")
	}
	b.closed = true
	return nil
}

func (b *buffers) open(stream string) (io.WriteCloser, error) {
	if b.streams == nil {
		b.streams = map[string]*closeBuffer{}
	}
	if _, dup := b.streams[stream]; dup {
		return nil, fmt.Errorf("stream %s opened twice", stream)
	}
	cb := &closeBuffer{}
	b.streams[stream] = cb
	b.order = append(b.order, stream)
	return cb, nil
}
