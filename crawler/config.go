// Package crawler runs a crawl: the pipeline that connects the frontier, the fetchers, the
// parsers and the writer, the per-host scheduling, and the crawl's lifecycle.
package crawler

import (
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"golang.org/x/time/rate"

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
	// MaxRedirects is how many redirects in a row keep the depth of the page that started them
	// (0 for store.DefaultMaxRedirects); a longer chain's targets count as link hops.
	MaxRedirects int
	// MaxPagesPerHost bounds the URLs of one host queued over the whole crawl, earlier runs
	// included; further ones are recorded as skipped (crawl.ReasonHostBudget). 0 for no limit.
	MaxPagesPerHost int
	// Filter rejects in-scope links that look like crawler traps; nil applies parse.DefaultFilter.
	Filter *parse.Filter

	// Assets says which page requisites (images, scripts, stylesheets...) are checked: by
	// default those on the crawl's hosts. A check is a URL of the frontier like any other:
	// one HEAD request (a GET where HEAD is refused), under its host's rules.
	Assets AssetScope
	// CheckExternal checks the links out of the crawl's scope, once each, instead of only
	// recording them.
	CheckExternal bool
	// RobotsToken is the product token whose <meta name=TOKEN> and "TOKEN:" X-Robots-Tag
	// directives apply, besides those for all robots.
	RobotsToken string

	// Retries is how many times a URL is tried again after a retriable failure (no answer, a
	// timeout, 429, 5xx, robots.txt unavailable); 0 tries each URL once.
	Retries int
	// MaxHostErrors is the number of different URLs failing in a row (no answer, 429, 5xx)
	// after which a host is parked: its remaining URLs are recorded as skipped
	// (crawl.ReasonHostUnreachable). 0 never parks.
	MaxHostErrors int
	// Backoff is how long a host is held back after a failure without Retry-After; it doubles
	// with each consecutive failure, with jitter (default 1s).
	Backoff time.Duration
	// MaxBackoff caps Backoff and a server's Retry-After (default 10m).
	MaxBackoff time.Duration

	// Sitemaps seeds the frontier, before the crawl, with the in-scope URLs of the sitemaps
	// of each seed's origin (its robots.txt Sitemap lines, else /sitemap.xml).
	Sitemaps bool
	// MaxSitemapURLs caps the URLs read from the sitemaps of one origin (default 50,000).
	MaxSitemapURLs int
	// MaxSitemapBytes caps one sitemap file, after decompression (default 50 MiB).
	MaxSitemapBytes int64

	// Cluster, when set, makes the crawl one node of a crawl shared by many machines: it
	// fetches the hosts of the shards it owns, sends links to other shards' hosts to their
	// owners, and ends when the crawl is complete on every node. See JoinCluster.
	Cluster *ClusterNode

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
	if c.Backoff <= 0 {
		c.Backoff = time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 10 * time.Minute
	}
	c.Retries = max(c.Retries, 0)
	c.MaxHostErrors = max(c.MaxHostErrors, 0)
	if c.MaxSitemapURLs <= 0 {
		c.MaxSitemapURLs = 50_000
	}
	if c.MaxSitemapBytes <= 0 {
		c.MaxSitemapBytes = 50 << 20
	}
	if c.RobotsToken == "" {
		c.RobotsToken = "crawl"
	}
	if c.Filter == nil {
		f := parse.DefaultFilter()
		c.Filter = &f
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// hostLimit is the rate of requests to one host: HostRate, or no limit when it is 0.
func (c *Config) hostLimit() rate.Limit {
	if c.HostRate > 0 {
		return rate.Limit(c.HostRate)
	}
	return rate.Inf
}

// AssetScope says which page requisites a crawl checks.
type AssetScope uint8

const (
	// AssetsHosts checks the requisites on the crawl's hosts (its --scope, whatever
	// --include says); the others are recorded as external, like links out of the scope.
	AssetsHosts AssetScope = iota
	// AssetsAll checks every requisite, on any host.
	AssetsAll
	// AssetsOff neither reads nor records requisites: pages are read for links only.
	AssetsOff
)

// AssetScopes lists the names ParseAssetScope accepts, the default first.
func AssetScopes() []string { return []string{"hosts", "all", "off"} }

// ParseAssetScope reads a --assets value.
func ParseAssetScope(s string) (AssetScope, error) {
	for i, name := range AssetScopes() {
		if s == name {
			return AssetScope(i), nil
		}
	}
	return 0, fmt.Errorf("unknown value %q (want hosts, all or off)", s)
}

func (a AssetScope) String() string {
	if int(a) < len(AssetScopes()) {
		return AssetScopes()[a]
	}
	return fmt.Sprintf("AssetScope(%d)", uint8(a))
}
