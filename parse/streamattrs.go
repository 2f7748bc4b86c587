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

	id, lang, src, srcset, data, poster                   []byte
	hasID, hasLang, hasSrc, hasSrcset, hasData, hasPoster bool
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
		case "id":
			first(&at.id, &at.hasID, v)
		case "lang":
			first(&at.lang, &at.hasLang, v)
		case "src":
			first(&at.src, &at.hasSrc, v)
		case "srcset":
			first(&at.srcset, &at.hasSrcset, v)
		case "data":
			first(&at.data, &at.hasData, v)
		case "poster":
			first(&at.poster, &at.hasPoster, v)
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

// get returns the value of a requisite attribute (see requisiteAttrs).
func (at *tagAttrs) get(name string) ([]byte, bool) {
	switch name {
	case "src":
		return at.src, at.hasSrc
	case "srcset":
		return at.srcset, at.hasSrcset
	case "data":
		return at.data, at.hasData
	case "poster":
		return at.poster, at.hasPoster
	}
	return nil, false
}

// readsAttrs reports whether the scanner's first pass, which looks for a <base href> only,
// reads the attributes of a tag; the second reads every tag's (any may have an id).
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
