package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/crawl-project/crawl"
)

// txn wraps one read-write transaction with the bucket operations the writer needs.
type txn struct {
	tx                           *bolt.Tx
	urls, nodes, edges, frontier *bolt.Bucket
	perHost, rejects             *bolt.Bucket // see budget.go
	maxDepth                     int
	budget                       int // URLs queued per host; 0: unlimited
	maxRedirects                 int // see Writer.WithMaxRedirects
	stats                        *crawl.CommitStats

	// Lookups go through one cursor per bucket: Bucket.Get allocates a new cursor and its
	// stack on every call, a cursor's Seek reuses them. A Seek repositions the cursor, so
	// Puts in between are fine.
	urlsCur, nodesCur, edgesCur, frontierCur, perHostCur *bolt.Cursor
	idKey                                                [8]byte
	key                                                  []byte // scratch for keys: bbolt copies a Put's key and keeps no lookup key

	mem   arena     // values given to Put, which bbolt keeps until the transaction ends
	cache *urlCache // see urlcache.go
	guard *guard    // the transaction's, for its caller's callbacks

	// queued caches the per-host counters of the hostpages bucket that the transaction has
	// read; admit counts in it and flush writes the changed ones back, once each.
	queued map[string]*hostCount
}

type hostCount struct {
	n     uint64
	dirty bool
}

// get is Bucket.Get through a reused cursor.
func get(c *bolt.Cursor, key []byte) []byte {
	k, v := c.Seek(key)
	if !bytes.Equal(k, key) {
		return nil
	}
	return v
}

func newTxn(tx *bolt.Tx, cache *urlCache) *txn {
	t := &txn{
		tx:           tx,
		cache:        cache,
		urls:         tx.Bucket(bucketURLs),
		nodes:        tx.Bucket(bucketNodes),
		edges:        tx.Bucket(bucketEdges),
		frontier:     tx.Bucket(bucketFrontier),
		perHost:      tx.Bucket(bucketHostPages),
		rejects:      tx.Bucket(bucketRejects),
		maxDepth:     -1,
		maxRedirects: DefaultMaxRedirects,
		stats:        &crawl.CommitStats{HostsWithNew: map[string]int{}, HostsRequeued: map[string]bool{}},
	}
	t.urlsCur, t.nodesCur, t.edgesCur = t.urls.Cursor(), t.nodes.Cursor(), t.edges.Cursor()
	t.frontierCur, t.perHostCur = t.frontier.Cursor(), t.perHost.Cursor()
	return t
}

// urlID returns the id of a known URL.
func (t *txn) urlID(u string) (uint64, bool) {
	t.key = append(t.key[:0], u...)
	v := get(t.urlsCur, t.key)
	if v == nil {
		return 0, false
	}
	return binary.BigEndian.Uint64(v), true
}

func (t *txn) lookup(u string) (uint64, crawl.Node, bool, error) {
	id, ok := t.urlID(u)
	if !ok {
		return 0, crawl.Node{}, false, nil
	}
	n, err := t.node(id)
	return id, n, err == nil, err
}

func (t *txn) nodeRecord(id uint64) ([]byte, error) {
	binary.BigEndian.PutUint64(t.idKey[:], id)
	v := get(t.nodesCur, t.idKey[:])
	if v == nil {
		return nil, fmt.Errorf("node %d: missing record", id)
	}
	return v, nil
}

func (t *txn) node(id uint64) (crawl.Node, error) {
	v, err := t.nodeRecord(id)
	if err != nil {
		return crawl.Node{}, err
	}
	return decodeNode(id, v)
}

func (t *txn) putNode(n *crawl.Node) error {
	t.cache.update(n.URL, cachedURL{id: n.ID, state: n.State, depth: n.Depth})
	binary.BigEndian.PutUint64(t.idKey[:], n.ID)
	return t.nodes.Put(t.idKey[:], appendNode(t.mem.buf(nodeSize(n)), n))
}

// insert records a URL seen for the first time; a pending one also enters the frontier.
func (t *txn) insert(u, host string, state crawl.State, at distance, reason string) (uint64, error) {
	id, err := t.record(u, state, at.depth, reason)
	if err != nil || state != crawl.StatePending {
		return id, err
	}
	return id, t.enqueue(host, id, at, u)
}

// record gives a URL seen for the first time an id and a node, without queueing it.
func (t *txn) record(u string, state crawl.State, depth int, reason string) (uint64, error) {
	id, err := t.nodes.NextSequence()
	if err != nil {
		return 0, err
	}
	t.key = append(t.key[:0], u...)
	if err := t.urls.Put(t.key, t.mem.id(id)); err != nil {
		return 0, err
	}
	n := crawl.Node{ID: id, URL: u, State: state, Depth: depth, Error: reason}
	if err := t.putNode(&n); err != nil {
		return 0, err
	}
	t.stats.NewURLs++
	return id, nil
}

func (t *txn) enqueue(host string, id uint64, at distance, u string) error {
	t.stats.HostsWithNew[host]++
	t.stats.Queued++
	t.admit(host)
	if at.redirects > 0 {
		t.stats.Redirected = append(t.stats.Redirected, crawl.Entry{ID: id, Host: host, URL: u, Depth: at.depth, Redirects: at.redirects})
	}
	return t.putFrontier(host, id, at, u)
}

func (t *txn) putFrontier(host string, id uint64, at distance, u string) error {
	t.key = appendFrontierKey(t.key[:0], host, id)
	return t.frontier.Put(t.key, appendFrontier(t.mem.buf(frontierSize(u)), at.depth, u, at.redirects))
}

// requeue puts a known, unfetched URL back into the frontier.
func (t *txn) requeue(id uint64, n *crawl.Node, host string, at distance) error {
	n.State, n.Depth, n.Error = crawl.StatePending, at.depth, ""
	if err := t.putNode(n); err != nil {
		return err
	}
	t.stats.HostsRequeued[host] = true
	return t.enqueue(host, id, at, n.URL)
}

func (t *txn) depthAllowed(d int) bool { return t.maxDepth < 0 || d <= t.maxDepth }

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
	if r.Page.State == crawl.StateDone || r.Page.State == crawl.StateFailed {
		t.stats.Fetched++
	}
	p := r.Page
	page.State, page.Status, page.ContentType, page.Size = p.State, p.Status, cutText(p.ContentType, maxText), p.Size
	page.Title, page.FetchedAt, page.Duration = cutText(p.Title, maxText), p.FetchedAt, p.Duration
	page.Error = cutText(p.Error, maxText)
	page.Truncated, page.NoIndex = p.Truncated, p.NoIndex
	t.reject(crawl.ReasonLinkCap, p.DroppedOut)
	t.stats.Pages++

	at := distance{page.Depth, r.Redirects}
	edges := make([]storedEdge, 0, len(r.Links))
	tooLong := 0
	var loop []crawl.Node
	for i := range r.Links {
		l := &r.Links[i]
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
			if loop, err = t.redirectLoop(&page, dst); err != nil {
				return err
			}
		}
		edges = append(edges, storedEdge{
			Edge: crawl.Edge{Src: page.ID, Dst: dst, Kind: l.Kind, Rel: cutText(l.Rel, maxText),
				Anchor: cutText(l.Anchor, maxText), Count: max(l.Count, 1)},
			follow: l.Follow,
		})
	}
	if loop != nil {
		if err := t.markLoop(&page, loop); err != nil {
			return err
		}
	}
	// Links too long to store are counted with those beyond the page's cap: found, not stored.
	page.DroppedOut = p.DroppedOut + tooLong
	t.reject(crawl.ReasonURLTooLong, tooLong)
	page.OutLinks = len(edges)
	if err := t.putNode(&page); err != nil {
		return err
	}
	return t.putEdges(page.ID, edges)
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

// dequeue takes a pending node out of the frontier because it is being recorded now.
func (t *txn) dequeue(n *crawl.Node) error {
	if n.State != crawl.StatePending {
		return nil
	}
	return t.unqueue(hostKey(n.URL), n.ID)
}

// unqueue removes a frontier entry, counting it only if it was there, so that the crawl can
// keep an exact count of queued URLs without scanning the bucket.
// The cursor's Seek finds the entry and its Delete removes it where the Seek left it: one
// descent of the tree instead of a Get's and a Delete's.
func (t *txn) unqueue(host string, id uint64) error {
	t.key = appendFrontierKey(t.key[:0], host, id)
	if found, _ := t.frontierCur.Seek(t.key); !bytes.Equal(found, t.key) {
		return nil
	}
	t.stats.Dequeued++
	return t.frontierCur.Delete()
}

// link records a link target, creating, queueing or re-queueing it as the crawl's rules say,
// and returns its id.
func (t *txn) link(l *crawl.Link, at distance) (uint64, error) {
	depth := at.depth
	if c, ok := t.cache.get(l.URL); ok && !linkChanges(l.Follow, c.state, c.depth, depth) {
		return c.id, nil
	}
	id, found := t.urlID(l.URL)
	if !found {
		state, reason := crawl.StatePending, ""
		switch {
		case !l.InScope:
			state = crawl.StateExternal
		case l.Reject != "":
			state, reason = crawl.StateSkipped, cutText(l.Reject, maxReason)
		case !l.Follow:
			state, reason = crawl.StateSkipped, crawl.ReasonNofollow
		case !t.depthAllowed(depth):
			state, reason = crawl.StateSkipped, crawl.ReasonMaxDepth
		case t.overBudget(l.Host):
			state, reason = crawl.StateSkipped, crawl.ReasonHostBudget
		}
		if isRejection(reason) {
			t.reject(reason, 1)
		}
		return t.insert(l.URL, l.Host, state, at, reason)
	}
	// Most links go to pages already known at no greater depth, where neither reach nor
	// lower has anything to do: read the state and depth without decoding the whole record.
	v, err := t.nodeRecord(id)
	if err != nil {
		return 0, err
	}
	if state, d, ok := peekStateDepth(v); ok && !linkChanges(l.Follow, state, d, depth) {
		t.cache.put(l.URL, cachedURL{id: id, state: state, depth: d})
		return id, nil
	}
	n, err := decodeNode(id, v)
	if err != nil {
		return 0, err
	}
	if l.Follow {
		return id, t.reach(id, n, at)
	}
	return id, t.lower(&n, depth)
}

// linkChanges reports whether a link at depth to a node in state at depth d may change it:
// a followable link acts on skipped and external nodes whatever the depth (they may join the
// crawl), and any link acts only through a shorter path otherwise.
func linkChanges(follow bool, state crawl.State, d, depth int) bool {
	if depth < d {
		return true
	}
	return follow && (state == crawl.StateSkipped || state == crawl.StateExternal)
}

// lower records a shorter path to a node that a link reaches without making it followable
// (nofollow, or out of scope). Only nodes that are not fetched because of such links take
// their depth from them: external URLs and URLs skipped for nofollow. For everything else
// the depth counts followable links only, so that depth limits mean the same whatever the
// order of fetches.
func (t *txn) lower(n *crawl.Node, depth int) error {
	if depth >= n.Depth {
		return nil
	}
	if n.State != crawl.StateExternal && (n.State != crawl.StateSkipped || n.Error == crawl.ReasonMaxDepth) {
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
		case crawl.StatePending:
			if depth < n.Depth {
				n.Depth = depth
				if err := t.putNode(&n); err != nil {
					return err
				}
				// Only rewrite an entry that is still queued; a missing one is being recorded.
				host := hostKey(n.URL)
				t.key = appendFrontierKey(t.key[:0], host, it.id)
				if get(t.frontierCur, t.key) != nil {
					if err := t.putFrontier(host, it.id, it.at, n.URL); err != nil {
						return err
					}
				}
			}
		case crawl.StateDone, crawl.StateFailed, crawl.StateBlocked:
			if depth < n.Depth {
				n.Depth = depth
				if err := t.putNode(&n); err != nil {
					return err
				}
				err := t.eachEdge(it.id, func(e storedEdge) error {
					next := t.next(it.at, e.Kind)
					if e.follow {
						queue = append(queue, item{e.Dst, next})
						return nil
					}
					dst, err := t.node(e.Dst)
					if err != nil {
						return err
					}
					return t.lower(&dst, next.depth)
				})
				if err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (t *txn) eachEdge(src uint64, fn func(storedEdge) error) error {
	binary.BigEndian.PutUint64(t.idKey[:], src)
	v := get(t.edgesCur, t.idKey[:])
	if v == nil {
		return nil
	}
	return eachEncodedEdge(src, v, fn)
}

// putEdges replaces the outgoing edges of src.
func (t *txn) putEdges(src uint64, edges []storedEdge) error {
	var err error
	if len(edges) == 0 {
		binary.BigEndian.PutUint64(t.idKey[:], src)
		err = t.edges.Delete(t.idKey[:])
	} else {
		binary.BigEndian.PutUint64(t.idKey[:], src)
		err = t.edges.Put(t.idKey[:], appendEdges(t.mem.buf(edgesSize(edges)), edges))
	}
	if err != nil {
		return err
	}
	t.stats.Edges += len(edges)
	return nil
}
