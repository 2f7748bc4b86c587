package parse

import (
	"bytes"

	"golang.org/x/net/html/atom"
)

// The token scanner's stack of open elements: which elements a start or end tag closes, as
// the HTML tree builder would, so that anchor and title text end where a tree's would.

// elemNS is the namespace of an open element.
type elemNS uint8

const (
	nsHTML elemNS = iota
	nsSVG
	nsMath
)

// elemFlags say what an open element means to the scanner.
type elemFlags uint16

const (
	flagAnchor      elemFlags = 1 << iota // an <a href>, open in the anchor collector
	flagTitle                             // the first <title>, open in the title collector
	flagMarker                            // a table cell, caption, object...: an <a> inside does not close one outside
	flagScope                             // ends the scope in which a start tag closes an open <p>, <li>...
	flagHTMLPoint                         // content is HTML: svg foreignObject, desc, title; math annotation-xml for HTML
	flagMathText                          // math mi, mo, mn, ms, mtext: start tags and text inside are HTML
	flagAnnotation                        // math annotation-xml: an <svg> inside starts SVG
	flagH1                                // the first <h1>, open in the h1 collector
	flagNoWords                           // text inside is not the page's (see noWords), here or in an element around
	flagBreaksWords                       // its end ends a word (see breaksWords)
)

// openElem is an element of the scanner's stack. The last* fields, carried up from the
// element below, answer "the innermost such element" for the top in constant time.
type openElem struct {
	key        uint64
	prev       int32 // the innermost open element below with the same key, or -1
	lastHTML   int32 // the innermost HTML element at or below this one, or -1
	lastMarker int32 // the innermost flagMarker element at or below this one, or -1
	lastScope  int32 // the innermost flagScope element at or below this one, or -1
	ns         elemNS
	flags      elemFlags
}

// open pushes an element, and opens its text where it is an anchor or the title.
func (sc *scanner) open(key uint64, ns elemNS, flags elemFlags, anchorID int) {
	if sc.overflow > 0 || len(sc.stack) >= maxOpenElements {
		sc.overflow++
		sc.overNS = ns
		return
	}
	i := int32(len(sc.stack))
	e := openElem{key: key, prev: -1, lastHTML: -1, lastMarker: -1, lastScope: -1, ns: ns, flags: flags}
	if i > 0 {
		below := &sc.stack[i-1]
		e.lastHTML, e.lastMarker, e.lastScope = below.lastHTML, below.lastMarker, below.lastScope
		e.flags |= below.flags & flagNoWords
	}
	if ns == nsHTML {
		e.lastHTML = i
	}
	if flags&flagMarker != 0 {
		e.lastMarker = i
	}
	if flags&flagScope != 0 {
		e.lastScope = i
	}
	if p, ok := sc.top[key]; ok {
		e.prev = p
	}
	sc.top[key] = i
	sc.stack = append(sc.stack, e)
	if flags&flagAnchor != 0 {
		sc.s.anchors.push(anchorID)
	}
	if flags&flagTitle != 0 {
		sc.s.title.push(0)
	}
	if flags&flagH1 != 0 {
		sc.s.h1.push(0)
	}
}

// popTo closes stack[i] and every element above it.
func (sc *scanner) popTo(i int) {
	for len(sc.stack) > i {
		n := len(sc.stack) - 1
		e := sc.stack[n]
		sc.stack = sc.stack[:n]
		if e.prev >= 0 {
			sc.top[e.key] = e.prev
		} else {
			delete(sc.top, e.key)
		}
		if e.flags&flagAnchor != 0 {
			t := sc.s.anchors.pop()
			if t.id >= 0 {
				anchor := string(t.text)
				if t.hasOnly {
					anchor = collapse(t.only, MaxAnchor)
				}
				if anchor == "" && t.hasAlt {
					anchor = collapse(t.alt, MaxAnchor)
				}
				sc.links.links[t.id].Anchor = anchor
			}
		}
		if e.flags&flagTitle != 0 {
			t := sc.s.title.pop()
			sc.page.Title = string(t.text)
		}
		if e.flags&flagH1 != 0 {
			t := sc.s.h1.pop()
			sc.facts.H1 = string(t.text)
		}
		if e.flags&flagBreaksWords != 0 {
			sc.words.brk()
		}
	}
}

// popToHTML closes foreign elements until an HTML element or an integration point is the
// current one, as a breakout tag (<p>, <div>, <img>... in <svg>) does.
func (sc *scanner) popToHTML() {
	sc.overflow = 0
	for n := len(sc.stack); n > 0; n-- {
		if e := sc.stack[n-1]; e.ns == nsHTML || e.flags&(flagHTMLPoint|flagMathText) != 0 {
			sc.popTo(n)
			return
		}
	}
	sc.popTo(0)
}

// impliedEnds closes what an HTML start tag closes in the tree builder.
func (sc *scanner) impliedEnds(a atom.Atom) {
	if sc.overflow > 0 {
		return // the elements in question are not tracked
	}
	switch a {
	case atom.A:
		if i, ok := sc.topHTML(atom.A); ok && i > int(sc.current().lastMarker) {
			sc.popTo(i)
		}
		return
	case atom.Li:
		sc.closeAbove(sc.topOf(atom.Li), atom.Ul, atom.Ol, atom.Menu)
	case atom.Dd, atom.Dt:
		sc.closeAbove(max(sc.topOf(atom.Dd), sc.topOf(atom.Dt)), atom.Dl)
	case atom.Td, atom.Th:
		sc.closeInTable(max(sc.topOf(atom.Td), sc.topOf(atom.Th)))
		return
	case atom.Tr:
		sc.closeInTable(sc.topOf(atom.Tr))
		return
	case atom.Tbody, atom.Thead, atom.Tfoot:
		sc.closeInTable(max(sc.topOf(atom.Tr), sc.topOf(atom.Tbody), sc.topOf(atom.Thead), sc.topOf(atom.Tfoot)))
		return
	case atom.Option:
		sc.closeCurrent(atom.Option)
		return
	case atom.Optgroup:
		sc.closeCurrent(atom.Option)
		sc.closeCurrent(atom.Optgroup)
		return
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		sc.closeP()
		for _, h := range []atom.Atom{atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6} {
			sc.closeCurrent(h)
		}
		return
	case atom.Table:
		if !sc.doctype {
			return
		}
	}
	if closesP(a) {
		sc.closeP()
	}
}

// topOf is the index of the innermost open HTML element a, or -1.
func (sc *scanner) topOf(a atom.Atom) int {
	if i, ok := sc.topHTML(a); ok {
		return i
	}
	return -1
}

func (sc *scanner) topHTML(a atom.Atom) (int, bool) {
	i, ok := sc.top[elemKey(a, nil, false)]
	return int(i), ok
}

// closeAbove closes stack[i] (when i >= 0) if it is inside the current scope and no open
// element of the kinds given is inside it.
func (sc *scanner) closeAbove(i int, containers ...atom.Atom) {
	if i < 0 || i <= int(sc.current().lastScope) {
		return
	}
	for _, c := range containers {
		if sc.topOf(c) > i {
			return
		}
	}
	sc.popTo(i)
}

// closeInTable closes stack[i] (when i >= 0) if it belongs to the innermost open table.
func (sc *scanner) closeInTable(i int) {
	if i >= 0 && i > sc.topOf(atom.Table) && i > sc.topOf(atom.Template) {
		sc.popTo(i)
	}
}

// closeCurrent closes the current element if it is the HTML element a.
func (sc *scanner) closeCurrent(a atom.Atom) {
	if n := len(sc.stack); n > 0 && sc.overflow == 0 && sc.stack[n-1].key == elemKey(a, nil, false) {
		sc.popTo(n - 1)
	}
}

// closeP closes an open <p> in button scope, as the start of a block does.
func (sc *scanner) closeP() {
	if i := sc.topOf(atom.P); i >= 0 && i > int(sc.current().lastScope) {
		sc.popTo(i)
	}
}

// elemKey identifies an element name on the stack: HTML elements and foreign ones apart,
// names without an atom by their FNV-1a hash.
func elemKey(a atom.Atom, name []byte, foreign bool) uint64 {
	k := uint64(a)
	if a == 0 {
		k = 14695981039346656037
		for _, c := range name {
			k = (k ^ uint64(c)) * 1099511628211
		}
		k = k>>2 | 1<<61
	}
	if foreign {
		k |= 1 << 63
	}
	return k
}

func htmlFlags(a atom.Atom) elemFlags {
	switch a {
	case atom.Applet, atom.Caption, atom.Marquee, atom.Object, atom.Td, atom.Th, atom.Template:
		return flagMarker | flagScope
	case atom.Table, atom.Button, atom.Select:
		return flagScope
	}
	return 0
}

func foreignFlags(ns elemNS, a atom.Atom, at *tagAttrs) elemFlags {
	switch {
	case ns == nsSVG && (a == atom.Foreignobject || a == atom.Desc || a == atom.Title):
		return flagHTMLPoint | flagScope
	case ns == nsMath && (a == atom.Mi || a == atom.Mo || a == atom.Mn || a == atom.Ms || a == atom.Mtext):
		return flagMathText | flagScope
	case ns == nsMath && a == atom.AnnotationXml:
		f := flagAnnotation | flagScope
		if at.hasEncoding && (bytes.EqualFold(at.encoding, []byte("text/html")) || bytes.EqualFold(at.encoding, []byte("application/xhtml+xml"))) {
			f |= flagHTMLPoint
		}
		return f
	}
	return 0
}

// voidElement reports whether the tree builder closes an HTML element as soon as it opens.
func voidElement(a atom.Atom) bool {
	switch a {
	case atom.Area, atom.Base, atom.Basefont, atom.Bgsound, atom.Br, atom.Col, atom.Embed, atom.Frame, atom.Hr,
		atom.Img, atom.Input, atom.Keygen, atom.Link, atom.Meta, atom.Param, atom.Source, atom.Track, atom.Wbr:
		return true
	}
	return false
}

// breaksOut reports whether a start tag ends foreign content.
func breaksOut(a atom.Atom) bool {
	switch a {
	case atom.B, atom.Big, atom.Blockquote, atom.Body, atom.Br, atom.Center, atom.Code, atom.Dd, atom.Div,
		atom.Dl, atom.Dt, atom.Em, atom.Embed, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Head,
		atom.Hr, atom.I, atom.Img, atom.Li, atom.Listing, atom.Menu, atom.Meta, atom.Nobr, atom.Ol, atom.P,
		atom.Pre, atom.Ruby, atom.S, atom.Small, atom.Span, atom.Strong, atom.Strike, atom.Sub, atom.Sup,
		atom.Table, atom.Tt, atom.U, atom.Ul, atom.Var:
		return true
	}
	return false
}

// closesP reports whether an HTML start tag closes an open <p>.
func closesP(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Center, atom.Details, atom.Dialog,
		atom.Dir, atom.Div, atom.Dl, atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Header,
		atom.Hgroup, atom.Main, atom.Menu, atom.Nav, atom.Ol, atom.P, atom.Search, atom.Section, atom.Summary,
		atom.Ul, atom.Pre, atom.Listing, atom.Form, atom.Plaintext, atom.Xmp, atom.Hr, atom.Li, atom.Dd,
		atom.Dt, atom.Table:
		return true
	}
	return false
}
