package crawler_test

import (
	"sync"
	"sync/atomic"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/store"
)

// storeSpy is a node's real cluster store (crawler.OpenNodeStore over its bbolt database)
// that tells the tests two things the database does not keep: when the engine first
// acknowledged records of the node (so that a test kills it once the engine holds some), and
// how many pages a rebuild recorded from the engine's records.
type storeSpy struct {
	crawler.NodeStore
	applied atomic.Int64
	// published is closed once the node has deleted record rows: the engine holds them.
	published     chan struct{}
	publishedOnce sync.Once
}

func newStoreSpy() *storeSpy { return &storeSpy{published: make(chan struct{})} }

// open is the node's store opener (crawler.UseNodeStore).
func (s *storeSpy) open(db *store.DB, cfg *crawler.Config, shards int) (crawler.NodeStore, crawler.Committer, error) {
	ns, w, err := crawler.OpenNodeStore(db, cfg, shards)
	s.NodeStore = ns
	return s, w, err
}

func (s *storeSpy) ApplyRecords(recs []store.PageRecord) (crawl.CommitStats, error) {
	cs, err := s.NodeStore.ApplyRecords(recs)
	if err == nil {
		s.applied.Add(int64(cs.Pages))
	}
	return cs, err
}

func (s *storeSpy) DeleteRecords(seqs []uint64) error {
	err := s.NodeStore.DeleteRecords(seqs)
	if err == nil && len(seqs) > 0 {
		s.publishedOnce.Do(func() { close(s.published) })
	}
	return err
}

func (s *storeSpy) appliedRecords() int { return int(s.applied.Load()) }
