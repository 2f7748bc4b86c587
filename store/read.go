package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/crawl-project/crawl"
)

// FrontierHosts returns up to limit distinct hosts that have queued URLs, in key order,
// starting after the host after ("" for the first). It skips from host to host with cursor
// seeks, so its cost grows with the hosts returned, not with the URLs queued.
func (db *DB) FrontierHosts(after string, limit int) ([]string, error) {
	var hosts []string
	err := db.read(func(tx *bolt.Tx) error {
		if limit <= 0 {
			return nil
		}
		return eachFrontierHost(tx, after, func(host string) bool {
			hosts = append(hosts, host)
			return len(hosts) < limit
		})
	})
	return hosts, err
}

// eachFrontierHost calls fn for each host with queued URLs after the host after ("" for
// the first), in key order, until fn returns false. It hops from host to host with cursor
// seeks, so its cost grows with the hosts visited, not with the URLs queued.
func eachFrontierHost(tx *bolt.Tx, after string, fn func(host string) bool) error {
	c := tx.Bucket(bucketFrontier).Cursor()
	var k []byte
	if after == "" {
		k, _ = c.First()
	} else {
		k, _ = c.Seek(append([]byte(after), 1))
	}
	for k != nil {
		host, _, ok := splitFrontierKey(k)
		if !ok {
			return fmt.Errorf("frontier key %q: %w", k, errCorrupt)
		}
		if !fn(host) {
			return nil
		}
		k, _ = c.Seek(append([]byte(host), 1)) // a copy: k points into the read-only map
	}
	return nil
}

// FrontierNext returns up to limit queued URLs of host with ids above afterID, oldest first,
// leaving out the ids for which skip returns true (URLs already handed out).
func (db *DB) FrontierNext(host string, afterID uint64, limit int, skip func(uint64) bool) (out []crawl.Entry, err error) {
	g := newGuard(db.path)
	defer g.catch(&err)
	err = db.bolt.View(func(tx *bolt.Tx) error {
		prefix := append([]byte(host), 0)
		c := tx.Bucket(bucketFrontier).Cursor()
		for k, v := c.Seek(frontierKey(host, afterID+1)); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Next() {
			if len(k) != len(prefix)+8 {
				continue // a longer host that shares this prefix cannot contain 0; defensive
			}
			id := binary.BigEndian.Uint64(k[len(prefix):])
			if skip != nil && calledBack(g, skip, id) {
				continue
			}
			depth, u, redirects, check, err := decodeFrontier(v)
			if err != nil {
				return fmt.Errorf("frontier entry %d: %w", id, err)
			}
			out = append(out, crawl.Entry{ID: id, Host: host, URL: u, Depth: depth, Redirects: redirects, Check: check})
		}
		return nil
	})
	return out, err
}

// FrontierEmpty reports whether no URL is queued.
func (db *DB) FrontierEmpty() (bool, error) {
	empty := true
	err := db.read(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketFrontier).Cursor().First()
		empty = k == nil
		return nil
	})
	return empty, err
}

// Snapshot is a consistent read-only view of the crawl, held open until Close. It does not
// block the writer, but a long-lived snapshot keeps the file from reusing freed pages.
type Snapshot struct {
	tx   *bolt.Tx
	path string // the database's, for errors
}

// Snapshot opens a consistent view of the database.
func (db *DB) Snapshot() (*Snapshot, error) {
	tx, err := db.bolt.Begin(false)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", db.path, err)
	}
	return &Snapshot{tx: tx, path: db.path}, nil
}

// Close ends the snapshot.
func (s *Snapshot) Close() error { return s.tx.Rollback() }

// guard starts a guarded call on the snapshot (see guard.go).
func (s *Snapshot) guard() *guard { return newGuard(s.path) }

// EachNode calls fn for every node in ascending id order.
func (s *Snapshot) EachNode(fn func(crawl.Node) error) (err error) {
	g := s.guard()
	defer g.catch(&err)
	fn = callback(g, fn)
	c := s.tx.Bucket(bucketNodes).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		n, err := decodeNode(binary.BigEndian.Uint64(k), v)
		if err != nil {
			return err
		}
		if err := fn(n); err != nil {
			return err
		}
	}
	return nil
}

// EachEdge calls fn for every edge in ascending source id order.
func (s *Snapshot) EachEdge(fn func(crawl.Edge) error) (err error) {
	g := s.guard()
	defer g.catch(&err)
	fn = callback(g, fn)
	c := s.tx.Bucket(bucketEdges).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) != 8 {
			return fmt.Errorf("edge key %x: %w", k, errCorrupt)
		}
		err := eachEncodedEdge(binary.BigEndian.Uint64(k), v, func(e storedEdge) error { return fn(e.Edge) })
		if err != nil {
			return err
		}
	}
	return nil
}

// Node returns the node with the given id.
func (s *Snapshot) Node(id uint64) (n crawl.Node, err error) {
	g := s.guard()
	defer g.catch(&err)
	v := s.tx.Bucket(bucketNodes).Get(u64(id))
	if v == nil {
		return crawl.Node{}, fmt.Errorf("node %d: not found", id)
	}
	return decodeNode(id, v)
}

// Lookup returns the node of a normalised URL.
func (s *Snapshot) Lookup(u string) (n crawl.Node, found bool, err error) {
	g := s.guard()
	defer g.catch(&err)
	v := s.tx.Bucket(bucketURLs).Get([]byte(u))
	if v == nil {
		return crawl.Node{}, false, nil
	}
	n, err = s.Node(binary.BigEndian.Uint64(v))
	return n, err == nil, err
}

// Frontier returns the number of queued URLs. Having no error to return, it is not guarded
// (see guard.go): a damaged page would panic. The crawl calls it on a database that a
// read-write Open has read whole, and Status under its own guard.
func (s *Snapshot) Frontier() int { return s.tx.Bucket(bucketFrontier).Stats().KeyN }

// View runs fn on a fresh snapshot.
func (db *DB) View(fn func(*Snapshot) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error { return fn(&Snapshot{tx: tx, path: db.path}) })
}
