package parse

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// tagAttrs holds the attributes of a tag that the scanner reads: the first of each name.
// The values are the tokenizer's, valid until its next token.
type tagAttrs struct {
	href, xlinkHref, rel, hreflang, alt, name, content, encoding []byte
	hasHref, hasXlinkHref, xlinkFirst, hasRel, hasHreflang       bool
	hasAlt, hasName, hasContent, hasEncoding, fontBreakout       bool
}

func (at *tagAttrs) read(z *html.Tokenizer) {
	for more := true; more; {
		var k, v []byte
		k, v, more = z.TagAttr()
		switch string(k) {
		case "href":
			first(&at.href, &at.hasHref, v)
		case "xlink:href":
			at.xlinkFirst = at.xlinkFirst || !at.hasHref && !at.hasXlinkHref
			first(&at.xlinkHref, &at.hasXlinkHref, v)
		case "rel":
			first(&at.rel, &at.hasRel, v)
		case "hreflang":
			first(&at.hreflang, &at.hasHreflang, v)
		case "alt":
			first(&at.alt, &at.hasAlt, v)
		case "name":
			first(&at.name, &at.hasName, v)
		case "content":
			first(&at.content, &at.hasContent, v)
		case "encoding":
			first(&at.encoding, &at.hasEncoding, v)
		case "color", "face", "size":
			at.fontBreakout = true
		}
	}
}

func first(dst *[]byte, has *bool, v []byte) {
	if !*has {
		*dst, *has = v, true
	}
}

// hrefOf returns the element's href: in foreign content an xlink:href is one too, the
// tree builder having moved it to the xlink namespace under the name href.
func (at *tagAttrs) hrefOf(foreign bool) ([]byte, bool) {
	if foreign && at.hasXlinkHref && (at.xlinkFirst || !at.hasHref) {
		return at.xlinkHref, true
	}
	return at.href, at.hasHref
}

// readsAttrs reports whether the scanner reads the attributes of a tag.
func readsAttrs(a atom.Atom) bool {
	switch a {
	case atom.A, atom.Area, atom.Link, atom.Base, atom.Meta, atom.Img, atom.Image, atom.Font, atom.AnnotationXml:
		return true
	}
	return false
}

func relOf(at *tagAttrs) string {
	if !at.hasRel {
		return ""
	}
	return collapse(strings.ToLower(string(at.rel)), 128)
}
