package store

import (
	"encoding/binary"
	"fmt"

	"github.com/crawl-project/crawl"
)

// The methods here change many URLs at once between runs. Each is one transaction, so a crash
// leaves the database as it was before or after, never half-way. Call them before the
// pipeline's writer starts: they write the database.

// RequeueFailed puts every failed URL back in the frontier at its depth and returns how many.
// Its earlier attempt stays counted in FetchedCount: --max-pages limits fetch attempts, so a
// retried URL counts once more when it is fetched again.
func (db *DB) RequeueFailed() (int, error) {
	n := 0
	err := db.update(func(t *txn) error {
		failed, err := t.collect(func(n *crawl.Node) bool { return n.State == crawl.StateFailed })
		if err != nil {
			return err
		}
		for i := range failed {
			if err := t.requeueAt(&failed[i]); err != nil {
				return err
			}
		}
		n = len(failed)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("requeue failed URLs: %w", err)
	}
	return n, nil
}

// RescopeStats says what Rescope changed.
type RescopeStats struct {
	Requeued   int // skipped for max-depth and now within the limit: queued
	TooDeep    int // queued and now beyond the limit: skipped for max-depth
	OutOfScope int // queued or skipped for max-depth, and now outside the scope: external
}

// Rescope applies a changed max-depth (< 0: none) and scope to the URLs not fetched yet:
// URLs skipped for max-depth that the limit now allows are queued, within the host budget
// (see Writer.WithHostBudget; 0: none), queued URLs deeper than the limit are skipped for
// max-depth, and queued URLs that inScope rejects are recorded as external. Fetched pages
// and their links stay as they are.
func (db *DB) Rescope(maxDepth, hostBudget int, inScope func(url string) bool) (RescopeStats, error) {
	var st RescopeStats
	err := db.update(func(t *txn) error {
		st = RescopeStats{}
		t.maxDepth = maxDepth
		t.budget = max(hostBudget, 0)
		nodes, err := t.collect(func(n *crawl.Node) bool {
			return n.State == crawl.StatePending || (n.State == crawl.StateSkipped && n.Error == crawl.ReasonMaxDepth)
		})
		if err != nil {
			return err
		}
		for i := range nodes {
			n := &nodes[i]
			switch {
			case n.External:
				continue // a check out of the scope already
			case !calledBack(t.guard, inScope, n.URL):
				if err := t.unqueueNode(n); err != nil {
					return err
				}
				n.State, n.Error, n.Check = crawl.StateExternal, "", false
				st.OutOfScope++
			case n.State == crawl.StateSkipped && t.depthAllowed(n.Depth):
				queued, err := t.requeueWithinBudget(n.ID, n, hostKey(n.URL), distance{depth: n.Depth})
				if err != nil {
					return err
				}
				if queued {
					st.Requeued++
				}
				continue
			case n.State == crawl.StatePending && !n.Check && !t.depthAllowed(n.Depth):
				if err := t.unqueueNode(n); err != nil {
					return err
				}
				n.State, n.Error = crawl.StateSkipped, crawl.ReasonMaxDepth
				st.TooDeep++
			default:
				continue
			}
			if err := t.putNode(n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return RescopeStats{}, fmt.Errorf("apply new scope and depth: %w", err)
	}
	return st, nil
}

// collect returns the nodes for which match is true. Changes are made after the scan, since
// writing a bucket invalidates the cursors reading it.
func (t *txn) collect(match func(*crawl.Node) bool) ([]crawl.Node, error) {
	var out []crawl.Node
	c := t.nodes.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		n, err := decodeNode(binary.BigEndian.Uint64(k), v)
		if err != nil {
			return nil, err
		}
		if match(&n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// requeueAt puts a known node back in the frontier at its recorded depth.
func (t *txn) requeueAt(n *crawl.Node) error {
	return t.requeue(n.ID, n, hostKey(n.URL), distance{depth: n.Depth})
}

// QueueChecks queues, to be checked, the URLs recorded outside the scope and never fetched
// (crawl.StateExternal) that a page refers to with an edge for which check (given the
// edge's kind and the URL) says so, and returns how many. A crawl whose earlier runs did not
// check external links or requisites checks those of the pages they recorded this way. It
// reads every node and every edge.
func (db *DB) QueueChecks(check func(kind crawl.EdgeKind, url string) bool) (int, error) {
	n := 0
	err := db.update(func(t *txn) error {
		n = 0
		external := map[uint64]*crawl.Node{}
		c := t.nodes.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if p, ok := peekNode(v); !ok || p.state != crawl.StateExternal {
				continue
			}
			node, err := decodeNode(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return err
			}
			external[node.ID] = &node
		}
		if len(external) == 0 {
			return nil
		}
		var queue []*crawl.Node
		c = t.edges.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			err := eachEncodedEdge(binary.BigEndian.Uint64(k), v, func(e storedEdge) error {
				if node, ok := external[e.Dst]; ok && !node.Check && calledBack(t.guard, func(e storedEdge) bool { return check(e.Kind, node.URL) }, e) {
					node.Check = true
					queue = append(queue, node)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		for _, node := range queue {
			node.External = true
			if err := t.requeueAt(node); err != nil {
				return err
			}
		}
		n = len(queue)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("queue checks: %w", err)
	}
	return n, nil
}
