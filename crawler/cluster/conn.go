package cluster

import (
	"context"
	"errors"
	"fmt"
	vocab "github.com/crawl-project/crawl"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Conn is a connection to a NATS server with JetStream. It reconnects by itself after the
// first connection succeeded (a server restart, a network blip): callers retry what failed.
type Conn struct {
	nc  *nats.Conn
	js  jetstream.JetStream
	log *slog.Logger
	url string
	// reconnected gets a value (without blocking) each time the connection is back.
	reconnected chan struct{}
	// sessions counts the connection's losses: what was read of the server before a loss
	// may not hold after it (a restarted server recovers its state, watchers miss updates).
	sessions atomic.Uint64
}

// DialOptions tunes Dial; the zero value is fine.
type DialOptions struct {
	Name    string        // shown by the server's connection list
	Timeout time.Duration // for the first connection; 0: 5s
	Logger  *slog.Logger
}

// Dial connects to the server at url (nats://host:port, or a comma-separated list of a
// cluster's servers) and checks that JetStream is enabled. It fails with ErrUnreachable when
// no server answers and ErrNoJetStream when JetStream is off.
func Dial(ctx context.Context, url string, o DialOptions) (*Conn, error) {
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Conn{log: o.Logger, url: url, reconnected: make(chan struct{}, 1)}
	nc, err := nats.Connect(url,
		nats.Name(o.Name),
		nats.Timeout(o.Timeout),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.ReconnectJitter(250*time.Millisecond, time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			c.sessions.Add(1)
			if err != nil { // nil: closed by this process
				c.log.Warn("cluster: disconnected", "server", url, "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			c.sessions.Add(1)
			c.log.Info("cluster: reconnected", "server", nc.ConnectedUrlRedacted())
			select {
			case c.reconnected <- struct{}{}:
			default:
			}
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnreachable, url, err)
	}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncTimeout(10*time.Second),
		jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("cluster %s: %w", url, err)
	}
	c.nc, c.js = nc, js
	actx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if _, err := js.AccountInfo(actx); err != nil {
		nc.Close()
		if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
			return nil, fmt.Errorf("%w: %s (start nats-server with -js)", ErrNoJetStream, url)
		}
		return nil, fmt.Errorf("cluster %s: account info: %w", url, err)
	}
	return c, nil
}

// Close closes the connection.
func (c *Conn) Close() { c.nc.Close() }

// StreamOptions sets how the crawl's streams and bucket are created.
type StreamOptions struct {
	// Replicas of every stream and of the bucket: 3 on a 3-server JetStream cluster, so that a
	// server's loss loses nothing. 0 means 1.
	Replicas int
	// DuplicateWindow is how long the server remembers message ids to drop repeats; 0: 2 min.
	DuplicateWindow time.Duration
}

// crawl is an open crawl: its bucket and streams.
type crawl struct {
	names
	js      jetstream.JetStream
	kv      jetstream.KeyValue
	urls    jetstream.Stream
	records jetstream.Stream
	config  crawlConfig
}

// openCrawl opens an existing crawl; ErrNoCrawl when there is none.
func (c *Conn) openCrawl(ctx context.Context, id string) (*crawl, error) {
	if err := checkID("crawl id", id); err != nil {
		return nil, err
	}
	cr := &crawl{names: names{id}, js: c.js}
	kv, err := c.js.KeyValue(ctx, cr.bucket())
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("%w: %q on %s", ErrNoCrawl, id, c.url)
	}
	if err != nil {
		return nil, fmt.Errorf("crawl %s: bucket: %w", id, err)
	}
	cr.kv = kv
	e, err := kv.Get(ctx, keyConfig)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("%w: %q on %s has no configuration", ErrNoCrawl, id, c.url)
	}
	if err != nil {
		return nil, fmt.Errorf("crawl %s: config: %w", id, err)
	}
	if err := decodeValue(keyConfig, e.Value(), &cr.config); err != nil {
		return nil, fmt.Errorf("crawl %s: %w", id, err)
	}
	if cr.urls, err = c.js.Stream(ctx, cr.urlStream()); err != nil {
		return nil, fmt.Errorf("crawl %s: stream %s: %w", id, cr.urlStream(), err)
	}
	if cr.records, err = c.js.Stream(ctx, cr.recordStream()); err != nil {
		return nil, fmt.Errorf("crawl %s: stream %s: %w", id, cr.recordStream(), err)
	}
	return cr, nil
}

// ensureCrawl opens the crawl, creating its bucket, streams and configuration if needed. The
// configuration is written once, by whichever node comes first (compare-and-set); every
// later node must bring the same shard count and settings, or is refused with
// ErrSettingsMismatch. compare, if set, explains a difference of settings (nil: equal).
func (c *Conn) ensureCrawl(ctx context.Context, id string, shards int, settings []byte, o StreamOptions, compare func(recorded, mine []byte) error) (*crawl, error) {
	if err := checkID("crawl id", id); err != nil {
		return nil, err
	}
	asked := shards // 0: whatever the crawl has
	if shards == 0 {
		shards = DefaultShards
	}
	if shards < 1 || shards > vocab.MaxShards {
		return nil, fmt.Errorf("crawl %s: %d shards: use 1 to %d", id, shards, vocab.MaxShards)
	}
	replicas := max(o.Replicas, 1)
	cr := &crawl{names: names{id}, js: c.js}
	kv, err := c.js.KeyValue(ctx, cr.bucket())
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = c.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      cr.bucket(),
			Description: "crawl " + id + ": configuration, membership, shard owners, page budget",
			History:     1,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
			// Heartbeat keys expire by their own TTL; the marker an expiry leaves tells watchers.
			LimitMarkerTTL: time.Minute,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = c.js.KeyValue(ctx, cr.bucket()) // created by another node meanwhile
		}
	}
	if err != nil {
		return nil, fmt.Errorf("crawl %s: bucket %s: %w", id, cr.bucket(), err)
	}
	cr.kv = kv
	window := o.DuplicateWindow
	if window == 0 {
		window = 2 * time.Minute
	}
	base := jetstream.StreamConfig{
		Retention: jetstream.LimitsPolicy, // kept for the crawl's life: a new shard owner replays them
		Storage:   jetstream.FileStorage,
		Replicas:  replicas,
		// Duplicates drop repeats of a message id within the window; receivers are idempotent
		// anyway, the window only saves work.
		Duplicates: window,
	}
	uc := base
	uc.Name, uc.Subjects = cr.urlStream(), []string{cr.urlSubjects()}
	uc.Description = "crawl " + id + ": URLs sent to the owners of their hosts' shards"
	if cr.urls, err = ensureStream(ctx, c.js, uc); err != nil {
		return nil, fmt.Errorf("crawl %s: %w", id, err)
	}
	rc := base
	rc.Name, rc.Subjects = cr.recordStream(), []string{cr.recordSubjects()}
	rc.Description = "crawl " + id + ": committed page records by shard"
	rc.Compression = jetstream.S2Compression
	if cr.records, err = ensureStream(ctx, c.js, rc); err != nil {
		return nil, fmt.Errorf("crawl %s: %w", id, err)
	}

	mine := crawlConfig{V: valueVersion, Shards: shards, Hash: shardHash, Settings: settings, Created: time.Now().UTC()}
	if _, err := kv.Create(ctx, keyConfig, encodeValue(mine)); err == nil {
		cr.config = mine
		return cr, nil
	} else if !errors.Is(err, jetstream.ErrKeyExists) {
		return nil, fmt.Errorf("crawl %s: record configuration: %w", id, err)
	}
	e, err := kv.Get(ctx, keyConfig)
	if err != nil {
		return nil, fmt.Errorf("crawl %s: configuration: %w", id, err)
	}
	if err := decodeValue(keyConfig, e.Value(), &cr.config); err != nil {
		return nil, fmt.Errorf("crawl %s: %w", id, err)
	}
	rec := cr.config
	switch {
	case rec.Hash != shardHash:
		return nil, fmt.Errorf("%w: crawl %s maps hosts to shards by %q, this node by %q", ErrSettingsMismatch, id, rec.Hash, shardHash)
	case asked != 0 && rec.Shards != asked:
		return nil, fmt.Errorf("%w: crawl %s has %d shards, this node asks for %d", ErrSettingsMismatch, id, rec.Shards, asked)
	}
	if compare != nil {
		if err := compare(rec.Settings, settings); err != nil {
			return nil, fmt.Errorf("%w: crawl %s: %v", ErrSettingsMismatch, id, err)
		}
	} else if string(rec.Settings) != string(settings) {
		return nil, fmt.Errorf("%w: crawl %s", ErrSettingsMismatch, id)
	}
	return cr, nil
}

// ensureStream opens a stream, creating it if it does not exist.
func ensureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	s, err := js.Stream(ctx, cfg.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s, err = js.CreateStream(ctx, cfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			s, err = js.Stream(ctx, cfg.Name)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", cfg.Name, err)
	}
	return s, nil
}
