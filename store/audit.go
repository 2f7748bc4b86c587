package store

import (
	"encoding/binary"
	"fmt"

	"github.com/crawl-project/crawl"
)

// What an audit needs besides the nodes and edges: the fragment identifiers each HTML page
// defines, and the fragments each page's links refer to. Each is one value per page, in a
// bucket of its own, written once when the page is recorded and read only by reports: the
// writer's lookups and the graph's records stay as small as they were.
var (
	bucketTargets   = []byte("targets")   // page id -> its fragment identifiers (crawl.Targets)
	bucketFragments = []byte("fragments") // page id -> the fragments its links refer to
)

const auditCodecVersion = 1

// Caps on what a page's fragment references keep, whatever the parser gives: a fragment is
// a short name, and a page refers to a bounded number of them.
const (
	maxFragment         = 256
	maxFragmentsPerPage = 4096
)

const targetsTruncated = 1

// appendTargets encodes a target set: the version, flags, then the sorted hashes, four bytes
// each, big-endian.
func appendTargets(dst []byte, tg *crawl.Targets) []byte {
	e := encoder{b: dst}
	e.byte(auditCodecVersion)
	var flags byte
	if tg.Truncated {
		flags |= targetsTruncated
	}
	e.byte(flags)
	for _, h := range tg.Hashes {
		e.b = binary.BigEndian.AppendUint32(e.b, h)
	}
	return e.b
}

func decodeTargets(id uint64, b []byte) (crawl.Targets, error) {
	if len(b) < 2 || b[0] < auditCodecVersion || (len(b)-2)%4 != 0 {
		return crawl.Targets{}, fmt.Errorf("targets of node %d: %w", id, errCorrupt)
	}
	tg := crawl.Targets{Truncated: b[1]&targetsTruncated != 0, Hashes: make([]uint32, 0, (len(b)-2)/4)}
	for rest := b[2:]; len(rest) > 0; rest = rest[4:] {
		tg.Hashes = append(tg.Hashes, binary.BigEndian.Uint32(rest))
	}
	return tg, nil
}

// fragmentRefs are the fragments a page refers to at one target.
type fragmentRefs struct {
	dst       uint64
	fragments []string
}

// appendFragments encodes a page's fragment references: the version, their number, then
// for each target its id and its fragments.
func appendFragments(dst []byte, refs []fragmentRefs) []byte {
	e := encoder{b: dst}
	e.byte(auditCodecVersion)
	e.uvarint(uint64(len(refs)))
	for _, r := range refs {
		e.uvarint(r.dst)
		e.uvarint(uint64(len(r.fragments)))
		for _, f := range r.fragments {
			e.str(f)
		}
	}
	return e.b
}

// eachEncodedFragment calls fn for each fragment reference of src's encoded list b.
func eachEncodedFragment(src uint64, b []byte, fn func(FragmentRef) error) error {
	d := decoder{b: b}
	if v := d.byte(); d.err == nil && v < auditCodecVersion {
		d.err = errCorrupt
	}
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) {
		d.err = errCorrupt
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		dst := d.uvarint()
		k := d.uvarint()
		if d.err == nil && k > uint64(len(d.b)) {
			d.err = errCorrupt
		}
		for j := uint64(0); j < k && d.err == nil; j++ {
			f := d.str()
			if d.err != nil {
				break
			}
			if err := fn(FragmentRef{Src: src, Dst: dst, Fragment: f}); err != nil {
				return err
			}
		}
	}
	if d.err != nil {
		return fmt.Errorf("fragments of node %d: %w", src, d.err)
	}
	return nil
}

// putTargets records the fragment identifiers page id defines.
func (t *txn) putTargets(id uint64, tg *crawl.Targets) error {
	if tg == nil || len(tg.Hashes) == 0 && !tg.Truncated {
		return nil
	}
	if len(tg.Hashes) > crawl.MaxTargets {
		tg = &crawl.Targets{Hashes: tg.Hashes[:crawl.MaxTargets], Truncated: true}
	}
	binary.BigEndian.PutUint64(t.idKey[:], id)
	return t.targets.Put(t.idKey[:], appendTargets(t.mem.buf(2+4*len(tg.Hashes)), tg))
}

// putFragments records the fragments page id refers to, within the caps.
func (t *txn) putFragments(id uint64, refs []fragmentRefs) error {
	if len(refs) == 0 {
		return nil
	}
	size, total := 16, 0
	for i := range refs {
		r := &refs[i]
		if total+len(r.fragments) > maxFragmentsPerPage {
			r.fragments = r.fragments[:maxFragmentsPerPage-total]
		}
		total += len(r.fragments)
		for j, f := range r.fragments {
			r.fragments[j] = cutText(f, maxFragment)
			size += 2 + len(r.fragments[j])
		}
		size += 12
	}
	binary.BigEndian.PutUint64(t.idKey[:], id)
	return t.fragments.Put(t.idKey[:], appendFragments(t.mem.buf(size), refs))
}

// storableFacts returns the facts the writer records: texts within the record's caps, a
// canonical URL only if the store could record it as a URL.
func storableFacts(f *crawl.PageFacts) *crawl.PageFacts {
	if f == nil {
		return nil
	}
	c := *f
	c.Description = cutText(c.Description, maxText)
	c.H1 = cutText(c.H1, maxText)
	c.Hreflang = cutText(c.Hreflang, maxText)
	c.Lang = cutText(c.Lang, maxReason)
	if !storableURL(c.Canonical) {
		c.Canonical = ""
	}
	return &c
}

// FragmentRef is one reference to a part of a page: page Src links to Dst#Fragment.
type FragmentRef struct {
	Src, Dst uint64
	Fragment string // as written in the link
}

// Targets returns the fragment identifiers the page with the given id defines, and whether
// any were recorded: only HTML pages recorded with facts have them.
func (s *Snapshot) Targets(id uint64) (tg crawl.Targets, found bool, err error) {
	g := s.guard()
	defer g.catch(&err)
	b := s.tx.Bucket(bucketTargets)
	if b == nil {
		return crawl.Targets{}, false, nil // a database from before targets were kept, opened read-only
	}
	v := b.Get(u64(id))
	if v == nil {
		return crawl.Targets{}, false, nil
	}
	tg, err = decodeTargets(id, v)
	return tg, err == nil, err
}

// EachFragmentRef calls fn for every fragment reference, in ascending source id order and,
// for a page, in the order of its links.
func (s *Snapshot) EachFragmentRef(fn func(FragmentRef) error) (err error) {
	g := s.guard()
	defer g.catch(&err)
	fn = callback(g, fn)
	b := s.tx.Bucket(bucketFragments)
	if b == nil {
		return nil
	}
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) != 8 {
			return fmt.Errorf("fragments key %x: %w", k, errCorrupt)
		}
		if err := eachEncodedFragment(binary.BigEndian.Uint64(k), v, fn); err != nil {
			return err
		}
	}
	return nil
}

// EachEdgeFrom calls fn for each edge of the page src, in stored order.
func (s *Snapshot) EachEdgeFrom(src uint64, fn func(crawl.Edge) error) (err error) {
	g := s.guard()
	defer g.catch(&err)
	fn = callback(g, fn)
	v := s.tx.Bucket(bucketEdges).Get(u64(src))
	if v == nil {
		return nil
	}
	return eachEncodedEdge(src, v, func(e storedEdge) error { return fn(e.Edge) })
}
