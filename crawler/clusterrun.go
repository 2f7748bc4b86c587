package crawler

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/crawl-project/crawl/crawler/cluster"
	"github.com/crawl-project/crawl/parse"
	"github.com/crawl-project/crawl/store"
)

// ClusterOptions are a node's part in a crawl shared by many machines.
type ClusterOptions struct {
	// Engine is the node's configuration for the engine: crawl id, node id, shard count,
	// replicas, timings. JoinCluster sets its Settings from the crawl's Config.
	Engine cluster.Config
	// Crash, when set, is called at each crash point (CrashBeforePublish, ...): the tests
	// kill the process there.
	Crash func(point string)
}

// ClusterNode is a crawl's membership in a cluster crawl: joined before the node's database
// is opened, so that a refused join (the node id running, other settings) touches no
// database; then passed in Config.Cluster to the crawl that runs it.
type ClusterNode struct {
	node *cluster.Node
	side *nodeSide
	// openStore gives the crawl's database its side for the engine and the writer that
	// routes links by shard.
	openStore func(db *store.DB, cfg *Config, shards int) (NodeStore, Committer, error)
	complete  atomic.Bool // the engine saw the crawl complete on every node
}

// JoinCluster joins the crawl opts.Engine.CrawlID on conn's server, or creates it with the
// settings of cfg that decide what the crawl contains (scope, depth, budgets, trap rules), so
// that every node crawls by the same rules. It fails with cluster.ErrSettingsMismatch when
// the crawl was created with other settings, and cluster.ErrNodeRunning when the node id is
// in use.
func JoinCluster(ctx context.Context, conn *cluster.Conn, cfg Config, opts ClusterOptions) (*ClusterNode, error) {
	cfg.setDefaults()
	settings, err := json.Marshal(clusterSettingsOf(&cfg))
	if err != nil {
		return nil, err
	}
	opts.Engine.Settings = settings
	opts.Engine.CompareSettings = compareClusterSettings
	if opts.Engine.Logger == nil {
		opts.Engine.Logger = cfg.Log
	}
	side := &nodeSide{log: cfg.Log, crash: opts.Crash}
	node, err := conn.Join(ctx, opts.Engine, side.local())
	if err != nil {
		return nil, err
	}
	return &ClusterNode{node: node, side: side, openStore: openNodeStore}, nil
}

// Leave tells the other nodes at once that this one has stopped (its id is free again); its
// shards stay its own until the lease ends, so a restart resumes them.
func (n *ClusterNode) Leave(ctx context.Context) error { return n.node.Close(ctx) }

// Complete reports whether the run ended because the crawl was complete on every node.
func (n *ClusterNode) Complete() bool { return n.complete.Load() }

// attach connects the node to the crawl's pipeline before it starts: the frontier learns
// shards, the writer serves the engine. It returns the writer's committer.
func (n *ClusterNode) attach(c *Crawler, front *frontier) (Committer, *writerEngine, error) {
	db, w, err := n.openStore(c.db, &c.cfg, n.node.Shards())
	if err != nil {
		return nil, nil, err
	}
	id, err := db.DatabaseID()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: database id: %w", c.db.Path(), err)
	}
	n.node.SetDatabaseID(id)
	eng := &writerEngine{ops: make(chan engineOp), notify: n.node.Notify, unnoted: new(atomic.Int64)}
	front.own = newOwnership(n.node.ShardOf, eng.unnoted)
	front.calls = make(chan func(*frontier))
	if c.cfg.MaxPages > 0 {
		front.own.budget = newPageGrant(c.cfg.Workers)
	}
	s := n.side
	s.db, s.eng, s.front, s.stats = db, eng, front, c.stats
	s.writerEnded = make(chan struct{})
	return w, eng, nil
}

// start runs the engine beside the pipeline: it publishes the seeds to their shards' owners,
// then serves the crawl until the engine sees it complete everywhere (the crawl then stops
// as Stop stops it) or the pipeline has drained after a stop (the writer ends the engine).
func (n *ClusterNode) start(ctx context.Context, g *errgroup.Group, c *Crawler, front *frontier, eng *writerEngine) {
	nodeCtx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	eng.drained, eng.stopped = cancel, stopped
	// ours: the engine was stopped by the pipeline (drained), not by the crawl's ctx.
	ours := func() bool { return nodeCtx.Err() != nil && ctx.Err() == nil }
	g.Go(func() error {
		defer close(stopped)
		defer cancel()
		if err := n.node.PublishSeeds(nodeCtx, c.cfg.Seeds); err != nil {
			if ours() {
				return nil
			}
			return fmt.Errorf("cluster: publish seeds: %w", err)
		}
		err := n.node.Run(nodeCtx)
		switch {
		case err == nil:
			n.complete.Store(true)
			c.Stop()
			return nil
		case ours():
			return nil // stopped: the pipeline has drained
		}
		return err
	})
	if front.own.budget != nil {
		g.Go(func() error {
			drawPages(nodeCtx, n.node, c.cfg.MaxPages, front, c.cfg.Log)
			return nil
		})
	}
}

// clusterSettings are the settings every node of a crawl must share, since they decide what
// the crawl contains: a link is classified by the node that fetched its page.
type clusterSettings struct {
	Scope           string       `json:"scope"`
	ScopeHosts      []string     `json:"scope_hosts,omitempty"`
	Include         []string     `json:"include,omitempty"`
	Exclude         []string     `json:"exclude,omitempty"`
	MaxDepth        int          `json:"max_depth"`
	MaxPages        int          `json:"max_pages"`
	MaxPagesPerHost int          `json:"max_pages_per_host"`
	MaxLinksPerPage int          `json:"max_links_per_page"`
	Filter          parse.Filter `json:"filter"`
	IgnoreRobots    bool         `json:"ignore_robots"`
}

func clusterSettingsOf(cfg *Config) clusterSettings {
	s := clusterSettings{
		Scope:           string(cfg.Scope.Mode()),
		ScopeHosts:      slices.Sorted(slices.Values(cfg.Scope.Hosts())),
		Include:         slices.Sorted(slices.Values(cfg.Scope.Include())),
		Exclude:         slices.Sorted(slices.Values(cfg.Scope.Exclude())),
		MaxDepth:        max(cfg.MaxDepth, -1),
		MaxPages:        cfg.MaxPages,
		MaxPagesPerHost: cfg.MaxPagesPerHost,
		MaxLinksPerPage: cfg.MaxLinksPerPage,
		IgnoreRobots:    cfg.Robots == nil,
	}
	if cfg.Filter != nil {
		s.Filter = *cfg.Filter
	}
	return s
}

// compareClusterSettings names the settings in which this node differs from the crawl, as
// flags: "--max-depth 3 (the crawl's) and --max-depth 2 (this node's)".
func compareClusterSettings(recorded, mine []byte) error {
	var was, now clusterSettings
	if err := json.Unmarshal(recorded, &was); err != nil {
		return fmt.Errorf("the crawl's recorded settings: %w", err)
	}
	if err := json.Unmarshal(mine, &now); err != nil {
		return err
	}
	list := func(flag string, v []string) string {
		if len(v) == 0 {
			return "no --" + flag
		}
		q := make([]string, len(v))
		for i, s := range v {
			q[i] = strconv.Quote(s)
		}
		return "--" + flag + " " + strings.Join(q, ",")
	}
	hosts := func(v []string) string {
		if len(v) == 0 {
			return "no seed hosts"
		}
		return "seed hosts " + strings.Join(v, ",")
	}
	num := func(flag string, n int) string { return "--" + flag + " " + strconv.Itoa(n) }
	robots := func(ignore bool) string {
		if ignore {
			return "--ignore-robots"
		}
		return "robots.txt obeyed"
	}
	type diff struct{ was, now string }
	var diffs []diff
	add := func(w, n string) {
		if w != n {
			diffs = append(diffs, diff{w, n})
		}
	}
	add("--scope "+was.Scope, "--scope "+now.Scope)
	add(hosts(was.ScopeHosts), hosts(now.ScopeHosts))
	add(list("include", was.Include), list("include", now.Include))
	add(list("exclude", was.Exclude), list("exclude", now.Exclude))
	add(num("max-depth", was.MaxDepth), num("max-depth", now.MaxDepth))
	add(num("max-pages", was.MaxPages), num("max-pages", now.MaxPages))
	add(num("max-pages-per-host", was.MaxPagesPerHost), num("max-pages-per-host", now.MaxPagesPerHost))
	add(num("max-links-per-page", was.MaxLinksPerPage), num("max-links-per-page", now.MaxLinksPerPage))
	add(num("max-url-length", was.Filter.MaxURLLength), num("max-url-length", now.Filter.MaxURLLength))
	add(num("max-path-segments", was.Filter.MaxPathSegments), num("max-path-segments", now.Filter.MaxPathSegments))
	add(num("max-segment-repeats", was.Filter.MaxSegmentRepeats), num("max-segment-repeats", now.Filter.MaxSegmentRepeats))
	add(robots(was.IgnoreRobots), robots(now.IgnoreRobots))
	if len(diffs) == 0 {
		return nil
	}
	var w, n []string
	for _, d := range diffs {
		w = append(w, d.was)
		n = append(n, d.now)
	}
	return fmt.Errorf("it was created with %s, this node has %s (start every node with the same settings, or use another --crawl-id)",
		strings.Join(w, " and "), strings.Join(n, " and "))
}
