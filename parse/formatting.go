package parse

import (
	"bytes"
	"hash/maphash"
)

// The HTML tree builder keeps a list of the formatting elements (<b>, <i>, <font>, ...) open
// in the text, and copies every one of them into each block that follows them ("reconstruct
// the active formatting elements"). A page that leaves hundreds of distinct ones open and
// then repeats <p>x</p> makes the tree hundreds of times larger than the page: 200 KB cost
// 1.5 GiB and seconds of CPU. Nothing short of building the tree tells how many stay open,
// but their copies are bounded: at most the formatting elements that can be in the list at
// once (the builder keeps at most three identical ones) for each tag of the page. A page
// whose bound is large is read by the token scanner, which makes no copies; one read that way
// needlessly loses nothing but the tree builder's repair of mis-nested markup.

// maxFormattingCopies bounds the copies of formatting elements a tree may make, about 300
// bytes each.
const maxFormattingCopies = 1 << 16

// formattingTags are the elements the tree builder reconstructs, <a> aside: a new <a> closes
// the open one, so at most one <a> is ever in the list.
var formattingTags = [...][]byte{
	[]byte("b"), []byte("big"), []byte("code"), []byte("em"), []byte("font"), []byte("i"), []byte("nobr"),
	[]byte("s"), []byte("small"), []byte("strike"), []byte("strong"), []byte("tt"), []byte("u"),
}

// formattingSeed hashes the start tags of a page for formattingBound; a per-process seed is
// as good as any, since only equality within a page counts.
var formattingSeed = maphash.MakeSeed()

// formattingBound returns how many formatting elements a page's tree may hold open at once,
// read from its start tags: up to three of each tag written without attributes (the builder
// drops a fourth identical one from its list), and each distinct start tag with attributes.
// distinct is working memory, emptied first.
func formattingBound(body []byte, distinct map[uint64]struct{}) int {
	clear(distinct)
	var bare [len(formattingTags)]int
	bound := 0
	for i := bytes.IndexByte(body, '<'); i >= 0; {
		rest := body[i+1:]
		name, ok := formattingName(rest)
		if ok {
			end := len(name)
			switch c := rest[end]; {
			case c == '>' || (c == '/' && end+1 < len(rest) && rest[end+1] == '>'):
				if k := formattingIndex(name); bare[k] < 3 {
					bare[k]++
					bound++
				}
			default:
				// Attributes: the raw tag stands for them; two spellings of the same
				// attributes count twice, which only errs on the safe side.
				tag := rest[:min(len(rest), 512)]
				if j := bytes.IndexByte(tag, '>'); j >= 0 {
					tag = tag[:j]
				}
				h := maphash.Bytes(formattingSeed, tag)
				if _, seen := distinct[h]; !seen {
					distinct[h] = struct{}{}
					bound++
				}
			}
		}
		j := bytes.IndexByte(rest, '<')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return bound
}

// formattingName returns the tag name at the start of b if it names a formatting element
// followed by the end of the name (white space, '>' or '/').
func formattingName(b []byte) ([]byte, bool) {
	n := 0
	for n < len(b) && n < 7 && isLetter(b[n]) {
		n++
	}
	if n == 0 || n >= len(b) {
		return nil, false
	}
	switch b[n] {
	case '>', '/', ' ', '\t', '\n', '\f', '\r':
	default:
		return nil, false
	}
	if formattingIndex(b[:n]) < 0 {
		return nil, false
	}
	return b[:n], true
}

func formattingIndex(name []byte) int {
	for k, t := range formattingTags {
		if bytes.EqualFold(name, t) {
			return k
		}
	}
	return -1
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
