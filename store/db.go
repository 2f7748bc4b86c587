// Package store keeps a crawl in one bbolt file: the URLs, their states, the pages, the links
// and the on-disk frontier. Every read and write of the file goes through this package.
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterr "go.etcd.io/bbolt/errors"

	"github.com/crawl-project/crawl"
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
	bucketHosts    = []byte("hosts")    // origin (scheme://host:port) -> crawl.HostRecord (robots.txt, ...)

	allBuckets = [][]byte{bucketMeta, bucketURLs, bucketNodes, bucketEdges, bucketFrontier, bucketHosts, bucketHostPages, bucketRejects,
		bucketTargets, bucketFragments}

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
	// ErrDamaged: the file is a crawl database that cannot be read whole (truncated, a page
	// or record bbolt cannot read). It is left as it is.
	ErrDamaged = errors.New("database is damaged")
)

// Options configure Open.
type Options struct {
	ReadOnly bool
	// LockTimeout bounds the wait for another process's lock on the file (default 1s).
	LockTimeout time.Duration
	// NoSync skips fsync on commit. Only for benchmarks: a crash may then lose committed work.
	NoSync bool
	// FailCommit is a fault-injection point for tests. When set, Writer.Commit (and the
	// writer's InsertURLs and ApplyRecords) calls it with the transaction's number on that
	// Writer (1, 2, ...) inside the transaction, after its work is done; a non-nil error
	// aborts the transaction as a write error would: nothing of it is stored.
	FailCommit func(n int) error
}

// DB is an open crawl database.
type DB struct {
	bolt       *bolt.DB
	path       string
	failCommit func(n int) error
	urls       *urlCache  // the writer's, see urlcache.go
	shard      shardState // see shard.go
}

// Open opens the crawl database at path or, unless read-only, creates it when nothing is
// there. A file that is not a crawl database (a directory, an empty file, a foreign bbolt
// file, other bytes) is refused with ErrNotCrawl and a damaged one with ErrDamaged, both
// before any handle that could write it is opened: such a file is left byte for byte as it
// was, its modification time included.
func Open(path string, opt Options) (*DB, error) {
	db, err := open(path, opt)
	var d *damage
	switch {
	case errors.As(err, &d):
		return nil, err // it names the file
	case err != nil:
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

func open(path string, opt Options) (*DB, error) {
	if opt.LockTimeout == 0 {
		opt.LockTimeout = time.Second
	}
	exists, err := checkFile(path)
	switch {
	case err != nil:
		return nil, err
	case !exists && opt.ReadOnly:
		return nil, ErrNotExist
	case !exists:
		if err := create(path, opt); err != nil {
			return nil, err
		}
	case !opt.ReadOnly:
		// Read-only first: whatever is wrong with the file is found by a handle that cannot
		// write it, and every page is read here, under a guard, before the read-write Open
		// scans them where a bad page would kill the process (see checkPages).
		ro, err := openBolt(path, Options{ReadOnly: true, LockTimeout: opt.LockTimeout})
		if err != nil {
			return nil, err
		}
		err = ro.init(true)
		if err == nil {
			err = ro.checkPages()
		}
		ro.Close()
		if err != nil {
			return nil, err
		}
	}
	db, err := openBolt(path, opt)
	if err != nil {
		return nil, err
	}
	if err := db.init(opt.ReadOnly); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// openBolt opens the bbolt file at path, which exists: bbolt is not let create it.
func openBolt(path string, opt Options) (db *DB, err error) {
	db = &DB{path: path, failCommit: opt.FailCommit, urls: newURLCache(urlCacheSize)}
	g := newGuard(path)
	defer g.catch(&err)
	db.bolt, err = bolt.Open(path, 0o644, &bolt.Options{
		Timeout:        opt.LockTimeout,
		ReadOnly:       opt.ReadOnly,
		NoSync:         opt.NoSync,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			return os.OpenFile(name, flag&^os.O_CREATE, perm)
		},
	})
	if err != nil {
		return nil, boltOpenError(err)
	}
	return db, nil
}

func boltOpenError(err error) error {
	switch {
	case errors.Is(err, bolterr.ErrTimeout):
		return ErrLocked
	case errors.Is(err, bolterr.ErrInvalid), errors.Is(err, bolterr.ErrVersionMismatch):
		return fmt.Errorf("%w (%v)", ErrNotCrawl, err)
	case errors.Is(err, bolterr.ErrChecksum):
		return fmt.Errorf("%w (%v)", ErrDamaged, err)
	}
	return err
}

// create makes a new crawl database at path, where nothing is. It is built under a temporary
// name and linked into place, so that path holds a whole crawl database or nothing: never the
// empty bbolt file that a crash between bbolt's initialisation and the crawl's would leave,
// and that Open would then refuse as not a crawl database.
func create(path string, opt Options) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".new-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	defer os.Remove(tmp)
	// bbolt creates the file itself, with the permissions a crawl database has always had.
	if err := os.Remove(tmp); err != nil {
		return err
	}
	b, err := bolt.Open(tmp, 0o644, &bolt.Options{NoSync: opt.NoSync, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return err
	}
	err = b.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchema, []byte(strconv.Itoa(SchemaVersion)))
	})
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// A link, unlike a rename, never replaces a file that appeared at path meanwhile.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s appeared while it was being created; run again", path)
		}
		return err
	}
	return nil
}

// init checks the schema of the database and creates the buckets that a database from
// before them lacks. Only a file with the crawl's meta bucket is a crawl database.
func (db *DB) init(readOnly bool) error {
	missing := false
	err := db.read(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return notCrawl(tx)
		}
		v := meta.Get(keySchema)
		n, err := strconv.Atoi(string(v))
		switch {
		case err != nil:
			return fmt.Errorf("%w: schema %q", ErrNotCrawl, v)
		case n > SchemaVersion:
			return fmt.Errorf("%w: schema %d, this version reads %d", ErrNewSchema, n, SchemaVersion)
		case n < SchemaVersion:
			return fmt.Errorf("%w: schema %d, this version reads %d only; start a new database", ErrOldSchema, n, SchemaVersion)
		}
		for _, name := range allBuckets {
			missing = missing || tx.Bucket(name) == nil
		}
		return nil
	})
	if err != nil || !missing || readOnly {
		return err
	}
	return db.createBuckets()
}

// createBuckets creates the buckets the database lacks. (Not through update: a txn needs
// them all.)
func (db *DB) createBuckets() (err error) {
	g := newGuard(db.path)
	defer g.catch(&err)
	return db.bolt.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
}

// notCrawl says why a bbolt file without the crawl's meta bucket is not a crawl database.
func notCrawl(tx *bolt.Tx) error {
	var first []byte
	_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		first = name
		return errStop
	})
	if first == nil {
		return fmt.Errorf("an empty bbolt database: %w", ErrNotCrawl)
	}
	return fmt.Errorf("a bbolt database of another program (it has a bucket %.100q): %w", first, ErrNotCrawl)
}

var errStop = errors.New("stop")

// Path is the file the database lives in.
func (db *DB) Path() string { return db.path }

// Close releases the file and its lock.
func (db *DB) Close() error { return db.bolt.Close() }

// Config returns the crawl configuration stored by SetConfig, or nil for a new crawl.
func (db *DB) Config() ([]byte, error) {
	var out []byte
	err := db.read(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyConfig); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	return out, err
}

// SetConfig records the crawl configuration, so that a rerun can tell whether it changed.
func (db *DB) SetConfig(cfg []byte) error {
	return db.update(func(t *txn) error {
		return t.tx.Bucket(bucketMeta).Put(keyConfig, cfg)
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
	err := db.read(func(tx *bolt.Tx) error {
		n = counter(tx.Bucket(bucketMeta).Get(keyFetched))
		return nil
	})
	return int(n), err
}

// Seed is a URL to crawl from.
type Seed struct {
	URL  string // normalised
	Host string // frontier host key
	// InSitemap: the seed was read from a sitemap; its node is marked so (crawl.Node.InSitemap).
	InSitemap bool
}

// AddSeeds puts seeds that were never seen into the frontier at depth 0. A seed that is
// already known but was not fetched because of a limit or scope, or was recorded for
// another shard's owner, is queued again. A seed
// longer than MaxURLLength is not recorded but counted under crawl.ReasonURLTooLong (a seeds file
// holding one is refused before this; sitemaps are not).
// A seed that is a URL to check (a page requisite...) becomes a page to crawl (see
// crawlChecked). A seed read from a sitemap marks its node as in a sitemap.
// It returns how many seeds were queued. Call it before the pipeline's writer starts.
func (db *DB) AddSeeds(seeds []Seed) (int, error) {
	queued := 0
	err := db.update(func(t *txn) error {
		queued = 0
		for _, s := range seeds {
			if len(s.URL) > MaxURLLength || len(s.Host) > MaxURLLength {
				t.reject(crawl.ReasonURLTooLong, 1)
				continue
			}
			id, n, found, err := t.lookup(s.URL)
			if err != nil {
				return err
			}
			marked := s.InSitemap && !n.InSitemap
			n.InSitemap = n.InSitemap || s.InSitemap
			switch {
			case !found:
				n = crawl.Node{URL: s.URL, State: crawl.StatePending, InSitemap: s.InSitemap}
				if _, err := t.insertNode(&n, s.Host, distance{}); err != nil {
					return err
				}
				queued++
			case n.State == crawl.StateSkipped || n.State == crawl.StateExternal || n.State == crawl.StateRemote:
				n.Check, n.External = false, false
				if err := t.requeue(id, &n, s.Host, distance{}); err != nil {
					return err
				}
				queued++
			case n.Check:
				if q, err := t.crawlChecked(id, &n, distance{}); err != nil {
					return err
				} else if q || n.State == crawl.StatePending {
					queued++
				}
				if err := t.putNode(&n); err != nil { // its mark, when a done check stands
					return err
				}
			case marked:
				if err := t.putNode(&n); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return queued, err
}
