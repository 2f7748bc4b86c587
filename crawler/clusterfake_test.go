package crawler_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sync"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/crawler/cluster"
	"github.com/crawl-project/crawl/store"
)

// fakeNodeStore is the cluster side of a node's database for the crawler's tests: over the
// node's real bbolt database and its real writer, it keeps the outbox and the record rows in
// memory. Each commit adds an outbox row for every followable link to another shard's host
// and a record row for every leased URL recorded, as the store's writer does in the page's
// own transaction; links to other shards are also queued locally, where the frontier skips
// them (the store records them as remote instead). Its rows outlive a node's run, as a
// database's do, but not a process.
type fakeNodeStore struct {
	db      *store.DB
	w       crawler.Committer
	shardOf func(string) int
	id      string

	mu      sync.Mutex
	seq     uint64
	outbox  []cluster.OutboxRow
	records []cluster.Record
	applied int // records applied: pages a rebuild learnt from the engine
	// published is closed once the engine has published records of this node.
	published     chan struct{}
	publishedOnce sync.Once
}

func newFakeNodeStore(db *store.DB, id string) *fakeNodeStore {
	return &fakeNodeStore{db: db, id: id, published: make(chan struct{})}
}

// open is the node's store opener (crawler.UseNodeStore).
func (f *fakeNodeStore) open(db *store.DB, cfg *crawler.Config, shards int) (crawler.NodeStore, crawler.Committer, error) {
	f.db = db
	f.w = db.Writer(cfg.MaxDepth).WithHostBudget(cfg.MaxPagesPerHost)
	f.shardOf = func(host string) int { return cluster.ShardOf(host, shards) }
	return f, f, nil
}

func (f *fakeNodeStore) Commit(batch []crawl.Result) (crawl.CommitStats, error) {
	return f.commit(batch, true)
}

func (f *fakeNodeStore) commit(batch []crawl.Result, records bool) (crawl.CommitStats, error) {
	pages := make([]crawl.Node, len(batch))
	err := f.db.View(func(s *store.Snapshot) error {
		for i, r := range batch {
			if r.ID == 0 {
				continue
			}
			n, err := s.Node(r.ID)
			if err != nil {
				return err
			}
			pages[i] = n
		}
		return nil
	})
	if err != nil {
		return crawl.CommitStats{}, err
	}
	cs, err := f.w.Commit(batch)
	if err != nil {
		return cs, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, r := range batch {
		if r.ID == 0 || pages[i].State != crawl.StatePending {
			continue // host information only, or recorded already
		}
		shard := f.shardOf(r.Host)
		for _, l := range r.Links {
			if l.Follow && l.Reject == "" && f.shardOf(l.Host) != shard {
				f.seq++
				f.outbox = append(f.outbox, cluster.OutboxRow{Seq: f.seq, Shard: f.shardOf(l.Host),
					URL: cluster.URL{URL: l.URL, Depth: pages[i].Depth + 1}})
			}
		}
		if records {
			rec := r
			rec.ID = 0
			body, err := json.Marshal(rec)
			if err != nil {
				return cs, err
			}
			f.seq++
			f.records = append(f.records, cluster.Record{Seq: f.seq, Shard: shard,
				PageRecord: cluster.PageRecord{URL: pages[i].URL, Body: body}})
		}
	}
	return cs, nil
}

func (f *fakeNodeStore) InsertURLs(urls []crawler.InboundURL) error {
	seeds := make([]store.Seed, len(urls))
	for i, u := range urls {
		seeds[i] = store.Seed{URL: u.URL, Host: u.Host}
	}
	_, err := f.db.AddSeeds(seeds)
	return err
}

// ApplyRecords records each page not recorded yet as its record says, through the writer:
// its links are committed as a page's, and get outbox rows; no record rows are written.
func (f *fakeNodeStore) ApplyRecords(recs []cluster.PageRecord) error {
	for _, rec := range recs {
		var r crawl.Result
		if err := json.Unmarshal(rec.Body, &r); err != nil {
			return fmt.Errorf("record of %s: %w", rec.URL, err)
		}
		u, err := url.Parse(rec.URL)
		if err != nil {
			return err
		}
		if _, err := f.db.AddSeeds([]store.Seed{{URL: rec.URL, Host: u.Host}}); err != nil {
			return err
		}
		var n crawl.Node
		var found bool
		if err := f.db.View(func(s *store.Snapshot) (err error) {
			n, found, err = s.Lookup(rec.URL)
			return err
		}); err != nil {
			return err
		}
		if !found || n.State != crawl.StatePending {
			continue // recorded already: the first record stays
		}
		r.ID = n.ID
		if _, err := f.commit([]crawl.Result{r}, false); err != nil {
			return err
		}
		f.mu.Lock()
		f.applied++
		f.mu.Unlock()
	}
	return nil
}

func (f *fakeNodeStore) PendingOutbox(max int) ([]cluster.OutboxRow, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.outbox[:min(max, len(f.outbox))]), nil
}

func (f *fakeNodeStore) DeleteOutbox(seqs []uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.outbox = slices.DeleteFunc(f.outbox, func(r cluster.OutboxRow) bool { return slices.Contains(seqs, r.Seq) })
	return nil
}

func (f *fakeNodeStore) PendingRecords(max int) ([]cluster.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.records[:min(max, len(f.records))]), nil
}

func (f *fakeNodeStore) DeleteRecords(seqs []uint64) error {
	f.publishedOnce.Do(func() { close(f.published) })
	f.mu.Lock()
	defer f.mu.Unlock()
	f.records = slices.DeleteFunc(f.records, func(r cluster.Record) bool { return slices.Contains(seqs, r.Seq) })
	return nil
}

func (f *fakeNodeStore) DatabaseID() (string, error) { return f.id, nil }

func (f *fakeNodeStore) appliedRecords() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applied
}
