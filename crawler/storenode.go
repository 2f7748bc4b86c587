package crawler

import (
	"errors"

	"github.com/crawl-project/crawl/store"
)

// openNodeStore gives the crawl's database its side for the engine and the writer that
// routes links to other shards' hosts into the outbox.
//
// The store's cluster operations (outbox and record rows, InsertURLs, ApplyRecords, the
// database id) are not in this version of package store yet.
func openNodeStore(*store.DB, *Config, int) (NodeStore, Committer, error) {
	return nil, nil, errors.New("--cluster: this version's database has no cluster support (outbox and record rows)")
}
