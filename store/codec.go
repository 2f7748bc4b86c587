package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/crawl-project/crawl"
)

// Records are encoded by hand (varints and length-prefixed strings) rather than with
// encoding/json or gob: the writer encodes tens of thousands of them per second, and a
// fixed layout with a leading version byte can be read back by every later version.

const nodeCodecVersion = 1

var errCorrupt = errors.New("corrupt record")

type encoder struct{ b []byte }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) byte(v byte)      { e.b = append(e.b, v) }
func (e *encoder) str(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.err = errCorrupt
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errCorrupt
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// Flags of a node record. Bits are appended, never renumbered; a reader ignores those it
// does not know.
const (
	nodeFlagTruncated = 1 << iota
	nodeFlagNoIndex
	nodeFlagCheck     // crawl.Node.Check
	nodeFlagExternal  // crawl.Node.External
	nodeFlagInSitemap // crawl.Node.InSitemap
)

// A node record may end with a section of its own, written only when the node has facts:
// a version byte, then the facts. Records written before it existed end after the error and
// read with nil facts; earlier readers stop before it. A later version appends to the section.
const (
	factsVersion = 1

	factsHasTitle = 1 << iota
	factsHasDescription
)

func encodeNode(n *crawl.Node) []byte { return appendNode(make([]byte, 0, nodeSize(n)), n) }

// nodeSize is room enough for n's record in all but unusual cases.
func nodeSize(n *crawl.Node) int {
	return 64 + len(n.URL) + len(n.ContentType) + len(n.Title) + len(n.Error) + factsSize(n.Facts)
}

// factsSize is room enough for the facts' section of a record (appendFacts); 0 for none.
func factsSize(f *crawl.PageFacts) int {
	if f == nil {
		return 0
	}
	return 32 + len(f.Description) + len(f.H1) + len(f.Canonical) + len(f.Hreflang) + len(f.Lang)
}

func appendNode(dst []byte, n *crawl.Node) []byte {
	e := encoder{b: dst}
	e.byte(nodeCodecVersion)
	e.byte(byte(n.State))
	flags := flagIf(n.Truncated, nodeFlagTruncated) | flagIf(n.NoIndex, nodeFlagNoIndex) | flagIf(n.Check, nodeFlagCheck) |
		flagIf(n.External, nodeFlagExternal) | flagIf(n.InSitemap, nodeFlagInSitemap)
	e.byte(flags)
	e.uvarint(uint64(n.Depth))
	e.uvarint(uint64(n.Status))
	e.varint(n.Size)
	e.varint(unixNano(n.FetchedAt))
	e.varint(int64(n.Duration))
	e.uvarint(uint64(n.OutLinks))
	e.uvarint(uint64(n.DroppedOut))
	e.str(n.URL)
	e.str(n.ContentType)
	e.str(n.Title)
	e.str(n.Error)
	if f := n.Facts; f != nil {
		e.byte(factsVersion)
		appendFacts(&e, f)
	}
	return e.b
}

// appendFacts appends the facts as both a node record and a page record hold them: flags
// (has title, has description), h1 count, words and the texts. A count is never negative.
func appendFacts(e *encoder, f *crawl.PageFacts) {
	e.byte(flagIf(f.HasTitle, factsHasTitle) | flagIf(f.HasDescription, factsHasDescription))
	e.uvarint(uint64(max(f.H1Count, 0)))
	e.uvarint(uint64(max(f.Words, 0)))
	e.str(f.Description)
	e.str(f.H1)
	e.str(f.Canonical)
	e.str(f.Hreflang)
	e.str(f.Lang)
}

// flagIf is flag when set holds, else 0.
func flagIf(set bool, flag byte) byte {
	if set {
		return flag
	}
	return 0
}

func decodeNode(id uint64, b []byte) (crawl.Node, error) {
	d := decoder{b: b}
	if v := d.byte(); d.err == nil && v != nodeCodecVersion {
		return crawl.Node{}, fmt.Errorf("node %d: record version %d: %w", id, v, errCorrupt)
	}
	n := crawl.Node{ID: id}
	n.State = crawl.State(d.byte())
	flags := d.byte()
	n.Truncated = flags&nodeFlagTruncated != 0
	n.NoIndex = flags&nodeFlagNoIndex != 0
	n.Check = flags&nodeFlagCheck != 0
	n.External = flags&nodeFlagExternal != 0
	n.InSitemap = flags&nodeFlagInSitemap != 0
	n.Depth = int(d.uvarint())
	n.Status = int(d.uvarint())
	n.Size = d.varint()
	n.FetchedAt = fromUnixNano(d.varint())
	n.Duration = time.Duration(d.varint())
	n.OutLinks = int(d.uvarint())
	n.DroppedOut = int(d.uvarint())
	n.URL = d.str()
	n.ContentType = d.str()
	n.Title = d.str()
	n.Error = d.str()
	if d.err == nil && len(d.b) > 0 {
		n.Facts = decodeFacts(&d)
	}
	if d.err != nil {
		return crawl.Node{}, fmt.Errorf("node %d: %w", id, d.err)
	}
	return n, nil
}

// decodeFacts reads the facts section of a node record: its version 1 fields, which every
// later version starts with.
func decodeFacts(d *decoder) *crawl.PageFacts {
	if v := d.byte(); d.err == nil && v < factsVersion {
		d.err = errCorrupt
	}
	f := &crawl.PageFacts{}
	ff := d.byte()
	f.HasTitle = ff&factsHasTitle != 0
	f.HasDescription = ff&factsHasDescription != 0
	f.H1Count = int(d.uvarint())
	f.Words = int(d.uvarint())
	f.Description = d.str()
	f.H1 = d.str()
	f.Canonical = d.str()
	f.Hreflang = d.str()
	f.Lang = d.str()
	return f
}

// peekNode reads the state, depth and check flag of an encoded node without decoding the rest.
func peekNode(b []byte) (_ cachedURL, ok bool) {
	if len(b) < 4 || b[0] != nodeCodecVersion {
		return cachedURL{}, false
	}
	depth, n := binary.Uvarint(b[3:])
	if n <= 0 {
		return cachedURL{}, false
	}
	return cachedURL{state: crawl.State(b[1]), depth: int(depth), check: b[2]&nodeFlagCheck != 0}, true
}

const edgeFlagFollow = 1

// storedEdge is an Edge plus whether the crawl followed it, which depth propagation needs.
type storedEdge struct {
	crawl.Edge

	follow bool
}

// The edges of one page are one value under the page's id: a count, then each edge. One
// key per page keeps the writer's B+tree work per page constant instead of per link.
func encodeEdges(edges []storedEdge) []byte {
	return appendEdges(make([]byte, 0, edgesSize(edges)), edges)
}

// edgesSize is room enough for the encoded list in all but unusual cases.
func edgesSize(edges []storedEdge) int {
	size := 4
	for i := range edges {
		size += 16 + len(edges[i].Rel) + len(edges[i].Anchor)
	}
	return size
}

func appendEdges(dst []byte, edges []storedEdge) []byte {
	enc := encoder{b: dst}
	enc.uvarint(uint64(len(edges)))
	for i := range edges {
		e := &edges[i]
		enc.uvarint(e.Dst)
		enc.byte(byte(e.Kind))
		var flags byte
		if e.follow {
			flags |= edgeFlagFollow
		}
		enc.byte(flags)
		enc.uvarint(uint64(e.Count))
		enc.str(e.Rel)
		enc.str(e.Anchor)
	}
	return enc.b
}

// eachEncodedEdge calls fn for each edge of the list src's value b holds, in stored order.
func eachEncodedEdge(src uint64, b []byte, fn func(storedEdge) error) error {
	d := decoder{b: b}
	n := d.uvarint()
	if d.err == nil && n > uint64(len(b)) {
		d.err = errCorrupt // each edge takes at least one byte
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		var e storedEdge
		e.Src = src
		e.Dst = d.uvarint()
		e.Kind = crawl.EdgeKind(d.byte())
		e.follow = d.byte()&edgeFlagFollow != 0
		e.Count = int(d.uvarint())
		e.Rel = d.str()
		e.Anchor = d.str()
		if d.err != nil {
			break
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	if d.err != nil {
		return fmt.Errorf("edges from node %d: %w", src, d.err)
	}
	return nil
}

// encodedEdgeCount reads the number of edges in an encoded list without decoding them.
func encodedEdgeCount(b []byte) (int, bool) {
	n, k := binary.Uvarint(b)
	return int(n), k > 0
}

func u64(v uint64) []byte { return appendU64(nil, v) }

func appendU64(dst []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(dst, v) }

// frontierKey orders the frontier by host, then by node id. Ids only grow, so each host's
// queue is FIFO in discovery order and new entries always sort after existing ones.
func frontierKey(host string, id uint64) []byte {
	return appendFrontierKey(make([]byte, 0, len(host)+9), host, id)
}

func appendFrontierKey(dst []byte, host string, id uint64) []byte {
	dst = append(dst, host...)
	dst = append(dst, 0)
	return appendU64(dst, id)
}

func splitFrontierKey(k []byte) (host string, id uint64, ok bool) {
	if len(k) < 9 || k[len(k)-9] != 0 {
		return "", 0, false
	}
	return string(k[:len(k)-9]), binary.BigEndian.Uint64(k[len(k)-8:]), true
}

func encodeFrontier(depth int, url string, redirects int, check bool) []byte {
	return appendFrontier(make([]byte, 0, frontierSize(url)), depth, url, redirects, check)
}

func frontierSize(url string) int { return 16 + len(url) }

// frontierFlagCheck marks the entry of a URL to check rather than crawl.
const frontierFlagCheck = 1

// appendFrontier encodes a frontier entry: its depth, its URL, then, when there is more to
// say, the redirects that led to it (the URL is the target of a redirect), then flags (the
// URL is to be checked). Fields are left out from the end while they are zero: entries as
// earlier versions wrote them read as zero redirects and no flags.
func appendFrontier(dst []byte, depth int, url string, redirects int, check bool) []byte {
	e := encoder{b: dst}
	e.uvarint(uint64(depth))
	e.str(url)
	if redirects > 0 || check {
		e.uvarint(uint64(redirects))
	}
	if check {
		e.byte(frontierFlagCheck)
	}
	return e.b
}

func decodeFrontier(b []byte) (depth int, url string, redirects int, check bool, err error) {
	d := decoder{b: b}
	depth = int(d.uvarint())
	url = d.str()
	if d.err == nil && len(d.b) > 0 {
		redirects = int(d.uvarint())
	}
	if d.err == nil && len(d.b) > 0 {
		check = d.byte()&frontierFlagCheck != 0
	}
	return depth, url, redirects, check, d.err
}
