package export

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// csvEncoder writes csv or tsv: a nodes stream and an edges stream, each with a header row.
// csv fields are quoted as RFC 4180 requires, by the rules of encoding/csv (see appendCSV);
// tsv fields are never quoted, and a backslash, tab, line feed or carriage return in them is
// written as \\, \t, \n or \r (see appendTSV), except with neo4j headers, where tsv is quoted
// like csv, since neo4j-admin reads it so. Strings keep every character, except that
// invalid UTF-8 bytes are dropped. Each record is built in one reused buffer, so writing a
// row does not allocate.
type csvEncoder struct {
	comma byte
	neo4j bool
	// quote: fields are quoted as in csv; otherwise escaped as in tsv.
	quote bool
	out   *sink
	sc    *schema
	bw    *bufio.Writer
	buf   []byte
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
	case typeTokens:
		return ":string[]"
	case typeDouble:
		return ":double"
	}
	return ""
}

// neo4jArrayDelimiter separates the elements of an array field, as neo4j-admin expects by
// default (--array-delimiter).
const neo4jArrayDelimiter = ";"

// appendTSV appends s as one tsv field, dropping invalid UTF-8 bytes: a backslash, tab,
// line feed and carriage return are written as \\, \t, \n and \r, so that a record is one
// line and its fields are split at every tab, with no quoting (the convention of
// PostgreSQL's and MySQL's text formats).
func appendTSV(b []byte, s string) []byte {
	s = strings.ToValidUTF8(s, "")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '\t':
			b = append(b, '\\', 't')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, c)
		}
	}
	return b
}

// field appends s as one field of the encoder's format.
func (e *csvEncoder) field(b []byte, s string) []byte {
	if e.quote {
		return appendCSV(b, s, e.comma)
	}
	return appendTSV(b, s)
}

// appendCSV appends s as one csv field, dropping invalid UTF-8 bytes. It quotes the field
// exactly when encoding/csv's Writer would: when it contains the separator, a quote, a
// carriage return or a line feed, starts with white space, or is \. (the PostgreSQL
// end-of-data marker); quotes inside are doubled and line breaks kept as they are.
func appendCSV(b []byte, s string, comma byte) []byte {
	s = strings.ToValidUTF8(s, "")
	quote := s == `\.`
	for i := 0; i < len(s) && !quote; i++ {
		c := s[i]
		quote = c == comma || c == '"' || c == '\r' || c == '\n'
	}
	if !quote && s != "" {
		r, _ := utf8.DecodeRuneInString(s)
		quote = unicode.IsSpace(r)
	}
	if !quote {
		return append(b, s...)
	}
	b = append(b, '"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		b = append(b, s[:i+1]...)
		b = append(b, '"')
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

// write sends the record in b, ending it with a line feed.
func (e *csvEncoder) write(b []byte) error {
	e.buf = append(b, '\n')
	_, err := e.bw.Write(e.buf)
	return err
}

// start opens a stream and writes its header row.
func (e *csvEncoder) start(stream string, header []string) error {
	bw, err := e.out.start(stream)
	if err != nil {
		return err
	}
	e.bw = bw
	b := e.buf[:0]
	for i, h := range header {
		if i > 0 {
			b = append(b, e.comma)
		}
		b = e.field(b, h)
	}
	return e.write(b)
}

func (e *csvEncoder) begin(out *sink, sc *schema) error {
	e.out, e.sc = out, sc
	e.types = map[string]string{}
	h := []string{"id"}
	if e.neo4j {
		h[0] = "id:ID(" + sc.idSpace + ")"
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

// fields appends a separator and the value of each column of cols but skip. Numbers,
// booleans and timestamps never need quotes.
func (e *csvEncoder) fields(b []byte, cols []column, v []value, skip int) []byte {
	for i, c := range cols {
		if i == skip {
			continue
		}
		b = append(b, e.comma)
		switch {
		case c.typ == typeTokens && e.neo4j:
			b = e.field(b, strings.Join(strings.Fields(v[i].s), neo4jArrayDelimiter))
		case c.typ == typeString || c.typ == typeTokens:
			b = e.field(b, v[i].s)
		default:
			b = appendText(b, c.typ, &v[i])
		}
	}
	return b
}

func (e *csvEncoder) node(id uint64, v []value) error {
	b := strconv.AppendUint(e.buf[:0], id, 10)
	b = e.fields(b, e.sc.nodes, v, -1)
	if e.neo4j {
		b = append(b, e.comma)
		b = e.field(b, e.sc.labelOf(v))
	}
	return e.write(b)
}

func (e *csvEncoder) edges() error {
	h := []string{"source", "target"}
	if e.neo4j {
		space := "(" + e.sc.idSpace + ")"
		h = []string{":START_ID" + space, ":END_ID" + space, ":TYPE"}
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
	b := strconv.AppendUint(e.buf[:0], src, 10)
	b = append(b, e.comma)
	b = strconv.AppendUint(b, dst, 10)
	if !e.neo4j {
		return e.write(e.fields(b, e.sc.edges, v, -1))
	}
	t := e.sc.relType
	if e.sc.kind >= 0 {
		k := v[e.sc.kind].s
		if t = e.types[k]; t == "" {
			t = relType(k)
			e.types[k] = t
		}
	}
	b = append(b, e.comma)
	b = e.field(b, t)
	return e.write(e.fields(b, e.sc.edges, v, e.sc.kind))
}

func (e *csvEncoder) end() error { return nil }

// jsonEncoder writes JSON Lines: one object per node, {"type":"node","id":1,...}, then one
// per edge, {"type":"edge","source":1,"target":2,...}. Every attribute is present, null when
// it does not exist (the status of a URL never fetched); strings keep every character,
// except that invalid UTF-8 bytes are dropped.
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
		switch {
		case v[i].none:
			b = append(b, "null"...)
		case c.typ == typeString || c.typ == typeTokens:
			b = appendJSON(b, v[i].s)
		case c.typ == typeTime:
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
