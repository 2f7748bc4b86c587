package crawler

import (
	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
)

// storeNode is a node's database as the engine's seams need it: the cluster writer's inbound
// operations and the database's outbox and record rows. The writer is the crawl's own (the
// one its writer stage commits pages with), so every write, a page's or the engine's, goes
// through one *store.Writer on one goroutine.
type storeNode struct {
	db *store.DB
	w  *store.Writer
}

// openNodeStore gives the crawl's database its side for the engine, and the writer that
// records pages as a node of a crawl of shards does: followable links to other shards'
// hosts become outbox rows, each recorded page a record row, in the page's transaction.
func openNodeStore(db *store.DB, cfg *Config, shards int) (NodeStore, Committer, error) {
	w := db.Writer(cfg.MaxDepth).WithHostBudget(cfg.MaxPagesPerHost).WithMaxRedirects(cfg.MaxRedirects).WithShards(shards)
	return &storeNode{db: db, w: w}, w, nil
}

func (s *storeNode) InsertURLs(urls []store.InboundURL) (crawl.CommitStats, error) {
	return s.w.InsertURLs(urls)
}

func (s *storeNode) ApplyRecords(records []store.PageRecord) (crawl.CommitStats, error) {
	return s.w.ApplyRecords(records)
}

func (s *storeNode) PendingOutbox(max int) ([]store.OutboxRow, error) { return s.db.PendingOutbox(max) }
func (s *storeNode) DeleteOutbox(seqs []uint64) error                 { return s.db.DeleteOutbox(seqs) }
func (s *storeNode) PendingRecords(max int) ([]store.RecordRow, error) {
	return s.db.PendingRecords(max)
}
func (s *storeNode) DeleteRecords(seqs []uint64) error { return s.db.DeleteRecords(seqs) }
func (s *storeNode) DatabaseID() (string, error)       { return s.db.DatabaseID() }

var _ NodeStore = (*storeNode)(nil)
