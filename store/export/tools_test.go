package export

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store/export/exporttest"
)

// The exports as the tools people use read them: the GEXF schemas (always, with the
// package's own validator, and with xmllint where installed), NetworkX and igraph (where a
// Python with them is installed) and Graphviz (where installed).

func gexfSchema(t *testing.T, version string) *exporttest.Schema {
	t.Helper()
	s, err := exporttest.LoadSchema(filepath.Join("testdata", "gexf", version, "gexf.xsd"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// gexfInvalid are GEXF documents each schema must refuse, to show that validation is not a
// formality: the edge kind attribute, which 1.2draft does not have; an edge without an id
// (required in 1.2draft); a version the namespace does not have; an attribute type of 1.3
// only; an element out of place.
func gexfInvalid(version string) map[string]string {
	head := map[string]string{
		GEXF12: `<gexf xmlns="http://www.gexf.net/1.2draft" version="1.2">`,
		GEXF13: `<gexf xmlns="http://gexf.net/1.3" version="1.3">`,
	}[version]
	doc := func(body string) string {
		return head + `<graph defaultedgetype="directed" mode="static">` + body + `</graph></gexf>`
	}
	nodes := `<nodes><node id="1" label="a"/><node id="2" label="b"/></nodes>`
	cases := map[string]string{
		"wrong version":    strings.Replace(doc(nodes+`<edges/>`), `version="1.`, `version="9.`, 1),
		"node without id":  doc(`<nodes><node label="a"/></nodes><edges/>`),
		"unknown element":  doc(nodes + `<edges><edge id="0" source="1" target="2"><bogus/></edge></edges>`),
		"bad weight":       doc(nodes + `<edges><edge id="0" source="1" target="2" weight="heavy"/></edges>`),
		"unknown attr":     doc(nodes + `<edges><edge id="0" source="1" target="2" colour="red"/></edges>`),
		"bad defaultedge":  strings.Replace(doc(nodes+`<edges/>`), `defaultedgetype="directed"`, `defaultedgetype="sideways"`, 1),
		"attvalue no for":  doc(`<nodes><node id="1"><attvalues><attvalue value="x"/></attvalues></node></nodes><edges/>`),
		"type of 1.3 only": doc(`<attributes class="node"><attribute id="a" title="a" type="biginteger"/></attributes>` + nodes + `<edges/>`),
	}
	if version == GEXF12 {
		cases["edge kind"] = doc(nodes + `<edges><edge id="0" source="1" target="2" kind="link"/></edges>`)
		cases["edge without id"] = doc(nodes + `<edges><edge source="1" target="2"/></edges>`)
	} else {
		delete(cases, "type of 1.3 only")
		cases["nodes after edges"] = doc(`<edges/>` + nodes)
	}
	return cases
}

// TestGEXFMatchesSchemas validates every GEXF export against the published XSD of its
// version, and checks that the schemas refuse what they must.
func TestGEXFMatchesSchemas(t *testing.T) {
	xmllint, _ := exec.LookPath("xmllint")
	if xmllint == "" {
		t.Log("xmllint not installed: validating with the package's own XSD validator only")
	}
	for _, version := range GEXFVersions() {
		schema := gexfSchema(t, version)
		xsd := filepath.Join("testdata", "gexf", version, "gexf.xsd")
		for _, level := range Levels() {
			for _, internal := range []bool{false, true} {
				opt := Options{Format: FormatGEXF, GEXFVersion: version, Level: level, InternalOnly: internal}
				doc := export(t, fixture(), opt).streams[StreamGraph].Bytes()
				if err := schema.Validate(doc); err != nil {
					t.Errorf("%s %s internal=%v: %v", version, level, internal, err)
				}
				if xmllint != "" {
					if out, err := runXMLLint(t, xmllint, xsd, doc); err != nil {
						t.Errorf("%s %s internal=%v: xmllint: %v\n%s", version, level, internal, err, out)
					}
				}
			}
		}
		for name, doc := range gexfInvalid(version) {
			if err := schema.Validate([]byte(doc)); err == nil {
				t.Errorf("%s: %s: accepted", version, name)
			}
			if xmllint != "" {
				if _, err := runXMLLint(t, xmllint, xsd, []byte(doc)); err == nil {
					t.Errorf("%s: %s: xmllint accepted it, the test case is wrong", version, name)
				}
			}
		}
	}
	// A 1.2draft export is not 1.3, and the other way round.
	doc := export(t, fixture(), Options{Format: FormatGEXF}).streams[StreamGraph].Bytes()
	if err := gexfSchema(t, GEXF13).Validate(doc); err == nil {
		t.Error("the default (1.2draft) export passes as 1.3")
	}
}

func runXMLLint(t *testing.T, xmllint, xsd string, doc []byte) ([]byte, error) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "doc.gexf")
	if err := os.WriteFile(f, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	return exec.Command(xmllint, "--noout", "--nonet", "--schema", xsd, f).CombinedOutput()
}

// pythons lists the Python interpreters to try, each once: the one on PATH and the
// system's (Debian's python3-networkx and python3-igraph install there).
func pythons() []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		real, err := filepath.EvalSymlinks(path)
		if err != nil {
			real = path
		}
		if !seen[real] {
			seen[real] = true
			out = append(out, path)
		}
	}
	return out
}

// pythonModule returns the version of module in python, or ok=false if it has none.
func pythonModule(python, module string) (version string, ok bool) {
	ver, err := exec.Command(python, "-c", "import "+module+"; print("+module+".__version__)").Output()
	return strings.TrimSpace(string(ver)), err == nil
}

// runPython runs script with python and the files as arguments, and decodes the JSON it
// prints.
func runPython(t *testing.T, python, script string, args ...string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang guard only
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, python, append([]string{"-c", script}, args...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", python, args, err, stderr.String())
	}
	var result map[string]any
	if err := json.Unmarshal(out, &result); err != nil {
		t.Fatalf("%s: output %q: %v", python, out, err)
	}
	return result
}

// writeExport writes opt's export of the fixture to files in dir and returns their paths.
func writeExport(t *testing.T, dir string, opt Options) []string {
	t.Helper()
	b := export(t, fixture(), opt)
	streams, _ := Streams(opt.Format)
	var paths []string
	for _, s := range streams {
		p := filepath.Join(dir, FileName("graph", opt.Format, s))
		if err := os.WriteFile(p, b.streams[s].Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

const networkxScript = `
import sys, json, networkx as nx
kind, path = sys.argv[1], sys.argv[2]
G = nx.read_gexf(path) if kind == "gexf" else nx.read_graphml(path)
n = G.nodes["1"]
print(json.dumps({"nodes": G.number_of_nodes(), "edges": G.number_of_edges(), "multi": G.is_multigraph(),
    "url": n.get("url"), "status": n.get("status"), "pending_status": G.nodes["6"].get("status", "absent")}))
`

// TestExportsLoadInNetworkX reads the default GEXF (1.2draft) and the GraphML export with
// each installed NetworkX: 2.8 (Debian 12's) reads only 1.1draft and 1.2draft, 3.x also 1.3.
func TestExportsLoadInNetworkX(t *testing.T) {
	dir := t.TempDir()
	gexf12 := writeExport(t, dir, Options{Format: FormatGEXF})[0]
	gexf13 := filepath.Join(dir, "graph13.gexf")
	if err := os.WriteFile(gexf13, export(t, fixture(), Options{Format: FormatGEXF, GEXFVersion: GEXF13}).streams[StreamGraph].Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	graphml := writeExport(t, dir, Options{Format: FormatGraphML})[0]
	src := fixture()
	nodes, edges := len(src.nodes), len(src.edges)-1 // one edge of the fixture dangles
	tried := 0
	for _, py := range pythons() {
		ver, ok := pythonModule(py, "networkx")
		if !ok {
			continue
		}
		for _, c := range []struct{ kind, path string }{{"gexf", gexf12}, {"graphml", graphml}, {"gexf", gexf13}} {
			if c.path == gexf13 && strings.HasPrefix(ver, "2.") {
				continue // NetworkX 2 does not read GEXF 1.3: the reason 1.2draft is the default
			}
			got := runPython(t, py, networkxScript, c.kind, c.path)
			t.Logf("NetworkX %s read %s", ver, filepath.Base(c.path))
			tried++
			want := map[string]any{"nodes": float64(nodes), "edges": float64(edges), "multi": true,
				"url": "https://www.example.com/", "status": float64(200), "pending_status": "absent"}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("NetworkX %s (%s) reading %s: %s = %v, want %v", ver, py, filepath.Base(c.path), k, got[k], w)
				}
			}
		}
	}
	if tried == 0 {
		t.Skip("no Python with networkx installed (apt-get install python3-networkx): the GEXF schema test still checks the format")
	}
}

const igraphScript = `
import sys, json, igraph
g = igraph.Graph.Read_GraphML(sys.argv[1])
v = g.vs.find(id="1")
print(json.dumps({"nodes": g.vcount(), "edges": g.ecount(), "directed": g.is_directed(), "url": v["url"]}))
`

// TestGraphMLLoadsInIgraph reads the GraphML export with python-igraph, where installed.
// igraph reads no GEXF.
func TestGraphMLLoadsInIgraph(t *testing.T) {
	graphml := writeExport(t, t.TempDir(), Options{Format: FormatGraphML})[0]
	src := fixture()
	for _, py := range pythons() {
		ver, ok := pythonModule(py, "igraph")
		if !ok {
			continue
		}
		got := runPython(t, py, igraphScript, graphml)
		want := map[string]any{"nodes": float64(len(src.nodes)), "edges": float64(len(src.edges) - 1), "directed": true, "url": "https://www.example.com/"}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("igraph %s: %s = %v, want %v", ver, k, got[k], w)
			}
		}
		return
	}
	t.Skip("no Python with igraph installed (apt-get install python3-igraph)")
}

// TestDOTLaysOutWithGraphviz lays out a DOT export of DefaultMaxNodes densely linked pages
// with Graphviz's own dot command, where installed: the export asks for sfdp, so dot -Tsvg
// finishes (its hierarchical layout does not, on such a graph), and every page node is a
// link to its URL in the SVG.
func TestDOTLaysOutWithGraphviz(t *testing.T) {
	dot, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("Graphviz not installed (apt-get install graphviz): the DOT parser still checks the format")
	}
	src := &memSource{}
	const links = 10
	for i := 1; i <= DefaultMaxNodes; i++ {
		src.nodes = append(src.nodes, crawl.Node{ID: uint64(i), URL: fmt.Sprintf("https://site.test/p%d.html", i),
			State: crawl.StateDone, Status: 200, Title: fmt.Sprintf("Page %d", i)})
		for j := 1; j <= links; j++ {
			dst := uint64((i*7+j*j*13)%DefaultMaxNodes + 1) // a few hubs and a spread, as a site's navigation
			if j <= 3 {
				dst = uint64(j)
			}
			src.edges = append(src.edges, crawl.Edge{Src: uint64(i), Dst: dst, Kind: crawl.KindLink, Count: 1})
		}
	}
	b := export(t, src, Options{Format: FormatDOT})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // a hang guard only
	defer cancel()
	cmd := exec.CommandContext(ctx, dot, "-Tsvg")
	cmd.Stdin = bytes.NewReader(b.streams[StreamGraph].Bytes())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	svg, err := cmd.Output()
	if err != nil {
		t.Fatalf("dot -Tsvg: %v\n%s", err, stderr.String())
	}
	t.Logf("dot -Tsvg laid out %d nodes, %d edges in %s", len(src.nodes), len(src.edges), time.Since(start).Round(time.Millisecond))
	for _, want := range []string{`xlink:href="https://site.test/p1.html"`, fmt.Sprintf(`xlink:href="https://site.test/p%d.html"`, DefaultMaxNodes)} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("SVG lacks the clickable node %s", want)
		}
	}
}

// TestTSVIsNotQuoted checks that tsv fields carry no csv quoting: quotes are data, and tabs,
// line breaks and backslashes are escaped, so that every record is one line of as many
// fields as the header.
func TestTSVIsNotQuoted(t *testing.T) {
	b := export(t, fixture(), Options{Format: FormatTSV})
	nodes := b.streams[StreamNodes].String()
	for _, want := range []string{
		"\t" + `He said "hi", then left` + "\t", // nasty[0] as the title of node 1, quotes as they are
		"\ttab\\there,comma;semi\t",             // a tab escaped
		"\tline1\\nline2\\r\\nline3\\rend\t",    // line breaks escaped
		"\t" + `back\\slash\\` + "\t",           // backslashes doubled
	} {
		if !strings.Contains(nodes, want) {
			t.Errorf("nodes lack %q:\n%s", want, nodes)
		}
	}
	lines := strings.Split(strings.TrimSuffix(nodes, "\n"), "\n")
	if len(lines) != len(fixture().nodes)+1 {
		t.Errorf("%d lines for %d nodes and a header", len(lines), len(fixture().nodes))
	}
	header := strings.Count(lines[0], "\t")
	for i, l := range lines {
		if strings.Count(l, "\t") != header {
			t.Errorf("line %d has %d tabs, the header %d: %q", i+1, strings.Count(l, "\t"), header, l)
		}
	}
}

// TestMissingValuesAreEmpty checks that what does not exist for a URL never fetched (its
// status, size and what its response said), the facts of a page not parsed and the sitemap
// mark of a site whose sitemaps were not read are empty, null or left out, never 0 or false.
func TestMissingValuesAreEmpty(t *testing.T) {
	// Node 6 of the fixture is pending and in a sitemap, node 8 external; node 11 is done
	// without facts on a site whose sitemaps were read, node 3 done on one whose were not.
	b := export(t, fixture(), Options{Format: FormatCSV})
	for _, row := range []string{
		"\n6,http://127.0.0.1:8080/admin,127.0.0.1,pending,,,,2,,,,,1,0,,,,,,,,,,true\n",
		"\n8,https://例え.jp/パス,例え.jp,external,,,,0,,,,,1,0,,,,,,,,,,\n",
		"\n11,https://www.example.com/t,www.example.com,done,200,text/html,11000,3,bad utf8  end,2024-05-06T06:19:09Z,,false,0,1,false,,,,,,,,1013.58,false\n",
		",1003.703,\n", // node 3
	} {
		if !strings.Contains(b.streams[StreamNodes].String(), row) {
			t.Errorf("csv lacks %q:\n%s", row, b.streams[StreamNodes])
		}
	}
	j := export(t, fixture(), Options{Format: FormatJSONL}).streams[StreamGraph].String()
	for _, want := range []string{
		`{"type":"node","id":6,"url":"http://127.0.0.1:8080/admin","host":"127.0.0.1","state":"pending","status":null,"content_type":"","bytes":null,"depth":2,"title":"","fetched_at":"","error":"","truncated":null,"in_degree":1,"out_degree":0,"noindex":null,"description":"","h1":"","h1_count":null,"canonical":"","hreflang":"","lang":"","word_count":null,"response_ms":null,"in_sitemap":true}`,
		`"noindex":false,"description":"","h1":"","h1_count":null,"canonical":"","hreflang":"","lang":"","word_count":null,"response_ms":1013.58,"in_sitemap":false}`,
	} {
		if !strings.Contains(j, want) {
			t.Errorf("jsonl lacks %s:\n%s", want, j)
		}
	}
	g := export(t, fixture(), Options{Format: FormatGraphML}).streams[StreamGraph].String()
	if want := `<node id="6"><data key="v_url">http://127.0.0.1:8080/admin</data><data key="v_host">127.0.0.1</data><data key="v_state">pending</data><data key="v_depth">2</data><data key="v_in_degree">1</data><data key="v_out_degree">0</data><data key="v_in_sitemap">true</data></node>`; !strings.Contains(g, want) {
		t.Errorf("graphml lacks %s", want)
	}
	// A Source that cannot tell whose sitemaps were read: in_sitemap only where it is true.
	src := fixture()
	opt := Options{Format: FormatJSONL}
	plain := export(t, plainSource{src}, opt)
	got, err := readBack(opt, plain)
	if err != nil {
		t.Fatal(err)
	}
	if d := got.Diff(wantFrom(src, opt, false)); d != "" {
		t.Errorf("without host records:\n%s", d)
	}
	if strings.Contains(plain.streams[StreamGraph].String(), `"in_sitemap":false`) {
		t.Error("in_sitemap false without host records")
	}
}
