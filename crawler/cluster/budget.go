package cluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// The page budget (--max-pages) is cluster-wide: nodes draw allowances from one KV key by
// compare-and-set, so the grants never add up to more than the limit. Each node's grant is
// kept apart with the fetches it reported when it last drew: a restarted node keeps its unused
// allowance (its own database counts what it fetched), and when a lost node's shards move its
// unused allowance returns to the others. The budget is exact up to what the nodes had drawn
// and not used: a lost node's fetches after its last draw are counted on top.

// DrawPages asks for the right to fetch up to want more pages. fetched is this node's own count
// of fetch attempts over all its runs (what the store counts for --max-pages); limit is
// --max-pages (the same on every node). It returns the node's total grant: the node may lease
// a URL while fetched + leased < grant. With limit 0 there is no budget and the grant is
// unlimited (max uint64).
func (n *Node) DrawPages(ctx context.Context, limit, fetched uint64, want int) (uint64, error) {
	if limit == 0 {
		return ^uint64(0), nil
	}
	me := n.cfg.NodeID
	for {
		var b budget
		var rev uint64
		e, err := n.cr.kv.Get(ctx, keyBudget)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
			b = budget{V: valueVersion}
		case err != nil:
			return 0, fmt.Errorf("page budget: %w", err)
		default:
			if err := decodeValue(keyBudget, e.Value(), &b); err != nil {
				return 0, fmt.Errorf("page budget: %w", err)
			}
			rev = e.Revision()
		}
		if b.Nodes == nil {
			b.Nodes = map[string]*nodeBudget{}
		}
		mine := b.Nodes[me]
		if mine == nil {
			mine = &nodeBudget{}
			b.Nodes[me] = mine
		}
		mine.Fetched = max(mine.Fetched, fetched)
		mine.Granted = max(mine.Granted, mine.Fetched) // fetched beyond the grant: as in flight at a kill
		total := b.granted()
		room := uint64(0)
		if limit > total {
			room = limit - total
		}
		wanted := fetched + uint64(max(want, 0))
		if wanted > mine.Granted {
			mine.Granted += min(wanted-mine.Granted, room)
		}
		if rev == 0 {
			rev, err = n.cr.kv.Create(ctx, keyBudget, encodeValue(b))
		} else {
			rev, err = n.cr.kv.Update(ctx, keyBudget, encodeValue(b), rev)
		}
		if isRevisionMismatch(err) {
			continue // another node drew meanwhile
		}
		if err != nil {
			return 0, fmt.Errorf("page budget: %w", err)
		}
		return mine.Granted, nil
	}
}

// returnAllowance gives a lost node's unused allowance back: its grant becomes what it
// reported fetched.
func (cr *crawl) returnAllowance(ctx context.Context, node string) error {
	for {
		e, err := cr.kv.Get(ctx, keyBudget)
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("page budget: %w", err)
		}
		var b budget
		if err := decodeValue(keyBudget, e.Value(), &b); err != nil {
			return fmt.Errorf("page budget: %w", err)
		}
		nb := b.Nodes[node]
		if nb == nil || nb.Granted == nb.Fetched {
			return nil
		}
		nb.Granted = nb.Fetched
		_, err = cr.kv.Update(ctx, keyBudget, encodeValue(b), e.Revision())
		if isRevisionMismatch(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("page budget: %w", err)
		}
		return nil
	}
}
