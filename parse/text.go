package parse

import (
	"unicode"
	"unicode/utf8"
)

// The text of an element (an <a>'s anchor, the <title>) is the text of its descendants, each
// text node made valid UTF-8 (a run of bad bytes as one U+FFFD) and joined, with its runs of
// white space as one space and none at the ends, cut to a maximum length at a rune boundary.
//
// A textCollector gathers that text for the open elements of one kind in a single pass over
// the document, whatever their nesting: a piece of text is folded into a buffer the open
// elements share (so it is read once, not once per open element), and only until the
// innermost element that still needs text has enough of it to fill its maximum. Nested
// anchors thus cost no more than their text, and an anchor over a huge subtree stops reading
// once its cut is decided.

// textCollector collects the text of the open elements of one kind (anchors, or the title).
// The zero value is not ready: set max.
type textCollector struct {
	max   int        // the longest text kept, in bytes
	buf   []byte     // folded text since the oldest open element that needs text
	open  []openText // the open elements, outermost first
	need  int        // index in open of the innermost element that needs text, or -1
	noAlt int        // open[noAlt:] have seen no <img alt> yet
}

// openText is one open element.
type openText struct {
	id       int    // the caller's handle for the text; -1: the text is not needed
	start    int    // offset in buf where its text starts
	prevNeed int    // need before it was opened
	only     string // its text while that is one string not copied into buf
	hasOnly  bool
	alt      string // the alt of its first <img alt>
	hasAlt   bool
}

// closedText is the text of an element that has ended. Either only holds the text as the
// document gave it (one string, to be collapsed), or text holds it collapsed and cut already;
// text is valid only until the collector is used again.
type closedText struct {
	id      int
	only    string
	hasOnly bool
	text    []byte
	alt     string
	hasAlt  bool
}

func (c *textCollector) reset() {
	clear(c.open)
	c.buf, c.open, c.need, c.noAlt = c.buf[:0], c.open[:0], -1, 0
}

// enough is how many folded bytes from an element's start decide its text: a leading space,
// max bytes, and one more to tell whether the cut falls inside a rune.
func (c *textCollector) enough() int { return c.max + 2 }

// full reports whether open[i] has all the text it needs.
func (c *textCollector) full(i int) bool {
	e := &c.open[i]
	return !e.hasOnly && len(c.buf)-e.start >= c.enough()
}

// collecting reports whether a piece of text now would be read.
func (c *textCollector) collecting() bool { return c.need >= 0 && !c.full(c.need) }

// push opens an element; id < 0 marks one whose text is not needed.
func (c *textCollector) push(id int) {
	if id >= 0 && c.need >= 0 && c.open[c.need].hasOnly {
		c.materialize() // the new element's text starts after the one held apart
	}
	c.open = append(c.open, openText{id: id, start: len(c.buf), prevNeed: c.need})
	if id >= 0 {
		c.need = len(c.open) - 1
	}
}

// pop closes the innermost open element and returns its text.
func (c *textCollector) pop() closedText {
	i := len(c.open) - 1
	e := c.open[i]
	c.open[i] = openText{}
	c.open = c.open[:i]
	c.noAlt = min(c.noAlt, i)
	if e.id < 0 {
		return closedText{id: -1}
	}
	c.need = e.prevNeed
	t := closedText{id: e.id, only: e.only, hasOnly: e.hasOnly, alt: e.alt, hasAlt: e.hasAlt}
	if !e.hasOnly {
		t.text = c.cut(c.buf[e.start:min(len(c.buf), e.start+c.enough())])
	}
	// t.text still reads the bytes cut off here: nothing is written before the caller is done.
	switch {
	case c.need < 0:
		c.buf = c.buf[:0]
	case c.full(c.need):
		// The text after what the element around it needs was e's alone.
		c.buf = c.buf[:c.open[c.need].start+c.enough()]
	}
	return t
}

// cut returns folded text without the spaces at its ends, cut to max bytes.
func (c *textCollector) cut(text []byte) []byte {
	if len(text) > 0 && text[0] == ' ' {
		text = text[1:]
	}
	if len(text) > 0 && text[len(text)-1] == ' ' {
		text = text[:len(text)-1]
	}
	return cutAt(text, c.max)
}

// addString reads a text node; the document keeps s, so an element whose whole text it is
// may use it without a copy.
func (c *textCollector) addString(s string) {
	if !c.collecting() {
		return
	}
	e := &c.open[c.need]
	if !e.hasOnly && len(c.buf) == e.start && (e.prevNeed < 0 || c.full(e.prevNeed)) {
		// The first text of the only element that needs it: held apart until a second piece
		// comes, as most anchors have one text node.
		e.only, e.hasOnly = s, true
		return
	}
	c.materialize()
	c.buf = appendFolded(c.buf, s, e.start+c.enough())
}

// addBytes reads a piece of text the caller does not keep.
func (c *textCollector) addBytes(b []byte) {
	if !c.collecting() {
		return
	}
	c.materialize()
	c.buf = appendFolded(c.buf, b, c.open[c.need].start+c.enough())
}

// materialize copies the text held apart by the innermost element that needs text into buf.
func (c *textCollector) materialize() {
	if e := &c.open[c.need]; e.hasOnly {
		e.hasOnly = false
		c.buf = appendFolded(c.buf, e.only, e.start+c.enough())
		e.only = ""
	}
}

// wantsAlt reports whether an <img alt> now would be recorded.
func (c *textCollector) wantsAlt() bool { return c.noAlt < len(c.open) }

// img records an <img alt> for the open elements that have seen none.
func (c *textCollector) img(alt string) {
	for i := c.noAlt; i < len(c.open); i++ {
		c.open[i].alt, c.open[i].hasAlt = alt, true
	}
	c.noAlt = len(c.open)
}

// appendFolded appends s to dst as a part of a longer text: bad UTF-8 as U+FFFD (one per run),
// each run of white space (unicode.IsSpace, as strings.Fields) as one space, none if dst ends
// with one, until dst is limit bytes long or more. A rune is appended whole.
func appendFolded[S string | []byte](dst []byte, s S, limit int) []byte {
	space := len(dst) == 0 || dst[len(dst)-1] == ' '
	bad := false
	for i := 0; i < len(s) && len(dst) < limit; {
		if c := s[i]; c < utf8.RuneSelf {
			i++
			if asciiSpace[c] {
				if !space {
					dst = append(dst, ' ')
					space = true
				}
			} else {
				dst = append(dst, c)
				space = false
			}
			bad = false
			continue
		}
		// A conversion of at most four bytes: no allocation.
		r, size := utf8.DecodeRuneInString(string(s[i:min(len(s), i+utf8.UTFMax)]))
		switch {
		case size == 1: // r is utf8.RuneError: a bad byte
			if !bad {
				dst = append(dst, "\uFFFD"...)
				bad, space = true, false
			}
		case unicode.IsSpace(r):
			if !space {
				dst = append(dst, ' ')
				space = true
			}
			bad = false
		default:
			dst = append(dst, s[i:i+size]...)
			bad, space = false, false
		}
		i += size
	}
	return dst
}

// asciiSpace holds the ASCII bytes unicode.IsSpace accepts.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}
