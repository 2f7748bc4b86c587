package parse

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// textModel is the definition a textCollector implements: an element's text is its text
// pieces, each made valid UTF-8, joined and collapsed; the alt of the first <img alt> seen
// while it is open stands in for empty text.
type textModel struct {
	pieces []string
	alt    string
	hasAlt bool
}

func (m *textModel) text(max int) string {
	var b strings.Builder
	for _, p := range m.pieces {
		b.WriteString(strings.ToValidUTF8(p, "\uFFFD"))
	}
	return collapse(b.String(), max)
}

// closedString is what the callers make of a closedText: its text, or else its alt.
func closedString(t closedText, max int) string {
	s := string(t.text)
	if t.hasOnly {
		s = collapse(t.only, max)
	}
	if s == "" && t.hasAlt {
		s = collapse(t.alt, max)
	}
	return s
}

// textPieces are the pieces the collector tests draw from: white space of every kind, bad
// UTF-8 (alone, and runes split between pieces), text longer than any maximum.
var textPieces = []string{"", " ", "a", "word", "  two  words ", "\u00a0", "é", "日本", "\xff", "\xe6\x97", "\xa5",
	"\t\n", strings.Repeat("x", 300), "\ufffd", "a\xffb", "\xff\xfe", " \u3000 ", "\x00", strings.Repeat("é ", 140), "z"}

// runTextOps drives a textCollector with ops read from data and checks every element it
// closes against textModel, and its buffer against its bound.
func runTextOps(t *testing.T, data []byte, max int) {
	t.Helper()
	c := textCollector{max: max}
	c.reset()
	var open []*textModel // nil: an element whose text is not needed
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return int(b)
	}
	for len(data) > 0 {
		switch op := next() % 6; op {
		case 0, 1:
			if next()%3 == 0 {
				c.push(-1)
				open = append(open, nil)
			} else {
				c.push(len(open))
				open = append(open, &textModel{})
			}
		case 2, 3:
			p := textPieces[next()%len(textPieces)]
			if op == 2 {
				c.addString(p)
			} else {
				c.addBytes([]byte(p))
			}
			for _, m := range open {
				if m != nil {
					m.pieces = append(m.pieces, p)
				}
			}
		case 4:
			alt := textPieces[next()%len(textPieces)]
			if c.wantsAlt() {
				c.img(alt)
			}
			for _, m := range open {
				if m != nil && !m.hasAlt {
					m.alt, m.hasAlt = alt, true
				}
			}
		case 5:
			if len(open) == 0 {
				continue
			}
			m := open[len(open)-1]
			open = open[:len(open)-1]
			got := c.pop()
			if m == nil {
				if got.id != -1 {
					t.Fatalf("an element whose text is not needed closed with id %d", got.id)
				}
				continue
			}
			if got.id != len(open) {
				t.Fatalf("closed id %d, want %d", got.id, len(open))
			}
			want := m.text(max)
			if want == "" && m.hasAlt {
				want = collapse(m.alt, max)
			}
			if s := closedString(got, max); s != want {
				t.Fatalf("text %q, want %q (pieces %q, alt %q)", s, want, m.pieces, m.alt)
			}
		}
		needing := 0
		for _, m := range open {
			if m != nil {
				needing++
			}
		}
		if bound := needing * (c.enough() + utf8.UTFMax); len(c.buf) > bound {
			t.Fatalf("buffer holds %d bytes for %d open elements, bound %d", len(c.buf), needing, bound)
		}
	}
}

func TestTextCollector(t *testing.T) {
	// Ops: 0 or 1 push (the next byte a multiple of 3: text not needed), 2 addString, 3 addBytes,
	// 4 img, 5 pop; each of 2-4 takes the index of its piece.
	tests := map[string][]byte{
		"one text":                    {0, 1, 2, 3, 5},
		"two texts":                   {0, 1, 2, 4, 3, 5, 5},
		"nested, text around":         {0, 1, 2, 4, 0, 1, 3, 3, 5, 2, 19, 5},
		"alt for the empty":           {0, 1, 4, 6, 0, 1, 4, 7, 5, 5},
		"long text, nested":           {0, 1, 2, 12, 0, 1, 2, 12, 0, 1, 2, 18, 5, 5, 5},
		"split rune":                  {0, 1, 2, 9, 0, 1, 3, 10, 5, 5},
		"not needed in the middle":    {0, 1, 0, 0, 0, 1, 2, 3, 5, 5, 2, 4, 5},
		"full outer, inner after":     {0, 1, 2, 12, 0, 1, 3, 12, 5, 0, 1, 3, 4, 5, 5},
		"white space only, then text": {0, 1, 2, 1, 2, 11, 2, 16, 3, 3, 5},
	}
	for name, ops := range tests {
		t.Run(name, func(t *testing.T) {
			for _, max := range []int{3, 8, MaxAnchor} {
				runTextOps(t, ops, max)
			}
		})
	}
}

func FuzzTextCollector(f *testing.F) {
	f.Add([]byte{0, 1, 2, 4, 0, 1, 3, 3, 5, 2, 19, 5}, uint8(8))
	f.Add([]byte{0, 1, 2, 12, 0, 1, 2, 12, 0, 1, 2, 18, 5, 5, 5}, uint8(0))
	f.Fuzz(func(t *testing.T, ops []byte, max uint8) {
		runTextOps(t, ops, int(max)%300)
	})
}
