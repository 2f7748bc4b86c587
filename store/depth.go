package store

// Depth propagation: a URL's depth is its shortest distance from a seed in followable links,
// whatever order pages are fetched in. A link that finds a shorter path lowers its target's
// depth and passes the change on through what the target refers to, and may bring back
// into the crawl a URL skipped for its depth or for nofollow.

import "github.com/crawl-project/crawl"

// distance is how far a URL is from the seeds: link hops, and the redirects in a row that
// led to it since the last link.
type distance struct {
	depth     int
	redirects int
}

// next is the distance of what a page at d refers to with an edge of kind: a link is one hop
// deeper; a redirect target keeps the depth, up to a chain of maxRedirects, and the target of
// a longer chain counts as a link hop.
func (t *txn) next(d distance, kind crawl.EdgeKind) distance {
	if kind == crawl.KindRedirect && d.redirects < t.maxRedirects {
		return distance{d.depth, d.redirects + 1}
	}
	return distance{d.depth + 1, 0}
}

func (t *txn) depthAllowed(d int) bool { return t.maxDepth < 0 || d <= t.maxDepth }

// linkChanges reports whether a link at depth to a node c may change it: a followable link
// acts on skipped, external, remote and checked nodes whatever the depth (they may join the
// crawl), a link to check on skipped and external ones (they may be checked), and any link
// acts only through a shorter path otherwise.
func linkChanges(follow, check bool, c cachedURL, depth int) bool {
	if depth < c.depth {
		return true
	}
	switch {
	case follow:
		return c.state == crawl.StateSkipped || c.state == crawl.StateExternal || c.state == crawl.StateRemote || c.check
	case check:
		return c.state == crawl.StateSkipped || c.state == crawl.StateExternal || c.state == crawl.StateRemote
	}
	return false
}

// lower records a shorter path to a node that a link reaches without making it followable
// (nofollow, or out of scope). Only nodes that are not fetched, or only checked, because of
// such links take their depth from them: external URLs, URLs skipped for nofollow, checks. For everything else
// the depth counts followable links only, so that depth limits mean the same whatever the
// order of fetches.
func (t *txn) lower(n *crawl.Node, depth int) error {
	if depth >= n.Depth {
		return nil
	}
	if !n.Check && n.State != crawl.StateExternal && (n.State != crawl.StateSkipped || n.Error == crawl.ReasonMaxDepth) {
		return nil
	}
	n.Depth = depth
	return t.putNode(n)
}

// reach handles a followable link to a known node at the given distance. A shorter path
// lowers the node's depth; a node skipped for its depth or for nofollow joins the frontier;
// and a fetched page passes the lower depth on to what it refers to (followable or not), so
// depths and depth limits come out the same whatever order pages are fetched in.
func (t *txn) reach(id uint64, n crawl.Node, at distance) error {
	type item struct {
		id uint64
		at distance
	}
	queue := []item{{id, at}}
	first := true
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		depth := it.at.depth
		if !first {
			var err error
			if n, err = t.node(it.id); err != nil {
				return err
			}
		}
		first = false
		switch n.State {
		case crawl.StateSkipped:
			if (n.Error == crawl.ReasonMaxDepth || n.Error == crawl.ReasonNofollow) && t.depthAllowed(depth) {
				if _, err := t.requeueWithinBudget(it.id, &n, hostKey(n.URL), it.at); err != nil {
					return err
				}
			} else if n.Error == crawl.ReasonNofollow {
				// Followable but too deep: the node is skipped for its depth, whichever of the
				// two links was seen first; its depth now counts followable links only.
				n.Error, n.Depth = crawl.ReasonMaxDepth, depth
				if err := t.putNode(&n); err != nil {
					return err
				}
			} else if n.Error == crawl.ReasonMaxDepth && depth < n.Depth {
				n.Depth = depth
				if err := t.putNode(&n); err != nil {
					return err
				}
			}
		case crawl.StateExternal:
			// A followable link to a URL recorded outside the scope: the scope has grown since
			// (a new seed's host). It joins the crawl as if seen for the first time.
			if t.depthAllowed(depth) {
				if err := t.requeue(it.id, &n, hostKey(n.URL), it.at); err != nil {
					return err
				}
			} else {
				n.State, n.Depth, n.Error = crawl.StateSkipped, depth, crawl.ReasonMaxDepth
				if err := t.putNode(&n); err != nil {
					return err
				}
			}
		case crawl.StateRemote:
			// A URL recorded for another shard's owner, reached from its own shard: from a
			// page of this node, or sent to it, so this node owns the shard now. It joins the
			// crawl as if seen for the first time, as a page even if it was sent to be checked.
			n.State, n.Check, n.External = crawl.StateSkipped, false, false
			if !t.depthAllowed(depth) {
				n.Depth, n.Error = depth, crawl.ReasonMaxDepth
				if err := t.putNode(&n); err != nil {
					return err
				}
			} else if _, err := t.requeueWithinBudget(it.id, &n, hostKey(n.URL), it.at); err != nil {
				return err
			}
		case crawl.StatePending:
			if n.Check && t.depthAllowed(depth) {
				if _, err := t.crawlChecked(it.id, &n, it.at); err != nil {
					return err
				}
			} else if depth < n.Depth {
				n.Depth = depth
				if err := t.putNode(&n); err != nil {
					return err
				}
				// Only rewrite an entry that is still queued; a missing one is being recorded.
				host := hostKey(n.URL)
				t.key = appendFrontierKey(t.key[:0], host, it.id)
				if get(t.frontierCur, t.key) != nil {
					if err := t.putFrontier(host, it.id, it.at, n.URL, n.Check); err != nil {
						return err
					}
				}
			}
		case crawl.StateDone, crawl.StateFailed, crawl.StateBlocked:
			if n.Check && t.depthAllowed(depth) {
				queued, err := t.crawlChecked(it.id, &n, it.at)
				if err != nil {
					return err
				}
				if queued {
					continue
				}
			}
			if depth < n.Depth {
				n.Depth = depth
				if err := t.putNode(&n); err != nil {
					return err
				}
				src := -1 // the page's shard, in a cluster crawl
				if t.shards > 0 {
					src = crawl.ShardOf(hostKey(n.URL), t.shards)
				}
				err := t.eachEdge(it.id, func(e storedEdge) error {
					next := t.next(it.at, e.Kind)
					if e.follow && src < 0 {
						queue = append(queue, item{e.Dst, next})
						return nil
					}
					dst, err := t.node(e.Dst)
					if err != nil {
						return err
					}
					if !e.follow {
						if src >= 0 && dst.State == crawl.StateRemote && dst.Check {
							// A URL to check that another shard's owner checks: a shorter
							// path is news to it.
							return t.reachRemote(&dst, crawl.ShardOf(hostKey(dst.URL), t.shards), next.depth, true, dst.External)
						}
						return t.lower(&dst, next.depth)
					}
					if shard := crawl.ShardOf(hostKey(dst.URL), t.shards); shard != src {
						return t.reachRemote(&dst, shard, next.depth, false, false)
					}
					queue = append(queue, item{e.Dst, next})
					return nil
				})
				if err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// crawlChecked makes a checked URL a page to crawl, now that a followable link (or a seed)
// reaches it within the depth limit, and reports whether it queued it. A URL still pending
// keeps its place in the frontier, now to be fetched as a page. A check already done is
// fetched again, as a page, if it found one (an HTML answer 2xx) or a redirect, whose target
// is then crawled in turn: a check learns no links. Any other check stands.
func (t *txn) crawlChecked(id uint64, n *crawl.Node, at distance) (bool, error) {
	host := hostKey(n.URL)
	if n.State == crawl.StatePending {
		n.Check, n.External = false, false
		n.Depth = min(n.Depth, at.depth)
		if err := t.putNode(n); err != nil {
			return false, err
		}
		t.admit(host)
		// The entry is rewritten as a page's. (If it is leased, the check comes back to
		// the frontier when its result is applied; if it is missing, it is being recorded.)
		t.key = appendFrontierKey(t.key[:0], host, id)
		if get(t.frontierCur, t.key) == nil {
			return false, nil
		}
		return false, t.putFrontier(host, id, distance{depth: n.Depth, redirects: at.redirects}, n.URL, false)
	}
	if n.State != crawl.StateDone || !(isRedirect(n.Status) || n.Status >= 200 && n.Status <= 299 && isHTML(n.ContentType)) {
		return false, nil
	}
	if t.overBudget(host) {
		return false, nil
	}
	n.Check, n.External = false, false
	at.depth = min(at.depth, n.Depth)
	return true, t.requeue(id, n, host, at)
}

// isHTML reports whether a media type is one the crawl parses for links (fetch.IsHTML).
func isHTML(mediaType string) bool {
	return mediaType == "text/html" || mediaType == "application/xhtml+xml"
}
