package crawl

import "fmt"

// EdgeKind says how a page refers to another URL.
type EdgeKind uint8

// The kinds of edge. Values are stored on disk: append, never renumber.
const (
	KindLink      EdgeKind = 1 // <a href>, <area href>
	KindRedirect  EdgeKind = 2 // an HTTP redirect hop
	KindCanonical EdgeKind = 3 // <link rel=canonical>
	KindAlternate EdgeKind = 4 // <link rel=alternate hreflang=...>

	// Page requisites: what a browser loads to show the page. Their targets are checked
	// (their status, type and size recorded), never crawled for links.
	KindImage      EdgeKind = 5  // <img src>, <img srcset>, <source srcset>, <video poster>
	KindScript     EdgeKind = 6  // <script src>
	KindStylesheet EdgeKind = 7  // <link rel=stylesheet>
	KindIcon       EdgeKind = 8  // <link rel=icon>, shortcut icon, apple-touch-icon, mask-icon
	KindPreload    EdgeKind = 9  // <link rel=preload>, <link rel=modulepreload>
	KindManifest   EdgeKind = 10 // <link rel=manifest>
	KindFrame      EdgeKind = 11 // <iframe src>, <frame src>
	KindMedia      EdgeKind = 12 // <video src>, <audio src>, <source src>, <track src>
	KindObject     EdgeKind = 13 // <object data>, <embed src>
)

var kindNames = map[EdgeKind]string{
	KindLink:       "link",
	KindRedirect:   "redirect",
	KindCanonical:  "canonical",
	KindAlternate:  "alternate",
	KindImage:      "image",
	KindScript:     "script",
	KindStylesheet: "stylesheet",
	KindIcon:       "icon",
	KindPreload:    "preload",
	KindManifest:   "manifest",
	KindFrame:      "iframe",
	KindMedia:      "media",
	KindObject:     "object",
}

// Requisite reports whether k is a page requisite: an image, script, stylesheet, icon,
// preload, manifest, frame, media or object reference, which the crawl checks rather than
// crawls.
func (k EdgeKind) Requisite() bool { return k >= KindImage && k <= KindObject }

// Requisites lists the requisite kinds, in their order on disk.
func Requisites() []EdgeKind {
	return []EdgeKind{KindImage, KindScript, KindStylesheet, KindIcon, KindPreload, KindManifest, KindFrame, KindMedia, KindObject}
}

func (k EdgeKind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Edge is one reference from a page to a URL. Repeated identical references on a page are
// folded into one edge with a Count.
type Edge struct {
	Src, Dst uint64
	Kind     EdgeKind
	Rel      string // the rel attribute, as written (e.g. "nofollow")
	Anchor   string // anchor text of the first occurrence, whitespace-collapsed
	Count    int    // how many times the page refers to Dst with this kind
}

// Nofollow reports whether the edge's rel contains the nofollow token.
func (e Edge) Nofollow() bool { return hasToken(e.Rel, "nofollow") }

// hasToken reports whether the space-separated list rel holds token, in any ASCII case, as
// HTML compares rel keywords.
func hasToken(rel, token string) bool {
	for i := 0; i < len(rel); {
		for i < len(rel) && rel[i] == ' ' {
			i++
		}
		j := i
		for j < len(rel) && rel[j] != ' ' {
			j++
		}
		if j-i == len(token) && equalFoldASCII(rel[i:j], token) {
			return true
		}
		i = j
	}
	return false
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}
