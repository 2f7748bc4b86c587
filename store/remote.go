package store

import "github.com/crawl-project/crawl"

// Links to other shards. In a cluster crawl a page's followable links to hosts of another
// shard than its own are the business of that shard's owner, which keeps their seen set,
// depth and budget: the writer sends each as an outbox row, in the page's transaction, and
// records its target as crawl.StateRemote, a node that exists for the edges that end there.
// The page's shard decides, not which node owns what now: ownership moves, shards do not, so
// the same page sends the same rows whoever records it. A link that is not followable (out
// of scope, nofollow, refused by a trap rule) is recorded here as in a crawl of one node.

// linkRemote records a link, at depth, to u of another shard than the page's: a followable
// one, or, with check, one to check, which the owner checks rather than crawls. The target is
// recorded as remote, marked Check while only links to check reached it.
func (t *txn) linkRemote(l *crawl.Link, shard, depth int, check bool) (uint64, error) {
	if c, ok := t.cache.get(l.URL); ok && c.state == crawl.StateRemote && remoteSent(c.check, check, depth, c.depth) {
		return c.id, nil
	}
	id, found := t.urlID(l.URL)
	if !found {
		n := crawl.Node{URL: l.URL, State: crawl.StateRemote, Depth: depth, Check: check, External: check && !l.InScope}
		id, err := t.record(&n)
		if err != nil {
			return 0, err
		}
		return id, t.putOutbox(shard, l.URL, depth, n.Check, n.External)
	}
	v, err := t.nodeRecord(id)
	if err != nil {
		return 0, err
	}
	if c, ok := peekNode(v); ok && c.state == crawl.StateRemote && remoteSent(c.check, check, depth, c.depth) {
		c.id = id
		t.cache.put(l.URL, c)
		return id, nil
	}
	n, err := decodeNode(id, v)
	if err != nil {
		return 0, err
	}
	return id, t.reachRemote(&n, shard, depth, check, check && !l.InScope)
}

// remoteSent reports whether the owner of a remote URL was told all a link says: a link to
// check says nothing new after a link to crawl (the owner fetches the URL), nor after a link
// to check at no greater depth; a link to crawl, nothing new after one at no greater depth.
func remoteSent(sentCheck, check bool, depth, sentDepth int) bool {
	if check && !sentCheck {
		return true
	}
	return sentCheck == check && depth >= sentDepth
}

// reachRemote handles a link at depth to a known node of another shard than the linking
// page's (with check, a link to check; external: out of the scope): the owner is told of the
// link unless it was told as much.
func (t *txn) reachRemote(n *crawl.Node, shard, depth int, check, external bool) error {
	switch {
	case n.State == crawl.StateRemote:
		if remoteSent(n.Check, check, depth, n.Depth) {
			return nil // sent already, as much
		}
		if !check {
			n.Check, n.External = false, false // now a link to crawl
		}
		n.Depth = min(n.Depth, depth)
	case n.State == crawl.StateExternal || (n.State == crawl.StateSkipped && n.Error == crawl.ReasonNofollow):
		// Recorded from links the crawl does not follow; now one it follows or checks: the
		// owner decides.
		n.State, n.Depth, n.Error, n.Check, n.External = crawl.StateRemote, depth, "", check, external
	default:
		// A record this database made while it owned the shard (pending, fetched, skipped
		// for its depth or budget), or a trap rule's refusal, which the owner makes too: the
		// owner has its own record, and needs to hear only of a shorter path to crawl.
		if check || depth >= n.Depth {
			return nil
		}
		return t.putOutbox(shard, n.URL, depth, false, false)
	}
	if err := t.putNode(n); err != nil {
		return err
	}
	return t.putOutbox(shard, n.URL, n.Depth, n.Check, n.External)
}
