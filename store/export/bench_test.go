package export

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
)

// synthSource generates a crawl graph on the fly: every tenth node is an external link
// target, the other nodes share the edges evenly; nothing is held in memory. Strings come
// from small pools so that the Source itself does not allocate.
type synthSource struct {
	nodes, edges int
	urls, titles []string
	anchors      []string
}

func newSynth(nodes, edges int) *synthSource {
	s := &synthSource{nodes: nodes, edges: edges}
	for i := range 1024 {
		s.urls = append(s.urls, fmt.Sprintf("https://h%d.example%d.com/section/%d/page?id=%d", i%64, i%7, i, i*31))
	}
	s.titles = []string{"", "Plain title", `Title with "quotes", commas & <markup>`, "Ünïcödé — 日本語", "tab\tand\nnewline"}
	s.anchors = []string{"", "read more", "next »", `a "quoted" <anchor>`}
	return s
}

func (s *synthSource) EachNode(fn func(crawl.Node) error) error {
	t := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := 1; i <= s.nodes; i++ {
		n := crawl.Node{ID: uint64(i), URL: s.urls[i%len(s.urls)], State: crawl.StateDone, Depth: i % 5,
			Status: 200, ContentType: "text/html", Size: int64(i * 37), Title: s.titles[i%len(s.titles)], FetchedAt: t}
		if i%10 == 0 {
			n = crawl.Node{ID: uint64(i), URL: s.urls[i%len(s.urls)], State: crawl.StateExternal}
		}
		if err := fn(n); err != nil {
			return err
		}
	}
	return nil
}

func (s *synthSource) EachEdge(fn func(crawl.Edge) error) error {
	pages := s.nodes - s.nodes/10
	per, extra := s.edges/pages, s.edges%pages
	k := 0
	for i := 1; i <= s.nodes; i++ {
		if i%10 == 0 {
			continue // external pages have no links
		}
		n := per
		if k < extra {
			n++
		}
		k++
		for j := range n {
			e := crawl.Edge{Src: uint64(i), Dst: uint64((i*7919+j*104729)%s.nodes + 1), Kind: crawl.KindLink,
				Anchor: s.anchors[j%len(s.anchors)], Count: 1 + j%3}
			if j%17 == 0 {
				e.Kind, e.Rel = crawl.KindCanonical, "canonical"
			}
			if j%5 == 0 {
				e.Rel = "nofollow"
			}
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// edgeCount counts the edges the Source yields.
func edgeCount(src Source) int {
	n := 0
	src.EachEdge(func(crawl.Edge) error { n++; return nil })
	return n
}

func BenchmarkWrite(b *testing.B) {
	const edges = 1_000_000
	src := newSynth(100_000, edges)
	if n := edgeCount(src); n != edges {
		b.Fatalf("synthetic source has %d edges, want %d", n, edges)
	}
	cases := []Options{}
	for _, f := range Formats() {
		cases = append(cases, Options{Format: f, MaxNodes: -1})
	}
	cases = append(cases,
		Options{Format: FormatCSV, Neo4j: true},
		Options{Format: FormatGraphML, InternalOnly: true},
		Options{Format: FormatGEXF, Level: LevelHost},
		Options{Format: FormatJSONL, Level: LevelDomain},
	)
	discard := func(string) (io.WriteCloser, error) { return nopCloser{io.Discard}, nil }
	for _, opt := range cases {
		name := opt.Format
		if opt.Neo4j {
			name += "/neo4j"
		}
		if opt.InternalOnly {
			name += "/internal"
		}
		if opt.Level != "" {
			name += "/" + opt.Level
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Write(src, opt, discard); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(edges)*float64(b.N)/b.Elapsed().Seconds(), "edges/s")
		})
	}
}
