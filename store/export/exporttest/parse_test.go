package exporttest

import (
	"fmt"
	"strings"
	"testing"
)

// TestParsersReject checks that each parser refuses what the encoders must never write, so
// that a round-trip test cannot pass on output a graph tool would reject.
func TestParsersReject(t *testing.T) {
	const gml = `<graphml xmlns="http://graphml.graphdrawing.org/xmlns">` +
		`<key id="d0" for="node" attr.name="depth" attr.type="int"/>` +
		`<graph edgedefault="directed">%s</graph></graphml>`
	const gexf = `<gexf xmlns="http://gexf.net/1.3" version="1.3"><graph defaultedgetype="directed" mode="static">` +
		`<attributes class="node"><attribute id="0" title="url" type="string"/></attributes>` +
		`<nodes><node id="1" label="%s"><attvalues><attvalue for="0" value="https://a.test/"/></attvalues></node></nodes>` +
		`</graph></gexf>`
	const gexf12 = `<gexf xmlns="http://www.gexf.net/1.2draft" version="1.2"><graph defaultedgetype="directed" mode="static">` +
		`<attributes class="node"><attribute id="0" title="url" type="string"/></attributes>` +
		`<nodes><node id="1" label="%s"><attvalues><attvalue for="0" value="https://a.test/"/></attvalues></node></nodes>` +
		`</graph></gexf>`
	const dotHead = "digraph crawl {\n  graph [layout=\"sfdp\", overlap=\"false\", outputorder=\"edgesfirst\"];\n"
	cases := []struct {
		name  string
		parse func() (*Graph, error)
		ok    bool
	}{
		{"csv", func() (*Graph, error) { return ParseCSV([]byte("id,url\n1,u\n"), []byte("source,target\n1,1\n"), ',') }, true},
		{"csv ragged row", func() (*Graph, error) { return ParseCSV([]byte("id,url\n1,u,extra\n"), []byte("source,target\n"), ',') }, false},
		{"csv duplicate node", func() (*Graph, error) { return ParseCSV([]byte("id,url\n1,u\n1,v\n"), []byte("source,target\n"), ',') }, false},
		{"csv no header", func() (*Graph, error) { return ParseCSV(nil, []byte("source,target\n"), ',') }, false},
		{"jsonl", func() (*Graph, error) {
			return ParseJSONL([]byte(`{"type":"node","id":1,"ok":true}` + "\n" + `{"type":"edge","source":1,"target":1}` + "\n"))
		}, true},
		{"jsonl node after edge", func() (*Graph, error) {
			return ParseJSONL([]byte(`{"type":"edge","source":1,"target":1}` + "\n" + `{"type":"node","id":1}` + "\n"))
		}, false},
		{"jsonl null value", func() (*Graph, error) { return ParseJSONL([]byte(`{"type":"node","id":1,"title":null}` + "\n")) }, true},
		{"jsonl null id", func() (*Graph, error) { return ParseJSONL([]byte(`{"type":"node","id":null,"title":"t"}` + "\n")) }, false},
		{"tsv", func() (*Graph, error) {
			return ParseTSV([]byte("id\turl\n1\ta\\tb\\\\\n"), []byte("source\ttarget\n1\t1\n"))
		}, true},
		{"tsv unknown escape", func() (*Graph, error) { return ParseTSV([]byte("id\turl\n1\ta\\qb\n"), []byte("source\ttarget\n")) }, false},
		{"tsv ragged row", func() (*Graph, error) { return ParseTSV([]byte("id\turl\n1\ta\tb\n"), []byte("source\ttarget\n")) }, false},
		{"tsv no final line feed", func() (*Graph, error) { return ParseTSV([]byte("id\turl\n1\ta"), []byte("source\ttarget\n")) }, false},
		{"graphml", func() (*Graph, error) { return ParseGraphML(fill(gml, `<node id="1"><data key="d0">3</data></node>`)) }, true},
		{"graphml prefixed id", func() (*Graph, error) { return ParseGraphML(fill(gml, `<node id="n1"><data key="d0">3</data></node>`)) }, false},
		{"graphml undeclared key", func() (*Graph, error) { return ParseGraphML(fill(gml, `<node id="1"><data key="d9">3</data></node>`)) }, false},
		{"graphml bad int", func() (*Graph, error) { return ParseGraphML(fill(gml, `<node id="1"><data key="d0">x</data></node>`)) }, false},
		{"graphml dangling edge", func() (*Graph, error) {
			return ParseGraphML(fill(gml, `<node id="1"/><edge source="1" target="2"/>`))
		}, false},
		{"gexf", func() (*Graph, error) { return ParseGEXF(fill(gexf, "https://a.test/"), "") }, true},
		{"gexf wrong label", func() (*Graph, error) { return ParseGEXF(fill(gexf, "other"), "") }, false},
		{"gexf 1.2draft", func() (*Graph, error) { return ParseGEXF(fill(gexf12, "https://a.test/"), "") }, true},
		{"gexf 1.2 in the 1.3 namespace", func() (*Graph, error) {
			return ParseGEXF([]byte(strings.Replace(string(fill(gexf, "https://a.test/")), `version="1.3"`, `version="1.2"`, 1)), "")
		}, false},
		{"dot", func() (*Graph, error) {
			return ParseDOT([]byte(dotHead+"\"1\" [label=\"u\", URL=\"u\"];\n\"1\" -> \"1\" [kind=\"link\"];\n}\n"), "")
		}, true},
		{"dot lower-case url", func() (*Graph, error) {
			return ParseDOT([]byte(dotHead+"\"1\" [label=\"u\", url=\"u\"];\n}\n"), "")
		}, false},
		{"dot without layout", func() (*Graph, error) {
			return ParseDOT([]byte("digraph crawl {\n\"1\" [label=\"u\", URL=\"u\"];\n}\n"), "")
		}, false},
		{"dot bad escape", func() (*Graph, error) { return ParseDOT([]byte(dotHead+"\"1\" [label=\"\\q\"];\n}\n"), "") }, false},
		{"dot raw line break", func() (*Graph, error) { return ParseDOT([]byte(dotHead+"\"1\" [label=\"a\nb\"];\n}\n"), "") }, false},
		{"dot trailing", func() (*Graph, error) { return ParseDOT([]byte(dotHead+"}\n}"), "") }, false},
	}
	for _, c := range cases {
		g, err := c.parse()
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.ok && len(g.Nodes) == 0:
			t.Errorf("%s: no nodes", c.name)
		case !c.ok && err == nil:
			t.Errorf("%s: accepted", c.name)
		}
	}
}

// fill puts arg into the document format.
func fill(format, arg string) []byte { return []byte(fmt.Sprintf(format, arg)) }
