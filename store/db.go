// Package store keeps a crawl in one bbolt file: the URLs, their states, the pages, the links
// and the on-disk frontier. Every read and write of the file goes through this package.
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterr "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout version this code reads and writes. Version 2 keeps a page's
// outgoing edges in one value; version 1 files (one key per edge) are refused.
const SchemaVersion = 2

var (
	bucketMeta     = []byte("meta")
	bucketURLs     = []byte("urls")     // normalised URL -> node id (8 bytes, big-endian)
	bucketNodes    = []byte("nodes")    // node id -> encoded Node
	bucketEdges    = []byte("edges")    // src id -> the page's encoded edge list
	bucketFrontier = []byte("frontier") // host 0x00 id -> depth + URL
	bucketHosts    = []byte("hosts")    // origin (scheme://host:port) -> HostRecord (robots.txt, ...)

	allBuckets = [][]byte{bucketMeta, bucketURLs, bucketNodes, bucketEdges, bucketFrontier, bucketHosts, bucketHostPages, bucketRejects}

	keySchema  = []byte("schema")
	keyConfig  = []byte("config")
	keyFetched = []byte("fetched") // leases that ended in a fetch attempt, all runs together
	keyUpdated = []byte("updated") // time of the last commit, RFC 3339, set in the commit's transaction
)

// Errors callers act on.
var (
	ErrLocked    = errors.New("database is in use by another crawl process")
	ErrNotCrawl  = errors.New("not a crawl database")
	ErrNewSchema = errors.New("database was written by a newer version of crawl")
	ErrOldSchema = errors.New("database was written by an older version of crawl")
	ErrNotExist  = errors.New("database does not exist")
)

// Options configure Open.
type Options struct {
	ReadOnly bool
	// LockTimeout bounds the wait for another process's lock on the file (default 1s).
	LockTimeout time.Duration
	// NoSync skips fsync on commit. Only for benchmarks: a crash may then lose committed work.
	NoSync bool
	// FailCommit is a fault-injection point for tests. When set, Writer.Commit calls it with
	// the commit's number on that Writer (1, 2, ...) inside the commit's transaction, after
	// the batch is applied; a non-nil error aborts the transaction as a write error would:
	// nothing of it is stored.
	FailCommit func(n int) error
}

// DB is an open crawl database.
type DB struct {
	bolt       *bolt.DB
	path       string
	failCommit func(n int) error
	urls       *urlCache // the writer's, see urlcache.go
}

// Open opens or, unless read-only, creates the crawl database at path.
func Open(path string, opt Options) (*DB, error) {
	if opt.LockTimeout == 0 {
		opt.LockTimeout = time.Second
	}
	if opt.ReadOnly {
		info, err := os.Stat(path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("open %s: %w", path, ErrNotExist)
			}
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		// bbolt would try to initialise an empty file, which a read-only handle cannot.
		switch {
		case info.IsDir():
			return nil, fmt.Errorf("open %s: %w: it is a directory", path, ErrNotCrawl)
		case info.Size() == 0:
			return nil, fmt.Errorf("open %s: %w: the file is empty", path, ErrNotCrawl)
		}
	}
	b, err := bolt.Open(path, 0o644, &bolt.Options{
		Timeout:        opt.LockTimeout,
		ReadOnly:       opt.ReadOnly,
		NoSync:         opt.NoSync,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		if errors.Is(err, bolterr.ErrTimeout) {
			return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
		}
		if errors.Is(err, bolterr.ErrInvalid) || errors.Is(err, bolterr.ErrVersionMismatch) || errors.Is(err, bolterr.ErrChecksum) {
			return nil, fmt.Errorf("open %s: %w (%v)", path, ErrNotCrawl, err)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{bolt: b, path: path, failCommit: opt.FailCommit, urls: newURLCache(urlCacheSize)}
	if err := db.init(opt.ReadOnly); err != nil {
		b.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// init creates the buckets of a new database and checks the schema of an existing one.
func (db *DB) init(readOnly bool) error {
	check := func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return nil
		}
		v := meta.Get(keySchema)
		n, err := strconv.Atoi(string(v))
		if err != nil {
			return fmt.Errorf("%w: schema %q", ErrNotCrawl, v)
		}
		if n > SchemaVersion {
			return fmt.Errorf("%w: schema %d, this version reads %d", ErrNewSchema, n, SchemaVersion)
		}
		if n < SchemaVersion {
			return fmt.Errorf("%w: schema %d, this version reads %d only; start a new database", ErrOldSchema, n, SchemaVersion)
		}
		return nil
	}
	if readOnly {
		return db.bolt.View(func(tx *bolt.Tx) error {
			if tx.Bucket(bucketMeta) == nil {
				return ErrNotCrawl
			}
			return check(tx)
		})
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		if err := check(tx); err != nil {
			return err
		}
		if tx.Bucket(bucketMeta) == nil {
			// A bbolt file with buckets but no meta is someone else's database.
			if err := tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
				return fmt.Errorf("%w: it has a bucket %q", ErrNotCrawl, name)
			}); err != nil {
				return err
			}
		}
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if meta.Get(keySchema) == nil {
			return meta.Put(keySchema, []byte(strconv.Itoa(SchemaVersion)))
		}
		return nil
	})
}

// Path is the file the database lives in.
func (db *DB) Path() string { return db.path }

// Close releases the file and its lock.
func (db *DB) Close() error { return db.bolt.Close() }

// Config returns the crawl configuration stored by SetConfig, or nil for a new crawl.
func (db *DB) Config() ([]byte, error) {
	var out []byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyConfig); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	return out, err
}

// SetConfig records the crawl configuration, so that a rerun can tell whether it changed.
func (db *DB) SetConfig(cfg []byte) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyConfig, cfg)
	})
}

func counter(v []byte) uint64 {
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// FetchedCount returns how many URLs the crawl has fetched or tried to, over all its runs.
func (db *DB) FetchedCount() (int, error) {
	var n uint64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		n = counter(tx.Bucket(bucketMeta).Get(keyFetched))
		return nil
	})
	return int(n), err
}

// Seed is a URL to crawl from.
type Seed struct {
	URL  string // normalised
	Host string // frontier host key
}

// AddSeeds puts seeds that were never seen into the frontier at depth 0. A seed that is
// already known but was not fetched because of a limit or scope is queued again.
// It returns how many seeds were queued. Call it before the pipeline's writer starts.
func (db *DB) AddSeeds(seeds []Seed) (int, error) {
	queued := 0
	err := db.update(func(t *txn) error {
		queued = 0
		for _, s := range seeds {
			id, n, found, err := t.lookup(s.URL)
			if err != nil {
				return err
			}
			switch {
			case !found:
				if _, err := t.insert(s.URL, s.Host, StatePending, 0, ""); err != nil {
					return err
				}
				queued++
			case n.State == StateSkipped || n.State == StateExternal:
				if err := t.requeue(id, &n, s.Host, 0); err != nil {
					return err
				}
				queued++
			}
		}
		return nil
	})
	return queued, err
}
