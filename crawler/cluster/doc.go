// Package cluster shares one crawl between many nodes over NATS JetStream: the engine-facing
// half of `crawl --cluster`. Each node keeps its own bbolt database and runs the single-node
// pipeline on the hosts it owns; only links to other nodes' hosts, page records and
// membership travel through the engine. The package talks to the node's store and crawler
// through the small interfaces in seams.go (Outbox, Records, Inbox, Frontier).
//
// # Names
//
// For crawl id ID: KV bucket crawl_ID; streams CRAWL_ID_URLS (subjects crawl.ID.urls.<shard>)
// and CRAWL_ID_RECORDS (crawl.ID.records.<shard>, S2-compressed); one durable pull consumer
// per shard, shard-<n>, on the URL stream. Both streams keep every message for the crawl's
// life (limits retention, no limits): a new owner of a shard replays them.
//
// # Shards
//
// shard = FNV-1a-64(lower-cased frontier host key, host[:port]) mod S. S (default 256) and the
// hash are recorded in the KV key "config" with the crawl's settings (opaque bytes) by the
// first node, with compare-and-set; a node with other settings or another S is refused.
//
// # Membership and ownership
//
// A node's heartbeat is the key alive.<node>, written with a per-message TTL (HeartbeatTTL,
// whole seconds) and renewed every Heartbeat with the node's activity report. Joining creates
// it (compare-and-set): if it exists, the joiner reads it twice a heartbeat for a TTL; a
// renewal means the id is running (ErrNodeRunning), an expiry that the holder is dead (kill
// -9) and the id is free. A read that fails (the server restarting) starts the wait again.
//
// shard.<n> holds {owner, epoch, hold, db}; it changes only by compare-and-set on its revision,
// so at most one claim of a free shard succeeds. Every node computes the same balanced targets
// from the live nodes (S/N each, the remainder to the first ids) and claims free shards up to
// its target, in rendezvous-hash order; a node above its target lets go of its surplus while
// others lack shards. A node lets go by: stopping the shard's consumer (handing back what it
// holds), Frontier.DropShards (no fetch of the shard in flight, every result committed),
// flushing its outbox and records to the engine, then freeing the shard with the hold the
// frontier reported. An owner whose heartbeat has been gone for Lease (counted on the
// observer's clock from when it saw the key expire) has its shards freed by any live node,
// marked lost, with hold MaxHostDelay; Conn.Reassign does the same at once for a stopped node.
//
// A node that cannot renew its heartbeat for the TTL (counted from the last renewal sent
// that succeeded, earlier than the server's TTL start) fences itself: it drops every shard
// and stops consuming until the heartbeat is back. Others free its shards only a Lease after
// the key expired, so two nodes never fetch or consume the same shard at once, as long as the
// lease is longer than a fetch's time limit.
//
// # Politeness across owners
//
// A new owner requests nothing of a shard's hosts before hold has passed since its claim.
// The claim follows the release, which follows the old owner's last request, so the hold is
// measured on one clock and no clocks of two machines are compared. The hold is what the old
// owner's frontier still required (its hosts' next allowed times: rate, Crawl-delay,
// backoff) or, for a lost node, the longest any host may ask (MaxHostDelay), since nothing
// is known of its last requests.
//
// # Links to other shards: the transactional outbox
//
// The store writes a link to another shard's host as an outbox row in the page's own
// transaction. The publisher reads rows oldest first, publishes each to crawl.ID.urls.<shard>
// with message id "u"+sha256(depth, URL) (the server drops a repeat within the duplicate
// window; a smaller depth is a new id), and deletes the rows only once the server
// acknowledged them. Errors are retried with backoff; the client reconnects after a server
// restart. A crash leaves rows to send again; receivers are idempotent, so the window only
// saves work. Seeds are published the same way by every node and inserted by none directly.
//
// # Inbound
//
// The owner of a shard pulls its durable consumer (per shard, not per node: its delivery
// state moves with the shard), hands batches to Inbox.InsertURLs (insert if unseen, as a
// followable link at that depth) and acknowledges only after it returned durably. At-least-once
// delivery plus an idempotent insert gives each URL's effect exactly once.
//
// # Records and recovery of a shard
//
// The store also writes, in the page's transaction, a record row (page and edges, its own
// encoding); the publisher sends it to crawl.ID.records.<shard> (id: sha256 of the message)
// after the outbox rows of the same round. A node that gains a shard at a new epoch rebuilds
// it from the engine alone, after creating the shard's consumer if needed (new consumers
// start at new messages): it replays the shard's records (Inbox.ApplyRecords: done pages are
// not fetched again, their same-shard links come back as pending, their cross-shard links get
// outbox rows again), then every URL message of the shard (InsertURLs). Then it starts the
// consumer and hands the shard to the frontier. When the rebuild is complete it records its
// database id in shard.<n>; a restart with that database resumes the shard without one.
// A restarted old node serves only the shards the KV gives it; its database's entries of
// other shards stay, skipped by its frontier: the engine holds them for their new owner, and
// its unpublished rows (links, records) are still published, as they are true facts.
//
// # Done
//
// See done.go: the live node with the smallest id takes two observations (streams' last
// sequences and shard consumers' pending and unacknowledged counts, then a fresh report
// from every node); when both are quiet and equal, every shard's consumer listed and the
// connection not lost in between, it writes the key "done", and every node's Run returns nil.
//
// # Page budget
//
// See budget.go: --max-pages is drawn from the key "budget" by compare-and-set, per node.
package cluster
