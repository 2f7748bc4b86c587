package store

import (
	"errors"
	"fmt"

	"github.com/crawl-project/crawl"
)

// apply records one leased URL's result: its page, its edges and what their targets become
// (see link), and ends the lease. A URL recorded already keeps its first record.
func (t *txn) apply(r *crawl.Result) error {
	if err := t.unqueue(r.Host, r.ID); err != nil {
		return err
	}
	page, err := t.node(r.ID)
	if err != nil {
		return err
	}
	if page.State != crawl.StatePending {
		return nil // already recorded: keep the first record
	}
	if r.Check && !page.Check {
		// Leased to be checked, the URL has since been reached by a followable link (see
		// crawlChecked): what a check learnt is not a page's record. It goes back to the
		// frontier, to be fetched as a page.
		return t.requeue(page.ID, &page, r.Host, distance{depth: page.Depth})
	}
	if r.Page.State == crawl.StateDone || r.Page.State == crawl.StateFailed {
		if page.Check {
			t.stats.Checks++
		} else {
			t.stats.Attempts++
		}
	}
	p := r.Page
	page.State, page.Status, page.ContentType, page.Size = p.State, p.Status, cutText(p.ContentType, maxText), p.Size
	page.Title, page.FetchedAt, page.Duration = cutText(p.Title, maxText), p.FetchedAt, p.Duration
	page.Error = cutText(p.Error, maxText)
	page.Truncated, page.NoIndex = p.Truncated, p.NoIndex
	if !page.Check {
		page.Facts = storableFacts(p.Facts)
	}
	if t.shards > 0 {
		t.srcShard = crawl.ShardOf(r.Host, t.shards)
	}
	return t.recordPage(&page, distance{page.Depth, r.Redirects}, r.Links, r.Targets, p.DroppedOut, 0, true)
}

// recordPage records a page whose fields are set, at distance at from the seeds, with its
// links: the edges and what their targets become (see link), and the record row of a
// cluster crawl when replicate is set. dropped links beyond the page's cap and tooLong links
// too long to store, besides those among links, are counted. A result and a replayed record
// (see ApplyRecords) go through it alike, so both record a page the same way. targets are
// the fragment identifiers of a crawled page, nil when not known.
func (t *txn) recordPage(page *crawl.Node, at distance, links []crawl.Link, targets *crawl.Targets, dropped, tooLong int, replicate bool) error {
	t.reject(crawl.ReasonLinkCap, dropped)
	t.stats.Pages++
	edges := make([]storedEdge, 0, len(links))
	var loop []crawl.Node
	var fragments []fragmentRefs
	for i := range links {
		l := &links[i]
		if page.Check {
			// A check records where a redirect leads, to be checked in turn, nothing more.
			l.Follow, l.Check, l.Fragments = false, true, nil
		}
		if !storableLink(l) {
			tooLong++
			if l.Kind == crawl.KindRedirect && page.Error == "" {
				page.Error = fmt.Sprintf("redirect to a URL of %d bytes, longer than the %d the crawl stores", len(l.URL), MaxURLLength)
			}
			continue
		}
		dst, err := t.link(l, t.next(at, l.Kind))
		if err != nil {
			return err
		}
		if l.Kind == crawl.KindRedirect && loop == nil {
			if loop, err = t.redirectLoop(page, dst); err != nil {
				return err
			}
		}
		edges = append(edges, storedEdge{
			Edge: crawl.Edge{Src: page.ID, Dst: dst, Kind: l.Kind, Rel: cutText(l.Rel, maxText),
				Anchor: cutText(l.Anchor, maxText), Count: edgeCount(l.Count)},
			follow: l.Follow,
		})
		if len(l.Fragments) > 0 {
			fragments = append(fragments, fragmentRefs{dst: dst, fragments: l.Fragments})
		}
	}
	if loop != nil {
		if err := t.markLoop(page, loop); err != nil {
			return err
		}
	}
	// Links too long to store are counted with those beyond the page's cap: found, not stored.
	page.DroppedOut = dropped + tooLong
	t.reject(crawl.ReasonURLTooLong, tooLong)
	page.OutLinks = len(edges)
	if err := t.putNode(page); err != nil {
		return err
	}
	if err := t.putEdges(page.ID, edges); err != nil {
		return err
	}
	if page.State == crawl.StateDone && !page.Check {
		if err := t.putTargets(page.ID, targets); err != nil {
			return err
		}
		if err := t.putFragments(page.ID, fragments); err != nil {
			return err
		}
	}
	if !replicate || t.shards == 0 {
		return nil
	}
	if page.State != crawl.StateDone || page.Check {
		targets = nil // kept only for a crawled page, as above
	}
	body := appendRecord(t.mem.buf(recordSize(page, links, targets)), page, at, dropped, tooLong, links, targets)
	return t.putRecord(t.srcShard, page.URL, body)
}

// isRedirect reports whether an HTTP status is a redirect the crawl follows.
func isRedirect(status int) bool {
	switch status {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

// redirectLoop reports whether recording page as a redirect to dst closes a loop: dst is a
// redirect already recorded whose chain comes back to page within maxRedirects hops. It
// returns the other nodes of the loop, in chain order from dst, or nil.
func (t *txn) redirectLoop(page *crawl.Node, dst uint64) ([]crawl.Node, error) {
	var chain []crawl.Node
	for cur := dst; len(chain) <= t.maxRedirects; {
		if cur == page.ID {
			if chain == nil {
				chain = []crawl.Node{} // a redirect to itself
			}
			return chain, nil
		}
		n, err := t.node(cur)
		if err != nil {
			return nil, err
		}
		if (n.State != crawl.StateDone && n.State != crawl.StateFailed) || !isRedirect(n.Status) {
			return nil, nil
		}
		next, ok, err := t.redirectTarget(cur)
		if err != nil || !ok {
			return nil, err
		}
		chain = append(chain, n)
		cur = next
	}
	return nil, nil
}

// redirectTarget returns the target of the redirect edge recorded for src.
func (t *txn) redirectTarget(src uint64) (uint64, bool, error) {
	var dst uint64
	var found bool
	err := t.eachEdge(src, func(e storedEdge) error {
		if e.Kind != crawl.KindRedirect {
			return nil
		}
		dst, found = e.Dst, true
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return 0, false, err
	}
	return dst, found, nil
}

// markLoop records page and the rest of its redirect loop as failed: a loop is a redirect
// that never reaches a page, and the error names the chain. The redirects stay recorded,
// edges included, as the site answered them.
func (t *txn) markLoop(page *crawl.Node, rest []crawl.Node) error {
	msg := "redirect loop: " + page.URL
	for _, n := range rest {
		msg += " -> " + n.URL
	}
	msg = cutText(msg+" -> "+page.URL, maxText)
	page.State, page.Error = crawl.StateFailed, msg
	for i := range rest {
		n := &rest[i]
		n.State, n.Error = crawl.StateFailed, msg
		if err := t.putNode(n); err != nil {
			return err
		}
	}
	return nil
}

// link records a link target, creating, queueing or re-queueing it as the crawl's rules say,
// and returns its id. A link to check (Check, not Follow) queues its target to be checked:
// within the scope's trap rules, but whatever its depth and its host's budget, since a check
// is bounded by the pages that refer to it.
func (t *txn) link(l *crawl.Link, at distance) (uint64, error) {
	depth := at.depth
	check := l.Check && !l.Follow
	if t.shards > 0 && l.Reject == "" && (l.Follow && l.InScope || check) {
		// A URL is fetched, as a page or a check, only by the owner of its host's shard,
		// whose politeness and seen set are its host's.
		if shard := crawl.ShardOf(l.Host, t.shards); shard != t.srcShard {
			return t.linkRemote(l, shard, depth, check)
		}
	}
	if c, ok := t.cache.get(l.URL); ok && !linkChanges(l.Follow, check, c, depth) {
		return c.id, nil
	}
	id, found := t.urlID(l.URL)
	if !found {
		n := crawl.Node{URL: l.URL, State: crawl.StatePending, Depth: depth}
		switch {
		case !l.InScope && !check:
			n.State = crawl.StateExternal
		case l.Reject != "":
			n.State, n.Error = crawl.StateSkipped, cutText(l.Reject, maxReason)
		case check:
			n.Check, n.External = true, !l.InScope
		case !l.Follow:
			n.State, n.Error = crawl.StateSkipped, crawl.ReasonNofollow
		case !t.depthAllowed(depth):
			n.State, n.Error = crawl.StateSkipped, crawl.ReasonMaxDepth
		case t.overBudget(l.Host):
			n.State, n.Error = crawl.StateSkipped, crawl.ReasonHostBudget
		}
		if isRejection(n.Error) {
			t.reject(n.Error, 1)
		}
		return t.insertNode(&n, l.Host, at)
	}
	// Most links go to pages already known at no greater depth, where neither reach nor
	// lower has anything to do: read the state and depth without decoding the whole record.
	v, err := t.nodeRecord(id)
	if err != nil {
		return 0, err
	}
	if c, ok := peekNode(v); ok && !linkChanges(l.Follow, check, c, depth) {
		c.id = id
		t.cache.put(l.URL, c)
		return id, nil
	}
	n, err := decodeNode(id, v)
	if err != nil {
		return 0, err
	}
	switch {
	case l.Follow:
		return id, t.reach(id, n, at)
	case check:
		return id, t.checkKnown(id, &n, l, at)
	}
	return id, t.lower(&n, depth)
}

// checkKnown handles a link to check a URL already recorded: one never fetched because it is
// outside the scope or was skipped for its depth or for nofollow, or recorded for another
// shard's owner when this node owns the shard now (remote), is queued to be checked; for
// any other, a shorter path may lower its depth.
func (t *txn) checkKnown(id uint64, n *crawl.Node, l *crawl.Link, at distance) error {
	if n.State == crawl.StateExternal || n.State == crawl.StateRemote ||
		n.State == crawl.StateSkipped && (n.Error == crawl.ReasonMaxDepth || n.Error == crawl.ReasonNofollow) {
		n.Check, n.External = true, !l.InScope
		at.depth = min(at.depth, n.Depth)
		return t.requeue(id, n, l.Host, at)
	}
	return t.lower(n, at.depth)
}
