package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Reasons recorded in Node.Error for skipped URLs that a shorter path or a followable link
// may still bring into the crawl.
const (
	ReasonMaxDepth = "max-depth"
	ReasonNofollow = "nofollow"
)

// Link is one outgoing reference of a page, as the writer records it.
type Link struct {
	URL     string // normalised
	Host    string // frontier host key of URL
	Kind    EdgeKind
	Rel     string
	Anchor  string
	Count   int
	InScope bool // the crawl's scope contains URL
	Follow  bool // in scope and followable (not nofollow): the crawl should fetch it
	// Reject, when set, is why the crawl refuses to fetch URL although it is in scope (a trap
	// rule's reason): a new URL is recorded as skipped with it and counted as a rejection.
	Reject string
}

// Result is everything the crawl learnt from one leased URL. The writer commits it in one
// transaction: the page, its edges, the new frontier entries, and the end of the lease.
// A Result with ID 0 ends no lease and records only its HostInfo.
//
// A redirect is a page like any other: its status, and one link of kind KindRedirect to its
// target. The target is queued as a link is, so that it is fetched in its own turn, under its
// host's robots.txt and rate, and only if it was never seen; but it keeps the redirect's depth
// (a redirect moves a page, it does not link to another), up to a chain of MaxRedirects.
type Result struct {
	ID   uint64 // the leased node
	Host string // frontier host key of the leased URL
	// Redirects is how many redirects in a row led to the leased URL (Entry.Redirects).
	Redirects int
	// HostInfo, if set, is merged into the hosts bucket (a robots.txt just fetched).
	HostInfo *HostRecord

	// Page holds the fetch outcome: State (Done, Failed, Blocked or Skipped), Status,
	// ContentType, Size, Title, FetchedAt, Duration, Error, Truncated, DroppedOut, NoIndex.
	Page  Node
	Links []Link
}

// txn wraps one read-write transaction with the bucket operations the writer needs.
type txn struct {
	tx                           *bolt.Tx
	urls, nodes, edges, frontier *bolt.Bucket
	perHost, rejects             *bolt.Bucket // see budget.go
	maxDepth                     int
	budget                       int // URLs queued per host; 0: unlimited
	maxRedirects                 int // see Writer.WithMaxRedirects
	stats                        *CommitStats

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
		stats:        &CommitStats{HostsWithNew: map[string]int{}, HostsRequeued: map[string]bool{}},
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

func (t *txn) lookup(u string) (uint64, Node, bool, error) {
	id, ok := t.urlID(u)
	if !ok {
		return 0, Node{}, false, nil
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

func (t *txn) node(id uint64) (Node, error) {
	v, err := t.nodeRecord(id)
	if err != nil {
		return Node{}, err
	}
	return decodeNode(id, v)
}

func (t *txn) putNode(n *Node) error {
	t.cache.update(n.URL, cachedURL{id: n.ID, state: n.State, depth: n.Depth})
	binary.BigEndian.PutUint64(t.idKey[:], n.ID)
	return t.nodes.Put(t.idKey[:], appendNode(t.mem.buf(nodeSize(n)), n))
}

// insert records a URL seen for the first time; a pending one also enters the frontier.
func (t *txn) insert(u, host string, state State, at distance, reason string) (uint64, error) {
	id, err := t.record(u, state, at.depth, reason)
	if err != nil || state != StatePending {
		return id, err
	}
	return id, t.enqueue(host, id, at, u)
}

// record gives a URL seen for the first time an id and a node, without queueing it.
func (t *txn) record(u string, state State, depth int, reason string) (uint64, error) {
	id, err := t.nodes.NextSequence()
	if err != nil {
		return 0, err
	}
	t.key = append(t.key[:0], u...)
	if err := t.urls.Put(t.key, t.mem.id(id)); err != nil {
		return 0, err
	}
	n := Node{ID: id, URL: u, State: state, Depth: depth, Error: reason}
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
		t.stats.Redirected = append(t.stats.Redirected, Entry{ID: id, Host: host, URL: u, Depth: at.depth, Redirects: at.redirects})
	}
	return t.putFrontier(host, id, at, u)
}

func (t *txn) putFrontier(host string, id uint64, at distance, u string) error {
	t.key = appendFrontierKey(t.key[:0], host, id)
	return t.frontier.Put(t.key, appendFrontier(t.mem.buf(frontierSize(u)), at.depth, u, at.redirects))
}

// requeue puts a known, unfetched URL back into the frontier.
func (t *txn) requeue(id uint64, n *Node, host string, at distance) error {
	n.State, n.Depth, n.Error = StatePending, at.depth, ""
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
func (t *txn) next(d distance, kind EdgeKind) distance {
	if kind == KindRedirect && d.redirects < t.maxRedirects {
		return distance{d.depth, d.redirects + 1}
	}
	return distance{d.depth + 1, 0}
}

func (t *txn) apply(r *Result) error {
	if err := t.unqueue(r.Host, r.ID); err != nil {
		return err
	}
	page, err := t.node(r.ID)
	if err != nil {
		return err
	}
	if page.State != StatePending {
		return nil // already recorded: keep the first record
	}
	if r.Page.State == StateDone || r.Page.State == StateFailed {
		t.stats.Fetched++
	}
	p := r.Page
	page.State, page.Status, page.ContentType, page.Size = p.State, p.Status, cutText(p.ContentType, maxText), p.Size
	page.Title, page.FetchedAt, page.Duration = cutText(p.Title, maxText), p.FetchedAt, p.Duration
	page.Error = cutText(p.Error, maxText)
	page.Truncated, page.NoIndex = p.Truncated, p.NoIndex
	t.reject(ReasonLinkCap, p.DroppedOut)
	t.stats.Pages++

	at := distance{page.Depth, r.Redirects}
	edges := make([]storedEdge, 0, len(r.Links))
	tooLong := 0
	var loop []Node
	for i := range r.Links {
		l := &r.Links[i]
		if !storableLink(l) {
			tooLong++
			if l.Kind == KindRedirect && page.Error == "" {
				page.Error = fmt.Sprintf("redirect to a URL of %d bytes, longer than the %d the crawl stores", len(l.URL), MaxURLLength)
			}
			continue
		}
		dst, err := t.link(l, t.next(at, l.Kind))
		if err != nil {
			return err
		}
		if l.Kind == KindRedirect && loop == nil {
			if loop, err = t.redirectLoop(&page, dst); err != nil {
				return err
			}
		}
		edges = append(edges, storedEdge{
			Edge: Edge{Src: page.ID, Dst: dst, Kind: l.Kind, Rel: cutText(l.Rel, maxText),
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
	t.reject(ReasonURLTooLong, tooLong)
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
func (t *txn) redirectLoop(page *Node, dst uint64) ([]Node, error) {
	var chain []Node
	for cur := dst; len(chain) <= t.maxRedirects; {
		if cur == page.ID {
			if chain == nil {
				chain = []Node{} // a redirect to itself
			}
			return chain, nil
		}
		n, err := t.node(cur)
		if err != nil {
			return nil, err
		}
		if (n.State != StateDone && n.State != StateFailed) || !isRedirect(n.Status) {
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
		if e.Kind != KindRedirect {
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
func (t *txn) markLoop(page *Node, rest []Node) error {
	msg := "redirect loop: " + page.URL
	for _, n := range rest {
		msg += " -> " + n.URL
	}
	msg = cutText(msg+" -> "+page.URL, maxText)
	page.State, page.Error = StateFailed, msg
	for i := range rest {
		n := &rest[i]
		n.State, n.Error = StateFailed, msg
		if err := t.putNode(n); err != nil {
			return err
		}
	}
	return nil
}

// dequeue takes a pending node out of the frontier because it is being recorded now.
func (t *txn) dequeue(n *Node) error {
	if n.State != StatePending {
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
func (t *txn) link(l *Link, at distance) (uint64, error) {
	depth := at.depth
	if c, ok := t.cache.get(l.URL); ok && !linkChanges(l.Follow, c.state, c.depth, depth) {
		return c.id, nil
	}
	id, found := t.urlID(l.URL)
	if !found {
		state, reason := StatePending, ""
		switch {
		case !l.InScope:
			state = StateExternal
		case l.Reject != "":
			state, reason = StateSkipped, cutText(l.Reject, maxReason)
		case !l.Follow:
			state, reason = StateSkipped, ReasonNofollow
		case !t.depthAllowed(depth):
			state, reason = StateSkipped, ReasonMaxDepth
		case t.overBudget(l.Host):
			state, reason = StateSkipped, ReasonHostBudget
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
func linkChanges(follow bool, state State, d, depth int) bool {
	if depth < d {
		return true
	}
	return follow && (state == StateSkipped || state == StateExternal)
}

// lower records a shorter path to a node that a link reaches without making it followable
// (nofollow, or out of scope). Only nodes that are not fetched because of such links take
// their depth from them: external URLs and URLs skipped for nofollow. For everything else
// the depth counts followable links only, so that depth limits mean the same whatever the
// order of fetches.
func (t *txn) lower(n *Node, depth int) error {
	if depth >= n.Depth {
		return nil
	}
	if n.State != StateExternal && (n.State != StateSkipped || n.Error == ReasonMaxDepth) {
		return nil
	}
	n.Depth = depth
	return t.putNode(n)
}

// reach handles a followable link to a known node at the given distance. A shorter path
// lowers the node's depth; a node skipped for its depth or for nofollow joins the frontier;
// and a fetched page passes the lower depth on to what it refers to (followable or not), so
// depths and depth limits come out the same whatever order pages are fetched in.
func (t *txn) reach(id uint64, n Node, at distance) error {
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
		case StateSkipped:
			if (n.Error == ReasonMaxDepth || n.Error == ReasonNofollow) && t.depthAllowed(depth) {
				if _, err := t.requeueWithinBudget(it.id, &n, hostKey(n.URL), it.at); err != nil {
					return err
				}
			} else if n.Error == ReasonNofollow {
				// Followable but too deep: the node is skipped for its depth, whichever of the
				// two links was seen first; its depth now counts followable links only.
				n.Error, n.Depth = ReasonMaxDepth, depth
				if err := t.putNode(&n); err != nil {
					return err
				}
			} else if n.Error == ReasonMaxDepth && depth < n.Depth {
				n.Depth = depth
				if err := t.putNode(&n); err != nil {
					return err
				}
			}
		case StateExternal:
			// A followable link to a URL recorded outside the scope: the scope has grown since
			// (a new seed's host). It joins the crawl as if seen for the first time.
			if t.depthAllowed(depth) {
				if err := t.requeue(it.id, &n, hostKey(n.URL), it.at); err != nil {
					return err
				}
			} else {
				n.State, n.Depth, n.Error = StateSkipped, depth, ReasonMaxDepth
				if err := t.putNode(&n); err != nil {
					return err
				}
			}
		case StatePending:
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
		case StateDone, StateFailed, StateBlocked:
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
