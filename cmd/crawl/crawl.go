package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/fetch"
	"github.com/crawl-project/crawl/parse"
	"github.com/crawl-project/crawl/store"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type crawlFlags struct {
	seeds, db, scope, userAgent, logLevel string
	logFormat, logFile, metricsAddr       string
	progressEvery                         time.Duration
	workers, parsers, maxDepth, maxPages  int
	hostRate                              float64
	hostConcurrency                       int
	timeout                               time.Duration
	maxBody                               int64
	include, exclude, resolve, headers    listFlag
	skipBadSeeds, quiet, ignoreRobots     bool
	traps                                 trapFlags
	reconfigure, retryFailed              bool
	politeFlags
	memory memoryFlags
	diag   diagFlags
}

func newCrawlFlagSet() (*flag.FlagSet, *crawlFlags) {
	f := &crawlFlags{}
	fs := newFlagSet("crawl", func(w io.Writer) {
		fmt.Fprintf(w, "Usage: crawl --seeds FILE [flags]\n\nCrawl from the seed URLs into --db; rerun the same command to resume.\n")
	})
	fs.StringVar(&f.seeds, "seeds", "", "file of seed URLs, one per line (# comments and blank lines skipped); on a resume, new seeds join the crawl and its scope")
	fs.StringVar(&f.db, "db", "crawl.db", "crawl database file; an existing one is resumed")
	fs.IntVar(&f.workers, "workers", 16, "concurrent fetches")
	fs.IntVar(&f.parsers, "parsers", runtime.GOMAXPROCS(0), "concurrent HTML parsers")
	fs.IntVar(&f.maxDepth, "max-depth", -1, "maximum link hops from a seed (-1: unlimited)")
	fs.IntVar(&f.maxPages, "max-pages", 0, "maximum pages fetched over the whole crawl (0: unlimited)")
	fs.StringVar(&f.scope, "scope", "host", "which links to follow: host (the seeds' hosts), domain (their registrable domains), all")
	fs.Var(&f.include, "include", "only follow URLs matching this regexp (repeatable)")
	fs.Var(&f.exclude, "exclude", "never follow URLs matching this regexp (repeatable)")
	fs.Float64Var(&f.hostRate, "host-rate", 1, "requests per second per host (0: unlimited)")
	fs.IntVar(&f.hostConcurrency, "host-concurrency", 2, "requests in flight per host")
	fs.DurationVar(&f.timeout, "timeout", 60*time.Second, "time limit for one fetch, body included")
	fs.StringVar(&f.userAgent, "user-agent", defaultUserAgent(), "User-Agent header")
	fs.Int64Var(&f.maxBody, "max-body", 10<<20, "bytes of a response body kept; longer bodies are cut and marked truncated")
	fs.Var(&f.resolve, "resolve", "host:port:addr, connect to addr for host:port, like curl --resolve (repeatable)")
	fs.Var(&f.headers, "header", "extra request header (repeatable): 'Name: value' goes to the seeds' hosts only, 'HOST=Name: value' to HOST (with :port, that port only), '*=Name: value' to every host")
	fs.BoolVar(&f.skipBadSeeds, "skip-bad-seeds", false, "crawl the valid seeds even if some lines of the seeds file are bad")
	fs.BoolVar(&f.ignoreRobots, "ignore-robots", false, "do not fetch or obey robots.txt (only for sites you own)")
	f.politeFlags.register(fs)
	fs.BoolVar(&f.reconfigure, "reconfigure", false, "resume with a --scope, --include, --exclude or --max-depth that differs from the database's; the new settings apply to URLs not fetched yet")
	fs.BoolVar(&f.retryFailed, "retry-failed", false, "fetch again the URLs whose fetch failed in earlier runs (each attempt counts against --max-pages)")
	fs.BoolVar(&f.quiet, "quiet", false, "print only errors: no progress, no summary")
	fs.DurationVar(&f.progressEvery, "progress-every", 10*time.Second, "interval of the progress line when stderr is not a terminal (a terminal shows a live status line)")
	fs.StringVar(&f.logLevel, "log-level", "warn", "log level: debug (every fetch), info (failed fetches), warn, error")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json (one object per line)")
	fs.StringVar(&f.logFile, "log-file", "", "append the log to this file instead of stderr")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://ADDR/metrics, e.g. 127.0.0.1:9090 (a non-loopback address exposes them to the network)")
	f.traps.register(fs)
	f.memory.register(fs)
	f.diag.register(fs)
	return fs, f
}

// productToken names this crawler in robots.txt User-agent lines.
const productToken = "crawl"

func defaultUserAgent() string {
	return productToken + "/" + version + " (+https://github.com/crawl-project/crawl)"
}

func runCrawl(ctx context.Context, e *env, args []string) int {
	fs, f := newCrawlFlagSet()
	if code, ok := parseFlags(fs, args, e); !ok {
		return code
	}
	if f.seeds == "" {
		return usageError(fs, e, "--seeds is required")
	}
	if f.progressEvery <= 0 {
		fmt.Fprintf(e.stderr, "crawl: --progress-every %s: must be positive\n", f.progressEvery)
		return exitUsage
	}
	out, err := newCrawlOutput(e, f)
	if err != nil {
		fmt.Fprintf(e.stderr, "crawl: %v\n", err)
		return exitUsage
	}
	defer out.close()
	e = out.env
	log := out.log

	seeds, bad, err := crawler.ReadSeedsFile(f.seeds)
	if err != nil {
		fmt.Fprintf(e.stderr, "crawl: %v\n", err)
		return exitUsage
	}
	for _, line := range crawler.SeedErrorLines(bad) {
		fmt.Fprintf(e.stderr, "crawl: bad seed: %s\n", line)
	}
	if len(bad) > 0 && !f.skipBadSeeds {
		fmt.Fprintf(e.stderr, "crawl: %d bad line(s) in %s; fix them or pass --skip-bad-seeds\n", len(bad), f.seeds)
		return exitUsage
	}
	if len(seeds) == 0 {
		fmt.Fprintf(e.stderr, "crawl: %s has no seed URLs\n", f.seeds)
		return exitUsage
	}

	cfg, err := f.config(seeds, log)
	if err != nil {
		fmt.Fprintf(e.stderr, "crawl: %v\n", err)
		return exitUsage
	}
	f.memory.apply(fs, e.setMemoryLimit)
	var metricsLn net.Listener
	if f.metricsAddr != "" {
		if metricsLn, err = listenMetrics(f.metricsAddr); err != nil {
			fmt.Fprintf(e.stderr, "crawl: %v\n", err)
			return exitUsage
		}
		defer metricsLn.Close() // in case the crawl does not start; closing twice is harmless
	}
	// Before the database: a bad path is a usage error that must not leave a database behind.
	diag, err := startDiagnostics(f.diag)
	if err != nil {
		fmt.Fprintf(e.stderr, "crawl: %v\n", err)
		return exitUsage
	}
	defer diag.finish(nil) // stops the profile on an early return; the crawl's own call comes first
	db, err := store.Open(f.db, store.Options{})
	if err != nil {
		return openFailed(e.stderr, fs.Name(), f.db, err)
	}
	defer db.Close()

	c, err := crawler.New(db, cfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "crawl: %v\n", err)
		return exitError
	}
	if metricsLn != nil {
		m := serveMetrics(metricsLn, newMetricsRegistry(c))
		defer m.Close()
		if !f.quiet {
			fmt.Fprintf(e.stderr, "crawl: metrics at %s\n", m.URL())
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var interrupted atomic.Bool
	go func() {
		select {
		case <-e.signals:
		case <-ctx.Done():
			return
		}
		interrupted.Store(true)
		fmt.Fprintln(e.stderr, "crawl: stopping: finishing the fetches in flight (interrupt again to stop at once)")
		c.Stop()
		select {
		case <-e.signals:
			fmt.Fprintln(e.stderr, "crawl: stopping now; unfinished fetches stay queued for the next run")
			cancel()
		case <-ctx.Done():
		}
	}()
	stopProgress := out.startProgress(c.Stats())
	runErr := c.Run(ctx)
	stopProgress()
	if err := diag.finish(c.Stats()); err != nil {
		fmt.Fprintf(e.stderr, "crawl: %v\n", err)
	}
	if e.crawlDone != nil {
		e.crawlDone()
	}
	if errors.Is(runErr, crawler.ErrConfigChanged) {
		printConfigChanged(e.stderr, f.db, runErr) // refused before anything was fetched
		return exitUsage
	}
	sum := c.Stats().Snapshot()
	if !f.quiet {
		printResumeNotes(e.stderr, c.Resumed())
		printSummary(e.stdout, sum, db.Path())
	}
	switch {
	case runErr == nil:
		if interrupted.Load() {
			fmt.Fprintln(e.stderr, "crawl: stopped; run the same command again to resume")
		}
		return exitOK
	case errors.Is(runErr, context.Canceled):
		return exitInterrupted
	default:
		fmt.Fprintf(e.stderr, "crawl: %v\n", runErr)
		return exitError
	}
}

func (f *crawlFlags) config(seeds []string, log *slog.Logger) (crawler.Config, error) {
	mode, err := parse.ParseScopeMode(f.scope)
	if err != nil {
		return crawler.Config{}, fmt.Errorf("--scope: %w", err)
	}
	seedURLs, err := parseURLs(seeds)
	if err != nil {
		return crawler.Config{}, err
	}
	scope, err := parse.NewScope(mode, seedURLs, f.include, f.exclude)
	if err != nil {
		return crawler.Config{}, err
	}
	resolve, err := parseResolve(f.resolve)
	if err != nil {
		return crawler.Config{}, err
	}
	headers, err := parseHeaders(f.headers)
	if err != nil {
		return crawler.Config{}, err
	}
	switch {
	case f.workers < 1:
		return crawler.Config{}, fmt.Errorf("--workers %d: must be at least 1", f.workers)
	case f.parsers < 1:
		return crawler.Config{}, fmt.Errorf("--parsers %d: must be at least 1", f.parsers)
	case f.hostRate < 0:
		return crawler.Config{}, fmt.Errorf("--host-rate %g: must not be negative", f.hostRate)
	case f.maxPages < 0:
		return crawler.Config{}, fmt.Errorf("--max-pages %d: must not be negative", f.maxPages)
	case f.maxBody < 1:
		return crawler.Config{}, fmt.Errorf("--max-body %d: must be positive", f.maxBody)
	case f.timeout <= 0:
		return crawler.Config{}, fmt.Errorf("--timeout %s: must be positive", f.timeout)
	}
	if err := f.politeFlags.check(); err != nil {
		return crawler.Config{}, err
	}
	if err := f.memory.check(); err != nil {
		return crawler.Config{}, err
	}
	bodyMemory, err := f.memory.bodyBudget(f.maxBody)
	if err != nil {
		return crawler.Config{}, err
	}
	client := fetch.NewClient(fetch.Config{
		UserAgent:        f.userAgent,
		Timeout:          f.timeout,
		ConnectTimeout:   f.connectTimeout,
		TLSTimeout:       f.tlsTimeout,
		FirstByteTimeout: f.firstByteTimeout,
		MaxBody:          f.maxBody,
		BodyBudget:       fetch.NewBodyBudget(bodyMemory),
		Headers:          headers,
		Resolve:          resolve,
		Insecure:         f.insecure,
		NoCookies:        f.noCookies,
		// One kept-alive connection for each request a host may have in flight.
		IdleConnsPerHost: f.hostConcurrency,
		// The scope is asked per request: a resumed crawl adds the seeds of earlier runs to it.
		SeedHost:               scope.IsSeedHost,
		InScope:                func(u *url.URL) bool { return scope.ContainsHost(u.Host) },
		RefusePrivateAddresses: !f.allowPrivateAddresses,
	})
	var robotsCache crawler.RobotsChecker
	if f.ignoreRobots {
		log.Warn("robots.txt is ignored (--ignore-robots): crawl only sites you own or may crawl without it")
	} else {
		robotsCache = fetch.NewRobotsCache(client, productToken)
	}
	if f.insecure {
		log.Warn("TLS certificates are not verified (--insecure)")
	}
	cfg := crawler.Config{
		Robots:          robotsCache,
		RobotsToken:     productToken,
		Seeds:           seeds,
		Scope:           scope,
		MaxDepth:        f.maxDepth,
		MaxPages:        f.maxPages,
		Reconfigure:     f.reconfigure,
		RetryFailed:     f.retryFailed,
		Workers:         f.workers,
		Parsers:         f.parsers,
		HostRate:        f.hostRate,
		HostConcurrency: f.hostConcurrency,
		Retries:         f.retries,
		MaxHostErrors:   f.maxHostErrors,
		Backoff:         f.backoff,
		MaxBackoff:      f.maxBackoff,
		Sitemaps:        f.sitemaps,
		MaxSitemapURLs:  f.maxSitemapURLs,
		Fetch:           client,
		Log:             log,
	}
	if err := f.traps.apply(&cfg); err != nil {
		return crawler.Config{}, err
	}
	return cfg, nil
}

func parseResolve(entries []string) (map[string]string, error) {
	m := make(map[string]string)
	for _, r := range entries {
		// host:port:addr, where addr may be an IPv6 literal in brackets.
		host, rest, ok1 := strings.Cut(r, ":")
		port, addr, ok2 := strings.Cut(rest, ":")
		if !ok1 || !ok2 || host == "" || port == "" || addr == "" {
			return nil, fmt.Errorf("--resolve %q: want host:port:addr", r)
		}
		addr = strings.Trim(addr, "[]")
		if net.ParseIP(addr) == nil {
			return nil, fmt.Errorf("--resolve %q: %q is not an IP address", r, addr)
		}
		m[net.JoinHostPort(strings.ToLower(host), port)] = net.JoinHostPort(addr, port)
	}
	return m, nil
}

func parseHeaders(entries []string) ([]fetch.HeaderRule, error) {
	rules := make([]fetch.HeaderRule, 0, len(entries))
	for _, e := range entries {
		r, err := fetch.ParseHeaderRule(e)
		if err != nil {
			return nil, fmt.Errorf("--header %q: %w", e, err)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func parseURLs(raw []string) ([]*url.URL, error) {
	out := make([]*url.URL, 0, len(raw))
	for _, r := range raw {
		u, err := url.Parse(r)
		if err != nil {
			return nil, fmt.Errorf("seed %q: %w", r, err)
		}
		out = append(out, u)
	}
	return out, nil
}
