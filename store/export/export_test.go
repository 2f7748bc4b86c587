package export

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/parse"
	"github.com/crawl-project/crawl/store"
	"github.com/crawl-project/crawl/store/export/exporttest"
)

// export runs Write into memory buffers and checks that every opened stream was closed.
func export(t *testing.T, src Source, opt Options) *buffers {
	t.Helper()
	var b buffers
	if err := Write(src, opt, b.open); err != nil {
		t.Fatalf("Write(%+v): %v", opt, err)
	}
	streams, _ := Streams(opt.Format)
	if !slices.Equal(b.order, streams) {
		t.Fatalf("opened streams %v, want %v", b.order, streams)
	}
	for name, s := range b.streams {
		if !s.closed {
			t.Errorf("stream %s not closed", name)
		}
	}
	return &b
}

func TestRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		opt  Options
	}{
		{"all", Options{}},
		{"internal", Options{InternalOnly: true}},
		{"done", Options{States: []crawl.State{crawl.StateDone}}},
		{"done+external", Options{States: []crawl.State{crawl.StateDone, crawl.StateExternal}}},
		{"internal+states", Options{InternalOnly: true, States: []crawl.State{crawl.StateDone, crawl.StateExternal, crawl.StatePending}}},
		{"host", Options{Level: LevelHost}},
		{"host internal", Options{Level: LevelHost, InternalOnly: true}},
		{"domain", Options{Level: LevelDomain}},
		{"domain done", Options{Level: LevelDomain, States: []crawl.State{crawl.StateDone}}},
		{"page explicit", Options{Level: LevelPage}},
	}
	for _, format := range append(Formats(), "gexf-1.3") {
		for _, neo4j := range []bool{false, true} {
			if neo4j && format != FormatCSV && format != FormatTSV {
				continue
			}
			for _, c := range cases {
				opt := c.opt
				opt.Format, opt.Neo4j = format, neo4j
				if format == "gexf-1.3" {
					opt.Format, opt.GEXFVersion = FormatGEXF, GEXF13
				}
				name := format + "/" + c.name
				if neo4j {
					name = format + "/neo4j/" + c.name
				}
				t.Run(name, func(t *testing.T) {
					src := fixture()
					b := export(t, src, opt)
					got, err := readBack(opt, b)
					if err != nil {
						t.Fatalf("parse: %v", err)
					}
					w := want(src, opt)
					if neo4j {
						w.Neo4j(opt.Level)
					}
					if len(w.Nodes) == 0 || len(w.Edges) == 0 {
						t.Fatalf("case exports an empty graph: %d nodes, %d edges", len(w.Nodes), len(w.Edges))
					}
					if d := got.Diff(w); d != "" {
						t.Errorf("round trip differs:\n%s", d)
					}
				})
			}
		}
	}
}

// TestWeights checks host and domain aggregation against hand-computed values.
func TestWeights(t *testing.T) {
	src := &memSource{
		nodes: []crawl.Node{
			{ID: 1, URL: "https://a.example.com/", State: crawl.StateDone},
			{ID: 2, URL: "https://a.example.com/x", State: crawl.StateDone},
			{ID: 3, URL: "https://b.example.com/", State: crawl.StateFailed},
			{ID: 4, URL: "https://other.net/", State: crawl.StateExternal},
		},
		edges: []crawl.Edge{
			{Src: 1, Dst: 2, Kind: crawl.KindLink, Count: 3},
			{Src: 1, Dst: 3, Kind: crawl.KindLink, Count: 2},
			{Src: 1, Dst: 4, Kind: crawl.KindLink, Count: 1},
			{Src: 2, Dst: 1, Kind: crawl.KindRedirect, Count: 1},
			{Src: 2, Dst: 3, Kind: crawl.KindLink, Count: 5},
			{Src: 2, Dst: 4, Kind: crawl.KindLink, Count: 7},
		},
	}
	cases := []struct {
		opt   Options
		nodes []string
		edges []string
	}{
		{Options{Level: LevelHost},
			[]string{`{"type":"node","id":1,"host":"a.example.com","pages":2,"pages_pending":0,"pages_done":2,"pages_failed":0,"pages_robots_blocked":0,"pages_external":0,"pages_skipped":0,"in_degree":1,"out_degree":3}`,
				`{"type":"node","id":2,"host":"b.example.com","pages":1,"pages_pending":0,"pages_done":0,"pages_failed":1,"pages_robots_blocked":0,"pages_external":0,"pages_skipped":0,"in_degree":1,"out_degree":0}`,
				`{"type":"node","id":3,"host":"other.net","pages":1,"pages_pending":0,"pages_done":0,"pages_failed":0,"pages_robots_blocked":0,"pages_external":1,"pages_skipped":0,"in_degree":1,"out_degree":0}`},
			[]string{`{"type":"edge","source":1,"target":1,"weight":4,"page_edges":2}`,
				`{"type":"edge","source":1,"target":2,"weight":7,"page_edges":2}`,
				`{"type":"edge","source":1,"target":3,"weight":8,"page_edges":2}`}},
		{Options{Level: LevelDomain, InternalOnly: true},
			[]string{`{"type":"node","id":1,"domain":"example.com","pages":3,"pages_pending":0,"pages_done":2,"pages_failed":1,"pages_robots_blocked":0,"pages_external":0,"pages_skipped":0,"in_degree":1,"out_degree":1}`},
			[]string{`{"type":"edge","source":1,"target":1,"weight":11,"page_edges":4}`}},
	}
	for _, c := range cases {
		c.opt.Format = FormatJSONL
		b := export(t, src, c.opt)
		got := strings.Split(strings.TrimSuffix(b.streams[StreamGraph].String(), "\n"), "\n")
		if w := append(c.nodes, c.edges...); !slices.Equal(got, w) {
			t.Errorf("%+v:\n got %s\nwant %s", c.opt, strings.Join(got, "\n     "), strings.Join(w, "\n     "))
		}
	}
}

// TestNeo4jHeaders checks the neo4j-admin headers: an ID space per level, so that page and
// host imports do not mix ids; typed properties with rel as string[]; External for URLs out
// of scope. CheckNeo4j then reads the files as neo4j-admin's header rules say.
func TestNeo4jHeaders(t *testing.T) {
	cases := []struct {
		opt          Options
		nodes, edges string
	}{
		{Options{Format: FormatCSV, Neo4j: true},
			"id:ID(Page),url,host,state,status:int,content_type,bytes:long,depth:int,title,fetched_at:datetime,error,truncated:boolean,in_degree:long,out_degree:long,noindex:boolean,description,h1,h1_count:int,canonical,hreflang:string[],lang,word_count:long,response_ms:double,in_sitemap:boolean,:LABEL",
			":START_ID(Page),:END_ID(Page),:TYPE,rel:string[],nofollow:boolean,anchor,count:int"},
		{Options{Format: FormatTSV, Neo4j: true},
			"id:ID(Page)\turl\thost\tstate\tstatus:int\tcontent_type\tbytes:long\tdepth:int\ttitle\tfetched_at:datetime\terror\ttruncated:boolean\tin_degree:long\tout_degree:long\tnoindex:boolean\tdescription\th1\th1_count:int\tcanonical\threflang:string[]\tlang\tword_count:long\tresponse_ms:double\tin_sitemap:boolean\t:LABEL",
			":START_ID(Page)\t:END_ID(Page)\t:TYPE\trel:string[]\tnofollow:boolean\tanchor\tcount:int"},
		{Options{Format: FormatCSV},
			"id,url,host,state,status,content_type,bytes,depth,title,fetched_at,error,truncated,in_degree,out_degree,noindex,description,h1,h1_count,canonical,hreflang,lang,word_count,response_ms,in_sitemap",
			"source,target,kind,rel,nofollow,anchor,count"},
		{Options{Format: FormatCSV, Neo4j: true, Level: LevelHost},
			"id:ID(Host),host,pages:long,pages_pending:long,pages_done:long,pages_failed:long,pages_robots_blocked:long,pages_external:long,pages_skipped:long,in_degree:long,out_degree:long,:LABEL",
			":START_ID(Host),:END_ID(Host),:TYPE,weight:long,page_edges:long"},
		{Options{Format: FormatCSV, Neo4j: true, Level: LevelDomain},
			"id:ID(Domain),domain,pages:long,pages_pending:long,pages_done:long,pages_failed:long,pages_robots_blocked:long,pages_external:long,pages_skipped:long,in_degree:long,out_degree:long,:LABEL",
			":START_ID(Domain),:END_ID(Domain),:TYPE,weight:long,page_edges:long"},
	}
	for _, c := range cases {
		b := export(t, fixture(), c.opt)
		for stream, want := range map[string]string{StreamNodes: c.nodes, StreamEdges: c.edges} {
			got, _, _ := strings.Cut(b.streams[stream].String(), "\n")
			if got != want {
				t.Errorf("%+v %s header:\n got %s\nwant %s", c.opt, stream, got, want)
			}
		}
		if !c.opt.Neo4j {
			continue
		}
		comma := ','
		if c.opt.Format == FormatTSV {
			comma = '\t'
		}
		if err := exporttest.CheckNeo4j(b.streams[StreamNodes].Bytes(), b.streams[StreamEdges].Bytes(), comma); err != nil {
			t.Errorf("%+v: not what neo4j-admin imports: %v", c.opt, err)
		}
	}
	// Relationship types, rel arrays and labels in the data rows.
	b := export(t, fixture(), Options{Format: FormatCSV, Neo4j: true})
	edges := b.streams[StreamEdges].String()
	for _, typ := range []string{"\n1,1,LINK,", "\n2,1,REDIRECT,", "\n1,2,CANONICAL,", "\n3,5,ALTERNATE,", "\n5,9,KIND_99,", "\n1,3,LINK,NoFollow;noopener,true,"} {
		if !strings.Contains(edges, typ) {
			t.Errorf("edges lack %q", typ)
		}
	}
	nodes := b.streams[StreamNodes].String()
	for _, row := range []string{
		// Never fetched: no status, bytes, truncated, noindex, facts nor response time; in a sitemap.
		"\n6,http://127.0.0.1:8080/admin,127.0.0.1,pending,,,,2,,,,,1,0,,,,,,,,,,true,Page\n",
		"\n9,https://other.org/,other.org,external,,,,1,,,,,2,0,,,,,,,,,,true,External\n",
		// Facts with an array of hreflang values, a response time in milliseconds, in a sitemap.
		"\n1,https://www.example.com/,www.example.com,done,200,text/html,1000,1,\"He said \"\"hi\"\", then left\",2024-05-06T06:09:09Z,,true,3,5,false,Ünïcödé — 日本語 🚀,bad utf8  end,1,\" leading and trailing space \",en;de-CH;x-default,en,100,1001.234,true,Page\n",
	} {
		if !strings.Contains(nodes, row) {
			t.Errorf("nodes lack row %q:\n%s", row, nodes)
		}
	}
	// Pages and hosts of one crawl imported together keep apart: their ids are in two spaces.
	host := export(t, fixture(), Options{Format: FormatCSV, Neo4j: true, Level: LevelHost})
	files := func(stream string, noSpaces bool) [][]byte {
		var out [][]byte
		for _, f := range []*buffers{b, host} {
			data := f.streams[stream].String()
			if noSpaces {
				data = strings.NewReplacer("(Page)", "", "(Host)", "").Replace(data)
			}
			out = append(out, []byte(data))
		}
		return out
	}
	if err := exporttest.CheckNeo4jImport(files(StreamNodes, false), files(StreamEdges, false), ','); err != nil {
		t.Errorf("page and host files in one import: %v", err)
	}
	if err := exporttest.CheckNeo4jImport(files(StreamNodes, true), files(StreamEdges, true), ','); err == nil {
		t.Error("without ID spaces, page and host ids collide, but the check passed")
	}
}

func TestDOTLimit(t *testing.T) {
	src := fixture()
	var b buffers
	err := Write(src, Options{Format: FormatDOT, MaxNodes: 3, InternalOnly: true}, b.open)
	var tooMany *TooManyNodesError
	if !errors.As(err, &tooMany) || tooMany.Nodes != 13 || tooMany.Max != 3 {
		t.Fatalf("err = %v, want TooManyNodesError{13, 3}", err)
	}
	if want := "dot export has 13 nodes, over --max-nodes 3; use --format graphml or gexf for large graphs, or raise --max-nodes (Graphviz's sfdp takes about 10 s for 3,000 pages)"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if len(b.order) != 0 {
		t.Errorf("opened %v before refusing", b.order)
	}
	// The limit counts exported nodes: hosts at the host level, 8 of them here.
	if err := Write(src, Options{Format: FormatDOT, MaxNodes: 7, Level: LevelHost}, new(buffers).open); !errors.As(err, &tooMany) || tooMany.Nodes != 8 {
		t.Errorf("host level: err = %v", err)
	}
	for _, opt := range []Options{
		{Format: FormatDOT, MaxNodes: 8, Level: LevelHost},
		{Format: FormatDOT, MaxNodes: 15},
		{Format: FormatDOT, MaxNodes: -1},
		{Format: FormatDOT},
		{Format: FormatGraphML, MaxNodes: 1},
	} {
		export(t, src, opt)
	}
	many := &memSource{}
	for i := range DefaultMaxNodes + 1 {
		many.nodes = append(many.nodes, crawl.Node{ID: uint64(i + 1), URL: "https://x.test/", State: crawl.StateDone})
	}
	if err := Write(many, Options{Format: FormatDOT}, new(buffers).open); !errors.As(err, &tooMany) || tooMany.Max != DefaultMaxNodes {
		t.Errorf("default limit: err = %v", err)
	}
}

func TestOptionErrors(t *testing.T) {
	for _, opt := range []Options{
		{Format: "xml"},
		{Format: ""},
		{Format: FormatCSV, Level: "site"},
		{Format: FormatJSONL, Neo4j: true},
	} {
		var b buffers
		if err := Write(fixture(), opt, b.open); err == nil {
			t.Errorf("Write(%+v) succeeded", opt)
		}
		if len(b.order) != 0 {
			t.Errorf("Write(%+v) opened %v", opt, b.order)
		}
	}
}

// failWriter fails after n bytes.
type failWriter struct {
	n      int
	closed bool
}

var errDisk = errors.New("disk full")

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, errDisk
	}
	w.n -= len(p)
	return len(p), nil
}

func (w *failWriter) Close() error { w.closed = true; return nil }

// closeErr accepts everything and fails on Close.
type closeErr struct{ err error }

func (closeErr) Write(p []byte) (int, error) { return len(p), nil }
func (c closeErr) Close() error              { return c.err }

func TestErrors(t *testing.T) {
	errSource := errors.New("snapshot gone")
	for _, format := range Formats() {
		for _, lvl := range []string{LevelPage, LevelHost} {
			opt := Options{Format: format, Level: lvl, MaxNodes: -1}
			// Failing output: the error surfaces and the stream is closed.
			var opened []*failWriter
			open := func(string) (io.WriteCloser, error) {
				w := &failWriter{n: 100}
				opened = append(opened, w)
				return w, nil
			}
			big := fixture()
			for i := range 20000 {
				big.nodes = append(big.nodes, crawl.Node{ID: uint64(100 + i), URL: fmt.Sprintf("https://h%d.test/", i%50), State: crawl.StateDone})
			}
			err := Write(big, opt, open)
			streams, _ := Streams(format)
			if want := fmt.Sprintf("export %s: write %s output: disk full", format, streams[0]); !errors.Is(err, errDisk) || err.Error() != want {
				t.Errorf("%s/%s: err = %v, want %s", format, lvl, err, want)
			}
			for _, w := range opened {
				if !w.closed {
					t.Errorf("%s/%s: output left open", format, lvl)
				}
			}
			// Failing Source, on either pass.
			for _, src := range []*memSource{{nodeErr: errSource}, {edgeErr: errSource}} {
				s := fixture()
				s.nodeErr, s.edgeErr = src.nodeErr, src.edgeErr
				if err := Write(s, opt, new(buffers).open); !errors.Is(err, errSource) {
					t.Errorf("%s/%s: err = %v, want %v", format, lvl, err, errSource)
				}
			}
			// Failing close.
			errClose := errors.New("quota exceeded")
			closeFails := func(string) (io.WriteCloser, error) { return closeErr{errClose}, nil }
			if err := Write(fixture(), opt, closeFails); !errors.Is(err, errClose) || !strings.Contains(err.Error(), "close ") {
				t.Errorf("%s/%s: err = %v, want %v", format, lvl, err, errClose)
			}
			// Failing open.
			errOpen := errors.New("no such directory")
			if err := Write(fixture(), opt, func(string) (io.WriteCloser, error) { return nil, errOpen }); !errors.Is(err, errOpen) {
				t.Errorf("%s/%s: err = %v, want %v", format, lvl, err, errOpen)
			}
		}
	}
}

// TestSparseIDs checks that IDs far apart are exported correctly without a table sized by
// the largest ID.
func TestSparseIDs(t *testing.T) {
	big := uint64(1) << 50
	src := &memSource{
		nodes: []crawl.Node{
			{ID: 1, URL: "https://a.test/", State: crawl.StateDone},
			{ID: 2, URL: "https://b.test/", State: crawl.StateDone},
			{ID: big, URL: "https://c.test/", State: crawl.StateDone},
			{ID: big + 5, URL: "https://c.test/x", State: crawl.StateDone},
		},
		edges: []crawl.Edge{
			{Src: 1, Dst: big, Kind: crawl.KindLink, Count: 1},
			{Src: 2, Dst: big, Kind: crawl.KindLink, Count: 1},
			{Src: big, Dst: big + 5, Kind: crawl.KindLink, Count: 1},
			{Src: big, Dst: big + 1, Kind: crawl.KindLink, Count: 1},
		},
	}
	for _, opt := range []Options{{Format: FormatJSONL}, {Format: FormatJSONL, Level: LevelHost}} {
		b := export(t, src, opt)
		got, err := readBack(opt, b)
		if err != nil {
			t.Fatal(err)
		}
		if d := got.Diff(want(src, opt)); d != "" {
			t.Errorf("%+v:\n%s", opt, d)
		}
	}
}

func TestHostAndDomain(t *testing.T) {
	for u, want := range map[string][2]string{
		"https://www.Example.COM/a":                  {"www.example.com", "example.com"},
		"http://user:pw@host.example.org:8080/p?q#f": {"host.example.org", "example.org"},
		"https://[2001:db8::1]:8443/":                {"2001:db8::1", "2001:db8::1"},
		"http://192.168.0.1/":                        {"192.168.0.1", "192.168.0.1"},
		"http://localhost:3000/":                     {"localhost", "localhost"},
		"https://a.b.example.co.uk/":                 {"a.b.example.co.uk", "example.co.uk"},
		"https://user.github.io/":                    {"user.github.io", "user.github.io"},
		"https://例え.jp/パス":                           {"例え.jp", "例え.jp"},
		"https://co.uk/":                             {"co.uk", "co.uk"},
		"https://example.com./":                      {"example.com.", "example.com"},
		"https://example.com?x=http://y/":            {"example.com", "example.com"},
		"mailto:x@example.com?u=http://y/":           {"", ""},
		"not a url":                                  {"", ""},
	} {
		h := store.HostName(u)
		if h != want[0] {
			t.Errorf("store.HostName(%q) = %q, want %q", u, h, want[0])
		}
		if d := parse.Domain(h); d != want[1] {
			t.Errorf("parse.Domain(%q) = %q, want %q", h, d, want[1])
		}
	}
}

func TestFilesAndWriter(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "out")
	if err := Write(fixture(), Options{Format: FormatCSV}, Files(base, FormatCSV)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"out.nodes.csv", "out.edges.csv"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	if got := FileName("x/out", FormatGraphML, StreamGraph); got != "x/out.graphml" {
		t.Errorf("FileName = %q", got)
	}
	var sb strings.Builder
	if err := Write(fixture(), Options{Format: FormatDOT}, ToWriter(&sb)); err != nil || !strings.HasPrefix(sb.String(), "digraph crawl {\n") {
		t.Errorf("ToWriter dot: %v", err)
	}
	if err := Write(fixture(), Options{Format: FormatTSV}, ToWriter(&sb)); err == nil {
		t.Error("ToWriter accepted a two-stream format")
	}
	if _, err := Streams("png"); err == nil {
		t.Error("Streams accepted an unknown format")
	}
}
