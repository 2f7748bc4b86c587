package parse

import (
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/crawl-project/crawl/store"
)

// One walk over the parsed tree collects everything Extract needs. Selector matching
// (one tree walk per selector, a goquery.Selection per match, Text() building a fresh
// string per anchor) cost more than the parse it followed.

// pendingLink is a reference as written in the document, resolved once the walk has
// found the document's base URL, which may come after it.
type pendingLink struct {
	href, rel string
	anchor    piece
	kind      store.EdgeKind
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
	haveBase  bool
	baseHref  string

	// Text collection: the first text node found, and whether there is more than one
	// (then scratch.text holds them all; a lone text node is used without copying).
	firstText *html.Node
	multiText bool
}

// collect walks the tree under root and resolves the links it finds against the
// document's first <base href>, or pageURL.
func (x Extractor) collect(root *html.Node, pageURL *url.URL, s *scratch, general bool) *Page {
	w := walker{x: x, s: s, general: general, page: &Page{}}
	w.walk(root)

	base := pageURL
	if w.haveBase {
		var q quickResolver // declines everything on the general path
		if !general {
			q = newQuickResolver(pageURL)
		}
		if b, ok := q.resolveURL(w.baseHref); ok {
			base = &b
		} else if b, err := Resolve(pageURL, w.baseHref); err == nil {
			base = b
		}
	}
	w.resolve(base)
	// The arena becomes one string, of which the pieces of the result are substrings.
	w.fold(string(s.arena))
	return w.page
}

// walk visits n's descendants in document order, as selector matching did.
func (w *walker) walk(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			w.element(c)
		}
		if c.FirstChild != nil {
			w.walk(c)
		}
	}
}

// element records what n contributes to the page.
func (w *walker) element(n *html.Node) {
	switch n.DataAtom {
	case atom.Title:
		if !w.haveTitle {
			w.haveTitle = true
			w.title = w.textPiece(n, 1024)
		}
	case atom.Base:
		if !w.haveBase {
			w.baseHref, w.haveBase = attr(n, "href")
		}
	case atom.Meta:
		name, ok := attr(n, "name")
		if !ok {
			return
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "robots" && (w.x.RobotsToken == "" || name != strings.ToLower(w.x.RobotsToken)) {
			return
		}
		content, _ := attr(n, "content")
		nofollow, noindex := robotsDirectives(content)
		w.page.NoFollow = w.page.NoFollow || nofollow
		w.page.NoIndex = w.page.NoIndex || noindex
	case atom.A, atom.Area, atom.Link:
		href, ok := attr(n, "href")
		if !ok {
			return
		}
		rel, _ := attr(n, "rel")
		rel = collapse(strings.ToLower(rel), 128)
		switch n.DataAtom {
		case atom.A:
			anchor := w.textPiece(n, MaxAnchor)
			if anchor.empty() {
				if img := firstImgAlt(n); img != nil {
					alt, _ := attr(img, "alt")
					anchor = w.stringPiece(alt, MaxAnchor)
				}
			}
			w.add(pendingLink{href: href, rel: rel, anchor: anchor, kind: store.KindLink})
		case atom.Area:
			alt, _ := attr(n, "alt")
			w.add(pendingLink{href: href, rel: rel, anchor: w.stringPiece(alt, MaxAnchor), kind: store.KindLink})
		case atom.Link:
			hreflang, _ := attr(n, "hreflang")
			switch {
			case hasWord(rel, "canonical"):
				w.add(pendingLink{href: href, rel: rel, kind: store.KindCanonical})
			case hasWord(rel, "alternate") && hreflang != "":
				w.add(pendingLink{href: href, rel: rel, anchor: w.stringPiece(hreflang, MaxAnchor), kind: store.KindAlternate})
			}
		}
	}
}

func (w *walker) add(l pendingLink) { w.s.links = append(w.s.links, l) }

// stringPiece is collapse(text, max) as a piece.
func (w *walker) stringPiece(text string, max int) piece {
	if w.general {
		return piece{s: collapse(text, max)}
	}
	return w.s.textPiece(text, max)
}

// textPiece is the text of n's descendants concatenated, as goquery's Text gives it,
// collapsed and cut to max bytes.
func (w *walker) textPiece(n *html.Node, max int) piece {
	w.firstText, w.multiText, w.s.text = nil, false, w.s.text[:0]
	w.appendText(n)
	switch {
	case w.multiText && w.general:
		return piece{s: collapse(string(w.s.text), max)}
	case w.multiText:
		return w.s.bytesPiece(w.s.text, max)
	case w.firstText != nil:
		return w.stringPiece(w.firstText.Data, max)
	}
	return piece{}
}

func (w *walker) appendText(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.TextNode:
			switch {
			case w.multiText:
				w.s.text = append(w.s.text, c.Data...)
			case w.firstText == nil:
				w.firstText = c
			default:
				w.multiText = true
				w.s.text = append(append(w.s.text, w.firstText.Data...), c.Data...)
			}
		case c.FirstChild != nil:
			w.appendText(c)
		}
	}
}

// firstImgAlt returns the first <img alt> under n in document order, or nil.
func firstImgAlt(n *html.Node) *html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.DataAtom == atom.Img {
			if _, ok := attr(c, "alt"); ok {
				return c
			}
		}
		if c.FirstChild != nil {
			if img := firstImgAlt(c); img != nil {
				return img
			}
		}
	}
	return nil
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
