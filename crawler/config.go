// Package crawler runs a crawl: the pipeline that connects the frontier, the fetchers, the
// parsers and the writer, the per-host scheduling, and the crawl's lifecycle.
package crawler

import (
	"log/slog"
	"runtime"
	"time"

	"github.com/crawl-project/crawl/fetch"
	"github.com/crawl-project/crawl/parse"
)

// Config is everything a crawl needs besides its database.
type Config struct {
	Seeds    []string     // normalised seed URLs
	Scope    *parse.Scope // which URLs are fetched; others are recorded as external
	MaxDepth int          // link hops from a seed; < 0 for no limit
	MaxPages int          // pages fetched in the whole crawl, earlier runs included; 0 for no limit
	// Reconfigure accepts scope-changing settings (scope, include, exclude, max-depth) that
	// differ from those the database was crawled with; without it Run refuses them.
	Reconfigure bool
	// RetryFailed queues the URLs whose fetch failed in earlier runs again.
	RetryFailed bool

	Workers   int // concurrent fetches
	Parsers   int // concurrent HTML parsers
	BatchSize int // results per write transaction, at most
	// BatchDelay is how long the writer waits for more results before committing a batch.
	BatchDelay time.Duration

	HostRate        float64 // requests per second per host; 0 for no limit
	HostConcurrency int     // requests in flight per host
	MaxActiveHosts  int     // hosts whose queues are held in memory at once

	MaxLinksPerPage int // distinct links kept per page, the rest counted; 0 for 6000, < 0 for no cap
	// MaxPagesPerHost bounds the URLs of one host queued over the whole crawl, earlier runs
	// included; further ones are recorded as skipped (store.ReasonHostBudget). 0 for no limit.
	MaxPagesPerHost int
	// Filter rejects in-scope links that look like crawler traps; nil applies parse.DefaultFilter.
	Filter *parse.Filter
	// RobotsToken is the product token whose <meta name=TOKEN> and "TOKEN:" X-Robots-Tag
	// directives apply, besides those for all robots.
	RobotsToken string

	Fetch *fetch.Client
	// Robots decides whether a URL may be fetched; nil fetches everything.
	Robots RobotsChecker

	Log *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Workers <= 0 {
		c.Workers = 16
	}
	if c.Parsers <= 0 {
		c.Parsers = runtime.GOMAXPROCS(0)
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 512
	}
	if c.BatchDelay <= 0 {
		c.BatchDelay = 5 * time.Millisecond
	}
	if c.HostConcurrency <= 0 {
		c.HostConcurrency = 2
	}
	if c.MaxActiveHosts <= 0 {
		c.MaxActiveHosts = 4096
	}
	if c.MaxLinksPerPage == 0 {
		c.MaxLinksPerPage = 6000
	}
	if c.Filter == nil {
		f := parse.DefaultFilter()
		c.Filter = &f
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}
