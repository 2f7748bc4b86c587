package crawler

import "github.com/crawl-project/crawl/store"

// UseNodeStore makes a node open its database's cluster side with open: a test's wrapper of
// OpenNodeStore.
func UseNodeStore(n *ClusterNode, open func(db *store.DB, cfg *Config, shards int) (NodeStore, Committer, error)) {
	n.openStore = open
}

// OpenNodeStore is the cluster side of a node's database that a crawl opens.
var OpenNodeStore = openNodeStore
