package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	vocab "github.com/crawl-project/crawl"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// Config is one node's part in a crawl.
type Config struct {
	CrawlID string
	NodeID  string
	// Shards is S for a crawl this node creates (0: DefaultShards). Joining an existing crawl,
	// 0 takes the crawl's S, anything else must equal it.
	Shards int
	// Settings are the crawl's settings that every node must share (scope, include/exclude,
	// depth...), encoded by the caller. The first node records them; later nodes are compared.
	Settings []byte
	// CompareSettings, if set, compares recorded and this node's settings and returns an error
	// naming the differences (nil when they agree); unset, the bytes must be equal.
	CompareSettings func(recorded, mine []byte) error
	// DatabaseID identifies the node's database (a random id the store writes when it creates
	// it). A shard the KV still assigns to this node is resumed without a rebuild only if it was
	// claimed with the same database; "" rebuilds every shard at start.
	DatabaseID string

	// Heartbeat is how often the node renews its heartbeat key and reports its activity (1s).
	Heartbeat time.Duration
	// HeartbeatTTL is how long the heartbeat key lives without renewal (5s; whole seconds, at
	// least 1s and more than Heartbeat). A node that cannot renew within it stops fetching and
	// consuming (fenced) until it can.
	HeartbeatTTL time.Duration
	// Lease is how long a node may be gone (its heartbeat expired) before its shards move to
	// live nodes (1m). Reassign moves them at once.
	Lease time.Duration
	// MaxHostDelay is the longest a host may ask between two requests (rate interval,
	// Crawl-delay, Retry-After): the hold on the shards of a node that was lost (30s).
	MaxHostDelay time.Duration
	// AckWait is how long the server waits for a delivered URL message's acknowledgement before
	// delivering it again (30s): what a killed node's unacknowledged messages wait.
	AckWait time.Duration
	// PollEvery is how often the publisher looks for outbox rows and records without being
	// notified (1s).
	PollEvery time.Duration
	// Batch is the most rows, records or messages handled in one store call (256).
	Batch   int
	Streams StreamOptions
	Logger  *slog.Logger
}

func (c *Config) defaults() error {
	if err := checkID("node id", c.NodeID); err != nil {
		return err
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = time.Second
	}
	if c.HeartbeatTTL == 0 {
		c.HeartbeatTTL = 5 * time.Second
	}
	if c.HeartbeatTTL < time.Second || c.HeartbeatTTL%time.Second != 0 || c.HeartbeatTTL <= c.Heartbeat {
		return fmt.Errorf("cluster: heartbeat TTL %s: use whole seconds, more than the heartbeat interval %s", c.HeartbeatTTL, c.Heartbeat)
	}
	if c.Lease == 0 {
		c.Lease = time.Minute
	}
	if c.MaxHostDelay == 0 {
		c.MaxHostDelay = 30 * time.Second
	}
	if c.AckWait == 0 {
		c.AckWait = 30 * time.Second
	}
	if c.PollEvery == 0 {
		c.PollEvery = time.Second
	}
	if c.Batch == 0 {
		c.Batch = 256
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Node is this process's membership in a crawl: its heartbeat, its shards, the publisher of
// its outbox and records, and the consumers of its shards' URLs.
type Node struct {
	conn     *Conn
	cr       *crawl
	cfg      Config
	local    Local
	log      *slog.Logger
	instance string

	wake     chan struct{} // Notify: the outbox or the records have new rows
	changed  chan struct{} // the heartbeat was lost or is back
	flushReq chan chan error
	inbound  chan inMsg    // from the shard consumers to the committer
	work     atomic.Uint64 // engine commits and publishes, reported with the heartbeat
	inHand   atomic.Int64  // inbound messages received and not yet acknowledged
	serving  atomic.Int64  // shards rebuilt, consumed and handed to the frontier
	settled  atomic.Bool   // the node serves exactly the shards the KV gives it
	fenced   atomic.Bool
	aliveRev atomic.Uint64 // revision of this node's heartbeat key
	// beforeStart, if set, is called before a shard's consumer starts (tests: a server
	// restart at that moment).
	beforeStart func(shard int)

	mu       sync.Mutex
	closed   bool
	consumer map[int]*shardConsumer // the controller's; mu guards it for the committer's reads
}

// Join enters the crawl cfg.CrawlID on the connection's server: it creates the crawl if it
// does not exist (recording cfg.Settings and the shard count), or checks that this node
// brings the crawl's settings (ErrSettingsMismatch), then takes the node id, refused with
// ErrNodeRunning while another process holds it. A killed process's id is free once its
// heartbeat expires: Join waits up to the heartbeat TTL for that, and tells a live holder
// from a dead one by whether the heartbeat is renewed meanwhile.
//
// Join touches nothing of the node's database. Run then serves the crawl.
func (c *Conn) Join(ctx context.Context, cfg Config, local Local) (*Node, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	cr, err := c.ensureCrawl(ctx, cfg.CrawlID, cfg.Shards, cfg.Settings, cfg.Streams, cfg.CompareSettings)
	if err != nil {
		return nil, err
	}
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	n := &Node{
		conn: c, cr: cr, cfg: cfg, local: local,
		log:      cfg.Logger.With("crawl", cfg.CrawlID, "node", cfg.NodeID),
		instance: hex.EncodeToString(nonce[:]),
		wake:     make(chan struct{}, 1),
		changed:  make(chan struct{}, 1),
		flushReq: make(chan chan error),
		inbound:  make(chan inMsg, cfg.Batch),
		consumer: make(map[int]*shardConsumer),
	}
	if err := n.takeNodeID(ctx); err != nil {
		return nil, err
	}
	// A node joining a finished crawl (a rerun, new seeds) makes it run again.
	if err := cr.kv.Delete(ctx, keyDone); err != nil {
		return nil, fmt.Errorf("crawl %s: clear done mark: %w", cfg.CrawlID, err)
	}
	return n, nil
}

// SetDatabaseID sets Config.DatabaseID after Join, for a node that opens its database only
// once it has joined, so that a join refused (the node id running, other settings) touches
// no database. Call it before Run.
func (n *Node) SetDatabaseID(id string) { n.cfg.DatabaseID = id }

// Shards is the crawl's shard count S.
func (n *Node) Shards() int { return n.cr.config.Shards }

// ShardOf is the shard of a frontier host key in this crawl.
func (n *Node) ShardOf(hostKey string) int { return vocab.ShardOf(hostKey, n.cr.config.Shards) }

// Notify tells the publisher that the outbox or the records have new rows (after a commit).
// It never blocks.
func (n *Node) Notify() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Run serves the crawl until it is complete everywhere (nil), ctx is cancelled (ctx's error),
// or something fails that the node cannot carry on through (a store error). Losing the server
// is not such a failure: the node reconnects, and stops fetching while its heartbeat is lost.
//
// Cancelling ctx stops the node as a kill would, keeping its heartbeat key until it expires
// and its shards until its lease ends; Close after Run lets others know at once.
func (n *Node) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	done := make(chan struct{})
	g.Go(func() error { return n.heartbeat(ctx, done) })
	g.Go(func() error { return n.publish(ctx, done) })
	g.Go(func() error { return n.commitInbound(ctx, done) })
	g.Go(func() error {
		err := n.control(ctx)
		if err == nil {
			close(done)
		}
		return err
	})
	err := g.Wait()
	n.stopAllConsumers()
	return err
}

// Close leaves the crawl for now: the heartbeat key is deleted, so the node's id may be taken
// again at once and its shards move after the lease (unless the node returns first). It keeps
// its shards until then: a node that stops and restarts resumes them without a rebuild.
func (n *Node) Close(ctx context.Context) error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	n.mu.Unlock()
	rev := n.aliveRev.Load()
	if rev == 0 {
		return nil
	}
	err := n.cr.kv.Delete(ctx, aliveKey(n.cfg.NodeID), jetstreamLastRevision(rev))
	if err != nil && !isRevisionMismatch(err) {
		return fmt.Errorf("node %s: leave: %w", n.cfg.NodeID, err)
	}
	return nil
}

func (n *Node) bump() { n.work.Add(1) }
