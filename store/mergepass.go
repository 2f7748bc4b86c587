package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/crawl-project/crawl"
)

// merger is one Merge: its inputs, each read in one transaction, and its output.
type merger struct {
	ctx    context.Context
	opt    MergeOptions
	in     []mergeInput
	out    *DB
	config []byte // the crawl's settings, from the inputs
	stats  MergeStats

	// w is the output's current write transaction, committed every mergeCommitBytes: bbolt
	// keeps what a transaction changed in memory until it commits.
	w       *bolt.Tx
	written int
	mem     arena
	g       *guard // its path is the file being read or written
	// refused counts the URLs of the output skipped by reason.
	refused map[string]int
}

// maxRefusalReasons bounds the skip reasons the merge counts: a crawl has a handful.
const maxRefusalReasons = 1024

// mergeCommitBytes is how much the merge writes to the output per transaction: its memory.
const mergeCommitBytes = 1 << 20

// mergeRank orders the records of one URL held by several inputs; the highest is kept.
// A URL's record belongs to the node that owns its host's shard, and only that node fetches
// it, queues it, or decides its depth limit and budget: so a fetch outcome ranks highest,
// then a skip for a reason the owner gave (its depth, its budget, a lease it gave up) or a
// trap rule (the same everywhere), then a queued URL. A skip for nofollow and an external
// URL are what any linking node records; remote says only that another node was told.
func mergeRank(n *crawl.Node) int {
	switch n.State {
	case crawl.StateDone, crawl.StateFailed, crawl.StateBlocked:
		return 6
	case crawl.StateSkipped:
		if n.Error == crawl.ReasonNofollow {
			return 3
		}
		return 5
	case crawl.StatePending:
		return 4
	case crawl.StateExternal:
		return 2
	case crawl.StateRemote:
		return 1
	}
	return 0
}

// better reports whether a is to be kept over b, a record of the same URL from a later
// input. Between two fetch outcomes, the later fetch wins: two exist when a shard moved,
// and the later is its last owner's, the one the cluster kept (a record replayed to a new
// owner is a copy: same fetch, and the copy's depth is the newer, possibly lowered since).
// Otherwise, and between two copies, the smaller depth wins: the depth is the shortest path
// any node found. On a full tie the earlier input's is kept.
func better(a, b *crawl.Node) bool {
	ra, rb := mergeRank(a), mergeRank(b)
	if ra != rb {
		return ra > rb
	}
	if ra == 6 && !a.FetchedAt.Equal(b.FetchedAt) {
		return a.FetchedAt.After(b.FetchedAt)
	}
	return a.Depth < b.Depth
}

func (m *merger) run() (err error) {
	m.g = newGuard(m.out.path)
	defer m.g.catch(&err)
	m.refused = map[string]int{}
	if err := m.begin(); err != nil {
		return err
	}
	steps := []struct {
		name string
		fn   func() error
	}{
		{"URLs", m.mergeNodes},
		{"links", m.mergeEdges},
		{"hosts", m.mergeHosts},
		{"counters", m.mergeCounters},
	}
	for _, s := range steps {
		if err := s.fn(); err != nil {
			if m.w != nil {
				_ = m.w.Rollback()
			}
			return fmt.Errorf("merge %s: %w", s.name, err)
		}
	}
	if err := m.w.Commit(); err != nil {
		return fmt.Errorf("merge: write %s: %w", m.out.path, err)
	}
	m.g.path = m.out.path
	if err := m.out.bolt.Sync(); err != nil {
		return fmt.Errorf("merge: sync %s: %w", m.out.path, err)
	}
	return nil
}

// begin starts a write transaction of the output.
func (m *merger) begin() error {
	tx, err := m.out.bolt.Begin(true)
	if err != nil {
		return err
	}
	m.w, m.written, m.mem = tx, 0, arena{}
	return nil
}

// put writes a value to the output, committing the transaction once it holds enough. Keys
// written in ascending order (urls, nodes and edges are) fill their pages.
func (m *merger) put(bucket, key, value []byte, ascending bool) error {
	m.g.path = m.out.path
	b := m.w.Bucket(bucket)
	if ascending {
		b.FillPercent = 0.95
	}
	if err := b.Put(key, value); err != nil {
		return err
	}
	if m.written += len(key) + len(value); m.written < mergeCommitBytes {
		return nil
	}
	if err := m.w.Commit(); err != nil {
		return err
	}
	if err := m.ctx.Err(); err != nil {
		m.w = nil
		return err
	}
	return m.begin()
}

// kway walks the keys of one bucket of every input together, in key order.
type kway struct {
	curs       []*bolt.Cursor
	keys, vals [][]byte
	from       []int
	key        []byte
	steps      int
	err        error // why the walk stopped before the end
}

func (m *merger) walk(bucket []byte) *kway {
	k := &kway{curs: make([]*bolt.Cursor, len(m.in)), keys: make([][]byte, len(m.in)), vals: make([][]byte, len(m.in))}
	for i, in := range m.in {
		m.g.path = in.db.path
		if b := in.tx.Bucket(bucket); b != nil {
			k.curs[i] = b.Cursor()
			k.keys[i], k.vals[i] = k.curs[i].First()
		}
	}
	return k
}

// next moves to the next key of any input and reports false at the end; k.key is the key,
// k.from the inputs that hold it, k.vals[i] their values.
func (m *merger) next(k *kway) bool {
	if k.steps++; k.steps%4096 == 1 && m.ctx.Err() != nil {
		k.err = m.ctx.Err()
		return false
	}
	for _, i := range k.from {
		m.g.path = m.in[i].db.path
		k.keys[i], k.vals[i] = k.curs[i].Next()
	}
	k.from = k.from[:0]
	var least []byte
	for i, key := range k.keys {
		if key == nil {
			continue
		}
		switch c := bytes.Compare(key, least); {
		case least == nil || c < 0:
			least, k.from = key, append(k.from[:0], i)
		case c == 0:
			k.from = append(k.from, i)
		}
	}
	k.key = append(k.key[:0], least...)
	return least != nil
}

// winner returns the record kept of the URL at k: its input, id there, and node.
func (m *merger) winner(k *kway) (int, uint64, crawl.Node, error) {
	best, bestID := -1, uint64(0)
	var bestNode crawl.Node
	for _, i := range k.from {
		if len(k.vals[i]) != 8 {
			return 0, 0, crawl.Node{}, fmt.Errorf("%s: url %.200q: %w", m.in[i].db.path, k.key, errCorrupt)
		}
		id := binary.BigEndian.Uint64(k.vals[i])
		m.g.path = m.in[i].db.path
		v := m.in[i].tx.Bucket(bucketNodes).Get(k.vals[i])
		if v == nil {
			return 0, 0, crawl.Node{}, fmt.Errorf("%s: node %d of %.200q: missing record", m.in[i].db.path, id, k.key)
		}
		n, err := decodeNode(id, v)
		if err != nil {
			return 0, 0, crawl.Node{}, fmt.Errorf("%s: %w", m.in[i].db.path, err)
		}
		if best < 0 || better(&n, &bestNode) {
			best, bestID, bestNode = i, id, n
		}
	}
	return best, bestID, bestNode, nil
}

// mergeNodes writes every URL once, numbered in URL order, with its winning record, and the
// frontier entries of the queued ones.
func (m *merger) mergeNodes() error {
	k := m.walk(bucketURLs)
	var id uint64
	for m.next(k) {
		i, oldID, n, err := m.winner(k)
		if err != nil {
			return err
		}
		id++
		n.ID = id
		m.stats.URLs++
		if len(k.from) > 1 {
			m.stats.Shared++
		}
		switch n.State {
		case crawl.StateRemote:
			m.stats.Remote++
		case crawl.StateSkipped:
			if len(m.refused) < maxRefusalReasons || m.refused[n.Error] > 0 {
				m.refused[n.Error]++
			}
		}
		if err := m.put(bucketURLs, k.key, m.mem.id(id), true); err != nil {
			return err
		}
		if err := m.put(bucketNodes, u64(id), appendNode(m.mem.buf(nodeSize(&n)), &n), true); err != nil {
			return err
		}
		if n.State == crawl.StatePending {
			if err := m.putFrontier(i, oldID, &n); err != nil {
				return err
			}
		}
	}
	return k.err
}

// putFrontier queues a pending URL of the output as its input queued it.
func (m *merger) putFrontier(i int, oldID uint64, n *crawl.Node) error {
	host := hostKey(n.URL)
	m.g.path = m.in[i].db.path
	v := m.in[i].tx.Bucket(bucketFrontier).Get(frontierKey(host, oldID))
	if v == nil {
		v = encodeFrontier(n.Depth, n.URL, 0, n.Check) // in flight at a crash: queued at its depth
	} else {
		v = bytes.Clone(v)
	}
	return m.put(bucketFrontier, frontierKey(host, n.ID), v, false)
}

// mergeEdges writes the edges of each URL's winning record, in the same order as
// mergeNodes numbered them, with each target's new id read from the output's index, and
// the record's fragment targets and references (mergeAudit).
func (m *merger) mergeEdges() error {
	k := m.walk(bucketURLs)
	var id uint64
	var edges []storedEdge
	for m.next(k) {
		i, oldID, _, err := m.winner(k)
		if err != nil {
			return err
		}
		id++
		in := m.in[i]
		m.g.path = in.db.path
		v := in.tx.Bucket(bucketEdges).Get(u64(oldID))
		if v == nil {
			continue
		}
		edges = edges[:0]
		err = eachEncodedEdge(oldID, v, func(e storedEdge) error {
			dst, err := m.newID(in, e.Dst)
			e.Src, e.Dst = id, dst
			edges = append(edges, e)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", in.db.path, err)
		}
		m.stats.Edges += len(edges)
		if err := m.put(bucketEdges, u64(id), appendEdges(m.mem.buf(edgesSize(edges)), edges), true); err != nil {
			return err
		}
		if err := m.mergeAudit(in, oldID, id); err != nil {
			return err
		}
	}
	return k.err
}

// mergeAudit copies the audit's data of the winning record of a page: the fragment
// identifiers it defines, as they are, and the fragments its links refer to, their targets
// renumbered.
func (m *merger) mergeAudit(in mergeInput, oldID, id uint64) error {
	m.g.path = in.db.path
	if b := in.tx.Bucket(bucketTargets); b != nil {
		if v := b.Get(u64(oldID)); v != nil {
			if _, err := decodeTargets(oldID, v); err != nil {
				return fmt.Errorf("%s: %w", in.db.path, err)
			}
			if err := m.put(bucketTargets, u64(id), bytes.Clone(v), true); err != nil {
				return err
			}
		}
	}
	m.g.path = in.db.path
	b := in.tx.Bucket(bucketFragments)
	if b == nil {
		return nil
	}
	v := b.Get(u64(oldID))
	if v == nil {
		return nil
	}
	var refs []fragmentRefs
	err := eachEncodedFragment(oldID, v, func(r FragmentRef) error {
		if n := len(refs); n == 0 || refs[n-1].dst != r.Dst {
			refs = append(refs, fragmentRefs{dst: r.Dst})
		}
		refs[len(refs)-1].fragments = append(refs[len(refs)-1].fragments, r.Fragment)
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", in.db.path, err)
	}
	size := 16
	for i := range refs {
		if refs[i].dst, err = m.newID(in, refs[i].dst); err != nil {
			return err
		}
		size += 12
		for _, f := range refs[i].fragments {
			size += 2 + len(f)
		}
	}
	return m.put(bucketFragments, u64(id), appendFragments(m.mem.buf(size), refs), true)
}

// newID returns the output's id of the node an input knows as old.
func (m *merger) newID(in mergeInput, old uint64) (uint64, error) {
	m.g.path = in.db.path
	v := in.tx.Bucket(bucketNodes).Get(u64(old))
	u, ok := nodeURL(v)
	if !ok {
		return 0, fmt.Errorf("%s: edge target %d: %w", in.db.path, old, errCorrupt)
	}
	m.g.path = m.out.path
	id := m.w.Bucket(bucketURLs).Get(u)
	if len(id) != 8 {
		return 0, fmt.Errorf("edge target %.200q not merged", u)
	}
	return binary.BigEndian.Uint64(id), nil
}

// nodeURL returns the URL of an encoded node without decoding the rest.
func nodeURL(b []byte) ([]byte, bool) {
	if len(b) < 3 || b[0] != nodeCodecVersion {
		return nil, false
	}
	d := decoder{b: b[3:]}
	for range 2 { // depth, status
		d.uvarint()
	}
	for range 3 { // size, fetched at, duration
		d.varint()
	}
	for range 2 { // out-links, dropped
		d.uvarint()
	}
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		return nil, false
	}
	return d.b[:n], true
}

// mergeHosts keeps, for each origin, the latest robots.txt any input fetched and the latest
// reading of its sitemaps.
func (m *merger) mergeHosts() error {
	k := m.walk(bucketHosts)
	for m.next(k) {
		var h crawl.HostRecord
		for j, i := range k.from {
			m.g.path = m.in[i].db.path
			r, err := decodeHost(string(k.key), k.vals[i])
			if err != nil {
				return fmt.Errorf("%s: %w", m.in[i].db.path, err)
			}
			if j == 0 || r.RobotsFetchedAt.After(h.RobotsFetchedAt) {
				r.SitemapsReadAt = later(r.SitemapsReadAt, h.SitemapsReadAt)
				h = r
			} else {
				h.SitemapsReadAt = later(h.SitemapsReadAt, r.SitemapsReadAt)
			}
		}
		if err := m.put(bucketHosts, bytes.Clone(k.key), encodeHost(&h), true); err != nil {
			return err
		}
	}
	return k.err
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// perLinkReasons count links or results, each recorded by one node only: the merge adds
// them up. The other reasons count URLs, which several nodes may have refused each: the
// merge counts the URLs it kept refused for them, or the most any input counted if more
// (a URL refused and queued again since, as a seed, is no longer skipped).
var perLinkReasons = map[string]bool{
	crawl.ReasonLinkCap: true, crawl.ReasonURLTooLong: true, crawl.ReasonUnstorable: true,
}

// mergeCounters merges the counters: the URLs each host queued (the most any input counted:
// the owner's, which a new owner's rebuild counts again), the refusals, the fetch attempts
// (each node counts its own), the settings and the time of the last commit.
func (m *merger) mergeCounters() error {
	k := m.walk(bucketHostPages)
	for m.next(k) {
		var most uint64
		for _, i := range k.from {
			most = max(most, counter(k.vals[i]))
		}
		if err := m.put(bucketHostPages, bytes.Clone(k.key), u64(most), true); err != nil {
			return err
		}
	}
	if k.err != nil {
		return k.err
	}
	k = m.walk(bucketRejects)
	for m.next(k) {
		reason := string(k.key)
		sum, most := 0, 0
		for _, i := range k.from {
			n := int(counter(k.vals[i]))
			sum, most = sum+n, max(most, n)
		}
		n := max(most, m.refused[reason])
		if perLinkReasons[reason] {
			n = sum
		}
		if err := m.put(bucketRejects, bytes.Clone(k.key), u64(uint64(n)), true); err != nil {
			return err
		}
	}
	if k.err != nil {
		return k.err
	}
	var fetched uint64
	var updated time.Time
	for _, in := range m.in {
		m.g.path = in.db.path
		meta := in.tx.Bucket(bucketMeta)
		fetched += counter(meta.Get(keyFetched))
		if v := meta.Get(keyUpdated); v != nil {
			t, err := time.Parse(time.RFC3339Nano, string(v))
			if err != nil {
				return fmt.Errorf("%s: last update %q: %w", in.db.path, v, errCorrupt)
			}
			updated = later(updated, t)
		}
	}
	puts := map[string][]byte{string(keySchema): []byte(strconv.Itoa(SchemaVersion))}
	if fetched > 0 {
		puts[string(keyFetched)] = u64(fetched)
	}
	if !updated.IsZero() {
		puts[string(keyUpdated)] = []byte(updated.UTC().Format(time.RFC3339Nano))
	}
	if m.config != nil {
		puts[string(keyConfig)] = m.config
	}
	for key, v := range puts {
		if err := m.put(bucketMeta, []byte(key), v, false); err != nil {
			return err
		}
	}
	return nil
}
