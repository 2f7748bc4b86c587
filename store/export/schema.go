package export

import (
	"strconv"
	"strings"
	"time"

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
)

// column is one exported attribute.
type column struct {
	name string
	typ  colType
}

// value is one attribute value; the member used depends on the column type.
type value struct {
	s string    // typeString
	n int64     // typeInt, typeLong, and typeBool as 0 or 1
	t time.Time // typeTime
}

// empty reports a missing string or timestamp; numbers and booleans are never empty.
func (v *value) empty(typ colType) bool {
	switch typ {
	case typeString:
		return v.s == ""
	case typeTime:
		return v.t.IsZero()
	}
	return false
}

// appendText appends the text form of a non-string value: a decimal integer, true or false,
// or an RFC 3339 timestamp.
func appendText(b []byte, typ colType, v *value) []byte {
	switch typ {
	case typeString:
		return append(b, v.s...)
	case typeBool:
		return strconv.AppendBool(b, v.n != 0)
	case typeTime:
		if v.t.IsZero() {
			return b
		}
		return v.t.UTC().AppendFormat(b, time.RFC3339)
	}
	return strconv.AppendInt(b, v.n, 10)
}

// schema describes the attributes of one kind of graph (pages, hosts or domains).
type schema struct {
	nodeLabel string   // the neo4j node label
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
	},
	edges: []column{
		eKind:     {"kind", typeString},
		eRel:      {"rel", typeString},
		eNofollow: {"nofollow", typeBool},
		eAnchor:   {"anchor", typeString},
		eCount:    {"count", typeInt},
	},
	labels: []int{pTitle, pURL},
	kind:   eKind,
	weight: eCount,
}

// pageNode fills v (len(pageSchema.nodes)) with the attributes of n.
func pageNode(v []value, n *store.Node, in, out uint32) {
	v[pURL].s = n.URL
	v[pHost].s = store.HostName(n.URL)
	v[pState].s = n.State.String()
	v[pStatus].n = int64(n.Status)
	v[pContentType].s = n.ContentType
	v[pBytes].n = n.Size
	v[pDepth].n = int64(n.Depth)
	v[pTitle].s = n.Title
	v[pFetchedAt].t = n.FetchedAt
	v[pError].s = n.Error
	v[pTruncated].n = 0
	if n.Truncated {
		v[pTruncated].n = 1
	}
	v[pInDegree].n = int64(in)
	v[pOutDegree].n = int64(out)
	v[pNoIndex].n = 0
	if n.NoIndex {
		v[pNoIndex].n = 1
	}
}

// pageEdge fills v (len(pageSchema.edges)) with the attributes of e.
func pageEdge(v []value, e *store.Edge) {
	v[eKind].s = e.Kind.String()
	v[eRel].s = e.Rel
	v[eNofollow].n = 0
	if e.Nofollow() {
		v[eNofollow].n = 1
	}
	v[eAnchor].s = e.Anchor
	v[eCount].n = int64(e.Count)
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
