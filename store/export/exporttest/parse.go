package exporttest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// pageLevel reports whether level names the page graph ("" is the page graph too).
func pageLevel(level string) bool { return level == "" || level == "page" }

// label is the label GEXF and DOT give a node: the name of its host or domain in a group
// graph, else the page title, else the URL.
func label(level string, m map[string]string) string {
	if !pageLevel(level) {
		return m[level]
	}
	if m["title"] != "" {
		return m["title"]
	}
	return m["url"]
}

// csvName maps a header to an attribute name: neo4j type suffixes (name:int, rel:string[])
// are dropped, id:ID(space), :START_ID(space) and :END_ID(space) become id, source and
// target; :TYPE and :LABEL stay.
func csvName(h string) string {
	base, _, _ := strings.Cut(h, "(")
	switch base {
	case "id:ID":
		return "id"
	case ":START_ID":
		return "source"
	case ":END_ID":
		return "target"
	case ":TYPE", ":LABEL":
		return h
	}
	name, _, _ := strings.Cut(h, ":")
	return name
}

// readRecords reads a csv or tsv file that starts with a header row.
func readRecords(data []byte, comma rune) ([][]string, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = comma
	recs, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("no header row")
	}
	return recs, nil
}

// readTable reads a csv or tsv file with a header row into one map per record.
func readTable(data []byte, comma rune) ([]map[string]string, error) {
	recs, err := readRecords(data, comma)
	if err != nil {
		return nil, err
	}
	var rows []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[csvName(h)] = rec[i]
		}
		rows = append(rows, m)
	}
	return rows, nil
}

// ParseCSV reads a csv (comma ',') or tsv (comma '\t') export with quoted fields, as csv
// is and as tsv with neo4j headers is: its nodes file and its edges file. Neo4j headers are
// read as csvName describes.
func ParseCSV(nodes, edges []byte, comma rune) (*Graph, error) {
	ns, err := readTable(nodes, comma)
	if err != nil {
		return nil, fmt.Errorf("nodes: %w", err)
	}
	es, err := readTable(edges, comma)
	if err != nil {
		return nil, fmt.Errorf("edges: %w", err)
	}
	return tableGraph(ns, es)
}

// ParseTSV reads a tsv export without quoting: one record per line, fields split at every
// tab, \\, \t, \n and \r the only escapes (any other backslash is an error), every record
// as long as the header.
func ParseTSV(nodes, edges []byte) (*Graph, error) {
	ns, err := readTSV(nodes)
	if err != nil {
		return nil, fmt.Errorf("nodes: %w", err)
	}
	es, err := readTSV(edges)
	if err != nil {
		return nil, fmt.Errorf("edges: %w", err)
	}
	return tableGraph(ns, es)
}

func readTSV(data []byte) ([]map[string]string, error) {
	text, ok := strings.CutSuffix(string(data), "\n")
	if !ok {
		return nil, fmt.Errorf("no header row, or no line feed at the end")
	}
	lines := strings.Split(text, "\n")
	header := strings.Split(lines[0], "\t")
	var rows []map[string]string
	for i, line := range lines[1:] {
		fields := strings.Split(line, "\t")
		if len(fields) != len(header) {
			return nil, fmt.Errorf("line %d: %d fields, header has %d", i+2, len(fields), len(header))
		}
		m := map[string]string{}
		for j, f := range fields {
			v, err := unescapeTSV(f)
			if err != nil {
				return nil, fmt.Errorf("line %d field %s: %w", i+2, header[j], err)
			}
			m[csvName(header[j])] = v
		}
		rows = append(rows, m)
	}
	return rows, nil
}

func unescapeTSV(f string) (string, error) {
	if strings.ContainsAny(f, "\r") {
		return "", fmt.Errorf("raw carriage return")
	}
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '\\' {
			b.WriteByte(f[i])
			continue
		}
		if i++; i == len(f) {
			return "", fmt.Errorf("backslash at the end")
		}
		switch f[i] {
		case '\\':
			b.WriteByte('\\')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			return "", fmt.Errorf("unknown escape \\%c", f[i])
		}
	}
	return b.String(), nil
}

func tableGraph(ns, es []map[string]string) (*Graph, error) {
	g := NewGraph()
	for _, m := range ns {
		id := m["id"]
		delete(m, "id")
		if err := g.AddNode(id, m); err != nil {
			return nil, err
		}
	}
	for _, m := range es {
		g.AddEdge(m)
	}
	return g, nil
}

// ParseJSONL reads a jsonl export: one object per line, every node before every edge.
// Values must be strings, numbers, booleans or null (a value that does not exist, read as
// missing).
func ParseJSONL(data []byte) (*Graph, error) {
	g := NewGraph()
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	seenEdge := false
	for line := 1; sc.Scan(); line++ {
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.UseNumber()
		var obj map[string]any
		if err := d.Decode(&obj); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		m := map[string]string{}
		for k, v := range obj {
			switch v := v.(type) {
			case string:
				m[k] = v
			case json.Number:
				m[k] = v.String()
			case bool:
				m[k] = strconv.FormatBool(v)
			case nil:
				if k == "type" || k == "id" || k == "source" || k == "target" {
					return nil, fmt.Errorf("line %d: %s is null", line, k)
				}
			default:
				return nil, fmt.Errorf("line %d: %s has type %T", line, k, v)
			}
		}
		typ := m["type"]
		delete(m, "type")
		switch typ {
		case "node":
			if seenEdge {
				return nil, fmt.Errorf("line %d: node after edges", line)
			}
			id := m["id"]
			delete(m, "id")
			if err := g.AddNode(id, m); err != nil {
				return nil, err
			}
		case "edge":
			seenEdge = true
			g.AddEdge(m)
		default:
			return nil, fmt.Errorf("line %d: type %q", line, typ)
		}
	}
	return g, sc.Err()
}

type gmlData struct {
	Key   string `xml:"key,attr"`
	Value string `xml:",chardata"`
}

type gmlDoc struct {
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
			Data []gmlData `xml:"data"`
		} `xml:"node"`
		Edges []struct {
			Source string    `xml:"source,attr"`
			Target string    `xml:"target,attr"`
			Data   []gmlData `xml:"data"`
		} `xml:"edge"`
	} `xml:"graph"`
}

// ParseGraphML reads a graphml export with encoding/xml: one directed graph, every data
// key declared once for its domain with a GraphML type its values parse as, node ids that
// are decimal numbers as in every other format, edges between declared nodes.
func ParseGraphML(data []byte) (*Graph, error) {
	var doc gmlDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Graph.EdgeDefault != "directed" {
		return nil, fmt.Errorf("edgedefault %q", doc.Graph.EdgeDefault)
	}
	type key struct{ domain, name, typ string }
	keys := map[string]key{}
	for _, k := range doc.Keys {
		if _, dup := keys[k.ID]; dup {
			return nil, fmt.Errorf("key %s declared twice", k.ID)
		}
		switch k.Type {
		case "string", "int", "long", "boolean", "double":
		default:
			return nil, fmt.Errorf("key %s: attr.type %q", k.ID, k.Type)
		}
		keys[k.ID] = key{k.For, k.Name, k.Type}
	}
	attrs := func(domain string, data []gmlData) (map[string]string, error) {
		m := map[string]string{}
		for _, d := range data {
			k, ok := keys[d.Key]
			if !ok || k.domain != domain {
				return nil, fmt.Errorf("data key %q is not a %s key", d.Key, domain)
			}
			if err := checkType(k.typ, d.Value); err != nil {
				return nil, fmt.Errorf("%s: %w", k.name, err)
			}
			m[k.name] = d.Value
		}
		return m, nil
	}
	nodeID := func(s string) (string, error) {
		if _, err := strconv.ParseUint(s, 10, 64); err != nil {
			return "", fmt.Errorf("node id %q is not a number", s)
		}
		return s, nil
	}
	g := NewGraph()
	ids := map[string]bool{}
	for _, n := range doc.Graph.Nodes {
		id, err := nodeID(n.ID)
		if err != nil {
			return nil, err
		}
		m, err := attrs("node", n.Data)
		if err != nil {
			return nil, err
		}
		if err := g.AddNode(id, m); err != nil {
			return nil, err
		}
		ids[n.ID] = true
	}
	for _, e := range doc.Graph.Edges {
		if !ids[e.Source] || !ids[e.Target] {
			return nil, fmt.Errorf("edge %s -> %s: undeclared node", e.Source, e.Target)
		}
		m, err := attrs("edge", e.Data)
		if err != nil {
			return nil, err
		}
		m["source"], _ = nodeID(e.Source)
		m["target"], _ = nodeID(e.Target)
		g.AddEdge(m)
	}
	return g, nil
}

// checkType checks that v parses as a value of the GraphML or GEXF type typ.
func checkType(typ, v string) error {
	var err error
	switch typ {
	case "int", "integer":
		_, err = strconv.ParseInt(v, 10, 32)
	case "long":
		_, err = strconv.ParseInt(v, 10, 64)
	case "boolean":
		_, err = strconv.ParseBool(v)
	case "double":
		_, err = strconv.ParseFloat(v, 64)
	}
	return err
}

type gexfValue struct {
	For   string `xml:"for,attr"`
	Value string `xml:"value,attr"`
}

// GEXF namespaces by version attribute.
var gexfNamespaces = map[string]string{"1.2": "http://www.gexf.net/1.2draft", "1.3": "http://gexf.net/1.3"}

type gexfDoc struct {
	XMLName xml.Name `xml:"gexf"`
	Version string   `xml:"version,attr"`
	Graph   struct {
		DefaultEdgeType string `xml:"defaultedgetype,attr"`
		Mode            string `xml:"mode,attr"`
		Attributes      []struct {
			Class string `xml:"class,attr"`
			Attrs []struct {
				ID    string `xml:"id,attr"`
				Title string `xml:"title,attr"`
				Type  string `xml:"type,attr"`
			} `xml:"attribute"`
		} `xml:"attributes"`
		Nodes []struct {
			ID     string      `xml:"id,attr"`
			Label  string      `xml:"label,attr"`
			Values []gexfValue `xml:"attvalues>attvalue"`
		} `xml:"nodes>node"`
		Edges []struct {
			ID     string      `xml:"id,attr"`
			Source string      `xml:"source,attr"`
			Target string      `xml:"target,attr"`
			Kind   string      `xml:"kind,attr"`
			Weight string      `xml:"weight,attr"`
			Values []gexfValue `xml:"attvalues>attvalue"`
		} `xml:"edges>edge"`
	} `xml:"graph"`
}

// ParseGEXF reads a gexf export of the given level (page, host or domain; "" is page) with
// encoding/xml: GEXF 1.2draft or 1.3 in its own namespace, a static directed graph, typed
// attributes whose values parse as their type. A node's label must be the one label
// describes. A page edge's weight must repeat its count attribute, and in 1.3 its GEXF kind
// its kind attribute (1.2draft has no edge kind); a group edge's weight is read as its
// weight attribute.
func ParseGEXF(data []byte, level string) (*Graph, error) {
	var doc gexfDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	ns, ok := gexfNamespaces[doc.Version]
	if !ok || doc.XMLName.Space != ns || doc.Graph.DefaultEdgeType != "directed" || doc.Graph.Mode != "static" {
		return nil, fmt.Errorf("namespace %q, version %q, defaultedgetype %q, mode %q", doc.XMLName.Space, doc.Version, doc.Graph.DefaultEdgeType, doc.Graph.Mode)
	}
	type attr struct{ title, typ string }
	decl := map[string]map[string]attr{"node": {}, "edge": {}}
	for _, a := range doc.Graph.Attributes {
		if decl[a.Class] == nil {
			return nil, fmt.Errorf("attributes class %q", a.Class)
		}
		for _, at := range a.Attrs {
			decl[a.Class][at.ID] = attr{at.Title, at.Type}
		}
	}
	values := func(class string, vs []gexfValue) (map[string]string, error) {
		m := map[string]string{}
		for _, v := range vs {
			a, ok := decl[class][v.For]
			if !ok {
				return nil, fmt.Errorf("attvalue for undeclared %s attribute %q", class, v.For)
			}
			if err := checkType(a.typ, v.Value); err != nil {
				return nil, fmt.Errorf("%s: %w", a.title, err)
			}
			m[a.title] = v.Value
		}
		return m, nil
	}
	g := NewGraph()
	for _, n := range doc.Graph.Nodes {
		m, err := values("node", n.Values)
		if err != nil {
			return nil, err
		}
		if want := label(level, m); n.Label != want {
			return nil, fmt.Errorf("node %s label %q, want %q", n.ID, n.Label, want)
		}
		if err := g.AddNode(n.ID, m); err != nil {
			return nil, err
		}
	}
	for _, e := range doc.Graph.Edges {
		m, err := values("edge", e.Values)
		if err != nil {
			return nil, err
		}
		if _, err := strconv.ParseFloat(e.Weight, 64); err != nil {
			return nil, fmt.Errorf("edge %s weight %q", e.ID, e.Weight)
		}
		if pageLevel(level) {
			kind := m["kind"]
			if doc.Version == "1.2" {
				kind = "" // no edge kind in 1.2draft
			}
			if e.Weight != m["count"] || e.Kind != kind {
				return nil, fmt.Errorf("edge %s weight %q kind %q, attributes %v", e.ID, e.Weight, e.Kind, m)
			}
		} else if _, ok := m["weight"]; !ok {
			m["weight"] = e.Weight
		}
		m["source"], m["target"] = e.Source, e.Target
		g.AddEdge(m)
	}
	return g, nil
}
