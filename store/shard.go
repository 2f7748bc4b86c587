package store

import (
	"errors"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/crawl-project/crawl"
)

// A cluster crawl splits its hosts into a fixed number of shards, each crawled by the node
// that owns it. The store knows shards for three things: the writer routes a page's links
// to other shards' hosts to the outbox instead of its frontier (see remote.go), the frontier
// reads the hosts of the shards its node owns (FrontierHostsIn), and the node reports how
// many URLs those shards have queued (PendingIn).

// ErrNotSharded: a shard-aware read of a database whose writer was given no shard count.
var ErrNotSharded = errors.New("the database is not split into shards (Writer.WithShards)")

// WithShards makes the writer route links as a node of a cluster crawl of s shards does
// (s <= 0: a crawl of one node, nothing routed). A page's followable links to hosts of
// another shard than its own are not queued: they become outbox rows for the node that owns
// that shard, and their targets are recorded as crawl.StateRemote. Every URL the writer
// records from a lease also gets a record row, for the cluster to keep. It also tells the
// database its shard count for this process, which FrontierHostsIn and PendingIn use.
func (w *Writer) WithShards(s int) *Writer {
	w.shards = min(max(s, 0), crawl.MaxShards)
	w.db.setShards(w.shards)
	return w
}

// shardState is what the database knows of its shards in this process: their number, and
// once PendingIn was asked, the URLs queued in each, kept exact by every transaction.
type shardState struct {
	mu      sync.Mutex
	shards  int
	pending []int // queued URLs by shard; nil until counted
}

func (db *DB) setShards(s int) {
	st := &db.shard
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.shards != s {
		st.shards, st.pending = s, nil
	}
}

// shardCount returns the shard count, and whether queued URLs are counted by shard.
func (db *DB) shardCount() (shards int, counting bool) {
	st := &db.shard
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.shards, st.pending != nil
}

// applyQueued adds a committed transaction's changes to the queued counts. It runs after the
// commit, so a reader may see a count a moment old, never one of a transaction that failed.
func (db *DB) applyQueued(shards int, delta map[int]int) {
	st := &db.shard
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.pending == nil || st.shards != shards {
		return // recounted meanwhile, from a later state
	}
	for s, d := range delta {
		st.pending[s] += d
	}
}

// countQueued records that a frontier entry of host was added (+1) or removed (-1).
func (t *txn) countQueued(host string, d int) {
	if t.countShards == 0 {
		return
	}
	if t.queuedDelta == nil {
		t.queuedDelta = make(map[int]int)
	}
	t.queuedDelta[crawl.ShardOf(host, t.countShards)] += d
}

// PendingIn returns how many URLs are queued in the frontier under hosts of the given
// shards. The first call counts the whole frontier once; from then on every transaction
// keeps the counts, so a call costs one addition per shard.
func (db *DB) PendingIn(shards []int) (int, error) {
	s, counting := db.shardCount()
	if s == 0 {
		return 0, ErrNotSharded
	}
	if !counting {
		if err := db.countQueued(s); err != nil {
			return 0, fmt.Errorf("count queued URLs by shard: %w", err)
		}
	}
	st := &db.shard
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.pending == nil {
		return 0, ErrNotSharded // the shard count changed meanwhile
	}
	n := 0
	for _, sh := range shards {
		if sh >= 0 && sh < len(st.pending) {
			n += st.pending[sh]
		}
	}
	return n, nil
}

// errCounted ends countQueued's transaction without a commit.
var errCounted = errors.New("counted")

// countQueued counts the frontier by shard. It runs in a write transaction, though it
// writes nothing, so that no commit falls between the count and the moment transactions
// start keeping it: bbolt runs write transactions one at a time.
func (db *DB) countQueued(shards int) (err error) {
	g := newGuard(db.path)
	defer g.catch(&err)
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		counts := make([]int, shards)
		c := tx.Bucket(bucketFrontier).Cursor()
		var host []byte
		shard := 0
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) < 9 || k[len(k)-9] != 0 {
				return fmt.Errorf("frontier key %q: %w", k, errCorrupt)
			}
			if h := k[:len(k)-9]; string(h) != string(host) {
				host = append(host[:0], h...)
				shard = crawl.ShardOfKey(h, shards)
			}
			counts[shard]++
		}
		st := &db.shard
		st.mu.Lock()
		if st.shards == shards {
			st.pending = counts
		}
		st.mu.Unlock()
		return errCounted
	})
	if errors.Is(err, errCounted) {
		return nil
	}
	return err
}

// FrontierHostsIn is FrontierHosts for a node of a cluster crawl: it returns up to limit
// hosts with queued URLs whose shard owns reports true, in key order after the host after,
// and skips the others without reading their entries (one cursor seek per host). The entries
// of shards the node does not own stay in the database for as long as it holds them.
func (db *DB) FrontierHostsIn(after string, limit int, owns func(shard int) bool) (hosts []string, err error) {
	s, _ := db.shardCount()
	if s == 0 {
		return nil, ErrNotSharded
	}
	g := newGuard(db.path)
	defer g.catch(&err)
	err = db.bolt.View(func(tx *bolt.Tx) error {
		if limit <= 0 {
			return nil
		}
		return eachFrontierHost(tx, after, func(host string) bool {
			if calledBack(g, owns, crawl.ShardOf(host, s)) {
				hosts = append(hosts, host)
			}
			return len(hosts) < limit
		})
	})
	return hosts, err
}
