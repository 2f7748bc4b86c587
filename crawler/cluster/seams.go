package cluster

import (
	"context"
	"time"
)

// The node's side of the protocol: what the engine needs from the store and the crawler. Each
// method may be called from several goroutines of the engine at once, but never twice at once
// for the same interface method (one publisher, one inbound committer, one controller).

// OutboxRow is a link to a host of another shard, kept in the node's database until the
// engine has published it.
type OutboxRow struct {
	Seq   uint64 // the row's key, increasing in commit order
	Shard int    // ShardOf the URL's host key
	URL
}

// Outbox is the transactional outbox: links to other shards' hosts, written in the same
// transaction as the page that holds them.
type Outbox interface {
	// PendingOutbox returns up to max rows, oldest first (ascending Seq). A row is visible only
	// once the transaction that wrote it is durable.
	PendingOutbox(ctx context.Context, max int) ([]OutboxRow, error)
	// DeleteOutbox removes these rows durably (one transaction). The engine calls it only after
	// the server acknowledged every one of them. Seqs no longer there are ignored.
	DeleteOutbox(ctx context.Context, seqs []uint64) error
}

// Record is a committed page record waiting to be replicated to the engine.
type Record struct {
	Seq   uint64 // the row's key, increasing in commit order
	Shard int    // ShardOf the page's host key
	PageRecord
}

// Records are the page records the node committed and has not yet replicated. The store
// writes a record row in the transaction that records the page (one row per page recorded:
// done, failed, robots-blocked or skipped when leased), so the engine holds every shard's
// finished pages, and a node that takes over a shard does not fetch them again.
type Records interface {
	// PendingRecords returns up to max records, oldest first (ascending Seq).
	PendingRecords(ctx context.Context, max int) ([]Record, error)
	// DeleteRecords marks these records replicated, durably. Called after the server
	// acknowledged every one of them. Seqs no longer there are ignored.
	DeleteRecords(ctx context.Context, seqs []uint64) error
}

// Inbox commits what other nodes send to the shards this node owns or is taking over.
type Inbox interface {
	// InsertURLs commits the URLs in one durable transaction and returns only once it is
	// durable: the engine acknowledges the messages after it returns. Each URL is committed as
	// a followable link at its depth found on a page of this node would be (the crawl's depth
	// limit and per-host budget apply; an unseen URL enters the frontier; a known one keeps
	// its state, a smaller depth lowers it). It must be idempotent: the same URLs arrive again
	// after a crash between the commit and the acknowledgement, and on every shard move.
	InsertURLs(ctx context.Context, urls []URL) error
	// ApplyRecords commits, in one durable transaction, page records replayed from the engine
	// for a shard this node is taking over. A URL not known, or known and not recorded yet
	// (pending), is recorded as the record says and leaves the frontier; its links are
	// committed as a page's links are (same-shard targets may enter the frontier, other
	// shards' targets get outbox rows, so a link whose row the old owner never published is
	// not lost). A URL already recorded keeps its record. Idempotent, as InsertURLs.
	// ApplyRecords writes no record rows: these records are in the engine already.
	ApplyRecords(ctx context.Context, records []PageRecord) error
}

// Frontier is the crawler's side of shard ownership and activity.
type Frontier interface {
	// GainShards lets the node fetch the hosts of these shards, but no host of them before
	// notBefore: the previous owner's politeness carried over. Their URLs may already be in
	// the database (a node that owned them before, or a rebuild just done).
	GainShards(shards []int, notBefore time.Time)
	// DropShards stops handing out URLs of hosts in these shards and returns once no fetch of
	// them is in flight and every result of them is committed (so their records and outbox
	// rows are in the database). It returns how long the node would still have waited before
	// its next request to any host of them (rate interval, Crawl-delay, backoff), measured
	// from its return: the new owner waits that long. Entries of dropped shards stay in the
	// database, skipped by the frontier; the engine holds them for the new owner.
	DropShards(ctx context.Context, shards []int) (hold time.Duration, err error)
	// Progress reports the node's activity in the shards it owns now.
	Progress() Progress
}

// Progress is a node's activity, as the crawler counts it.
type Progress struct {
	Pending  int // URLs queued in the shards the node owns (entries of other shards excluded)
	InFlight int // URLs leased: being fetched, parsed or written
	// BudgetSpent: --max-pages allows the node no more fetches, so pending URLs wait for ever.
	BudgetSpent bool
	Fetched     uint64 // fetch attempts by this node over all its runs (what --max-pages counts)
	Commits     uint64 // results committed by the writer since the node started
}

// Local bundles the node's side. One value may implement all four.
type Local struct {
	Outbox   Outbox
	Records  Records
	Inbox    Inbox
	Frontier Frontier
}
