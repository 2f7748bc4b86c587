package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/crawl-project/crawl"
)

// Writer applies crawl results to the database. Only one goroutine may use it; it is the
// only thing that writes the database while a crawl runs.
type Writer struct {
	db           *DB
	maxDepth     int // -1: unlimited
	budget       int // URLs queued per host over the crawl; 0: unlimited
	maxRedirects int // redirects in a row that keep their source's depth
	shards       int // of a cluster crawl, see WithShards; 0: one node
	commits      int // transactions so far, for Options.FailCommit
}

// DefaultMaxRedirects is the longest redirect chain whose hops keep the depth of its start.
const DefaultMaxRedirects = 10

// Writer returns the database's writer. maxDepth < 0 means no depth limit.
func (db *DB) Writer(maxDepth int) *Writer {
	return &Writer{db: db, maxDepth: maxDepth, maxRedirects: DefaultMaxRedirects}
}

// WithMaxRedirects sets how many redirects in a row keep the depth of the page that started
// them (default DefaultMaxRedirects). The target of a longer chain counts one link hop deeper
// and starts a new chain, so that a site that redirects forever is bounded by --max-depth and
// by its trap rules as a site that links forever is; a loop ends at the first URL seen again.
func (w *Writer) WithMaxRedirects(n int) *Writer {
	if n > 0 {
		w.maxRedirects = n
	}
	return w
}

// Commit records a batch of results in one transaction: either all of it is durable or none.
//
// A result whose data cannot be stored (a corrupt record met while applying it, a key or
// value bbolt refuses) does not cost the batch: the transaction is run again with that
// result's leased URL recorded as failed with the error instead, counted under
// crawl.ReasonUnstorable, so that a resume does not fetch it again and fail the same way. A failure
// of the file itself (a write or sync error, a full disk) stores nothing of the batch and is
// returned, as is damage to the file (ErrDamaged).
func (w *Writer) Commit(batch []crawl.Result) (stats crawl.CommitStats, err error) {
	w.commits++
	var unstorable map[int]error // results to record as failed, by index in batch
	for {
		stats, err = w.commit(batch, unstorable)
		var bad *resultError
		if !errors.As(err, &bad) {
			break
		}
		if _, again := unstorable[bad.i]; again {
			break // recording it as failed failed too: nothing more to drop
		}
		if unstorable == nil {
			unstorable = make(map[int]error)
		}
		unstorable[bad.i] = bad.err
	}
	if err != nil {
		return crawl.CommitStats{}, fmt.Errorf("commit %d results: %w", len(batch), err)
	}
	return stats, nil
}

// resultError is a failure to apply one result of a batch: its data's fault, not the file's,
// since applying a result reads and writes only the transaction's memory.
type resultError struct {
	i   int // index in the batch
	err error
}

func (e *resultError) Error() string { return e.err.Error() }
func (e *resultError) Unwrap() error { return e.err }

// commit is one attempt at Commit's transaction; the results in unstorable are recorded as
// failed with their error instead of applied.
func (w *Writer) commit(batch []crawl.Result, unstorable map[int]error) (crawl.CommitStats, error) {
	return w.run(func(t *txn) error {
		for i := range batch {
			r := &batch[i]
			if cause, ok := unstorable[i]; ok {
				if err := t.recordUnstorable(r, cause); err != nil {
					return &resultError{i, err}
				}
				continue
			}
			if err := t.putHost(r.HostInfo); err != nil {
				return &resultError{i, fmt.Errorf("host %.100q: %w", r.HostInfo.Origin, err)}
			}
			if r.ID == 0 {
				continue
			}
			if err := t.apply(r); err != nil {
				return &resultError{i, err}
			}
		}
		if t.stats.Attempts == 0 {
			return nil
		}
		meta := t.tx.Bucket(bucketMeta)
		return meta.Put(keyFetched, u64(counter(meta.Get(keyFetched))+uint64(t.stats.Attempts)))
	})
}

// prepare sets up a transaction of the writer: its rules, where its stats go and, for a
// cluster crawl, the buckets of the outbox and the records.
func (w *Writer) prepare(t *txn, stats *crawl.CommitStats) error {
	t.maxDepth = w.maxDepth
	t.budget = w.budget
	t.maxRedirects = w.maxRedirects
	t.stats = stats
	if w.shards == 0 {
		return nil
	}
	t.shards = w.shards
	var err error
	if t.outbox, err = t.tx.CreateBucketIfNotExists(bucketOutbox); err != nil {
		return err
	}
	t.records, err = t.tx.CreateBucketIfNotExists(bucketRecords)
	return err
}

// finish ends a transaction of the writer: the fault injection point of Options.FailCommit,
// then the time of the last commit.
func (w *Writer) finish(t *txn) error {
	if w.db.failCommit != nil {
		if err := w.db.failCommit(w.commits); err != nil {
			return err
		}
	}
	return t.tx.Bucket(bucketMeta).Put(keyUpdated, []byte(time.Now().UTC().Format(time.RFC3339Nano)))
}

// recordUnstorable ends the lease of a result that could not be stored: the leased URL is
// recorded as failed with the cause and counted under crawl.ReasonUnstorable; nothing else of the
// result is kept. A leased node whose own record is unreadable is written anew from its
// frontier entry.
func (t *txn) recordUnstorable(r *crawl.Result, cause error) error {
	t.reject(crawl.ReasonUnstorable, 1)
	if r.ID == 0 {
		return nil // host information only: dropped, fetched again by a later run
	}
	depth, u, queued := t.frontierEntry(r.Host, r.ID)
	if err := t.unqueue(r.Host, r.ID); err != nil {
		return err
	}
	n, err := t.node(r.ID)
	switch {
	case err == nil && n.State != crawl.StatePending:
		return nil // recorded already, through another result
	case err != nil && !queued:
		return nil // no record says which URL it is; out of the frontier, it is not fetched again
	case err != nil:
		n = crawl.Node{ID: r.ID, URL: u, Depth: depth}
	}
	n.State, n.Status, n.FetchedAt = crawl.StateFailed, 0, r.Page.FetchedAt
	n.Error = cutText("not stored: "+cause.Error(), maxText)
	t.stats.Pages++
	if r.Page.State == crawl.StateDone || r.Page.State == crawl.StateFailed {
		if n.Check {
			t.stats.Checks++
		} else {
			t.stats.Attempts++
		}
	}
	if err := t.putNode(&n); err != nil || t.shards == 0 {
		return err
	}
	return t.putRecord(crawl.ShardOf(r.Host, t.shards), n.URL, appendRecord(nil, &n, distance{depth: n.Depth}, 0, 0, nil, nil))
}

// frontierEntry reads the frontier entry of a leased URL, if it is still queued.
func (t *txn) frontierEntry(host string, id uint64) (depth int, u string, ok bool) {
	t.key = appendFrontierKey(t.key[:0], host, id)
	v := get(t.frontierCur, t.key)
	if v == nil {
		return 0, "", false
	}
	depth, u, _, _, err := decodeFrontier(v)
	return depth, u, err == nil && storableURL(u)
}
