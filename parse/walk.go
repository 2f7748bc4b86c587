package parse

import (
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/crawl-project/crawl"
)

// One walk over the parsed tree collects everything Extract needs. Selector matching
// (one tree walk per selector, a goquery.Selection per match, Text() building a fresh
// string per anchor) cost more than the parse it followed.

// pendingLink is a reference as written in the document, resolved once the walk has
// found the document's base URL, which may come after it.
type pendingLink struct {
	href, rel string
	anchor    piece
	kind      crawl.EdgeKind
	entry     int // in scratch.entries, once resolved
}

// walker holds what the walk over one document has found so far.
type walker struct {
	x         Extractor
	s         *scratch
	general   bool // no fast paths: every href through Resolve, every text through collapse
	page      *Page
	title     piece
	haveTitle bool
	h1        piece
	haveH1    bool
	desc      piece // the first <meta name=description>'s content, when facts.HasDescription
	haveBase  bool
	baseHref  string
	facts     facts
	noWords   int // elements open whose text is not the page's (see noWords)
	words     wordCounter
}

// collect walks the tree under root and resolves the links it finds against the
// document's first <base href>, or pageURL.
func (x Extractor) collect(root *html.Node, pageURL *url.URL, s *scratch, general bool) *Page {
	w := walker{x: x, s: s, general: general, page: &Page{}, words: newWordCounter()}
	w.walk(root)
	w.resolve(baseURL(pageURL, w.baseHref, w.haveBase, general))
	// The arena becomes one string, of which the pieces of the result are substrings.
	arena := string(s.arena)
	w.fold(arena)
	s.frags.assign(w.page.Links)
	w.facts.HasTitle, w.facts.H1, w.facts.Words = w.haveTitle, w.h1.in(arena), w.words.n
	w.facts.Description = w.desc.in(arena)
	w.page.Facts = w.facts.done(w.page.Links)
	w.page.Targets = s.targets.targets()
	return w.page
}

// baseURL is the URL a document's links resolve against: its first <base href> resolved
// against pageURL, or pageURL when it has none or that does not resolve.
func baseURL(pageURL *url.URL, href string, have, general bool) *url.URL {
	if !have {
		return pageURL
	}
	var q quickResolver // declines everything on the general path
	if !general {
		q = newQuickResolver(pageURL)
	}
	if b, ok := q.resolveURL(href); ok {
		return &b
	}
	if b, err := Resolve(pageURL, href); err == nil {
		return b
	}
	return pageURL
}

// walk visits n's descendants in document order, as selector matching did. The text of
// anchors and of the title is read on the way, so each node is visited once however the
// anchors nest.
func (w *walker) walk(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case html.TextNode:
			w.s.anchors.addString(c.Data)
			w.s.title.addString(c.Data)
			w.s.h1.addString(c.Data)
			if w.noWords == 0 {
				countWords(&w.words, c.Data)
			}
			continue
		case html.ElementNode:
			hidden, brk := noWords(c.DataAtom), breaksWords(c.DataAtom)
			if hidden {
				w.noWords++
			}
			if brk {
				w.words.brk()
			}
			if !w.element(c) && c.FirstChild != nil {
				w.walk(c)
			}
			if brk {
				w.words.brk()
			}
			if hidden {
				w.noWords--
			}
			continue
		}
		if c.FirstChild != nil {
			w.walk(c)
		}
	}
}

// element records what n contributes to the page. It reports whether it walked n's
// children itself, for n's text.
func (w *walker) element(n *html.Node) (walked bool) {
	if id, ok := attr(n, "id"); ok {
		addTarget(&w.s.targets, id)
	}
	if w.x.Requisites {
		w.requisites(n)
	}
	switch n.DataAtom {
	case atom.Html:
		if lang, ok := attr(n, "lang"); ok && n.Namespace == "" {
			w.facts.lang(lang)
		}
	case atom.H1:
		w.facts.H1Count++
		return w.firstText(n, &w.haveH1, &w.s.h1, &w.h1, maxH1)
	case atom.Title:
		return w.firstText(n, &w.haveTitle, &w.s.title, &w.title, maxTitle)
	case atom.Base:
		if !w.haveBase {
			w.baseHref, w.haveBase = attr(n, "href")
		}
	case atom.Img:
		if w.s.anchors.wantsAlt() {
			if alt, ok := attr(n, "alt"); ok {
				w.s.anchors.img(alt)
			}
		}
	case atom.Meta:
		name, ok := attr(n, "name")
		if !ok {
			return false
		}
		content, _ := attr(n, "content")
		w.meta(name, content)
	case atom.A, atom.Area, atom.Link:
		if n.DataAtom == atom.A {
			if name, ok := attr(n, "name"); ok {
				addTarget(&w.s.targets, name)
			}
		}
		href, ok := attr(n, "href")
		if !ok {
			return false
		}
		rel, _ := attr(n, "rel")
		rel = collapse(strings.ToLower(rel), 128)
		switch n.DataAtom {
		case atom.A:
			i := len(w.s.links)
			w.add(pendingLink{href: href, rel: rel, kind: crawl.KindLink})
			w.s.anchors.push(i)
			w.walk(n)
			w.s.links[i].anchor = w.closedPiece(w.s.anchors.pop(), MaxAnchor)
			return true
		case atom.Area:
			alt, _ := attr(n, "alt")
			w.add(pendingLink{href: href, rel: rel, anchor: w.stringPiece(alt, MaxAnchor), kind: crawl.KindLink})
		case atom.Link:
			hreflang, _ := attr(n, "hreflang")
			switch kind, ok := linkKind(rel, hreflang, w.x.Requisites); {
			case !ok:
			case kind == crawl.KindAlternate:
				w.facts.alternate(hreflang)
				w.add(pendingLink{href: href, rel: rel, anchor: w.stringPiece(hreflang, MaxAnchor), kind: kind})
			case kind.Requisite() && len(trimSpace(href)) == 0: // loads nothing
			default:
				w.add(pendingLink{href: href, rel: rel, kind: kind})
			}
		}
	}
	return false
}

// meta records a <meta name content> that addresses robots, or this crawler, or that is
// the page's description.
func (w *walker) meta(name, content string) {
	if nofollow, noindex, ok := metaRobots(name, content, w.x.RobotsToken); ok {
		w.page.NoFollow = w.page.NoFollow || nofollow
		w.page.NoIndex = w.page.NoIndex || noindex
	} else if isDescription(name) && !w.facts.HasDescription {
		w.facts.HasDescription, w.desc = true, w.stringPiece(content, maxDescription)
	}
}

// isDescription reports whether <meta name> is the page's description.
func isDescription(name string) bool {
	return strings.EqualFold(strings.TrimSpace(name), "description")
}

// requisites records the page requisites an element's attributes refer to; an image's alt
// text is their anchor.
func (w *walker) requisites(n *html.Node) {
	attrs := requisiteAttrs(n.DataAtom)
	if attrs == nil {
		return
	}
	var anchor piece
	if n.DataAtom == atom.Img {
		if alt, ok := attr(n, "alt"); ok {
			anchor = w.stringPiece(alt, MaxAnchor)
		}
	}
	for _, ra := range attrs {
		if v, ok := attr(n, ra.name); ok {
			eachRequisiteURL(v, ra.list, func(u string) {
				w.add(pendingLink{href: u, anchor: anchor, kind: ra.kind})
			})
		}
	}
}

// metaRobots reads <meta name content>: ok is false when name addresses neither robots nor
// the crawler's token.
func metaRobots(name, content, token string) (nofollow, noindex, ok bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	if name != "robots" && (token == "" || name != strings.ToLower(token)) {
		return false, false, false
	}
	nofollow, noindex = robotsDirectives(content)
	return nofollow, noindex, true
}

// firstText collects the text of n, cut to max bytes, into text when n is the first
// element of its kind (seen not yet set); it reports whether it walked n's children.
func (w *walker) firstText(n *html.Node, seen *bool, c *textCollector, text *piece, max int) (walked bool) {
	if *seen {
		return false
	}
	*seen = true
	c.push(0)
	w.walk(n)
	*text = w.closedPiece(c.pop(), max)
	return true
}

func (w *walker) add(l pendingLink) { w.s.links = append(w.s.links, l) }

// stringPiece is collapse(text, max) as a piece.
func (w *walker) stringPiece(text string, max int) piece {
	if w.general {
		return piece{s: collapse(text, max)}
	}
	return w.s.textPiece(text, max)
}

// closedPiece is the text of an element that has ended, cut to max bytes, as a piece: the
// alt text of its first image for an element with no text of its own.
func (w *walker) closedPiece(t closedText, max int) piece {
	var p piece
	switch {
	case t.hasOnly:
		p = w.stringPiece(t.only, max)
	case len(t.text) == 0:
	case w.general:
		p = piece{s: string(t.text)}
	default:
		off := len(w.s.arena)
		w.s.arena = append(w.s.arena, t.text...)
		p = piece{off: off, n: len(t.text)}
	}
	if p.empty() && t.hasAlt {
		p = w.stringPiece(t.alt, MaxAnchor)
	}
	return p
}

// attr returns the value of n's first attribute named key, matching any namespace as
// goquery's Attr does.
func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}
