package crawler

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
)

// The crawl's database is what the pipeline reads and commits to.
var (
	_ FrontierStore = (*store.DB)(nil)
	_ Committer     = (*store.Writer)(nil)
)

// Crawler runs one crawl against one database.
type Crawler struct {
	db    *store.DB
	cfg   Config
	stats *Stats

	stopOnce sync.Once
	stop     chan struct{}

	queues  atomic.Pointer[[]queue] // the pipeline's channels, once Run has made them
	resumed ResumeInfo
}

// New prepares a crawl. Seeds are queued when Run starts.
func New(db *store.DB, cfg Config) (*Crawler, error) {
	cfg.setDefaults()
	if cfg.Fetch == nil {
		return nil, errors.New("crawler: no fetch client")
	}
	if cfg.Scope == nil {
		return nil, errors.New("crawler: no scope")
	}
	return &Crawler{db: db, cfg: cfg, stats: newStats(), stop: make(chan struct{})}, nil
}

// Resumed says what the start of Run did to the recorded crawl; valid once Run has returned.
func (c *Crawler) Resumed() ResumeInfo { return c.resumed }

// Stats returns the live counters of the run.
func (c *Crawler) Stats() *Stats { return c.stats }

// Stop asks the crawl to finish gracefully: no new URL is leased, fetches in flight complete
// and are committed, and Run returns nil. Safe to call more than once and from any goroutine.
func (c *Crawler) Stop() { c.stopOnce.Do(func() { close(c.stop) }) }

// Run crawls until nothing is left to fetch, Stop is called, or ctx is cancelled. A cancelled
// ctx abandons the work in flight (it stays pending in the database and is fetched on the next
// run) and returns ctx's error. On a database crawled before, Run first checks the recorded
// settings and returns a *ConfigChangedError if the scope changed without cfg.Reconfigure;
// seeds add to those of earlier runs, whose hosts stay in the scope.
func (c *Crawler) Run(ctx context.Context) error {
	defer c.stats.finish()
	cfg := &c.cfg
	// Check the recorded configuration, queue the seeds and apply --reconfigure and
	// --retry-failed, each in its own transaction, before anything is fetched.
	info, err := c.prepare()
	c.resumed = info
	if err != nil {
		return err
	}
	c.useStoredRobots()
	if cfg.Sitemaps {
		if err := c.seedSitemaps(ctx); err != nil {
			return err
		}
	}
	attemptsBefore, err := c.db.FetchedCount()
	if err != nil {
		return err
	}
	if err := c.db.View(func(s *store.Snapshot) error {
		// Counting walks the bucket's pages: done once here, then commits keep the count.
		c.stats.ops.queued.Store(int64(s.Frontier()))
		return nil
	}); err != nil {
		return err
	}
	cfg.Log.Info("crawl starting", "db", c.db.Path(), "seeds", len(cfg.Seeds), "seeds_queued", info.SeedsQueued,
		"fetched_before", attemptsBefore, "workers", cfg.Workers, "parsers", cfg.Parsers,
		"resumed", info.Resumed, "retried_failed", info.RetryFailed)

	// The pipeline, each channel with its direction:
	//   frontier --tasks--> fetch x Workers --results--> parse x Parsers --records--> writer
	//   fetch  --feedback--> frontier  (host free again; backoff and crawl-delay)
	//   writer --notes-->    frontier  (leases ended, hosts with new URLs; closed when the writer ends)
	// and in a cluster crawl (see clusterrun.go):
	//   engine --ops-->      writer    (URLs and records of other nodes, rows published)
	//   engine --calls-->    frontier  (shards gained and dropped, progress)
	tasks := make(chan task)                       // unbuffered: a URL is leased when a worker takes it, so its rate slot is used at once
	results := make(chan fetchResult, cfg.Workers) // fetch -> parse
	// parse -> writer: room for what arrives during one commit's fsync, no more. Whatever
	// waits here when the process dies is fetched again by the next run.
	records := make(chan crawl.Result, 4*cfg.Workers)
	feedback := make(chan hostFeedback, cfg.Workers) // fetch -> frontier
	notes := make(chan commitNote, 4)                // writer -> frontier
	parseIn, writeIn := chanQueue("parse", results), chanQueue("write", records)
	feedbackIn, notesIn := chanQueue("feedback", feedback), chanQueue("notes", notes)
	c.queues.Store(&[]queue{parseIn, writeIn, feedbackIn, notesIn})

	// The stages: how many goroutines run each and the channels it reads. The table sizes
	// the pools below, and per-stage figures (Stats.Stages) are sampled from it.
	stages := stageTable{
		stageFrontier: {width: 1, inputs: []queue{feedbackIn, notesIn}},
		stageFetch:    {width: cfg.Workers, inputs: []queue{chanQueue("tasks", tasks)}},
		stageParse:    {width: cfg.Parsers, inputs: []queue{parseIn}},
		stageWrite:    {width: 1, inputs: []queue{writeIn}},
	}
	stopSampling := c.stats.stages.sampleQueues(stages)
	defer stopSampling()

	front := newFrontier(c.db, cfg, c.stats, cfg.Log, attemptsBefore)
	var w Committer = c.db.Writer(cfg.MaxDepth).WithHostBudget(cfg.MaxPagesPerHost).WithMaxRedirects(cfg.MaxRedirects)
	var eng *writerEngine // the engine's side of the writer, in a cluster crawl
	if cfg.Cluster != nil {
		if w, eng, err = cfg.Cluster.attach(c, front); err != nil {
			return err
		}
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return front.run(ctx, c.stop, tasks, feedback, notes) })
	g.Go(func() error {
		return pool(ctx, stages[stageFetch].width, func(ctx context.Context) error {
			return fetchStage(ctx, cfg, c.stats, tasks, results, feedback)
		}, func() { close(results) })
	})
	g.Go(func() error {
		return pool(ctx, stages[stageParse].width, func(ctx context.Context) error {
			return parseStage(ctx, cfg, c.stats, results, records)
		}, func() { close(records) })
	})
	g.Go(func() error {
		if eng != nil {
			defer close(cfg.Cluster.side.writerEnded)
		}
		return writeStage(ctx, cfg, w, c.stats, records, notes, eng)
	})
	if cfg.Cluster != nil {
		// The engine: it publishes the seeds, brings URLs of other nodes to the writer,
		// gives the frontier shards, and ends the crawl when every node is done.
		cfg.Cluster.start(ctx, g, c, front, eng)
	}
	err = g.Wait()
	stopSampling()
	cfg.Fetch.CloseIdleConnections()
	sum := c.stats.Snapshot()
	cfg.Log.Info("crawl stopped", "fetched", sum.Responses, "failed", sum.Failed, "links", sum.Links,
		"elapsed", sum.Elapsed, "err", err)
	return err
}

// pool runs n copies of a stage and calls done once all of them have returned, so the
// stage's output channel is closed exactly when nothing can write to it any more.
func pool(ctx context.Context, n int, stage func(context.Context) error, done func()) error {
	g, ctx := errgroup.WithContext(ctx)
	for range n {
		g.Go(func() error { return stage(ctx) })
	}
	err := g.Wait()
	done()
	return err
}
