package export

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// csvEncoder writes csv or tsv: a nodes stream and an edges stream, each with a header row.
// Fields are quoted as RFC 4180 requires (encoding/csv); strings keep every character,
// except that invalid UTF-8 bytes are dropped.
type csvEncoder struct {
	comma rune
	neo4j bool
	out   *sink
	sc    *schema
	w     *csv.Writer
	rec   []string
	buf   []byte
	ends  []int
	ids   [2]uint64
	types map[string]string // edge kind to neo4j relationship type
}

// neo4jType is the neo4j-admin import type suffix of a column.
func neo4jType(t colType) string {
	switch t {
	case typeInt:
		return ":int"
	case typeLong:
		return ":long"
	case typeBool:
		return ":boolean"
	case typeTime:
		return ":datetime"
	}
	return ""
}

func (e *csvEncoder) start(stream string, header []string) error {
	bw, err := e.out.start(stream)
	if err != nil {
		return err
	}
	e.w = csv.NewWriter(bw)
	e.w.Comma = e.comma
	return e.w.Write(header)
}

func (e *csvEncoder) begin(out *sink, sc *schema) error {
	e.out, e.sc = out, sc
	e.types = map[string]string{}
	h := []string{"id"}
	if e.neo4j {
		h[0] = "id:ID"
	}
	for _, c := range sc.nodes {
		if e.neo4j {
			h = append(h, c.name+neo4jType(c.typ))
		} else {
			h = append(h, c.name)
		}
	}
	if e.neo4j {
		h = append(h, ":LABEL")
	}
	return e.start(StreamNodes, h)
}

// record fills e.rec with the ids followed by the values of cols, leaving out column skip.
// The text of the ids and of every non-string value is built in one buffer and turned into
// one string, so that a record costs a single allocation.
func (e *csvEncoder) record(ids []uint64, cols []column, v []value, skip int) {
	b := e.buf[:0]
	ends := e.ends[:0]
	for _, id := range ids {
		b = strconv.AppendUint(b, id, 10)
		ends = append(ends, len(b))
	}
	for i, c := range cols {
		if c.typ != typeString && i != skip {
			b = appendText(b, c.typ, &v[i])
			ends = append(ends, len(b))
		}
	}
	text := string(b)
	e.buf, e.ends = b, ends
	r, start := e.rec[:0], 0
	next := func() string {
		s := text[start:ends[0]]
		start, ends = ends[0], ends[1:]
		return s
	}
	for range ids {
		r = append(r, next())
	}
	for i, c := range cols {
		switch {
		case i == skip:
		case c.typ == typeString:
			r = append(r, strings.ToValidUTF8(v[i].s, ""))
		default:
			r = append(r, next())
		}
	}
	e.rec = r
}

func (e *csvEncoder) node(id uint64, v []value) error {
	e.ids[0] = id
	e.record(e.ids[:1], e.sc.nodes, v, -1)
	if e.neo4j {
		e.rec = append(e.rec, e.sc.nodeLabel)
	}
	return e.w.Write(e.rec)
}

func (e *csvEncoder) edges() error {
	e.w.Flush()
	if err := e.w.Error(); err != nil {
		return err
	}
	h := []string{"source", "target"}
	if e.neo4j {
		h = []string{":START_ID", ":END_ID", ":TYPE"}
	}
	for i, c := range e.sc.edges {
		switch {
		case !e.neo4j:
			h = append(h, c.name)
		case i != e.sc.kind:
			h = append(h, c.name+neo4jType(c.typ))
		}
	}
	return e.start(StreamEdges, h)
}

func (e *csvEncoder) edge(src, dst uint64, v []value) error {
	e.ids[0], e.ids[1] = src, dst
	if !e.neo4j {
		e.record(e.ids[:2], e.sc.edges, v, -1)
		return e.w.Write(e.rec)
	}
	e.record(e.ids[:2], e.sc.edges, v, e.sc.kind)
	t := e.sc.relType
	if e.sc.kind >= 0 {
		k := v[e.sc.kind].s
		if t = e.types[k]; t == "" {
			t = relType(k)
			e.types[k] = t
		}
	}
	e.rec = slices.Insert(e.rec, 2, t)
	return e.w.Write(e.rec)
}

func (e *csvEncoder) end() error {
	e.w.Flush()
	return e.w.Error()
}

// jsonEncoder writes JSON Lines: one object per node, {"type":"node","id":1,...}, then one
// per edge, {"type":"edge","source":1,"target":2,...}. Every attribute is present; strings
// keep every character, except that invalid UTF-8 bytes are dropped.
type jsonEncoder struct {
	bw  *bufio.Writer
	sc  *schema
	buf []byte
}

func (e *jsonEncoder) begin(out *sink, sc *schema) error {
	bw, err := out.start(StreamGraph)
	e.bw, e.sc = bw, sc
	return err
}

func (e *jsonEncoder) fields(b []byte, cols []column, v []value) []byte {
	for i, c := range cols {
		b = append(b, ',', '"')
		b = append(b, c.name...)
		b = append(b, '"', ':')
		switch c.typ {
		case typeString:
			b = appendJSON(b, v[i].s)
		case typeTime:
			b = append(b, '"')
			b = appendText(b, c.typ, &v[i])
			b = append(b, '"')
		default:
			b = appendText(b, c.typ, &v[i])
		}
	}
	return append(b, '}', '\n')
}

func (e *jsonEncoder) node(id uint64, v []value) error {
	b := append(e.buf[:0], `{"type":"node","id":`...)
	b = strconv.AppendUint(b, id, 10)
	e.buf = e.fields(b, e.sc.nodes, v)
	_, err := e.bw.Write(e.buf)
	return err
}

func (e *jsonEncoder) edges() error { return nil }

func (e *jsonEncoder) edge(src, dst uint64, v []value) error {
	b := append(e.buf[:0], `{"type":"edge","source":`...)
	b = strconv.AppendUint(b, src, 10)
	b = append(b, `,"target":`...)
	b = strconv.AppendUint(b, dst, 10)
	e.buf = e.fields(b, e.sc.edges, v)
	_, err := e.bw.Write(e.buf)
	return err
}

func (e *jsonEncoder) end() error { return nil }

const hexDigits = "0123456789abcdef"

// appendJSON appends s as a JSON string, dropping invalid UTF-8 bytes. U+2028 and U+2029 are
// escaped so that a line can also be evaluated as JavaScript.
func appendJSON(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c >= 0x20:
				b = append(b, c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
		case r == '\u2028' || r == '\u2029':
			b = fmt.Appendf(b, `\u%04x`, r)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
