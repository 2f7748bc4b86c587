package export

import (
	"strconv"
	"strings"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
)

// colType is the type of an exported attribute. Each encoder maps it to its own type names
// (GraphML attr.type, GEXF attribute type, neo4j-admin header type).
type colType uint8

const (
	typeString colType = iota
	typeInt            // an integer that fits in 32 bits
	typeLong           // a 64-bit integer
	typeBool
	typeTime // a timestamp, written in RFC 3339 (UTC); empty when unknown
	// typeTokens is a string of space-separated tokens (an HTML rel): a string everywhere,
	// an array (string[]) for neo4j-admin.
	typeTokens
	typeDouble // a floating-point number, in decimal notation, the shortest that reads back exactly
)

// column is one exported attribute.
type column struct {
	name string
	typ  colType
}

// value is one attribute value; the member used depends on the column type.
type value struct {
	s string    // typeString, typeTokens
	n int64     // typeInt, typeLong, and typeBool as 0 or 1
	f float64   // typeDouble
	t time.Time // typeTime
	// none marks a value that does not exist, such as the status of a page never fetched:
	// written as an empty field (csv, tsv), null (jsonl), or left out.
	none bool
}

// number sets v to the integer n.
func (v *value) number(n int64) { v.n, v.none = n, false }

// double sets v to the number f.
func (v *value) double(f float64) { v.f, v.none = f, false }

// boolean sets v to b.
func (v *value) boolean(b bool) {
	v.n, v.none = 0, false
	if b {
		v.n = 1
	}
}

// empty reports a value that is missing: one that does not exist, an empty string or an
// unknown timestamp.
func (v *value) empty(typ colType) bool {
	switch {
	case v.none:
		return true
	case typ == typeString || typ == typeTokens:
		return v.s == ""
	case typ == typeTime:
		return v.t.IsZero()
	}
	return false
}

// appendText appends the text form of a non-string value: a decimal integer, true or false,
// or an RFC 3339 timestamp.
func appendText(b []byte, typ colType, v *value) []byte {
	if v.none {
		return b
	}
	switch typ {
	case typeString, typeTokens:
		return append(b, v.s...)
	case typeBool:
		return strconv.AppendBool(b, v.n != 0)
	case typeTime:
		if v.t.IsZero() {
			return b
		}
		return v.t.UTC().AppendFormat(b, time.RFC3339)
	case typeDouble:
		return strconv.AppendFloat(b, v.f, 'f', -1, 64)
	}
	return strconv.AppendInt(b, v.n, 10)
}

// schema describes the attributes of one kind of graph (pages, hosts or domains).
type schema struct {
	nodeLabel string   // the neo4j node label
	idSpace   string   // the neo4j ID space of the node ids
	nodes     []column // node attributes, after the node id
	edges     []column // edge attributes, after the source and target ids
	labels    []int    // node columns tried in order for a display label
	kind      int      // the edge column holding the edge kind, or -1
	relType   string   // the neo4j relationship type when there is no kind column
	weight    int      // the edge column used as the edge weight (GEXF)
}

// Page-level node columns.
const (
	pURL = iota
	pHost
	pState
	pStatus
	pContentType
	pBytes
	pDepth
	pTitle
	pFetchedAt
	pError
	pTruncated
	pInDegree
	pOutDegree
	pNoIndex
	// The page's facts (crawl.PageFacts), its response time and its sitemap mark.
	pDescription
	pH1
	pH1Count
	pCanonical
	pHreflang
	pLang
	pWordCount
	pResponseMS
	pInSitemap
)

// Page-level edge columns.
const (
	eKind = iota
	eRel
	eNofollow
	eAnchor
	eCount
)

var pageSchema = &schema{
	nodeLabel: "Page",
	idSpace:   "Page",
	nodes: []column{
		pURL:         {"url", typeString},
		pHost:        {"host", typeString},
		pState:       {"state", typeString},
		pStatus:      {"status", typeInt},
		pContentType: {"content_type", typeString},
		pBytes:       {"bytes", typeLong},
		pDepth:       {"depth", typeInt},
		pTitle:       {"title", typeString},
		pFetchedAt:   {"fetched_at", typeTime},
		pError:       {"error", typeString},
		pTruncated:   {"truncated", typeBool},
		pInDegree:    {"in_degree", typeLong},
		pOutDegree:   {"out_degree", typeLong},
		pNoIndex:     {"noindex", typeBool},
		pDescription: {"description", typeString},
		pH1:          {"h1", typeString},
		pH1Count:     {"h1_count", typeInt},
		pCanonical:   {"canonical", typeString},
		pHreflang:    {"hreflang", typeTokens},
		pLang:        {"lang", typeString},
		pWordCount:   {"word_count", typeLong},
		pResponseMS:  {"response_ms", typeDouble},
		pInSitemap:   {"in_sitemap", typeBool},
	},
	edges: []column{
		eKind:     {"kind", typeString},
		eRel:      {"rel", typeTokens},
		eNofollow: {"nofollow", typeBool},
		eAnchor:   {"anchor", typeString},
		eCount:    {"count", typeInt},
	},
	labels: []int{pTitle, pURL},
	kind:   eKind,
	weight: eCount,
}

// externalLabel is the neo4j label of a URL out of the crawl's scope, never fetched: it is
// not a page of the crawled sites.
const externalLabel = "External"

// pageNode fills v (len(pageSchema.nodes)) with the attributes of n. What only a response
// tells (status, bytes, truncated, noindex, the response time) does not exist for a URL that
// got none, nor do the counts of a page's facts for a URL that is not an HTML page the crawl
// parsed (its texts are then empty). sitemaps says whether a sitemap of n's site was read:
// only then is in_sitemap false rather than unknown.
func pageNode(v []value, n *crawl.Node, in, out uint32, sitemaps sitemapOrigins) {
	v[pURL].s = n.URL
	v[pHost].s = store.HostName(n.URL)
	v[pState].s = n.State.String()
	v[pContentType].s = n.ContentType
	v[pDepth].number(int64(n.Depth))
	v[pTitle].s = n.Title
	v[pFetchedAt].t = n.FetchedAt
	v[pError].s = n.Error
	v[pInDegree].number(int64(in))
	v[pOutDegree].number(int64(out))
	pageFacts(v, n.Facts)
	switch {
	case n.InSitemap:
		v[pInSitemap].boolean(true)
	case sitemaps.read(n.URL):
		v[pInSitemap].boolean(false)
	default:
		v[pInSitemap] = value{none: true}
	}
	if n.State != crawl.StateDone {
		for _, c := range []int{pStatus, pBytes, pTruncated, pNoIndex, pResponseMS} {
			v[c] = value{none: true}
		}
		return
	}
	v[pStatus].number(int64(n.Status))
	v[pBytes].number(n.Size)
	v[pTruncated].boolean(n.Truncated)
	v[pNoIndex].boolean(n.NoIndex)
	v[pResponseMS].double(float64(n.Duration.Microseconds()) / 1000)
}

// pageFacts fills the columns of a page's facts: empty texts and no counts without them.
func pageFacts(v []value, f *crawl.PageFacts) {
	if f == nil {
		for _, c := range []int{pDescription, pH1, pCanonical, pHreflang, pLang} {
			v[c].s = ""
		}
		v[pH1Count] = value{none: true}
		v[pWordCount] = value{none: true}
		return
	}
	v[pDescription].s = f.Description
	v[pH1].s = f.H1
	v[pCanonical].s = f.Canonical
	v[pHreflang].s = f.Hreflang
	v[pLang].s = f.Lang
	v[pH1Count].number(int64(f.H1Count))
	v[pWordCount].number(int64(f.Words))
}

// sitemapOrigins are the origins (scheme://host:port) whose sitemaps the crawl read.
type sitemapOrigins map[string]bool

// read reports whether the sitemaps of u's origin were read.
func (o sitemapOrigins) read(u string) bool {
	if len(o) == 0 {
		return false
	}
	return o[origin(u)]
}

// origin returns the scheme and authority of an absolute URL as the crawl stores it
// (normalised: "https://example.com:8443" of "https://example.com:8443/a").
func origin(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return ""
	}
	if j := strings.IndexAny(u[i+3:], "/?#"); j >= 0 {
		return u[:i+3+j]
	}
	return u
}

// labelOf is the neo4j label of a node with the values v: External for a URL out of the
// crawl's scope, else the schema's label.
func (sc *schema) labelOf(v []value) string {
	if sc == pageSchema && v[pState].s == crawl.StateExternal.String() {
		return externalLabel
	}
	return sc.nodeLabel
}

// pageEdge fills v (len(pageSchema.edges)) with the attributes of e.
func pageEdge(v []value, e *crawl.Edge) {
	v[eKind].s = e.Kind.String()
	v[eRel].s = e.Rel
	v[eNofollow].boolean(e.Nofollow())
	v[eAnchor].s = e.Anchor
	v[eCount].number(int64(e.Count))
}

// relType turns an edge kind into a neo4j relationship type: upper case, with any character
// other than letters, digits and '_' replaced by '_' (LINK, REDIRECT, KIND_9).
func relType(kind string) string {
	b := make([]byte, 0, len(kind))
	for i := 0; i < len(kind); i++ {
		c := kind[i]
		switch {
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_':
		default:
			c = '_'
		}
		b = append(b, c)
	}
	return strings.Trim(string(b), "_")
}
