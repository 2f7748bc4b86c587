package store

import "github.com/crawl-project/crawl"

// Links to other shards. In a cluster crawl a page's followable links to hosts of another
// shard than its own are the business of that shard's owner, which keeps their seen set,
// depth and budget: the writer sends each as an outbox row, in the page's transaction, and
// records its target as crawl.StateRemote, a node that exists for the edges that end there.
// The page's shard decides, not which node owns what now: ownership moves, shards do not, so
// the same page sends the same rows whoever records it. A link that is not followable (out
// of scope, nofollow, refused by a trap rule) is recorded here as in a crawl of one node.

// linkRemote records a followable link, at depth, to u of another shard than the page's.
func (t *txn) linkRemote(l *crawl.Link, shard, depth int) (uint64, error) {
	if c, ok := t.cache.get(l.URL); ok && c.state == crawl.StateRemote && depth >= c.depth {
		return c.id, nil
	}
	id, found := t.urlID(l.URL)
	if !found {
		id, err := t.record(&crawl.Node{URL: l.URL, State: crawl.StateRemote, Depth: depth})
		if err != nil {
			return 0, err
		}
		return id, t.putOutbox(shard, l.URL, depth)
	}
	v, err := t.nodeRecord(id)
	if err != nil {
		return 0, err
	}
	if c, ok := peekNode(v); ok && c.state == crawl.StateRemote && depth >= c.depth {
		c.id = id
		t.cache.put(l.URL, c)
		return id, nil
	}
	n, err := decodeNode(id, v)
	if err != nil {
		return 0, err
	}
	return id, t.reachRemote(&n, shard, depth)
}

// reachRemote handles a followable link at depth to a known node of another shard than the
// linking page's: the owner is told of the link unless it was told of one as short.
func (t *txn) reachRemote(n *crawl.Node, shard, depth int) error {
	switch {
	case n.State == crawl.StateRemote:
		if depth >= n.Depth {
			return nil // sent already, at this depth or less
		}
		n.Depth = depth
	case n.State == crawl.StateExternal || (n.State == crawl.StateSkipped && n.Error == crawl.ReasonNofollow):
		// Recorded from links the crawl does not follow; now one it does: the owner decides.
		n.State, n.Depth, n.Error = crawl.StateRemote, depth, ""
	default:
		// A record this database made while it owned the shard (pending, fetched, skipped
		// for its depth or budget), or a trap rule's refusal, which the owner makes too: the
		// owner has its own record, and needs to hear only of a shorter path.
		if depth >= n.Depth {
			return nil
		}
		return t.putOutbox(shard, n.URL, depth)
	}
	if err := t.putNode(n); err != nil {
		return err
	}
	return t.putOutbox(shard, n.URL, depth)
}
