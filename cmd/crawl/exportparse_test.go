package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// attrs are the attributes of a node or an edge as text.
type attrs map[string]string

// compact drops empty values, so that formats that leave out empty attributes compare equal
// to those that write them.
func (a attrs) compact() attrs {
	for k, v := range a {
		if v == "" {
			delete(a, k)
		}
	}
	return a
}

// graph is an export parsed back: nodes by id, edges in file order.
type graph struct {
	nodes map[string]attrs
	edges []attrs
}

func newGraph() *graph { return &graph{nodes: map[string]attrs{}} }

// edgeKeys returns the edges as sorted canonical strings, for comparing multisets.
func (g *graph) edgeKeys() []string {
	out := make([]string, 0, len(g.edges))
	for _, e := range g.edges {
		keys := make([]string, 0, len(e))
		for k := range e {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%s=%q ", k, e[k])
		}
		out = append(out, b.String())
	}
	slices.Sort(out)
	return out
}

// parseTable reads a csv or tsv nodes or edges file. Neo4j headers are mapped back to the
// plain names: id:ID -> id, :START_ID -> source, :END_ID -> target, :TYPE -> kind (lower
// case), name:type -> name; :LABEL is dropped.
func parseTable(data []byte, comma rune) ([]attrs, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = comma
	recs, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("no header row")
	}
	header := recs[0]
	for i, h := range header {
		switch h {
		case ":START_ID":
			header[i] = "source"
		case ":END_ID":
			header[i] = "target"
		case ":TYPE":
			header[i] = "kind"
		default:
			header[i], _, _ = strings.Cut(h, ":")
		}
	}
	var out []attrs
	for _, rec := range recs[1:] {
		a := attrs{}
		for i, v := range rec {
			switch header[i] {
			case "":
			case "kind":
				a["kind"] = strings.ToLower(v)
			default:
				a[header[i]] = v
			}
		}
		out = append(out, a.compact())
	}
	return out, nil
}

func parseCSV(nodes, edges []byte, comma rune) (*graph, error) {
	g := newGraph()
	ns, err := parseTable(nodes, comma)
	if err != nil {
		return nil, fmt.Errorf("nodes: %w", err)
	}
	for _, n := range ns {
		id := n["id"]
		delete(n, "id")
		g.nodes[id] = n
	}
	if g.edges, err = parseTable(edges, comma); err != nil {
		return nil, fmt.Errorf("edges: %w", err)
	}
	return g, nil
}

func parseJSONL(data []byte) (*graph, error) {
	g := newGraph()
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			return nil, fmt.Errorf("%q: %w", sc.Text(), err)
		}
		a := attrs{}
		for k, v := range m {
			a[k] = fmt.Sprint(v)
		}
		typ := a["type"]
		delete(a, "type")
		switch typ {
		case "node":
			id := a["id"]
			delete(a, "id")
			g.nodes[id] = a.compact()
		case "edge":
			g.edges = append(g.edges, a.compact())
		default:
			return nil, fmt.Errorf("line of type %q", typ)
		}
	}
	return g, sc.Err()
}

type xmlData struct {
	Key   string `xml:"key,attr"`
	Value string `xml:",chardata"`
}

type graphmlDoc struct {
	XMLName xml.Name `xml:"http://graphml.graphdrawing.org/xmlns graphml"`
	Keys    []struct {
		ID   string `xml:"id,attr"`
		For  string `xml:"for,attr"`
		Name string `xml:"attr.name,attr"`
		Type string `xml:"attr.type,attr"`
	} `xml:"key"`
	Graph struct {
		EdgeDefault string `xml:"edgedefault,attr"`
		Nodes       []struct {
			ID   string    `xml:"id,attr"`
			Data []xmlData `xml:"data"`
		} `xml:"node"`
		Edges []struct {
			Source string    `xml:"source,attr"`
			Target string    `xml:"target,attr"`
			Data   []xmlData `xml:"data"`
		} `xml:"edge"`
	} `xml:"graph"`
}

func parseGraphML(data []byte) (*graph, error) {
	var doc graphmlDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Graph.EdgeDefault != "directed" {
		return nil, fmt.Errorf("edgedefault %q", doc.Graph.EdgeDefault)
	}
	names := map[string]string{}
	for _, k := range doc.Keys {
		names[k.ID] = k.Name
	}
	fill := func(a attrs, data []xmlData) error {
		for _, d := range data {
			name, ok := names[d.Key]
			if !ok {
				return fmt.Errorf("undeclared key %q", d.Key)
			}
			a[name] = d.Value
		}
		return nil
	}
	g := newGraph()
	for _, n := range doc.Graph.Nodes {
		a := attrs{}
		if err := fill(a, n.Data); err != nil {
			return nil, err
		}
		g.nodes[strings.TrimPrefix(n.ID, "n")] = a.compact()
	}
	for _, e := range doc.Graph.Edges {
		a := attrs{"source": strings.TrimPrefix(e.Source, "n"), "target": strings.TrimPrefix(e.Target, "n")}
		if err := fill(a, e.Data); err != nil {
			return nil, err
		}
		g.edges = append(g.edges, a.compact())
	}
	return g, nil
}

type gexfAttValue struct {
	For   string `xml:"for,attr"`
	Value string `xml:"value,attr"`
}

type gexfDoc struct {
	XMLName xml.Name `xml:"http://gexf.net/1.3 gexf"`
	Graph   struct {
		DefaultEdgeType string `xml:"defaultedgetype,attr"`
		Nodes           []struct {
			ID        string         `xml:"id,attr"`
			Label     string         `xml:"label,attr"`
			AttValues []gexfAttValue `xml:"attvalues>attvalue"`
		} `xml:"nodes>node"`
		Edges []struct {
			Source    string         `xml:"source,attr"`
			Target    string         `xml:"target,attr"`
			Kind      string         `xml:"kind,attr"`
			Weight    string         `xml:"weight,attr"`
			AttValues []gexfAttValue `xml:"attvalues>attvalue"`
		} `xml:"edges>edge"`
	} `xml:"graph"`
}

// parseGEXF reads a GEXF export. The node label must be the title, else the URL; the edge
// kind and weight must repeat the kind and count attributes.
func parseGEXF(data []byte) (*graph, error) {
	var doc gexfDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Graph.DefaultEdgeType != "directed" {
		return nil, fmt.Errorf("defaultedgetype %q", doc.Graph.DefaultEdgeType)
	}
	g := newGraph()
	for _, n := range doc.Graph.Nodes {
		a := attrs{}
		for _, v := range n.AttValues {
			a[v.For] = v.Value
		}
		if want := cmpOr(a["title"], a["url"]); n.Label != want {
			return nil, fmt.Errorf("node %s label %q, want %q", n.ID, n.Label, want)
		}
		g.nodes[n.ID] = a.compact()
	}
	for _, e := range doc.Graph.Edges {
		a := attrs{"source": e.Source, "target": e.Target}
		for _, v := range e.AttValues {
			a[v.For] = v.Value
		}
		if e.Kind != a["kind"] || e.Weight != a["count"] {
			return nil, fmt.Errorf("edge %s->%s kind %q weight %q, attributes %q %q", e.Source, e.Target, e.Kind, e.Weight, a["kind"], a["count"])
		}
		g.edges = append(g.edges, a.compact())
	}
	return g, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// parseDOT reads the DOT subset the dot export writes: quoted node names and attribute
// values with \\, \", \n and \r escapes.
func parseDOT(src string) (*graph, error) {
	toks, err := dotTokens(src)
	if err != nil {
		return nil, err
	}
	next := func() string {
		if len(toks) == 0 {
			return ""
		}
		t := toks[0]
		toks = toks[1:]
		return t
	}
	if h := next() + " " + next() + " " + next(); h != "digraph crawl {" {
		return nil, fmt.Errorf("header %q", h)
	}
	unquote := func(t string) (string, error) {
		if !strings.HasPrefix(t, `"`) {
			return "", fmt.Errorf("want a quoted string, got %q", t)
		}
		return t[1:], nil
	}
	g := newGraph()
	for {
		t := next()
		if t == "}" {
			break
		}
		a, err := unquote(t)
		if err != nil {
			return nil, err
		}
		m := attrs{}
		t = next()
		isEdge := t == "->"
		if isEdge {
			b, err := unquote(next())
			if err != nil {
				return nil, err
			}
			m["source"], m["target"] = a, b
			t = next()
		}
		if t != "[" {
			return nil, fmt.Errorf("got %q, want [", t)
		}
		for t = next(); t != "]"; t = next() {
			if t == "," {
				continue
			}
			if eq := next(); eq != "=" {
				return nil, fmt.Errorf("got %q after %q, want =", eq, t)
			}
			v, err := unquote(next())
			if err != nil {
				return nil, err
			}
			m[t] = v
		}
		if t = next(); t != ";" {
			return nil, fmt.Errorf("got %q, want ;", t)
		}
		if isEdge {
			g.edges = append(g.edges, m.compact())
			continue
		}
		if want := cmpOr(m["title"], m["url"]); m["label"] != want {
			return nil, fmt.Errorf("node %s label %q, want %q", a, m["label"], want)
		}
		delete(m, "label")
		g.nodes[a] = m.compact()
	}
	if len(toks) > 0 {
		return nil, fmt.Errorf("trailing %q", toks)
	}
	return g, nil
}

// dotTokens splits DOT into tokens; a quoted string comes back decoded with a leading '"'.
func dotTokens(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(s[i:], "->"):
			toks = append(toks, "->")
			i += 2
		case strings.IndexByte("{}[]=,;", c) >= 0:
			toks = append(toks, s[i:i+1])
			i++
		case c == '"':
			var b strings.Builder
			b.WriteByte('"')
			for i++; ; i++ {
				if i >= len(s) || s[i] == '\n' {
					return nil, fmt.Errorf("unterminated string")
				}
				if s[i] == '"' {
					i++
					break
				}
				if s[i] == '\\' && i+1 < len(s) {
					i++
					switch s[i] {
					case 'n':
						b.WriteByte('\n')
					case 'r':
						b.WriteByte('\r')
					case '\\', '"':
						b.WriteByte(s[i])
					default:
						return nil, fmt.Errorf("unexpected escape \\%c", s[i])
					}
					continue
				}
				b.WriteByte(s[i])
			}
			toks = append(toks, b.String())
		default:
			j := i
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])) || s[j] == '_') {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("unexpected %q", c)
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, nil
}
