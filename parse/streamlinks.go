package parse

import (
	"net/url"

	"github.com/crawl-project/crawl"
)

// streamLinks folds the links of a page as the token scanner finds them: each occurrence is
// resolved and counted at once, so the working memory holds the links kept (at most
// MaxLinks) and no trace of the occurrences dropped or invalid. Outcomes are those of the
// tree path's fold: a URL (of a kind) is kept if there was room at its first occurrence,
// and every later occurrence counts towards it, or towards Dropped.
type streamLinks struct {
	max     int // 0: no cap
	general bool
	base    *url.URL
	quick   quickResolver
	index   map[string]int // kind byte + URL -> index in links
	links   []Link
	dropped int
	invalid int

	// hrefs remembers the outcome of an href (of a kind) as written, so that its repeats
	// cost a lookup: the first maxHrefs distinct ones.
	hrefs map[string]int // kind byte + href -> index in links, hrefInvalid or hrefDropped
	key   []byte         // kind byte + the href or URL being looked up
	path  []byte         // working memory of the quick resolver
	frags *fragments     // the page's fragment references
}

const (
	hrefInvalid = -1
	hrefDropped = -2

	maxHrefs = 1 << 14
)

func newStreamLinks(maxLinks int, base *url.URL, general bool, frags *fragments) streamLinks {
	t := streamLinks{max: maxLinks, general: general, base: base, index: make(map[string]int),
		hrefs: make(map[string]int), frags: frags}
	if !general {
		t.quick = newQuickResolver(base)
	}
	return t
}

// add counts one occurrence of href and returns the index of its link when this is the
// link's first occurrence (whose anchor text the link takes), or -1. The fragment of an
// <a> or <area> href is recorded with its link.
func (t *streamLinks) add(href []byte, rel string, kind crawl.EdgeKind) int {
	t.key = append(append(t.key[:0], byte(kind)), href...)
	if o, ok := t.hrefs[string(t.key)]; ok {
		t.count(o, rel)
		return -1
	}
	hrefKey := string(t.key)
	o, first := t.outcome(hrefKey[1:], rel, kind)
	if len(t.hrefs) < maxHrefs {
		t.hrefs[hrefKey] = o
	}
	// A repeat of this href, found in hrefs above, refers to the same fragment.
	if o >= 0 && kind == crawl.KindLink {
		if f, ok := fragmentOf(hrefKey[1:]); ok {
			t.frags.add(o, f)
		}
	}
	if first {
		return o
	}
	t.count(o, rel)
	return -1
}

// outcome resolves a new href: the index of its link (first reports a link new with it),
// hrefInvalid or hrefDropped.
func (t *streamLinks) outcome(href, rel string, kind crawl.EdgeKind) (o int, first bool) {
	t.key = append(t.key[:0], byte(kind))
	key, host, ok := t.quick.resolve(t.key, href, &t.path)
	switch {
	case ok:
		t.key = key
	case !t.general && otherScheme(href):
		return hrefInvalid, false
	default:
		u, err := Resolve(t.base, href)
		if err != nil {
			return hrefInvalid, false
		}
		t.key, host = append(t.key, u.String()...), u.Host
	}
	if i, ok := t.index[string(t.key)]; ok {
		return i, false // another href for a link already kept
	}
	if t.max > 0 && len(t.links) >= t.max {
		return hrefDropped, false
	}
	k := string(t.key)
	t.index[k] = len(t.links)
	t.links = append(t.links, Link{URL: k[1:], Host: host, Kind: kind, Rel: rel, Count: 1})
	return len(t.links) - 1, true
}

// count counts an occurrence whose outcome is known.
func (t *streamLinks) count(o int, rel string) {
	switch o {
	case hrefInvalid:
		t.invalid++
	case hrefDropped:
		t.dropped++
	default:
		l := &t.links[o]
		l.Count++
		// One followable occurrence makes the link followable, as in fold.
		if l.Nofollow() && !(Link{Rel: rel}).Nofollow() {
			l.Rel = rel
		}
	}
}
