package parse

import (
	"bytes"
	"fmt"
	"io"
	"net/url"

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
	s.frags.assign(page.Links)
	sc.facts.HasTitle, sc.facts.Words = sc.haveTitle, sc.words.n
	page.Facts = sc.facts.done(page.Links)
	page.Targets = s.targets.targets()
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
	haveH1    bool
	links     streamLinks
	page      *Page
	facts     facts
	words     wordCounter
	// The tree builder keeps the first <html>, <head> and <body>, and adds to the first
	// <html> or <body> the attributes of later ones that it lacks: a later one's id counts
	// only if no earlier one had an id.
	htmlID, headSeen, bodyID bool
}

// newScanner returns a scanner reading r: the first pass, finding the <base href>, when base
// is nil, else the pass reading the links and resolving them against base.
func newScanner(r io.Reader, x Extractor, s *scratch, general bool, base *url.URL) *scanner {
	s.anchors.reset()
	s.title.reset()
	s.h1.reset()
	s.targets.reset()
	s.frags.reset()
	sc := &scanner{z: html.NewTokenizer(r), x: x, s: s, findBase: base == nil, top: make(map[uint64]int32), page: &Page{},
		words: newWordCounter()}
	if base != nil {
		sc.links = newStreamLinks(x.MaxLinks, base, general, &s.frags)
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
	if sc.findBase {
		return
	}
	words := sc.current().flags&flagNoWords == 0
	if !words && !sc.s.anchors.collecting() && !sc.s.title.collecting() && !sc.s.h1.collecting() {
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
	if words {
		countWords(&sc.words, b)
	}
	sc.s.anchors.addBytes(b)
	sc.s.title.addBytes(b)
	sc.s.h1.addBytes(b)
}

// startTag reads a start tag; it reports whether the first pass is done.
func (sc *scanner) startTag(selfClosing bool) (done bool) {
	z := sc.z
	name := sc.tagName(false)
	a := atom.Lookup(name)
	var at tagAttrs
	if !sc.findBase || readsAttrs(a) {
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
		if !sc.findBase {
			sc.rootElement(a, &at)
		}
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
		if breaksWords(a) {
			sc.words.brk() // and the element's end, or that of any element it closes (popTo)
		}
		if at.hasID {
			addTarget(&sc.s.targets, at.id)
		}
		if sc.x.Requisites {
			sc.requisites(a, &at)
		}
		switch a {
		case atom.H1:
			sc.facts.H1Count++
			if !sc.haveH1 {
				sc.haveH1 = true
				flags |= flagH1
			}
		case atom.Meta:
			if at.hasName {
				if nofollow, noindex, ok := metaRobots(string(at.name), string(at.content), sc.x.RobotsToken); ok {
					sc.page.NoFollow = sc.page.NoFollow || nofollow
					sc.page.NoIndex = sc.page.NoIndex || noindex
				} else if isDescription(string(at.name)) {
					sc.facts.description(string(at.content))
				}
			}
		case atom.Img:
			if at.hasAlt && sc.s.anchors.wantsAlt() {
				sc.s.anchors.img(string(at.alt))
			}
		case atom.A:
			if at.hasName {
				addTarget(&sc.s.targets, at.name)
			}
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
			kind, ok := linkKind(rel, string(at.hreflang), sc.x.Requisites)
			switch {
			case !ok || !hasHref:
			case kind == crawl.KindAlternate:
				sc.facts.alternate(string(at.hreflang))
				if i := sc.links.add(href, rel, kind); i >= 0 {
					sc.links.links[i].Anchor = collapse(string(at.hreflang), MaxAnchor)
				}
			case kind.Requisite() && len(trimSpace(href)) == 0: // loads nothing
			default:
				sc.links.add(href, rel, kind)
			}
		}
	}
	if noWords(a) {
		flags |= flagNoWords
	}
	if breaksWords(a) {
		flags |= flagBreaksWords
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
			sc.open(elemKey(a, name, true), ns, flags&flagBreaksWords, -1)
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

// rootElement reads an <html>, <head> or <body> start tag, whose element the tree builder
// keeps once: its id and, for <html>, its lang.
func (sc *scanner) rootElement(a atom.Atom, at *tagAttrs) {
	var seen *bool
	switch a {
	case atom.Html:
		if at.hasLang {
			sc.facts.lang(string(at.lang))
		}
		seen = &sc.htmlID
	case atom.Body:
		seen = &sc.bodyID
	case atom.Head:
		if sc.headSeen {
			return // a second <head> is dropped, attributes and all
		}
		sc.headSeen = true
		seen = new(bool)
	}
	if at.hasID && !*seen {
		*seen = true
		addTarget(&sc.s.targets, at.id)
	}
}

// requisites records the page requisites a start tag's attributes refer to; an image's alt
// text is their anchor.
func (sc *scanner) requisites(a atom.Atom, at *tagAttrs) {
	attrs := requisiteAttrs(a)
	if attrs == nil {
		return
	}
	var alt string
	if a == atom.Img && at.hasAlt {
		alt = collapse(string(at.alt), MaxAnchor)
	}
	for _, ra := range attrs {
		if v, ok := at.get(ra.name); ok {
			eachRequisiteURL(v, ra.list, func(u []byte) {
				if i := sc.links.add(u, "", ra.kind); i >= 0 && alt != "" {
					sc.links.links[i].Anchor = alt
				}
			})
		}
	}
}
