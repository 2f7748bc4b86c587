package store

import (
	"fmt"
	"math"
	"time"

	"github.com/crawl-project/crawl"
)

// A page record is what a node of a cluster crawl tells the cluster about a URL it recorded
// from a lease, so that another database can rebuild the page exactly, without the node:
// the page as recorded and every link it stored, each with its target's URL (ids are local
// to a database) and what made the writer record the target as it did (in scope,
// followable, refused by a trap rule). Applying a record (ApplyRecords) runs the writer's
// own code for a page on it, so the targets, their depths, the frontier and the outbox come
// out as the page's first recording made them.
//
// Body layout, version 1 (varints as in codec.go; str is a length and the bytes):
//
//	1 | state | flags (truncated, noindex) | depth | redirects | status | size | fetched at |
//	duration | links dropped beyond the page's cap | links too long to store |
//	str content type | str title | str error | link count | links...
//	link: str URL | kind | flags (follow, in scope, reject, host) | count | str rel |
//	      str anchor | [str reject] | [str host key, when not the one the URL has]
const recordVersion = 1

const (
	recordFlagTruncated = 1 << iota
	recordFlagNoIndex
)

const (
	linkFlagFollow = 1 << iota
	linkFlagInScope
	linkFlagReject
	linkFlagHost
)

// PageRecord is a page record: the page's URL and the store's encoding of the page and its
// links (Body), opaque to everything but the store.
type PageRecord struct {
	URL  string
	Body []byte
}

// pageRecord is a decoded record.
type pageRecord struct {
	page      crawl.Node // State, Depth, Status, ContentType, Size, Title, FetchedAt, Duration, Error, Truncated, NoIndex
	redirects int        // redirects in a row that led to the page
	dropped   int        // links beyond the page's cap (crawl.ReasonLinkCap)
	tooLong   int        // links too long to store (crawl.ReasonURLTooLong)
	links     []crawl.Link
}

// appendRecord encodes the record of page, recorded at distance at, with its links (the
// storable ones are kept, as the writer stores them), dropped links beyond its cap and
// tooLong links too long to store.
func appendRecord(dst []byte, page *crawl.Node, at distance, dropped, tooLong int, links []crawl.Link) []byte {
	e := encoder{b: dst}
	e.byte(recordVersion)
	e.byte(byte(page.State))
	var flags byte
	if page.Truncated {
		flags |= recordFlagTruncated
	}
	if page.NoIndex {
		flags |= recordFlagNoIndex
	}
	e.byte(flags)
	e.uvarint(uint64(at.depth))
	e.uvarint(uint64(at.redirects))
	e.uvarint(uint64(page.Status))
	e.varint(page.Size)
	e.varint(unixNano(page.FetchedAt))
	e.varint(int64(page.Duration))
	e.uvarint(uint64(max(dropped, 0)))
	e.uvarint(uint64(max(tooLong, 0)))
	e.str(page.ContentType)
	e.str(page.Title)
	e.str(page.Error)
	n := 0
	for i := range links {
		if storableLink(&links[i]) {
			n++
		}
	}
	e.uvarint(uint64(n))
	for i := range links {
		l := &links[i]
		if !storableLink(l) {
			continue
		}
		e.str(l.URL)
		e.byte(byte(l.Kind))
		var lf byte
		if l.Follow {
			lf |= linkFlagFollow
		}
		if l.InScope {
			lf |= linkFlagInScope
		}
		if l.Reject != "" {
			lf |= linkFlagReject
		}
		if l.Host != hostKey(l.URL) {
			lf |= linkFlagHost
		}
		e.byte(lf)
		e.uvarint(uint64(edgeCount(l.Count)))
		e.str(cutText(l.Rel, maxText))
		e.str(cutText(l.Anchor, maxText))
		if l.Reject != "" {
			e.str(cutText(l.Reject, maxReason))
		}
		if lf&linkFlagHost != 0 {
			e.str(l.Host)
		}
	}
	return e.b
}

// edgeCount is the count the writer stores for a link: at least one, and within the bound
// a record reads back.
func edgeCount(c int) int { return min(max(c, 1), math.MaxInt32) }

// recordSize is room enough for a record in all but unusual cases.
func recordSize(page *crawl.Node, links []crawl.Link) int {
	n := 64 + len(page.ContentType) + len(page.Title) + len(page.Error)
	for i := range links {
		n += 16 + len(links[i].URL) + len(links[i].Rel) + len(links[i].Anchor) + len(links[i].Reject)
	}
	return n
}

// decodeRecord decodes the body of the record of the page u. It refuses what the writer
// never writes (a state that is not a recording's, text over its cap, a link it would not
// store, bytes left over), so that a record from elsewhere is applied only if it is one.
func decodeRecord(u string, body []byte) (pageRecord, error) {
	var r pageRecord
	bad := func(what string) (pageRecord, error) {
		return pageRecord{}, fmt.Errorf("record of %.200q: %s: %w", u, what, errCorrupt)
	}
	if !storableURL(u) {
		return bad("URL not storable")
	}
	d := decoder{b: body}
	if v := d.byte(); d.err == nil && v != recordVersion {
		return bad(fmt.Sprintf("version %d, this version reads %d", v, recordVersion))
	}
	p := &r.page
	p.URL = u
	p.State = crawl.State(d.byte())
	flags := d.byte()
	p.Truncated, p.NoIndex = flags&recordFlagTruncated != 0, flags&recordFlagNoIndex != 0
	p.Depth = boundedInt(&d)
	r.redirects = boundedInt(&d)
	p.Status = boundedInt(&d)
	p.Size = d.varint()
	p.FetchedAt = fromUnixNano(d.varint())
	p.Duration = time.Duration(d.varint())
	r.dropped = boundedInt(&d)
	r.tooLong = boundedInt(&d)
	p.ContentType = d.str()
	p.Title = d.str()
	p.Error = d.str()
	n := d.uvarint()
	switch {
	case d.err != nil:
		return bad("truncated")
	case flags&^(recordFlagTruncated|recordFlagNoIndex) != 0:
		return bad("unknown flags")
	case !recordedState(p.State):
		return bad(fmt.Sprintf("state %v", p.State))
	case len(p.ContentType) > maxText || len(p.Title) > maxText || len(p.Error) > maxText:
		return bad("text over its cap")
	case n > uint64(len(d.b))/4: // a link takes at least 4 bytes
		return bad("link count")
	}
	if n > 0 {
		r.links = make([]crawl.Link, 0, n)
	}
	for range n {
		l := crawl.Link{URL: d.str(), Kind: crawl.EdgeKind(d.byte())}
		lf := d.byte()
		l.Follow, l.InScope = lf&linkFlagFollow != 0, lf&linkFlagInScope != 0
		l.Count = boundedInt(&d)
		l.Rel = d.str()
		l.Anchor = d.str()
		if lf&linkFlagReject != 0 {
			if l.Reject = d.str(); l.Reject == "" || len(l.Reject) > maxReason {
				return bad("link refusal")
			}
		}
		l.Host = hostKey(l.URL)
		if lf&linkFlagHost != 0 {
			if l.Host = d.str(); l.Host == hostKey(l.URL) {
				return bad("link host")
			}
		}
		switch {
		case d.err != nil:
			return bad("truncated")
		case lf&^(linkFlagFollow|linkFlagInScope|linkFlagReject|linkFlagHost) != 0:
			return bad("unknown link flags")
		case l.Kind < crawl.KindLink || l.Kind > crawl.KindAlternate:
			return bad(fmt.Sprintf("link kind %d", l.Kind))
		case !storableLink(&l):
			return bad("link URL not storable")
		case l.Count < 1 || len(l.Rel) > maxText || len(l.Anchor) > maxText:
			return bad("link count or text")
		}
		r.links = append(r.links, l)
	}
	if len(d.b) != 0 {
		return bad("bytes after the links")
	}
	return r, nil
}

// boundedInt reads a uvarint that must fit an int32, the bound of every count and depth.
func boundedInt(d *decoder) int {
	v := d.uvarint()
	if v > math.MaxInt32 {
		d.err = errCorrupt
		return 0
	}
	return int(v)
}

// recordedState reports whether s is a state a lease is recorded in.
func recordedState(s crawl.State) bool {
	switch s {
	case crawl.StateDone, crawl.StateFailed, crawl.StateBlocked, crawl.StateSkipped:
		return true
	}
	return false
}
