package parse

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/crawl-project/crawl"
)

// The token scanner reads a page's links from x/net/html's tokenizer without building a
// tree. It is used for pages whose tree would be large (see maxTreeTags) and for pages the
// tree builder refuses (nested deeper than 512 elements): its memory is the links kept, an
// element stack of bounded depth and the text an anchor still needs, and its time is linear
// in the page.
//
// It gives the tree path's Page for documents whose markup nests as written. It follows the
// tree builder where that matters to a crawl and costs little: foreign content (<svg>,
// <math>: where <a> nests, CDATA, self-closing tags, xlink:href, integration points,
// breakout tags), void elements, an <a> closing an open <a> (but not across a table cell),
// end tags closing the elements inside them, the implied ends of <p>, <li>, <dd>, <dt>,
// table rows and cells, <option> and headings, and the newline dropped after <pre>,
// <listing> and <textarea>. Where the tree builder repairs mis-nested markup otherwise, the
// results may differ:
//
//   - a formatting element the tree builder re-creates after a block closed it: <a> left
//     open across a </div> or a </p> is counted once, and its anchor runs on until its
//     </a>, the next <a> or the end of an element it was opened in (the tree builder
//     counts each copy it makes, and ends the anchor at the block);
//   - content the tree builder moves: text and elements foster-parented out of a <table>
//     keep their document order, an <a> closed inside a block it was not opened in
//     (<a><div>x</a>) keeps its text;
//   - tokens the tree builder drops: a <frameset> document's content, end tags the scope
//     rules ignore (each end tag here closes the innermost open element of its name), an
//     </a> inside a cell closing an <a> outside it is ignored here too;
//   - text with bad UTF-8 on both sides of a tag, which the tree builder may join into one
//     text node;
//   - a <template> inside an SVG or MathML integration point (<foreignObject>, <mtext>...),
//     which x/net/html's tree builder drops, and with it what follows up to the end of the
//     <svg>, or of the document inside <math>: here its content and what follows are read;
//   - elements nested deeper than maxOpenElements: they are counted, not tracked, and an
//     <a> among them has no anchor text.

// maxTreeTags is the most '<' bytes a page may hold for the tree path: each element costs
// the tree about 350 bytes, so this keeps a tree near 25 MiB. Counting is cheap (bytes.Count)
// and happens before anything is parsed.
const maxTreeTags = 1 << 16

// maxOpenElements caps the element stack of the token scanner.
const maxOpenElements = 1 << 12

// scan reads the links of a page with the token scanner; why is the reason, for Page.Partial.
func (x Extractor) scan(body []byte, contentType string, pageURL *url.URL, s *scratch, general bool, why string) (*Page, error) {
	src, r, err := s.utf8Body(body, contentType, general)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", pageURL, err)
	}
	base := pageURL
	if src == nil || mayHaveBase(src) {
		// Links before a <base href> resolve against it too: a first pass finds it.
		sc := newScanner(r, x, s, general, nil)
		if err := sc.run(); err != nil {
			return nil, fmt.Errorf("parse %s: %w", pageURL, err)
		}
		base = baseURL(pageURL, sc.baseHref, sc.haveBase, general)
		if _, r, err = s.utf8Body(body, contentType, general); err != nil {
			return nil, fmt.Errorf("decode %s: %w", pageURL, err)
		}
	}
	sc := newScanner(r, x, s, general, base)
	if err := sc.run(); err != nil {
		return nil, fmt.Errorf("parse %s: %w", pageURL, err)
	}
	page := sc.page
	page.Links, page.Dropped, page.Invalid = sc.links.links, sc.links.dropped, sc.links.invalid
	page.Partial = why
	return page, nil
}

// mayHaveBase reports whether b holds a tag named base (in any case): if not, no pass for
// a <base href> is needed.
func mayHaveBase(b []byte) bool {
	for {
		i := bytes.IndexByte(b, '<')
		if i < 0 {
			return false
		}
		b = b[i+1:]
		if len(b) >= 4 && b[0]|0x20 == 'b' && b[1]|0x20 == 'a' && b[2]|0x20 == 's' && b[3]|0x20 == 'e' &&
			(len(b) == 4 || tagNameEnd(b[4])) {
			return true
		}
	}
}

// tagNameEnd reports whether the tokenizer ends a tag name at c.
func tagNameEnd(c byte) bool {
	switch c {
	case ' ', '\n', '\r', '\t', '\f', '/', '>':
		return true
	}
	return false
}

type elemNS uint8

const (
	nsHTML elemNS = iota
	nsSVG
	nsMath
)

type elemFlags uint8

const (
	flagAnchor     elemFlags = 1 << iota // an <a href>, open in the anchor collector
	flagTitle                            // the first <title>, open in the title collector
	flagMarker                           // a table cell, caption, object...: an <a> inside does not close one outside
	flagScope                            // ends the scope in which a start tag closes an open <p>, <li>...
	flagHTMLPoint                        // content is HTML: svg foreignObject, desc, title; math annotation-xml for HTML
	flagMathText                         // math mi, mo, mn, ms, mtext: start tags and text inside are HTML
	flagAnnotation                       // math annotation-xml: an <svg> inside starts SVG
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

// scanner is one pass of the token scanner over a document.
type scanner struct {
	z        *html.Tokenizer
	x        Extractor
	s        *scratch
	findBase bool   // the first pass: only the first <base href> is wanted
	doctype  bool   // a doctype was seen: not in quirks mode, where a <table> does not close a <p>
	stripLF  bool   // the last token opened a <pre>, <listing> or <textarea>
	name     []byte // a tag name lower-cased

	stack    []openElem
	overflow int    // open elements beyond maxOpenElements, counted only
	overNS   elemNS // the namespace of the latest of them
	top      map[uint64]int32

	baseHref  string
	haveBase  bool
	haveTitle bool
	links     streamLinks
	page      *Page
}

// newScanner returns a scanner reading r: the first pass, finding the <base href>, when base
// is nil, else the pass reading the links and resolving them against base.
func newScanner(r io.Reader, x Extractor, s *scratch, general bool, base *url.URL) *scanner {
	s.anchors.reset()
	s.title.reset()
	sc := &scanner{z: html.NewTokenizer(r), x: x, s: s, findBase: base == nil, top: make(map[uint64]int32), page: &Page{}}
	if base != nil {
		sc.links = newStreamLinks(x.MaxLinks, base, general)
	}
	return sc
}

// run reads the document to its end, or to its first <base href> on the first pass.
func (sc *scanner) run() error {
	z := sc.z
	for {
		z.AllowCDATA(sc.current().ns != nsHTML)
		tt := z.Next()
		stripLF := sc.stripLF
		sc.stripLF = false
		switch tt {
		case html.ErrorToken:
			if err := z.Err(); err != io.EOF {
				return err
			}
			sc.popTo(0)
			return nil
		case html.TextToken:
			sc.text(z.Text(), stripLF)
		case html.StartTagToken, html.SelfClosingTagToken:
			if sc.startTag(tt == html.SelfClosingTagToken) {
				return nil
			}
		case html.EndTagToken:
			sc.endTag()
		case html.DoctypeToken:
			sc.doctype = true
		}
	}
}

// current is the element at the top of the stack; an HTML one for the document itself.
func (sc *scanner) current() openElem {
	switch {
	case sc.overflow > 0:
		return openElem{ns: sc.overNS, prev: -1, lastHTML: -1, lastMarker: -1, lastScope: -1}
	case len(sc.stack) > 0:
		return sc.stack[len(sc.stack)-1]
	}
	return openElem{prev: -1, lastHTML: -1, lastMarker: -1, lastScope: -1}
}

// inForeign reports whether a token is read by the rules of foreign content, as
// x/net/html's parser decides it.
func (sc *scanner) inForeign(tt html.TokenType, a atom.Atom) bool {
	e := sc.current()
	switch {
	case e.ns == nsHTML:
		return false
	case e.flags&flagMathText != 0 && (tt == html.TextToken || tt == html.StartTagToken && a != atom.Mglyph && a != atom.Malignmark):
		return false
	case e.flags&flagAnnotation != 0 && tt == html.StartTagToken && a == atom.Svg:
		return false
	case e.flags&flagHTMLPoint != 0 && (tt == html.StartTagToken || tt == html.TextToken):
		return false
	}
	return true
}

// text reads a text token.
func (sc *scanner) text(b []byte, stripLF bool) {
	if sc.findBase || !sc.s.anchors.collecting() && !sc.s.title.collecting() {
		return
	}
	if stripLF && len(b) > 0 && b[0] == '\n' {
		b = b[1:] // the tree builder drops it
	}
	if bytes.IndexByte(b, 0) >= 0 {
		// The tokenizer leaves U+0000 in ordinary text; the tree builder drops it, or
		// replaces it in foreign content.
		repl := []byte(nil)
		if sc.inForeign(html.TextToken, 0) {
			repl = []byte("\uFFFD")
		}
		b = bytes.ReplaceAll(b, []byte{0}, repl)
	}
	sc.s.anchors.addBytes(b)
	sc.s.title.addBytes(b)
}

// tagAttrs holds the attributes of a tag that the scanner reads: the first of each name.
// The values are the tokenizer's, valid until its next token.
type tagAttrs struct {
	href, xlinkHref, rel, hreflang, alt, name, content, encoding []byte
	hasHref, hasXlinkHref, xlinkFirst, hasRel, hasHreflang       bool
	hasAlt, hasName, hasContent, hasEncoding, fontBreakout       bool
}

func (at *tagAttrs) read(z *html.Tokenizer) {
	for more := true; more; {
		var k, v []byte
		k, v, more = z.TagAttr()
		switch string(k) {
		case "href":
			first(&at.href, &at.hasHref, v)
		case "xlink:href":
			at.xlinkFirst = at.xlinkFirst || !at.hasHref && !at.hasXlinkHref
			first(&at.xlinkHref, &at.hasXlinkHref, v)
		case "rel":
			first(&at.rel, &at.hasRel, v)
		case "hreflang":
			first(&at.hreflang, &at.hasHreflang, v)
		case "alt":
			first(&at.alt, &at.hasAlt, v)
		case "name":
			first(&at.name, &at.hasName, v)
		case "content":
			first(&at.content, &at.hasContent, v)
		case "encoding":
			first(&at.encoding, &at.hasEncoding, v)
		case "color", "face", "size":
			at.fontBreakout = true
		}
	}
}

func first(dst *[]byte, has *bool, v []byte) {
	if !*has {
		*dst, *has = v, true
	}
}

// hrefOf returns the element's href: in foreign content an xlink:href is one too, the
// tree builder having moved it to the xlink namespace under the name href.
func (at *tagAttrs) hrefOf(foreign bool) ([]byte, bool) {
	if foreign && at.hasXlinkHref && (at.xlinkFirst || !at.hasHref) {
		return at.xlinkHref, true
	}
	return at.href, at.hasHref
}

// readsAttrs reports whether the scanner reads the attributes of a tag.
func readsAttrs(a atom.Atom) bool {
	switch a {
	case atom.A, atom.Area, atom.Link, atom.Base, atom.Meta, atom.Img, atom.Image, atom.Font, atom.AnnotationXml:
		return true
	}
	return false
}

// startTag reads a start tag; it reports whether the first pass is done.
func (sc *scanner) startTag(selfClosing bool) (done bool) {
	z := sc.z
	name := sc.tagName(false)
	a := atom.Lookup(name)
	var at tagAttrs
	if readsAttrs(a) {
		at.read(z)
	}
	foreign := sc.inForeign(html.StartTagToken, a)
	if foreign && (breaksOut(a) || a == atom.Font && at.fontBreakout) {
		sc.popToHTML()
		foreign = false
	}
	ns := nsHTML
	switch {
	case foreign:
		ns = sc.current().ns
		z.NextIsNotRawText() // as the tree builder does: no raw text in foreign content (<svg><title>)
	case a == atom.Image:
		a, name = atom.Img, []byte("img")
	case a == atom.Html || a == atom.Head || a == atom.Body:
		return false // the tree builder keeps one of each, open to the end
	default:
		sc.impliedEnds(a)
	}

	// What the element gives the page, in any namespace, as the tree walk reads it.
	var flags elemFlags
	anchorID := -1
	href, hasHref := at.hrefOf(foreign)
	switch a {
	case atom.Base:
		if !sc.haveBase && hasHref {
			sc.baseHref, sc.haveBase = string(href), true
			if sc.findBase {
				return true
			}
		}
	case atom.Title:
		if !sc.haveTitle {
			sc.haveTitle = true
			flags |= flagTitle
		}
	}
	if !sc.findBase {
		switch a {
		case atom.Meta:
			if at.hasName {
				if nofollow, noindex, ok := metaRobots(string(at.name), string(at.content), sc.x.RobotsToken); ok {
					sc.page.NoFollow = sc.page.NoFollow || nofollow
					sc.page.NoIndex = sc.page.NoIndex || noindex
				}
			}
		case atom.Img:
			if at.hasAlt && sc.s.anchors.wantsAlt() {
				sc.s.anchors.img(string(at.alt))
			}
		case atom.A:
			if hasHref {
				flags |= flagAnchor
				anchorID = sc.links.add(href, relOf(&at), crawl.KindLink)
			}
		case atom.Area:
			if hasHref {
				if i := sc.links.add(href, relOf(&at), crawl.KindLink); i >= 0 {
					sc.links.links[i].Anchor = collapse(string(at.alt), MaxAnchor)
				}
			}
		case atom.Link:
			rel := relOf(&at)
			if kind, ok := linkKind(rel, string(at.hreflang)); ok && hasHref {
				if i := sc.links.add(href, rel, kind); i >= 0 && kind == crawl.KindAlternate {
					sc.links.links[i].Anchor = collapse(string(at.hreflang), MaxAnchor)
				}
			}
		}
	}

	switch {
	case foreign:
		if !selfClosing { // else an empty element: an empty title, an anchor without text
			sc.open(elemKey(a, name, true), ns, flags|foreignFlags(ns, a, &at), anchorID)
		}
	case voidElement(a):
	case a == atom.Svg || a == atom.Math:
		if !selfClosing {
			ns = nsSVG
			if a == atom.Math {
				ns = nsMath
			}
			sc.open(elemKey(a, name, true), ns, 0, -1)
		}
	default:
		sc.open(elemKey(a, name, false), nsHTML, flags|htmlFlags(a), anchorID)
		sc.stripLF = a == atom.Pre || a == atom.Listing || a == atom.Textarea
	}
	return false
}

// tagName returns the lower-cased name of the current tag, as Tokenizer.TagName does but
// without its copy of every name: a slice of the tokenizer's buffer, valid until its next
// token, or of the scanner's.
func (sc *scanner) tagName(end bool) []byte {
	raw := sc.z.Raw() // "<name ..." or "</name ..."
	i := 1
	if end {
		i = 2
	}
	j := i
	for j < len(raw) && !tagNameEnd(raw[j]) {
		j++
	}
	name := raw[i:j]
	upper := false
	for _, c := range name {
		if c == 0 {
			name, _ = sc.z.TagName() // which writes U+FFFD for it
			return name
		}
		upper = upper || 'A' <= c && c <= 'Z'
	}
	if !upper {
		return name
	}
	sc.name = append(sc.name[:0], name...)
	for k, c := range sc.name {
		if 'A' <= c && c <= 'Z' {
			sc.name[k] = c + 'a' - 'A'
		}
	}
	return sc.name
}

func relOf(at *tagAttrs) string {
	if !at.hasRel {
		return ""
	}
	return collapse(strings.ToLower(string(at.rel)), 128)
}

// endTag reads an end tag: it closes the innermost open element of its name, and those
// inside it.
func (sc *scanner) endTag() {
	name := sc.tagName(true)
	if sc.overflow > 0 {
		sc.overflow-- // untracked elements: the innermost is taken to close
		return
	}
	if len(sc.stack) == 0 {
		return
	}
	a := atom.Lookup(name)
	cur := sc.stack[len(sc.stack)-1]
	if cur.ns != nsHTML {
		// Foreign content: an element of the name above the innermost HTML element.
		if i, ok := sc.top[elemKey(a, name, true)]; ok && i > cur.lastHTML {
			sc.popTo(int(i))
			return
		}
	}
	switch a {
	case atom.Html, atom.Body:
		return // the tree builder keeps them open
	case atom.A:
		if i, ok := sc.top[elemKey(a, name, false)]; ok && i > cur.lastMarker {
			sc.popTo(int(i))
		}
		return
	}
	if i, ok := sc.top[elemKey(a, name, false)]; ok {
		sc.popTo(int(i))
	}
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
