package crawler

import "github.com/crawl-project/crawl/store"

// UseNodeStore makes a node open its database's cluster side with open: the tests' stand-in.
func UseNodeStore(n *ClusterNode, open func(db *store.DB, cfg *Config, shards int) (NodeStore, Committer, error)) {
	n.openStore = open
}
