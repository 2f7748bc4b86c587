package parse

import (
	"net/url"

	"github.com/crawl-project/crawl"
)

// An href's outcome is decided at its first occurrence: resolved or invalid, then a new link,
// a repeat of an earlier one (another href for the same URL) or dropped by the cap. Every
// later occurrence of the same href (of the same kind) has the same outcome. So the hrefs of
// a page are resolved once each into entries, the entries are matched to links in order of
// first occurrence, and then the occurrences are counted in document order.

// entry is one distinct href of one kind, resolved.
type entry struct {
	url     piece  // the resolved URL, normalised
	urlStr  string // url, once the arena is a string
	host    string // its host, as url.URL.Host holds it
	kind    crawl.EdgeKind
	invalid bool // the href is not a fetchable URL
	link    int  // index in Page.Links, or dropped
}

// dropped marks an entry beyond Extractor.MaxLinks: the cap, once reached, stays reached.
const dropped = -1

// resolve resolves each distinct href of the pending links against base.
func (w *walker) resolve(base *url.URL) {
	s := w.s
	if len(s.links) == 0 {
		return
	}
	if s.hrefs == nil {
		s.hrefs = make(map[hrefKey]int, len(s.links))
	}
	var quick quickResolver
	if !w.general {
		quick = newQuickResolver(base)
	}
	for i := range s.links {
		p := &s.links[i]
		k := hrefKey{p.href, p.kind}
		if e, ok := s.hrefs[k]; ok {
			p.entry = e
			continue
		}
		p.entry = len(s.entries)
		s.hrefs[k] = p.entry
		off := len(s.arena)
		if arena, host, ok := quick.resolve(s.arena, p.href, &s.path); ok {
			s.arena = arena
			s.entries = append(s.entries, entry{url: piece{off: off, n: len(arena) - off}, host: host, kind: p.kind})
			continue
		}
		if !w.general && otherScheme(p.href) {
			s.entries = append(s.entries, entry{invalid: true, kind: p.kind})
			continue
		}
		u, err := Resolve(base, p.href)
		if err != nil {
			s.entries = append(s.entries, entry{invalid: true, kind: p.kind})
			continue
		}
		s.entries = append(s.entries, entry{url: piece{s: u.String()}, host: u.Host, kind: p.kind})
	}
}

// fold turns the resolved pending links into the page's links, given the arena as a string.
func (w *walker) fold(arena string) {
	page, s := w.page, w.s
	page.Title = w.title.in(arena)
	if len(s.entries) == 0 {
		return
	}
	if s.urls == nil {
		s.urls = make(map[urlKey]int, len(s.entries))
	}
	n := 0
	for i := range s.entries {
		e := &s.entries[i]
		if e.invalid {
			continue
		}
		e.urlStr = e.url.in(arena)
		// Entries are in order of first occurrence, where the outcome was decided.
		k := urlKey{e.urlStr, e.kind}
		switch l, ok := s.urls[k]; {
		case ok:
			e.link = l
		case w.x.MaxLinks > 0 && n >= w.x.MaxLinks:
			e.link = dropped
		default:
			s.urls[k] = n
			e.link = n
			n++
		}
	}
	if n > 0 {
		page.Links = make([]Link, n)
	}
	for _, p := range s.links {
		e := &s.entries[p.entry]
		switch {
		case e.invalid:
			page.Invalid++
			continue
		case e.link == dropped:
			page.Dropped++
			continue
		}
		l := &page.Links[e.link]
		if l.Count == 0 {
			*l = Link{URL: e.urlStr, Host: e.host, Kind: p.kind, Rel: p.rel, Anchor: p.anchor.in(arena), Count: 1}
		} else {
			l.Count++
			// One followable occurrence makes the link followable. Link.Nofollow, the one
			// definition of a nofollow rel, judges both sides.
			if l.Nofollow() && !(Link{Rel: p.rel}).Nofollow() {
				l.Rel = p.rel
			}
		}
		if p.kind == crawl.KindLink {
			if f, ok := fragmentOf(p.href); ok {
				s.frags.add(e.link, f)
			}
		}
	}
}
