package parse

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html/atom"

	"github.com/crawl-project/crawl"
)

// What a page gives an audit besides its links: its page requisites (links of their own
// kinds), its facts (crawl.PageFacts), the fragment identifiers it defines and the fragments
// its links refer to. The tree walk and the token scanner read them with the helpers here,
// so that both give the same page.

// Caps on what a page's facts keep, in bytes; longer text is cut at a rune boundary.
const (
	maxDescription = 1024
	maxH1          = 1024
	maxLang        = 64
	maxHreflang    = 1024
)

// MaxFragments is the most distinct fragment references (a link's URL and fragment) kept
// per page; the rest are not checked.
const MaxFragments = 4096

// requisiteAttr is an attribute of an element that refers to a page requisite.
type requisiteAttr struct {
	name string
	kind crawl.EdgeKind
	list bool // a srcset: image candidates, each a URL and a descriptor, comma-separated
}

var (
	imgAttrs    = []requisiteAttr{{"src", crawl.KindImage, false}, {"srcset", crawl.KindImage, true}}
	scriptAttrs = []requisiteAttr{{"src", crawl.KindScript, false}}
	frameAttrs  = []requisiteAttr{{"src", crawl.KindFrame, false}}
	videoAttrs  = []requisiteAttr{{"src", crawl.KindMedia, false}, {"poster", crawl.KindImage, false}}
	mediaAttrs  = []requisiteAttr{{"src", crawl.KindMedia, false}}
	sourceAttrs = []requisiteAttr{{"src", crawl.KindMedia, false}, {"srcset", crawl.KindImage, true}}
	objectAttrs = []requisiteAttr{{"data", crawl.KindObject, false}}
	embedAttrs  = []requisiteAttr{{"src", crawl.KindObject, false}}
)

// requisiteAttrs lists the attributes of an element (by its atom, in any namespace, as the
// tree walk reads anchors) that refer to page requisites, in the order both paths read them.
// <link> elements are judged by their rel (linkKind).
func requisiteAttrs(a atom.Atom) []requisiteAttr {
	switch a {
	case atom.Img:
		return imgAttrs
	case atom.Script:
		return scriptAttrs
	case atom.Iframe, atom.Frame:
		return frameAttrs
	case atom.Video:
		return videoAttrs
	case atom.Audio, atom.Track:
		return mediaAttrs
	case atom.Source:
		return sourceAttrs
	case atom.Object:
		return objectAttrs
	case atom.Embed:
		return embedAttrs
	}
	return nil
}

// eachRequisiteURL calls fn for each URL an attribute value refers to: the value itself, or
// each candidate's URL of a srcset, as HTML's srcset parsing finds them. Empty values refer
// to nothing (a browser requests nothing for src="").
func eachRequisiteURL[S string | []byte](v S, list bool, fn func(S)) {
	if !list {
		if v = trimSpace(v); len(v) > 0 {
			fn(v)
		}
		return
	}
	for i := 0; i < len(v); {
		for i < len(v) && (isHTMLSpace(v[i]) || v[i] == ',') {
			i++
		}
		start := i
		for i < len(v) && !isHTMLSpace(v[i]) {
			i++
		}
		u := v[start:i]
		if trailing := len(u); trailing > 0 && u[trailing-1] == ',' {
			for len(u) > 0 && u[len(u)-1] == ',' {
				u = u[:len(u)-1]
			}
		} else {
			// The descriptors ("2x", "300w") run to the next comma outside parentheses.
			depth := 0
			for ; i < len(v) && (v[i] != ',' || depth > 0); i++ {
				switch v[i] {
				case '(':
					depth++
				case ')':
					depth = max(depth-1, 0)
				}
			}
		}
		if len(u) > 0 {
			fn(u)
		}
	}
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

func trimSpace[S string | []byte](v S) S {
	for len(v) > 0 && isHTMLSpace(v[0]) {
		v = v[1:]
	}
	for len(v) > 0 && isHTMLSpace(v[len(v)-1]) {
		v = v[:len(v)-1]
	}
	return v
}

// noWords reports whether the text inside an element is not shown as the page's text, and
// so not counted in its words.
func noWords(a atom.Atom) bool {
	switch a {
	case atom.Title, atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Iframe, atom.Noembed, atom.Noframes:
		return true
	}
	return false
}

// breaksWords reports whether an element's start and end separate words, as blocks, line
// breaks, images and table cells do when a page is shown: "One</li><li>Two" is two words,
// "<b>S</b>tart" one. Elements shown inline (phrasing content, and names HTML does not know,
// which CSS shows inline), the document's own elements and those that show no text do not.
func breaksWords(a atom.Atom) bool {
	switch a {
	case 0, atom.A, atom.Abbr, atom.B, atom.Bdi, atom.Bdo, atom.Big, atom.Cite, atom.Code, atom.Data, atom.Del,
		atom.Dfn, atom.Em, atom.Font, atom.I, atom.Ins, atom.Kbd, atom.Label, atom.Mark, atom.Nobr, atom.Q,
		atom.Ruby, atom.Rp, atom.Rt, atom.S, atom.Samp, atom.Small, atom.Span, atom.Strike, atom.Strong, atom.Sub,
		atom.Sup, atom.Time, atom.Tt, atom.U, atom.Var, atom.Wbr, atom.Html, atom.Head, atom.Body:
		return false
	}
	return !noWords(a)
}

// wordCounter counts the words of a page's text, read a piece at a time: runs of characters
// between white space (unicode.IsSpace), as word counts of SEO tools split them. A word may
// run on from one piece to the next, unless something between them breaks words (see
// breaksWords).
type wordCounter struct {
	n     int
	space bool // the last piece ended in white space, or a word break came after it
}

func newWordCounter() wordCounter { return wordCounter{space: true} }

// brk ends the current word.
func (c *wordCounter) brk() { c.space = true }

// countWords counts the words that start in s. ASCII, most of any text, is judged by a
// table, with no branch on the outcome; other runes are decoded.
func countWords[S string | []byte](c *wordCounter, s S) {
	n, space := 0, c.space
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			sp := asciiSpace[b]
			n += b2i(space && !sp)
			space = sp
			i++
			continue
		}
		r, size := decodeRune(s[i:])
		i += size
		sp := unicode.IsSpace(r)
		n += b2i(space && !sp)
		space = sp
	}
	c.n += n
	c.space = space
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func decodeRune[S string | []byte](s S) (rune, int) {
	switch v := any(s).(type) {
	case string:
		return utf8.DecodeRuneInString(v)
	case []byte:
		return utf8.DecodeRune(v)
	}
	return utf8.RuneError, 1
}

// fragmentOf returns the fragment of an href, the text after its first '#', if it has one
// that is not empty.
func fragmentOf(href string) (string, bool) {
	i := strings.IndexByte(href, '#')
	if i < 0 || i == len(href)-1 {
		return "", false
	}
	return href[i+1:], true
}

// fragmentKey identifies a fragment reference of a page: the link and the fragment.
type fragmentKey struct {
	link     int
	fragment string
}

// fragments collects the distinct fragment references of one page, up to MaxFragments, in
// document order; assign then gives each link its own, all in one allocation.
type fragments struct {
	seen   map[fragmentKey]struct{}
	refs   []fragmentKey
	counts []int
}

// add records that link (an index in the page's links) refers to fragment, unless it did.
func (f *fragments) add(link int, fragment string) {
	if len(f.refs) >= MaxFragments {
		return
	}
	if f.seen == nil {
		f.seen = make(map[fragmentKey]struct{})
	}
	k := fragmentKey{link, fragment}
	if _, ok := f.seen[k]; ok {
		return
	}
	f.seen[k] = struct{}{}
	f.refs = append(f.refs, k)
}

// assign sets the Fragments of links, in the order they were added.
func (f *fragments) assign(links []Link) {
	if len(f.refs) == 0 {
		return
	}
	f.counts = append(f.counts[:0], make([]int, len(links)+1)...)
	for _, r := range f.refs {
		f.counts[r.link+1]++
	}
	for i := 1; i < len(f.counts); i++ {
		f.counts[i] += f.counts[i-1] // counts[i]: where link i's fragments start
	}
	all := make([]string, len(f.refs))
	for _, r := range f.refs {
		all[f.counts[r.link]] = r.fragment
		f.counts[r.link]++
	}
	start := 0
	for i := range links {
		end := f.counts[i] // link i's fragments end where link i+1's start
		if end > start {
			links[i].Fragments = all[start:end:end]
		}
		start = end
	}
}

func (f *fragments) reset() {
	if len(f.seen) > maxClearedEntries {
		f.seen = nil
	}
	clear(f.seen)
	clear(f.refs)
	f.refs, f.counts = f.refs[:0], f.counts[:0]
}

// targetSet collects the fragment identifiers a page defines, as crawl.Targets hashes.
type targetSet struct {
	hashes []uint32
}

// addTarget records an id (of any element) or a name (of an <a>), held in a string or in
// the tokenizer's bytes; an empty one defines nothing.
func addTarget[S string | []byte](t *targetSet, id S) {
	if len(id) == 0 {
		return
	}
	t.hashes = append(t.hashes, crawl.HashTarget(id))
	if len(t.hashes) >= 4*crawl.MaxTargets {
		t.compact() // a page repeating ids keeps its working memory bounded
	}
}

func (t *targetSet) compact() {
	slices.Sort(t.hashes)
	t.hashes = slices.Compact(t.hashes)
}

// targets returns the set, sorted and distinct, at most crawl.MaxTargets of them.
func (t *targetSet) targets() crawl.Targets {
	if len(t.hashes) == 0 {
		return crawl.Targets{}
	}
	t.compact()
	tg := crawl.Targets{Hashes: slices.Clone(t.hashes)}
	if len(tg.Hashes) > crawl.MaxTargets {
		tg.Hashes, tg.Truncated = tg.Hashes[:crawl.MaxTargets:crawl.MaxTargets], true
	}
	return tg
}

func (t *targetSet) reset() { t.hashes = t.hashes[:0] }

// facts gathers a page's facts as the walk or the scan finds them.
type facts struct {
	crawl.PageFacts
	hreflang []byte
	haveLang bool
}

// description records a <meta name=description>: the first one counts.
func (f *facts) description(content string) {
	if !f.HasDescription {
		f.Description, f.HasDescription = collapse(content, maxDescription), true
	}
}

// alternate records the hreflang of a <link rel=alternate hreflang>. The first is kept as
// it is (no allocation: most pages have one or none); further ones are joined with spaces.
func (f *facts) alternate(hreflang string) {
	v := collapse(hreflang, maxHreflang)
	if v == "" || len(f.Hreflang)+1+len(v) > maxHreflang {
		return
	}
	if f.Hreflang == "" {
		f.Hreflang = v
		return
	}
	if len(f.hreflang) == 0 {
		f.hreflang = append(f.hreflang, f.Hreflang...)
	}
	f.hreflang = append(append(f.hreflang, ' '), v...)
	f.Hreflang = string(f.hreflang)
}

// lang records the lang of an <html> element: the first one that has one, as the tree
// builder adds a later <html>'s attributes to the first.
func (f *facts) lang(v string) {
	if !f.haveLang {
		f.Lang, f.haveLang = collapse(v, maxLang), true
	}
}

// done completes the facts with what the page's links say: its first canonical URL.
func (f *facts) done(links []Link) crawl.PageFacts {
	for _, l := range links {
		if l.Kind == crawl.KindCanonical {
			f.Canonical = l.URL
			break
		}
	}
	return f.PageFacts
}

// linkKind tells which <link rel> elements are links of the graph: canonical, alternate
// with an hreflang (whose value is the edge's anchor), and, with requisites, the page
// requisites a <link> loads.
func linkKind(rel, hreflang string, requisites bool) (crawl.EdgeKind, bool) {
	switch {
	case hasWord(rel, "canonical"):
		return crawl.KindCanonical, true
	case hasWord(rel, "alternate") && hreflang != "":
		return crawl.KindAlternate, true
	case !requisites:
		return 0, false
	case hasWord(rel, "stylesheet"):
		return crawl.KindStylesheet, true
	case hasWord(rel, "icon"), hasWord(rel, "apple-touch-icon"), hasWord(rel, "apple-touch-icon-precomposed"), hasWord(rel, "mask-icon"):
		return crawl.KindIcon, true
	case hasWord(rel, "preload"), hasWord(rel, "modulepreload"):
		return crawl.KindPreload, true
	case hasWord(rel, "manifest"):
		return crawl.KindManifest, true
	}
	return 0, false
}
