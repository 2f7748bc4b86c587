package store

import (
	"fmt"

	"github.com/crawl-project/crawl"
)

// What a node of a cluster crawl receives for the shards it owns: URLs other nodes' pages
// link to (and the seeds), and, when it takes a shard over, the records of the pages the
// shard's earlier owners recorded. Each call is one durable transaction of the writer, and
// idempotent: the engine delivers again what it did not see acknowledged, and replays
// everything to a new owner.

// InboundURL is a URL sent to the owner of its host's shard.
type InboundURL struct {
	URL   string // normalised
	Host  string // frontier host key; when empty, read from URL
	Depth int    // link hops from a seed
	// Check: the URL is to be checked, not crawled (OutboxRow.Check); External: it is out
	// of the crawl's scope.
	Check, External bool
}

// InsertURLs commits each URL, in one durable transaction, as a followable link at its
// depth found on a page of the URL's own shard would be (a URL to check as a link to check:
// queued to be checked unless known): the depth limit and the host budget apply;
// an unseen URL, or one recorded as remote, is queued (or skipped for its depth or budget);
// a known one keeps its state, and a smaller depth lowers it and what it links to. A URL
// too long to store is counted under crawl.ReasonURLTooLong, one without a depth (negative)
// under crawl.ReasonUnstorable. Inserting the same URLs again changes nothing.
func (w *Writer) InsertURLs(urls []InboundURL) (crawl.CommitStats, error) {
	w.commits++
	stats, err := w.run(func(t *txn) error {
		for _, u := range urls {
			host := u.Host
			if host == "" {
				host = hostKey(u.URL)
			}
			l := crawl.Link{URL: u.URL, Host: host, Kind: crawl.KindLink, Count: 1, InScope: !u.External, Follow: !u.Check, Check: u.Check}
			switch {
			case !storableLink(&l):
				t.reject(crawl.ReasonURLTooLong, 1)
				continue
			case u.Depth < 0:
				t.reject(crawl.ReasonUnstorable, 1)
				continue
			}
			if t.shards > 0 {
				t.srcShard = crawl.ShardOf(host, t.shards) // a link from its own shard
			}
			if _, err := t.link(&l, distance{depth: u.Depth}); err != nil {
				return fmt.Errorf("%.200q: %w", u.URL, err)
			}
		}
		return nil
	})
	if err != nil {
		return crawl.CommitStats{}, fmt.Errorf("insert %d URLs: %w", len(urls), err)
	}
	return stats, nil
}

// ApplyRecords commits page records replayed from the cluster, in one durable transaction,
// for shards this node takes over. The page of a record is recorded as its first recording
// recorded it, links included (same-shard targets may enter the frontier, other shards' get
// outbox rows, so a link whose row its first owner never sent is not lost), unless the
// database holds it as fetched already (done, failed, robots-blocked): that record stays.
// A URL unknown, queued (it leaves the frontier), remote, external or skipped takes the
// record's: the page is not fetched again. Its depth is the smaller of the record's and
// the one known here. A record this version cannot read is counted under
// crawl.ReasonUnstorable and left out (its page is fetched again, if it is linked to).
// It writes no record rows: the cluster holds these records already. Applying the same
// records again changes nothing.
func (w *Writer) ApplyRecords(records []PageRecord) (crawl.CommitStats, error) {
	w.commits++
	stats, err := w.run(func(t *txn) error {
		for _, r := range records {
			if err := t.applyRecord(r); err != nil {
				return fmt.Errorf("the record of %.200q: %w", r.URL, err)
			}
		}
		return nil
	})
	if err != nil {
		return crawl.CommitStats{}, fmt.Errorf("apply %d records: %w", len(records), err)
	}
	return stats, nil
}

func (t *txn) applyRecord(r PageRecord) error {
	rec, err := decodeRecord(r.URL, r.Body)
	host := hostKey(r.URL)
	if err != nil || len(host) > MaxURLLength {
		t.reject(crawl.ReasonUnstorable, 1)
		return nil
	}
	page := rec.page
	id, known, found, err := t.lookup(r.URL)
	if err != nil {
		return err
	}
	// A check counts against no host's budget, as when it was queued (see link).
	admit := func() {
		if !page.Check {
			t.admit(host)
		}
	}
	switch {
	case !found:
		if id, err = t.record(&crawl.Node{URL: r.URL, State: crawl.StatePending, Depth: page.Depth}); err != nil {
			return err
		}
		admit()
	case known.State == crawl.StateDone || known.State == crawl.StateFailed || known.State == crawl.StateBlocked:
		return nil
	case known.State == crawl.StatePending:
		if err := t.unqueue(host, id); err != nil {
			return err
		}
		page.Depth = min(page.Depth, known.Depth)
	case known.State == crawl.StateRemote:
		page.Depth = min(page.Depth, known.Depth)
		admit()
	default:
		admit()
	}
	if found && known.State != crawl.StatePending {
		// Pending while its links are recorded, as a fetched page is: a link of the page to
		// itself must not queue it as a remote or external URL would be.
		known.State, known.Depth, known.Error = crawl.StatePending, page.Depth, ""
		if err := t.putNode(&known); err != nil {
			return err
		}
	}
	page.ID = id
	if t.shards > 0 {
		t.srcShard = crawl.ShardOf(host, t.shards)
	}
	return t.recordPage(&page, distance{page.Depth, rec.redirects}, rec.links, rec.targets, rec.dropped, rec.tooLong, false)
}

// run runs fn in one transaction of the writer and returns what it changed.
func (w *Writer) run(fn func(t *txn) error) (crawl.CommitStats, error) {
	var stats crawl.CommitStats
	err := w.db.update(func(t *txn) error {
		stats = crawl.CommitStats{HostsWithNew: make(map[string]int), HostsRequeued: make(map[string]bool)}
		if err := w.prepare(t, &stats); err != nil {
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
		return w.finish(t)
	})
	return stats, err
}
