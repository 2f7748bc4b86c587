package export

import (
	"bufio"
	"strconv"
	"unicode/utf8"
)

// dotEncoder writes a Graphviz digraph named crawl. Node names are the quoted node IDs; each
// node has a label (the page title, else its URL; the host or domain name) and every
// attribute as a quoted string, missing values left out. The url attribute is written as
// Graphviz's URL, which makes a node a link in SVG output. The graph asks for the sfdp
// layout (dotLayout): dot's own hierarchical layout does not finish on crawl graphs of a few
// hundred pages, as densely linked as sites are, while sfdp lays out thousands. Strings use
// the escString conventions of DOT labels: \\ for a backslash, \" for a quote, \n and \r for
// line breaks; characters markupChar rejects and invalid UTF-8 bytes are dropped.
type dotEncoder struct {
	bw  *bufio.Writer
	sc  *schema
	buf []byte
}

// appendDOT appends s as a quoted DOT string.
func appendDOT(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case markupChar(rune(c)):
				b = append(b, c)
			}
			continue
		}
		b, i = appendMarkupRune(b, s, i)
	}
	return append(b, '"')
}

func (e *dotEncoder) begin(out *sink, sc *schema) error {
	bw, err := out.start(StreamGraph)
	if err != nil {
		return err
	}
	e.bw, e.sc = bw, sc
	_, err = e.bw.WriteString("digraph crawl {\n  graph [" + dotLayout + "];\n")
	return err
}

// dotLayout are the graph attributes of a DOT export: the sfdp engine, whatever program
// reads the file (dot -Tsvg included), nodes kept apart, and edges drawn under the nodes so
// that every node can be clicked.
const dotLayout = `layout="sfdp", overlap="false", outputorder="edgesfirst"`

// dotName is the DOT attribute name of a column: Graphviz's URL for url.
func dotName(column string) string {
	if column == "url" {
		return "URL"
	}
	return column
}

// attrs appends the attribute list of a node or edge, starting with the label if not empty.
func (e *dotEncoder) attrs(b []byte, label string, cols []column, v []value) []byte {
	b = append(b, " ["...)
	sep := false
	if label != "" {
		b = append(b, "label="...)
		b = appendDOT(b, label)
		sep = true
	}
	for i, c := range cols {
		if v[i].empty(c.typ) {
			continue
		}
		if sep {
			b = append(b, ", "...)
		}
		sep = true
		b = append(b, dotName(c.name)...)
		b = append(b, '=')
		if c.typ == typeString || c.typ == typeTokens {
			b = appendDOT(b, v[i].s)
		} else {
			b = append(b, '"')
			b = appendText(b, c.typ, &v[i])
			b = append(b, '"')
		}
	}
	return append(b, "];\n"...)
}

func (e *dotEncoder) node(id uint64, v []value) error {
	b := append(e.buf[:0], `  "`...)
	b = strconv.AppendUint(b, id, 10)
	b = append(b, '"')
	b = e.attrs(b, e.sc.label(v), e.sc.nodes, v)
	e.buf = b
	_, err := e.bw.Write(b)
	return err
}

func (e *dotEncoder) edges() error { return nil }

func (e *dotEncoder) edge(src, dst uint64, v []value) error {
	b := append(e.buf[:0], `  "`...)
	b = strconv.AppendUint(b, src, 10)
	b = append(b, `" -> "`...)
	b = strconv.AppendUint(b, dst, 10)
	b = append(b, '"')
	b = e.attrs(b, "", e.sc.edges, v)
	e.buf = b
	_, err := e.bw.Write(b)
	return err
}

func (e *dotEncoder) end() error {
	_, err := e.bw.WriteString("}\n")
	return err
}
