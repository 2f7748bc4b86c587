package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/crawl-project/crawl"
)

// txn wraps one read-write transaction with the bucket operations the writer needs.
type txn struct {
	tx                           *bolt.Tx
	urls, nodes, edges, frontier *bolt.Bucket
	targets, fragments           *bolt.Bucket // see audit.go
	perHost, rejects             *bolt.Bucket // see budget.go
	maxDepth                     int
	budget                       int // URLs queued per host; 0: unlimited
	maxRedirects                 int // see Writer.WithMaxRedirects
	stats                        *crawl.CommitStats

	// Lookups go through one cursor per bucket: Bucket.Get allocates a new cursor and its
	// stack on every call, a cursor's Seek reuses them. A Seek repositions the cursor, so
	// Puts in between are fine.
	urlsCur, nodesCur, edgesCur, frontierCur, perHostCur *bolt.Cursor
	idKey                                                [8]byte
	key                                                  []byte // scratch for keys: bbolt copies a Put's key and keeps no lookup key

	mem   arena     // values given to Put, which bbolt keeps until the transaction ends
	cache *urlCache // see urlcache.go
	guard *guard    // the transaction's, for its caller's callbacks

	// queued caches the per-host counters of the hostpages bucket that the transaction has
	// read; admit counts in it and flush writes the changed ones back, once each.
	queued map[string]*hostCount

	// Cluster crawls (see shard.go and remote.go). shards is the writer's shard count (0: one
	// node), srcShard the shard of the page whose links are being recorded; outbox and
	// records are their buckets, made on first use. countShards, when not 0, is the shard
	// count by which the database counts its queued URLs, and queuedDelta this
	// transaction's changes to the counts.
	shards, srcShard int
	outbox, records  *bolt.Bucket
	countShards      int
	queuedDelta      map[int]int
}

type hostCount struct {
	n     uint64
	dirty bool
}

// get is Bucket.Get through a reused cursor.
func get(c *bolt.Cursor, key []byte) []byte {
	k, v := c.Seek(key)
	if !bytes.Equal(k, key) {
		return nil
	}
	return v
}

func newTxn(tx *bolt.Tx, cache *urlCache) *txn {
	t := &txn{
		tx:           tx,
		cache:        cache,
		urls:         tx.Bucket(bucketURLs),
		nodes:        tx.Bucket(bucketNodes),
		edges:        tx.Bucket(bucketEdges),
		frontier:     tx.Bucket(bucketFrontier),
		targets:      tx.Bucket(bucketTargets),
		fragments:    tx.Bucket(bucketFragments),
		perHost:      tx.Bucket(bucketHostPages),
		rejects:      tx.Bucket(bucketRejects),
		maxDepth:     -1,
		maxRedirects: DefaultMaxRedirects,
		stats:        &crawl.CommitStats{HostsWithNew: map[string]int{}, HostsRequeued: map[string]bool{}},
	}
	t.urlsCur, t.nodesCur, t.edgesCur = t.urls.Cursor(), t.nodes.Cursor(), t.edges.Cursor()
	t.frontierCur, t.perHostCur = t.frontier.Cursor(), t.perHost.Cursor()
	return t
}

// update runs fn in one read-write transaction and writes back what the txn keeps in memory.
// A failed transaction (fn's error, or the commit's own write) leaves the URL cache holding
// changes that were never stored, so the cache is emptied.
// It runs under a guard (see guard.go), whose fn may wrap its caller's callbacks.
func (db *DB) update(fn func(t *txn) error) (err error) {
	var t *txn
	defer func() {
		if err != nil {
			db.urls.reset()
		} else if t != nil && t.queuedDelta != nil {
			db.applyQueued(t.countShards, t.queuedDelta)
		}
	}()
	g := newGuard(db.path)
	defer g.catch(&err)
	return db.bolt.Update(func(tx *bolt.Tx) error {
		t = newTxn(tx, db.urls)
		t.guard = g
		if s, counting := db.shardCount(); counting {
			t.countShards = s
		}
		if err := fn(t); err != nil {
			return err
		}
		return t.flush()
	})
}

// urlID returns the id of a known URL.
func (t *txn) urlID(u string) (uint64, bool) {
	t.key = append(t.key[:0], u...)
	v := get(t.urlsCur, t.key)
	if v == nil {
		return 0, false
	}
	return binary.BigEndian.Uint64(v), true
}

func (t *txn) lookup(u string) (uint64, crawl.Node, bool, error) {
	id, ok := t.urlID(u)
	if !ok {
		return 0, crawl.Node{}, false, nil
	}
	n, err := t.node(id)
	return id, n, err == nil, err
}

func (t *txn) nodeRecord(id uint64) ([]byte, error) {
	binary.BigEndian.PutUint64(t.idKey[:], id)
	v := get(t.nodesCur, t.idKey[:])
	if v == nil {
		return nil, fmt.Errorf("node %d: missing record", id)
	}
	return v, nil
}

func (t *txn) node(id uint64) (crawl.Node, error) {
	v, err := t.nodeRecord(id)
	if err != nil {
		return crawl.Node{}, err
	}
	return decodeNode(id, v)
}

func (t *txn) putNode(n *crawl.Node) error {
	t.cache.update(n.URL, cachedURL{id: n.ID, state: n.State, depth: n.Depth, check: n.Check})
	binary.BigEndian.PutUint64(t.idKey[:], n.ID)
	return t.nodes.Put(t.idKey[:], appendNode(t.mem.buf(nodeSize(n)), n))
}

// insert records a URL seen for the first time; a pending one also enters the frontier.
func (t *txn) insert(u, host string, state crawl.State, at distance, reason string) (uint64, error) {
	return t.insertNode(&crawl.Node{URL: u, State: state, Depth: at.depth, Error: reason}, host, at)
}

// insertNode is insert for a node with flags: n's URL, state, depth, error and flags are
// recorded, and its id set.
func (t *txn) insertNode(n *crawl.Node, host string, at distance) (uint64, error) {
	id, err := t.record(n)
	if err != nil || n.State != crawl.StatePending {
		return id, err
	}
	return id, t.enqueue(host, id, at, n.URL, n.Check)
}

// record gives a URL seen for the first time (n.URL) an id and a node, without queueing it.
func (t *txn) record(n *crawl.Node) (uint64, error) {
	id, err := t.nodes.NextSequence()
	if err != nil {
		return 0, err
	}
	t.key = append(t.key[:0], n.URL...)
	if err := t.urls.Put(t.key, t.mem.id(id)); err != nil {
		return 0, err
	}
	n.ID = id
	if err := t.putNode(n); err != nil {
		return 0, err
	}
	t.stats.NewURLs++
	return id, nil
}

// enqueue puts a URL in the frontier. A URL to check does not count against its host's
// budget: the budget bounds the pages a host can make the crawl fetch, and checks are bounded
// by the pages that refer to them.
func (t *txn) enqueue(host string, id uint64, at distance, u string, check bool) error {
	t.stats.HostsWithNew[host]++
	t.stats.Queued++
	if !check {
		t.admit(host)
	}
	if t.countShards != 0 {
		// Counted only if new: the count must stay exact whatever the caller.
		t.key = appendFrontierKey(t.key[:0], host, id)
		if get(t.frontierCur, t.key) == nil {
			t.countQueued(host, 1)
		}
	}
	if at.redirects > 0 {
		t.stats.Redirected = append(t.stats.Redirected, crawl.Entry{ID: id, Host: host, URL: u, Depth: at.depth, Redirects: at.redirects, Check: check})
	}
	return t.putFrontier(host, id, at, u, check)
}

func (t *txn) putFrontier(host string, id uint64, at distance, u string, check bool) error {
	t.key = appendFrontierKey(t.key[:0], host, id)
	return t.frontier.Put(t.key, appendFrontier(t.mem.buf(frontierSize(u)), at.depth, u, at.redirects, check))
}

// requeue puts a known, unfetched URL back into the frontier, to be checked if n.Check says so.
func (t *txn) requeue(id uint64, n *crawl.Node, host string, at distance) error {
	n.State, n.Depth, n.Error = crawl.StatePending, at.depth, ""
	if err := t.putNode(n); err != nil {
		return err
	}
	t.stats.HostsRequeued[host] = true
	return t.enqueue(host, id, at, n.URL, n.Check)
}

// unqueueNode is unqueue for a node that is being recorded now: a pending one leaves the
// frontier, under its URL's host.
func (t *txn) unqueueNode(n *crawl.Node) error {
	if n.State != crawl.StatePending {
		return nil
	}
	return t.unqueue(hostKey(n.URL), n.ID)
}

// unqueue removes a frontier entry, counting it only if it was there, so that the crawl can
// keep an exact count of queued URLs without scanning the bucket.
// The cursor's Seek finds the entry and its Delete removes it where the Seek left it: one
// descent of the tree instead of a Get's and a Delete's.
func (t *txn) unqueue(host string, id uint64) error {
	t.key = appendFrontierKey(t.key[:0], host, id)
	if found, _ := t.frontierCur.Seek(t.key); !bytes.Equal(found, t.key) {
		return nil
	}
	t.stats.Unqueued++
	t.countQueued(host, -1)
	return t.frontierCur.Delete()
}

func (t *txn) eachEdge(src uint64, fn func(storedEdge) error) error {
	binary.BigEndian.PutUint64(t.idKey[:], src)
	v := get(t.edgesCur, t.idKey[:])
	if v == nil {
		return nil
	}
	return eachEncodedEdge(src, v, fn)
}

// putEdges replaces the outgoing edges of src.
func (t *txn) putEdges(src uint64, edges []storedEdge) error {
	var err error
	if len(edges) == 0 {
		binary.BigEndian.PutUint64(t.idKey[:], src)
		err = t.edges.Delete(t.idKey[:])
	} else {
		binary.BigEndian.PutUint64(t.idKey[:], src)
		err = t.edges.Put(t.idKey[:], appendEdges(t.mem.buf(edgesSize(edges)), edges))
	}
	if err != nil {
		return err
	}
	t.stats.Edges += len(edges)
	return nil
}
