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
	href, rel, anchor string
	kind              store.EdgeKind
}

// walker holds what the walk over one document has found so far.
type walker struct {
	x         Extractor
	page      *Page
	haveTitle bool
	haveBase  bool
	baseHref  string
	links     []pendingLink

	// Text collection: the first text node found, and the concatenation of all of them
	// once there is more than one (a lone text node is used without copying).
	firstText *html.Node
	multiText bool
	text      []byte
}

// collect walks the tree under root and resolves the links it finds against the
// document's first <base href>, or pageURL.
func (x Extractor) collect(root *html.Node, pageURL *url.URL) *Page {
	w := walker{x: x, page: &Page{}, links: make([]pendingLink, 0, 32)}
	w.walk(root)

	base := pageURL
	if w.haveBase {
		if b, err := Resolve(pageURL, w.baseHref); err == nil {
			base = b
		}
	}
	w.resolve(base)
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
			w.page.Title = collapse(w.textOf(n), 1024)
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
			anchor := collapse(w.textOf(n), MaxAnchor)
			if anchor == "" {
				if img := firstImgAlt(n); img != nil {
					alt, _ := attr(img, "alt")
					anchor = collapse(alt, MaxAnchor)
				}
			}
			w.links = append(w.links, pendingLink{href: href, rel: rel, anchor: anchor, kind: store.KindLink})
		case atom.Area:
			alt, _ := attr(n, "alt")
			w.links = append(w.links, pendingLink{href: href, rel: rel, anchor: collapse(alt, MaxAnchor), kind: store.KindLink})
		case atom.Link:
			hreflang, _ := attr(n, "hreflang")
			switch {
			case hasWord(rel, "canonical"):
				w.links = append(w.links, pendingLink{href: href, rel: rel, kind: store.KindCanonical})
			case hasWord(rel, "alternate") && hreflang != "":
				w.links = append(w.links, pendingLink{href: href, rel: rel, anchor: collapse(hreflang, MaxAnchor), kind: store.KindAlternate})
			}
		}
	}
}

// resolve turns the pending links into the page's links: resolved against base, folded
// over repeats, capped at MaxLinks.
func (w *walker) resolve(base *url.URL) {
	if len(w.links) == 0 {
		return
	}
	page := w.page
	keep := len(w.links)
	if w.x.MaxLinks > 0 {
		keep = min(keep, w.x.MaxLinks)
	}
	page.Links = make([]Link, 0, keep)

	// An href written the same way twice resolves the same way: the raw keys remember the
	// outcome (a link's index, or invalid, or dropped) so repeats skip Resolve. A dropped
	// link stays dropped: the cap, once reached, stays reached.
	const (
		invalid = -1
		dropped = -2
	)
	type key struct {
		s    string
		kind store.EdgeKind
		raw  bool
	}
	index := make(map[key]int, 2*len(w.links))
	fold := func(i int, rel string) {
		l := &page.Links[i]
		l.Count++
		// One followable occurrence makes the link followable. Link.Nofollow, the one
		// definition of a nofollow rel, judges both sides.
		if l.Nofollow() && !(Link{Rel: rel}).Nofollow() {
			l.Rel = rel
		}
	}
	quick := newQuickResolver(base)
	for _, p := range w.links {
		rk := key{p.href, p.kind, true}
		if i, ok := index[rk]; ok {
			switch i {
			case invalid:
				page.Invalid++
			case dropped:
				page.Dropped++
			default:
				fold(i, p.rel)
			}
			continue
		}
		u := quick.resolve(p.href)
		var err error
		if u == nil {
			u, err = Resolve(base, p.href)
		}
		if err != nil {
			page.Invalid++
			index[rk] = invalid
			continue
		}
		us := u.String()
		k := key{us, p.kind, false}
		if i, ok := index[k]; ok {
			index[rk] = i
			fold(i, p.rel)
			continue
		}
		if w.x.MaxLinks > 0 && len(page.Links) >= w.x.MaxLinks {
			page.Dropped++
			index[rk] = dropped
			continue
		}
		index[k] = len(page.Links)
		index[rk] = len(page.Links)
		page.Links = append(page.Links, Link{URL: u, URLString: us, Kind: p.kind, Rel: p.rel, Anchor: p.anchor, Count: 1})
	}
}

// textOf returns the text of n's descendants concatenated, as goquery's Text does.
func (w *walker) textOf(n *html.Node) string {
	w.firstText, w.multiText, w.text = nil, false, w.text[:0]
	w.appendText(n)
	switch {
	case w.multiText:
		return string(w.text)
	case w.firstText != nil:
		return w.firstText.Data
	}
	return ""
}

func (w *walker) appendText(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.TextNode:
			switch {
			case w.multiText:
				w.text = append(w.text, c.Data...)
			case w.firstText == nil:
				w.firstText = c
			default:
				w.multiText = true
				w.text = append(append(w.text, w.firstText.Data...), c.Data...)
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
