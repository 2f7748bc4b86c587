package store

import (
	"encoding/binary"
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
//
// Version 2 is version 1 with 2 as its first byte, links of every kind (the page requisites
// too), and the audit's data appended after the links:
//
//	flags (check, external, in sitemap, facts, targets, targets truncated) |
//	[facts: flags (has title, has description) | h1 count | words | str description |
//	        str h1 | str canonical | str hreflang | str lang] |
//	[targets: count | 4-byte big-endian hashes, sorted] |
//	count of links with more to say | each: index among the links | flags (check) |
//	        fragment count | str fragments...
//
// A version 1 record reads as one with none of it. The writer writes version 2.
const (
	recordVersion1 = 1
	recordVersion  = 2
)

// Flags of a version 2 record's audit section.
const (
	auditFlagCheck = 1 << iota
	auditFlagExternal
	auditFlagInSitemap
	auditFlagFacts
	auditFlagTargets
	auditFlagTargetsTruncated
	auditFlags = 1<<iota - 1
)

// linkExtraCheck: the link is one to check (crawl.Link.Check).
const linkExtraCheck = 1

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
	// page: State, Depth, Status, ContentType, Size, Title, FetchedAt, Duration, Error,
	// Truncated, NoIndex, Check, External, InSitemap, Facts.
	page      crawl.Node
	redirects int // redirects in a row that led to the page
	dropped   int // links beyond the page's cap (crawl.ReasonLinkCap)
	tooLong   int // links too long to store (crawl.ReasonURLTooLong)
	links     []crawl.Link
	targets   *crawl.Targets // the fragment identifiers the page defines; nil when not known
}

// appendRecord encodes the record of page, recorded at distance at, with its links (the
// storable ones are kept, as the writer stores them, with their fragments within the
// store's caps), dropped links beyond its cap, tooLong links too long to store and the
// fragment identifiers the page defines (nil: not known).
func appendRecord(dst []byte, page *crawl.Node, at distance, dropped, tooLong int, links []crawl.Link, targets *crawl.Targets) []byte {
	e := encoder{b: dst}
	e.byte(recordVersion)
	e.byte(byte(page.State))
	e.byte(flagIf(page.Truncated, recordFlagTruncated) | flagIf(page.NoIndex, recordFlagNoIndex))
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
	appendRecordAudit(&e, page, links, targets)
	return e.b
}

// appendRecordAudit appends the audit section of a version 2 record.
func appendRecordAudit(e *encoder, page *crawl.Node, links []crawl.Link, targets *crawl.Targets) {
	truncated := targets != nil && (targets.Truncated || len(targets.Hashes) > crawl.MaxTargets)
	e.byte(flagIf(page.Check, auditFlagCheck) | flagIf(page.External, auditFlagExternal) |
		flagIf(page.InSitemap, auditFlagInSitemap) | flagIf(page.Facts != nil, auditFlagFacts) |
		flagIf(targets != nil, auditFlagTargets) | flagIf(truncated, auditFlagTargetsTruncated))
	if page.Facts != nil {
		appendFacts(e, page.Facts)
	}
	if targets != nil {
		hashes := targets.Hashes[:min(len(targets.Hashes), crawl.MaxTargets)]
		e.uvarint(uint64(len(hashes)))
		for _, h := range hashes {
			e.b = binary.BigEndian.AppendUint32(e.b, h)
		}
	}
	// The links with a check flag or fragments, by their index among the stored links; the
	// fragments within the page's cap, as putFragments keeps them.
	type extra struct {
		index int
		check bool
		frags []string
	}
	var extras []extra
	index, total := 0, 0
	for i := range links {
		l := &links[i]
		if !storableLink(l) {
			continue
		}
		frags := l.Fragments[:min(len(l.Fragments), maxFragmentsPerPage-total)]
		total += len(frags)
		if l.Check || len(frags) > 0 {
			extras = append(extras, extra{index, l.Check, frags})
		}
		index++
	}
	e.uvarint(uint64(len(extras)))
	for _, x := range extras {
		e.uvarint(uint64(x.index))
		e.byte(flagIf(x.check, linkExtraCheck))
		e.uvarint(uint64(len(x.frags)))
		for _, f := range x.frags {
			e.str(cutText(f, maxFragment))
		}
	}
}

// edgeCount is the count the writer stores for a link: at least one, and within the bound
// a record reads back.
func edgeCount(c int) int { return min(max(c, 1), math.MaxInt32) }

// recordSize is room enough for a record in all but unusual cases.
func recordSize(page *crawl.Node, links []crawl.Link, targets *crawl.Targets) int {
	n := 64 + len(page.ContentType) + len(page.Title) + len(page.Error) + factsSize(page.Facts)
	if targets != nil {
		n += 8 + 4*len(targets.Hashes)
	}
	for i := range links {
		n += 16 + len(links[i].URL) + len(links[i].Rel) + len(links[i].Anchor) + len(links[i].Reject)
		for _, f := range links[i].Fragments {
			n += 2 + len(f)
		}
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
	version := d.byte()
	if d.err == nil && version != recordVersion1 && version != recordVersion {
		return bad(fmt.Sprintf("version %d, this version reads %d and %d", version, recordVersion1, recordVersion))
	}
	lastKind := crawl.KindAlternate // version 1 records no page requisites
	if version >= recordVersion {
		lastKind = crawl.KindObject
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
		case l.Kind < crawl.KindLink || l.Kind > lastKind:
			return bad(fmt.Sprintf("link kind %d", l.Kind))
		case !storableLink(&l):
			return bad("link URL not storable")
		case l.Count < 1 || len(l.Rel) > maxText || len(l.Anchor) > maxText:
			return bad("link count or text")
		}
		r.links = append(r.links, l)
	}
	if version >= recordVersion {
		if what := decodeRecordAudit(&d, &r); what != "" {
			return bad(what)
		}
	}
	if len(d.b) != 0 {
		return bad("bytes after the record")
	}
	return r, nil
}

// decodeRecordAudit reads the audit section of a version 2 record into r, and returns what
// is wrong with it, or "".
func decodeRecordAudit(d *decoder, r *pageRecord) string {
	p := &r.page
	flags := d.byte()
	if flags&^auditFlags != 0 {
		return "unknown audit flags"
	}
	p.Check, p.External, p.InSitemap = flags&auditFlagCheck != 0, flags&auditFlagExternal != 0, flags&auditFlagInSitemap != 0
	if flags&auditFlagFacts != 0 {
		f := &crawl.PageFacts{}
		ff := d.byte()
		f.HasTitle, f.HasDescription = ff&factsHasTitle != 0, ff&factsHasDescription != 0
		f.H1Count = boundedInt(d)
		f.Words = boundedInt(d)
		f.Description, f.H1, f.Canonical, f.Hreflang, f.Lang = d.str(), d.str(), d.str(), d.str(), d.str()
		switch {
		case d.err != nil:
			return "truncated"
		case ff&^(factsHasTitle|factsHasDescription) != 0:
			return "unknown facts flags"
		case len(f.Description) > maxText || len(f.H1) > maxText || len(f.Hreflang) > maxText || len(f.Lang) > maxReason:
			return "fact over its cap"
		case f.Canonical != "" && !storableURL(f.Canonical):
			return "canonical URL not storable"
		}
		p.Facts = f
	}
	if flags&auditFlagTargets != 0 {
		n := d.uvarint()
		if d.err != nil || n > crawl.MaxTargets || n*4 > uint64(len(d.b)) {
			return "targets"
		}
		tg := &crawl.Targets{Truncated: flags&auditFlagTargetsTruncated != 0}
		if n > 0 {
			tg.Hashes = make([]uint32, n)
		}
		for i := range tg.Hashes {
			tg.Hashes[i] = binary.BigEndian.Uint32(d.b)
			d.b = d.b[4:]
		}
		r.targets = tg
	} else if flags&auditFlagTargetsTruncated != 0 {
		return "truncated targets without targets"
	}
	n := d.uvarint()
	if d.err != nil || n > uint64(len(r.links)) {
		return "links with more to say"
	}
	next, total := uint64(0), 0
	for range n {
		i := d.uvarint()
		lf := d.byte()
		k := d.uvarint()
		switch {
		case d.err != nil:
			return "truncated"
		case i < next || i >= uint64(len(r.links)):
			return "link index"
		case lf&^linkExtraCheck != 0:
			return "unknown link extra flags"
		case k > uint64(maxFragmentsPerPage-total) || lf == 0 && k == 0:
			return "link fragments"
		}
		next = i + 1
		l := &r.links[i]
		l.Check = lf&linkExtraCheck != 0
		if k > 0 {
			l.Fragments = make([]string, k)
		}
		for j := range l.Fragments {
			if l.Fragments[j] = d.str(); d.err != nil || len(l.Fragments[j]) > maxFragment {
				return "link fragment"
			}
		}
		total += int(k)
	}
	if d.err != nil {
		return "truncated"
	}
	return ""
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
