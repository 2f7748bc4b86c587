package parse

import (
	"bytes"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/crawl-project/crawl"
)

// Strings a page's result needs and the document does not hold as they are (resolved URLs,
// anchors with white space to collapse) are written one after another into an arena, which
// becomes a single string when the page is complete: one allocation for all of them instead
// of one or more each.

// piece is a string of a page's result: one the document already holds (s), or the n bytes at
// off in the page's arena.
type piece struct {
	s      string
	off, n int
}

// in returns the piece's string, given the arena as a string.
func (p piece) in(arena string) string {
	if p.n > 0 {
		return arena[p.off : p.off+p.n]
	}
	return p.s
}

func (p piece) empty() bool { return p.n == 0 && p.s == "" }

// scratch is the working memory of one Extract call. Calls running at once each take their
// own from scratchPool; nothing in it outlives the call except by copy.
type scratch struct {
	reader  bytes.Reader
	decoded []byte // the body decoded to UTF-8, when it is in another encoding
	arena   []byte
	links   []pendingLink
	entries []entry
	hrefs   map[hrefKey]int // first occurrence of an href of a kind -> its entry
	urls    map[urlKey]int  // resolved URL of a kind -> index of its Link
	text    []byte          // the text of an element, concatenated
	path    []byte          // a merged relative path, for dot segments to be removed
	anchors textCollector   // the text of the open anchors
	title   textCollector   // the text of the first title
	h1      textCollector   // the text of the first <h1>
	targets targetSet       // the page's ids and <a> names
	frags   fragments       // the page's fragment references
	// formatting holds the distinct formatting start tags of a page (formatting.go).
	formatting map[uint64]struct{}
}

// scratchPool keeps scratch between calls: it holds no state a caller can observe, only
// capacity, so extractions allocate little beyond the tree and their result.
var scratchPool = sync.Pool{New: func() any {
	return &scratch{anchors: textCollector{max: MaxAnchor, need: -1}, title: textCollector{max: maxTitle, need: -1},
		h1: textCollector{max: maxH1, need: -1}}
}}

// Scratch grown past these bounds by an unusual page is left to the collector rather than
// kept for every later call.
const (
	maxPooledBytes = 1 << 20
	maxPooledLinks = 1 << 14

	maxClearedEntries = 1 << 10
)

// release clears what s refers to (the document's strings, the body) and returns it to the pool.
func (s *scratch) release() {
	s.reader.Reset(nil)
	if cap(s.arena) > maxPooledBytes || cap(s.text) > maxPooledBytes || cap(s.decoded) > maxPooledBytes ||
		cap(s.links) > maxPooledLinks || cap(s.anchors.buf) > maxPooledBytes || cap(s.anchors.open) > maxPooledLinks ||
		cap(s.targets.hashes) > maxPooledLinks {
		return
	}
	s.anchors.reset()
	s.title.reset()
	s.h1.reset()
	s.targets.reset()
	s.frags.reset()
	clear(s.links)
	clear(s.entries)
	s.links, s.entries = s.links[:0], s.entries[:0]
	// Clearing a map costs in proportion to the most it ever held: one grown large is dropped.
	if len(s.hrefs) > maxClearedEntries {
		s.hrefs = nil
	}
	if len(s.urls) > maxClearedEntries {
		s.urls = nil
	}
	if len(s.formatting) > maxClearedEntries {
		s.formatting = nil
	}
	clear(s.hrefs)
	clear(s.urls)
	s.arena, s.text, s.path, s.decoded = s.arena[:0], s.text[:0], s.path[:0], s.decoded[:0]
	scratchPool.Put(s)
}

type hrefKey struct {
	href string
	kind crawl.EdgeKind
}

type urlKey struct {
	url  string
	kind crawl.EdgeKind
}

// textPiece returns s collapsed and cut to max bytes, as collapse does: s itself (or a
// prefix) when nothing changes, or else a piece of the arena.
func (s *scratch) textPiece(text string, max int) piece {
	if collapsed(text) { // ASCII, so valid UTF-8 too
		return piece{s: cutAt(text, max)} // no allocation: at most a cut
	}
	s.text = append(s.text[:0], text...)
	return s.bytesPiece(s.text, max)
}

// bytesPiece is textPiece for text in a buffer of its own, which is always copied.
func (s *scratch) bytesPiece(text []byte, max int) piece {
	off := len(s.arena)
	s.arena = appendCollapsed(s.arena, text, max)
	return piece{off: off, n: len(s.arena) - off}
}

// appendCollapsed appends collapse(string(src), max) to dst: invalid UTF-8 as U+FFFD (one per
// run of bad bytes, as strings.ToValidUTF8), runs of white space (unicode.IsSpace, as
// strings.Fields) as one space, none at the ends, cut at a rune boundary.
func appendCollapsed(dst, src []byte, max int) []byte {
	start := len(dst)
	space, bad := false, false
	for i := 0; i < len(src); {
		r, size := rune(src[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(src[i:])
		}
		i += size
		switch {
		case size == 1 && r == utf8.RuneError:
			if bad {
				continue // one replacement for the run
			}
			bad = true
		case unicode.IsSpace(r):
			space, bad = true, false
			continue
		default:
			bad = false
		}
		if space && len(dst) > start {
			dst = append(dst, ' ')
		}
		space = false
		dst = utf8.AppendRune(dst, r)
	}
	return dst[:start+len(cutAt(dst[start:], max))]
}
