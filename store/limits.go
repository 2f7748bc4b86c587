package store

import (
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/crawl-project/crawl"
)

// MaxURLLength is the longest URL, in bytes, the store records. Every key the store writes
// derives from a URL (urls), its host (frontier, hostpages) or its origin (hosts), so this
// bounds them all well under bbolt's key limit: a longer key would fail the whole commit,
// and with it every resume that fetches the page again. The writer refuses longer URLs
// itself, whatever its caller passes: a link to one is counted, not recorded (see
// crawl.ReasonURLTooLong), and a seeds file holding one is refused when it is read.
const MaxURLLength = 16 << 10

// The frontier key, the longest, is a host, a 0 byte and an 8-byte id.
var _ [bolt.MaxKeySize - (MaxURLLength + 1 + 8)]struct{} // compiles only while it fits

// Caps on the text a record keeps, in bytes. The parser keeps titles, anchors and rels far
// shorter (parse.MaxAnchor ...) and fetch errors are short; these caps make the writer safe
// whatever it is given, since a record's text is never worth megabytes.
const (
	maxText   = 4 << 10 // a node's title, content type and error; an edge's rel and anchor
	maxReason = 256     // a skip reason: the key of its counter in the rejects bucket
)

// storableURL reports whether the writer may record u: it is a key of the urls bucket.
func storableURL(u string) bool { return u != "" && len(u) <= MaxURLLength }

// storableLink reports whether the writer may record l: its URL and its host key (a key of
// the frontier and hostpages buckets) fit.
func storableLink(l *crawl.Link) bool { return storableURL(l.URL) && len(l.Host) <= MaxURLLength }

// cutText returns s cut to at most n bytes, at a rune boundary when s is valid UTF-8 there.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && i > n-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}
