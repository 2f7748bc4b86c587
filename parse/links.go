package parse

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/crawl-project/crawl"
)

// MaxAnchor is the longest anchor text kept for an edge, in bytes; longer text is cut at a rune boundary.
const MaxAnchor = 256

// maxTitle is the longest title kept, in bytes.
const maxTitle = 1024

// Link is one distinct reference from a page, folded over its repeats. It holds the URL as a
// string, the form callers store and compare; Parse gives the url.URL when one is needed.
type Link struct {
	URL    string // absolute and normalised, as url.URL.String writes it
	Host   string // host[:port] of URL, as url.URL.Host holds it (unescaped)
	Kind   crawl.EdgeKind
	Rel    string // rel attribute, lower-cased and whitespace-collapsed
	Anchor string // text of the first occurrence; an image's alt text
	Count  int    // occurrences on the page
	// Fragments are the distinct fragments of the link's hrefs (<a>, <area>), as written,
	// in document order: the page refers to these parts of URL.
	Fragments []string
}

// Parse returns the link's URL parsed.
func (l Link) Parse() (*url.URL, error) { return url.Parse(l.URL) }

// Nofollow reports whether the link asks crawlers not to follow it.
func (l Link) Nofollow() bool { return crawl.Edge{Rel: l.Rel}.Nofollow() }

// Page is what a crawler needs from an HTML document.
type Page struct {
	Title    string
	Links    []Link
	Dropped  int  // links beyond the per-page cap, counted but not kept
	Invalid  int  // href values that are not fetchable URLs (mailto:, javascript:, malformed)
	NoFollow bool // <meta name=robots content=nofollow>
	NoIndex  bool // <meta name=robots content=noindex>
	// Partial is empty when the page was read from its HTML tree, as usual. Otherwise the
	// links were read by the token scanner, and it says why in a few words ("nested deeper
	// than 512 elements: links read by the token scanner"): where the page's markup is
	// mis-nested, its anchors and counts may then differ from a tree's (see stream.go).
	Partial string
	// Facts are what the page says about itself, for an audit (Title is Page.Title).
	Facts crawl.PageFacts
	// Targets are the fragment identifiers the page defines: its elements' ids, its <a> names.
	Targets crawl.Targets
}

// Extractor pulls links out of HTML documents. The zero value keeps every link.
type Extractor struct {
	// MaxLinks caps the distinct links kept per page (0: no cap); the rest are counted in Page.Dropped.
	MaxLinks int
	// RobotsToken is the product token whose <meta name=...> robots directives apply besides "robots".
	RobotsToken string
	// Requisites: read the page requisites too (images, scripts, stylesheets, icons,
	// preloads, manifests, frames, media, objects), as links of their kinds.
	Requisites bool
}

// Extract parses an HTML body fetched from pageURL. contentType is the response's
// Content-Type header; its charset, a <meta charset> or sniffing decides the encoding.
// A page with more tags than a tree should hold, or that the tree builder refuses, is read
// by a token scanner instead, in memory and time proportional to the page; Page.Partial
// says so.
func (x Extractor) Extract(body []byte, contentType string, pageURL *url.URL) (*Page, error) {
	return x.extract(body, contentType, pageURL, false)
}

// extract is Extract, with its fast paths (general false) or without them: the general path
// is the reference the tests hold the fast paths to.
func (x Extractor) extract(body []byte, contentType string, pageURL *url.URL, general bool) (*Page, error) {
	s := scratchPool.Get().(*scratch)
	defer s.release()
	// Every element needs a '<': a page with many could cost hundreds of megabytes as a tree.
	tags := bytes.Count(body, []byte{'<'})
	if tags > maxTreeTags {
		return x.scan(body, contentType, pageURL, s, general,
			fmt.Sprintf("%d tags, over %d for a tree: links read by the token scanner", tags, maxTreeTags))
	}
	// Formatting elements left open are copied into every block that follows (formatting.go):
	// a page that could make too many copies is read by the scanner too.
	if tags*tags > maxFormattingCopies {
		if s.formatting == nil {
			s.formatting = make(map[uint64]struct{})
		}
		if f := formattingBound(body, s.formatting); f*tags > maxFormattingCopies {
			return x.scan(body, contentType, pageURL, s, general,
				fmt.Sprintf("%d formatting elements that may stay open over %d tags: links read by the token scanner", f, tags))
		}
	}
	_, r, err := s.utf8Body(body, contentType, general)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", pageURL, err)
	}
	// goquery builds the tree (x/net/html's, which is all a goquery Document holds besides
	// itself); one walk over the nodes then reads everything a crawl needs, with no selector
	// matching and no Selection per match.
	doc, err := goquery.NewDocumentFromReader(r)
	if err != nil {
		// The tree builder gives up on the whole page, links before the trouble included;
		// the token scanner reads them.
		return x.scan(body, contentType, pageURL, s, general, treeFailure(err))
	}
	s.anchors.reset()
	s.title.reset()
	return x.collect(doc.Get(0), pageURL, s, general), nil
}

// treeFailure is Page.Partial for a page the tree builder refused.
func treeFailure(err error) string {
	// x/net/html has no error value for it, only this message.
	if strings.Contains(err.Error(), "open stack of elements exceeds 512") {
		return "nested deeper than 512 elements: links read by the token scanner"
	}
	return fmt.Sprintf("tree not built (%v): links read by the token scanner", err)
}

// utf8Body returns a reader of body in UTF-8, decoded as charset.NewReader decodes it, and
// the UTF-8 bytes themselves unless the reader decodes as it goes.
func (s *scratch) utf8Body(body []byte, contentType string, general bool) (src []byte, r io.Reader, err error) {
	s.reader.Reset(body)
	var e encoding.Encoding
	if !general && declaresUTF8(contentType) && !bytes.HasPrefix(body, []byte{0xfe, 0xff}) && !bytes.HasPrefix(body, []byte{0xff, 0xfe}) {
		// The common Content-Type "text/html; charset=utf-8" settles the encoding unless a
		// UTF-16 byte order mark comes first: DetermineEncoding's answer without its parse
		// of the header. Valid UTF-8 taken for UTF-8 decodes to itself: it is read as it is.
		if utf8.Valid(body) {
			return body, &s.reader, nil
		}
		e = unicode.UTF8 // what charset.Lookup("utf-8") wraps
	} else {
		// charset.NewReader decides on the same first 1024 bytes.
		var name string
		e, name, _ = charset.DetermineEncoding(body[:min(len(body), 1024)], contentType)
		switch {
		case name == "utf-8" && utf8.Valid(body):
			return body, &s.reader, nil
		case general || len(body) == 0: // charset.NewReader fails on an empty body (io.EOF)
			r, err := charset.NewReader(&s.reader, contentType)
			return nil, r, err
		case e == encoding.Nop:
			return body, &s.reader, nil // sniffed as UTF-8: charset.NewReader passes it through too
		}
	}
	// The whole body decoded at once into pooled memory reads the same as charset.NewReader's
	// streaming decoder gives it, without its buffers. Should the decoder fail, the reader
	// reports it as before.
	decoded, _, err := transform.Append(e.NewDecoder(), s.decoded[:0], body)
	if err != nil {
		r, err := charset.NewReader(&s.reader, contentType)
		return nil, r, err
	}
	s.decoded = decoded
	s.reader.Reset(decoded)
	return decoded, &s.reader, nil
}

func hasWord(list, w string) bool {
	const space = " \t\n\v\f\r"
	for i := 0; i < len(list); i++ {
		if list[i] >= utf8.RuneSelf {
			return slices.Contains(strings.Fields(list), w) // Unicode white space too
		}
	}
	for {
		list = strings.TrimLeft(list, space)
		if list == "" {
			return false
		}
		end := strings.IndexAny(list, space)
		if end < 0 {
			return list == w
		}
		if list[:end] == w {
			return true
		}
		list = list[end:]
	}
}

// collapse trims s, folds runs of white space into one space and cuts it to at most max bytes.
// Invalid UTF-8, which a document sniffed as UTF-8 passes through undecoded, becomes U+FFFD.
func collapse(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if !collapsed(s) {
		s = strings.Join(strings.Fields(s), " ")
	}
	return cutAt(s, max)
}

// cutAt returns s cut to at most max bytes at a rune boundary.
func cutAt[S string | []byte](s S, max int) S {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// collapsed reports whether s is ASCII with single spaces between words and none at the ends,
// as most anchor texts and rel values are: collapse then need not allocate.
func collapsed(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ' ' < c && c < utf8.RuneSelf {
			continue // most bytes: no need for the cases below
		}
		switch {
		case c >= utf8.RuneSelf:
			return false // non-ASCII white space (U+00A0, ...) is for strings.Fields to judge
		case c == ' ':
			if i == 0 || i == len(s)-1 || s[i+1] == ' ' {
				return false
			}
		case c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r':
			return false
		}
	}
	return true
}
