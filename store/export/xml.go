package export

import (
	"bufio"
	"strconv"
	"unicode/utf8"
)

// markupChar reports whether r may appear in an XML or DOT document. It excludes what XML 1.0
// cannot represent (C0 controls other than tab, line feed and carriage return; U+FFFE; U+FFFF)
// and the controls it discourages (DEL and C1), which Graphviz has no use for either.
func markupChar(r rune) bool {
	switch {
	case r < 0x20:
		return r == '\t' || r == '\n' || r == '\r'
	case r >= 0x7f && r <= 0x9f:
		return false
	case r == 0xfffe || r == 0xffff:
		return false
	}
	return r <= utf8.MaxRune
}

// appendMarkupRune appends the multi-byte character that starts at s[i] if it is valid UTF-8
// that markupChar accepts, and returns the index after it.
func appendMarkupRune(b []byte, s string, i int) ([]byte, int) {
	r, size := utf8.DecodeRuneInString(s[i:])
	if !(r == utf8.RuneError && size == 1) && markupChar(r) {
		b = append(b, s[i:i+size]...)
	}
	return b, i + size
}

// appendXML appends s escaped for XML character data and attribute values. Markup
// characters, quotes and the whitespace that attribute-value normalisation would alter are
// written as references; characters markupChar rejects and invalid UTF-8 bytes are dropped.
func appendXML(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch c {
			case '<':
				b = append(b, "&lt;"...)
			case '>':
				b = append(b, "&gt;"...)
			case '&':
				b = append(b, "&amp;"...)
			case '"':
				b = append(b, "&quot;"...)
			case '\'':
				b = append(b, "&apos;"...)
			case '\t':
				b = append(b, "&#x9;"...)
			case '\n':
				b = append(b, "&#xA;"...)
			case '\r':
				b = append(b, "&#xD;"...)
			default:
				if markupChar(rune(c)) {
					b = append(b, c)
				}
			}
			continue
		}
		b, i = appendMarkupRune(b, s, i)
	}
	return b
}

// appendXMLValue appends the escaped text of v.
func appendXMLValue(b []byte, typ colType, v *value) []byte {
	if typ == typeString || typ == typeTokens {
		return appendXML(b, v.s)
	}
	return appendText(b, typ, v)
}

// label returns the first non-empty value among the schema's label columns.
func (sc *schema) label(v []value) string {
	for _, i := range sc.labels {
		if v[i].s != "" {
			return v[i].s
		}
	}
	return ""
}

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// graphmlEncoder writes GraphML 1.0: a <key> per attribute, then one directed graph. Node
// ids are the node IDs, as in every other format (GraphML ids are NMTOKENs, which may be
// digits only); missing values have no <data>.
type graphmlEncoder struct {
	bw  *bufio.Writer
	sc  *schema
	buf []byte
}

// graphmlType is the GraphML type of a column; typeTokens and typeTime are strings.
func graphmlType(t colType) string {
	switch t {
	case typeInt:
		return "int"
	case typeLong:
		return "long"
	case typeBool:
		return "boolean"
	case typeDouble:
		return "double"
	}
	return "string"
}

func (e *graphmlEncoder) begin(out *sink, sc *schema) error {
	bw, err := out.start(StreamGraph)
	if err != nil {
		return err
	}
	e.bw, e.sc = bw, sc
	b := append(e.buf[:0], xmlHeader...)
	b = append(b, `<graphml xmlns="http://graphml.graphdrawing.org/xmlns"`+
		` xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`+
		` xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">`+"\n"...)
	keys := func(b []byte, domain, prefix string, cols []column) []byte {
		for _, c := range cols {
			b = append(b, `  <key id="`...)
			b = append(b, prefix...)
			b = append(b, c.name...)
			b = append(b, `" for="`...)
			b = append(b, domain...)
			b = append(b, `" attr.name="`...)
			b = append(b, c.name...)
			b = append(b, `" attr.type="`...)
			b = append(b, graphmlType(c.typ)...)
			b = append(b, "\"/>\n"...)
		}
		return b
	}
	b = keys(b, "node", "v_", sc.nodes)
	b = keys(b, "edge", "e_", sc.edges)
	b = append(b, `  <graph id="crawl" edgedefault="directed">`+"\n"...)
	e.buf = b
	_, err = e.bw.Write(b)
	return err
}

func (e *graphmlEncoder) data(b []byte, prefix string, cols []column, v []value) []byte {
	for i, c := range cols {
		if v[i].empty(c.typ) {
			continue
		}
		b = append(b, `<data key="`...)
		b = append(b, prefix...)
		b = append(b, c.name...)
		b = append(b, `">`...)
		b = appendXMLValue(b, c.typ, &v[i])
		b = append(b, `</data>`...)
	}
	return b
}

func (e *graphmlEncoder) node(id uint64, v []value) error {
	b := append(e.buf[:0], `    <node id="`...)
	b = strconv.AppendUint(b, id, 10)
	b = append(b, `">`...)
	b = e.data(b, "v_", e.sc.nodes, v)
	b = append(b, "</node>\n"...)
	e.buf = b
	_, err := e.bw.Write(b)
	return err
}

func (e *graphmlEncoder) edges() error { return nil }

func (e *graphmlEncoder) edge(src, dst uint64, v []value) error {
	b := append(e.buf[:0], `    <edge source="`...)
	b = strconv.AppendUint(b, src, 10)
	b = append(b, `" target="`...)
	b = strconv.AppendUint(b, dst, 10)
	b = append(b, `">`...)
	b = e.data(b, "e_", e.sc.edges, v)
	b = append(b, "</edge>\n"...)
	e.buf = b
	_, err := e.bw.Write(b)
	return err
}

func (e *graphmlEncoder) end() error {
	_, err := e.bw.WriteString("  </graph>\n</graphml>\n")
	return err
}

// gexfEncoder writes GEXF 1.2draft or 1.3: typed attribute declarations, then <nodes> with
// a label (the page title, else its URL; the host or domain name) and <attvalues>, then
// <edges> with the count or weight as the edge weight. In 1.3 the edge kind is also the
// GEXF edge kind, so that parallel edges of different kinds stay apart; 1.2draft has no
// edge kind, and keeps it as an attribute only. Node ids are the node IDs; missing values
// have no <attvalue>.
type gexfEncoder struct {
	version string // GEXF12 or GEXF13
	bw      *bufio.Writer
	sc      *schema
	buf     []byte
	edgeN   uint64
}

// gexfHeaders are the root elements of the GEXF versions.
var gexfHeaders = map[string]string{
	GEXF12: `<gexf xmlns="http://www.gexf.net/1.2draft"` +
		` xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"` +
		` xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">` + "\n",
	GEXF13: `<gexf xmlns="http://gexf.net/1.3"` +
		` xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"` +
		` xsi:schemaLocation="http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd" version="1.3">` + "\n",
}

func gexfType(t colType) string {
	switch t {
	case typeInt:
		return "integer"
	case typeLong:
		return "long"
	case typeBool:
		return "boolean"
	case typeDouble:
		return "double"
	}
	return "string"
}

// edgeAttribute reports whether an edge column is written as an attribute. Gephi's edge
// table has a built-in weight column, so a column named weight is only the edge weight.
func (e *gexfEncoder) edgeAttribute(i int) bool {
	return i != e.sc.weight || e.sc.edges[i].name != "weight"
}

func (e *gexfEncoder) begin(out *sink, sc *schema) error {
	bw, err := out.start(StreamGraph)
	if err != nil {
		return err
	}
	e.bw, e.sc = bw, sc
	b := append(e.buf[:0], xmlHeader...)
	b = append(b, gexfHeaders[e.version]...)
	b = append(b, `  <graph defaultedgetype="directed" mode="static">`+"\n"...)
	attrs := func(b []byte, class string, cols []column, keep func(int) bool) []byte {
		b = append(b, `    <attributes class="`...)
		b = append(b, class...)
		b = append(b, "\">\n"...)
		for i, c := range cols {
			if !keep(i) {
				continue
			}
			b = append(b, `      <attribute id="`...)
			b = append(b, c.name...)
			b = append(b, `" title="`...)
			b = append(b, c.name...)
			b = append(b, `" type="`...)
			b = append(b, gexfType(c.typ)...)
			b = append(b, "\"/>\n"...)
		}
		return append(b, "    </attributes>\n"...)
	}
	b = attrs(b, "node", sc.nodes, func(int) bool { return true })
	b = attrs(b, "edge", sc.edges, e.edgeAttribute)
	b = append(b, "    <nodes>\n"...)
	e.buf = b
	_, err = e.bw.Write(b)
	return err
}

// attvalues appends an <attvalues> element, or nothing when no column has a value.
func (e *gexfEncoder) attvalues(b []byte, cols []column, v []value, keep func(int) bool) []byte {
	start := len(b)
	b = append(b, `<attvalues>`...)
	for i, c := range cols {
		if v[i].empty(c.typ) || !keep(i) {
			continue
		}
		b = append(b, `<attvalue for="`...)
		b = append(b, c.name...)
		b = append(b, `" value="`...)
		b = appendXMLValue(b, c.typ, &v[i])
		b = append(b, `"/>`...)
	}
	if len(b) == start+len(`<attvalues>`) {
		return b[:start]
	}
	return append(b, `</attvalues>`...)
}

func (e *gexfEncoder) node(id uint64, v []value) error {
	b := append(e.buf[:0], `      <node id="`...)
	b = strconv.AppendUint(b, id, 10)
	if l := e.sc.label(v); l != "" {
		b = append(b, `" label="`...)
		b = appendXML(b, l)
	}
	b = append(b, `">`...)
	b = e.attvalues(b, e.sc.nodes, v, func(int) bool { return true })
	b = append(b, "</node>\n"...)
	e.buf = b
	_, err := e.bw.Write(b)
	return err
}

func (e *gexfEncoder) edges() error {
	_, err := e.bw.WriteString("    </nodes>\n    <edges>\n")
	return err
}

func (e *gexfEncoder) edge(src, dst uint64, v []value) error {
	b := append(e.buf[:0], `      <edge id="`...)
	b = strconv.AppendUint(b, e.edgeN, 10)
	e.edgeN++
	b = append(b, `" source="`...)
	b = strconv.AppendUint(b, src, 10)
	b = append(b, `" target="`...)
	b = strconv.AppendUint(b, dst, 10)
	if e.sc.kind >= 0 && e.version == GEXF13 {
		b = append(b, `" kind="`...)
		b = appendXML(b, v[e.sc.kind].s)
	}
	b = append(b, `" weight="`...)
	b = strconv.AppendInt(b, v[e.sc.weight].n, 10)
	b = append(b, `">`...)
	b = e.attvalues(b, e.sc.edges, v, e.edgeAttribute)
	b = append(b, "</edge>\n"...)
	e.buf = b
	_, err := e.bw.Write(b)
	return err
}

func (e *gexfEncoder) end() error {
	_, err := e.bw.WriteString("    </edges>\n  </graph>\n</gexf>\n")
	return err
}
