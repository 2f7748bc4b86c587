package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/crawl-project/crawl"
)

var (
	// bucketHostPages counts, per frontier host, the URLs that entered the frontier over all
	// runs: every one of them is fetched once, so this is the host's pages fetched and queued.
	bucketHostPages = []byte("hostpages") // host -> count (8 bytes, big-endian)
	// bucketRejects counts refused URLs by reason over all runs (links for crawl.ReasonLinkCap).
	bucketRejects = []byte("rejects") // reason -> count (8 bytes, big-endian)
)

// WithHostBudget makes the writer admit at most n URLs of each host to the frontier over the
// whole crawl, earlier runs included (n <= 0: no limit). Further URLs of the host are recorded
// as skipped with crawl.ReasonHostBudget and never fetched, whether they are new links or skipped
// URLs that a shorter path would queue again. Seeds and failed URLs queued again count against
// the budget but are always queued; the hops of a redirect chain followed within one fetch are
// not queued, so not counted: the budget bounds what the crawl queues.
func (w *Writer) WithHostBudget(n int) *Writer {
	w.budget = max(n, 0)
	return w
}

// overBudget reports whether host has used its budget, so that no more of its URLs may be queued.
func (t *txn) overBudget(host string) bool {
	return t.budget > 0 && t.hostQueued(host).n >= uint64(t.budget)
}

// admit counts a URL of host entering the frontier.
func (t *txn) admit(host string) {
	c := t.hostQueued(host)
	c.n++
	c.dirty = true
}

// hostQueued returns host's counter of queued URLs, read from the bucket once per transaction.
func (t *txn) hostQueued(host string) *hostCount {
	if c, ok := t.queued[host]; ok {
		return c
	}
	if t.queued == nil {
		t.queued = make(map[string]*hostCount)
	}
	t.key = append(t.key[:0], host...)
	c := &hostCount{n: counter(get(t.perHostCur, t.key))}
	t.queued[host] = c
	return c
}

// flush writes back the counters admit changed, and adds the transaction's rejections to
// the rejects bucket, once per reason.
func (t *txn) flush() error {
	for host, c := range t.queued {
		if !c.dirty || host == "" {
			continue // "": a URL without a host, which no key can count
		}
		t.key = append(t.key[:0], host...)
		if err := t.perHost.Put(t.key, t.mem.id(c.n)); err != nil {
			return err
		}
	}
	for reason, n := range t.stats.Rejected {
		t.key = append(t.key[:0], reason...)
		if err := t.rejects.Put(t.key, t.mem.id(counter(t.rejects.Get(t.key))+uint64(n))); err != nil {
			return err
		}
	}
	return nil
}

// reject counts n URLs (or links) refused for reason; flush stores the counts.
func (t *txn) reject(reason string, n int) {
	if n <= 0 {
		return
	}
	if t.stats.Rejected == nil {
		t.stats.Rejected = make(map[string]int)
	}
	t.stats.Rejected[reason] += n
}

// isRejection tells the skip reasons counted as rejections from max-depth and nofollow, which
// a later link may still undo.
func isRejection(reason string) bool {
	return reason != "" && reason != crawl.ReasonMaxDepth && reason != crawl.ReasonNofollow
}

// requeueWithinBudget queues a skipped URL again and reports true, unless its host has used
// its budget: then the URL stays skipped, now for the budget, at the lower depth.
func (t *txn) requeueWithinBudget(id uint64, n *crawl.Node, host string, at distance) (bool, error) {
	if !t.overBudget(host) {
		return true, t.requeue(id, n, host, at)
	}
	n.Error, n.Depth = crawl.ReasonHostBudget, min(n.Depth, at.depth)
	if err := t.putNode(n); err != nil {
		return false, err
	}
	t.reject(crawl.ReasonHostBudget, 1)
	return false, nil
}

// Rejections returns how many URLs the crawl refused, by reason, over all its runs: the trap
// rules' reasons, crawl.ReasonHostBudget, and crawl.ReasonLinkCap (links beyond a page's cap).
func (s *Snapshot) Rejections() (_ map[string]int, err error) {
	g := s.guard()
	defer g.catch(&err)
	return counters(s.tx.Bucket(bucketRejects))
}

// HostQueued returns how many URLs of a frontier host entered the frontier over all runs:
// what WithHostBudget limits.
func (s *Snapshot) HostQueued(host string) int {
	b := s.tx.Bucket(bucketHostPages)
	if b == nil {
		return 0
	}
	return int(counter(b.Get([]byte(host))))
}

// counters reads a bucket of 8-byte counters; a database from before the bucket has none.
func counters(b *bolt.Bucket) (map[string]int, error) {
	out := make(map[string]int)
	if b == nil {
		return out, nil
	}
	err := b.ForEach(func(k, v []byte) error {
		if len(v) != 8 {
			return fmt.Errorf("counter %q: %w", k, errCorrupt)
		}
		out[string(k)] = int(counter(v))
		return nil
	})
	return out, err
}
