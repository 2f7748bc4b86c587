package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/fetch"
	"github.com/crawl-project/crawl/parse"
	"github.com/crawl-project/crawl/store"
)

type crawlFlags struct {
	seeds, db, scope, userAgent, logLevel string
	urls                                  []string
	logFormat, logFile, metricsAddr       string
	progressEvery                         time.Duration
	workers, parsers, maxDepth, maxPages  int
	hostRate                              float64
	hostConcurrency                       int
	timeout                               time.Duration
	maxBody                               int64
	include, exclude, resolve, headers    []string
	skipBadSeeds, quiet, ignoreRobots     bool
	traps                                 trapFlags
	checks                                checkFlags
	reconfigure, retryFailed              bool
	politeFlags
	memory  memoryFlags
	diag    diagFlags
	cluster clusterFlags
}

const crawlLong = `Crawl from the seed URLs into the database --db, or resume the crawl in it: rerun the
same command to go on where it stopped. Seeds come from the arguments, -u URL, --seeds FILE
and --seeds - (standard input), in any mix; a bare host (example.org) is crawled as
https://example.org/.`

const crawlExample = `  crawl https://example.org/                      crawl a site into crawl.db
  crawl -d site.db --max-depth 3 example.org       a bare host is https://example.org/
  crawl --seeds urls.txt --workers 16              seeds from a file, one URL per line
  grep docs urls.txt | crawl --seeds - -d docs.db  seeds from standard input
  crawl export -f gexf -o graph.gexf               the link graph, for Gephi and NetworkX`

// newCrawlCommand returns the crawl command: the root command, or the hidden "crawl"
// subcommand that does the same.
func newCrawlCommand(e *env, use string) *cobra.Command {
	f := &crawlFlags{}
	cmd := &cobra.Command{
		Use:     use,
		Short:   "crawl from seed URLs into a database, or resume a crawl (the default command)",
		Long:    crawlLong,
		Example: crawlExample,
		Args:    seedArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return status(runCrawl(cmd.Context(), e, cmd, f, args))
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false // the help lists flags by topic, in the order defined
	fs.StringArrayVarP(&f.urls, "url", "u", nil, "a seed `URL` (repeatable), like the URL arguments")
	fs.StringVarP(&f.seeds, "seeds", "i", "", "seed URLs from `FILE`, one per line (# comments and blank lines skipped), - for standard input; on a resume, new seeds join the crawl and its scope")
	fs.StringVarP(&f.db, "db", "d", "crawl.db", "the crawl database `FILE`; an existing one is resumed")
	fs.IntVarP(&f.workers, "workers", "c", 16, "concurrent fetches")
	fs.IntVar(&f.parsers, "parsers", runtime.GOMAXPROCS(0), "concurrent HTML parsers")
	documentDefault(fs, "parsers", "GOMAXPROCS")
	fs.IntVarP(&f.maxDepth, "max-depth", "l", -1, "link hops from a seed (-1: no limit); exact whatever order pages are fetched in")
	fs.IntVarP(&f.maxPages, "max-pages", "n", 0, "pages fetched over the whole crawl, earlier runs included (0: no limit)")
	fs.StringVarP(&f.scope, "scope", "s", "host", "which links to follow: host (the seeds' hosts), domain (their registrable domains) or all")
	fs.StringArrayVar(&f.include, "include", nil, "only follow URLs matching this `REGEXP` (repeatable)")
	fs.StringArrayVar(&f.exclude, "exclude", nil, "never follow URLs matching this `REGEXP` (repeatable)")
	fs.BoolVar(&f.skipBadSeeds, "skip-bad-seeds", false, "crawl the valid seeds of a seeds file with bad lines")
	fs.Float64Var(&f.hostRate, "host-rate", 1, "requests per second per host (0: unlimited)")
	fs.IntVar(&f.hostConcurrency, "host-concurrency", 2, "requests in flight per host")
	fs.StringVarP(&f.userAgent, "user-agent", "A", defaultUserAgent(), "User-Agent header; robots.txt rules for crawl apply")
	documentDefault(fs, "user-agent", "crawl/VERSION (+https://github.com/crawl-project/crawl)")
	fs.BoolVar(&f.ignoreRobots, "ignore-robots", false, "do not fetch or obey robots.txt (only for sites you own)")
	fs.DurationVar(&f.timeout, "timeout", 60*time.Second, "time limit for one fetch, body included")
	fs.Int64Var(&f.maxBody, "max-body", 10<<20, "body bytes kept; longer bodies are cut and marked truncated")
	documentDefault(fs, "max-body", "10485760 (10 MiB)")
	fs.StringArrayVar(&f.resolve, "resolve", nil, "connect to addr for host:port, like curl --resolve (`host:port:addr`, repeatable)")
	fs.StringArrayVarP(&f.headers, "header", "H", nil, "extra request `HEADER` (repeatable): 'Name: value' goes to the seeds' hosts only, 'HOST=Name: value' to HOST (with :port, that port only), '*=Name: value' to every host")
	f.politeFlags.register(fs)
	f.traps.register(fs)
	f.checks.register(cmd, fs)
	fs.BoolVar(&f.reconfigure, "reconfigure", false, "resume with a different --scope, --include, --exclude or --max-depth (otherwise refused); the new settings apply to the URLs not fetched yet")
	fs.BoolVar(&f.retryFailed, "retry-failed", false, "fetch again the URLs whose fetch failed in earlier runs (each attempt counts against --max-pages)")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "print only errors: no status line, no progress, no summary")
	fs.DurationVar(&f.progressEvery, "progress-every", 10*time.Second, "interval of the progress line when stderr is not a capable terminal (a terminal shows a live status line)")
	fs.StringVar(&f.logLevel, "log-level", "warn", "debug (one line per fetch), info (one line per failed fetch, plus start and stop), warn or error")
	fs.StringVar(&f.logFormat, "log-format", "text", "text (key=value) or json (one object per line)")
	fs.StringVar(&f.logFile, "log-file", "", "append the log to `PATH` (created if missing) instead of stderr")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://`ADDR`/metrics, e.g. 127.0.0.1:9090 (a non-loopback address exposes them to the network)")
	f.memory.register(fs)
	f.diag.register(fs)
	f.cluster.register(fs)
	group(fs, "Seeds and scope", "url", "seeds", "db", "workers", "parsers", "max-depth", "max-pages", "scope", "include", "exclude", "skip-bad-seeds")
	group(fs, "Politeness", "host-rate", "host-concurrency", "user-agent", "ignore-robots")
	group(fs, "HTTP", "timeout", "max-body", "resolve", "header")
	group(fs, "Resuming", "reconfigure", "retry-failed")
	group(fs, "Output", "quiet", "progress-every", "log-level", "log-format", "log-file", "metrics-addr")
	enumCompletion(cmd, "scope", "host", "domain", "all")
	enumCompletion(cmd, "log-level", "debug", "info", "warn", "error")
	enumCompletion(cmd, "log-format", "text", "json")
	return cmd
}

// productToken names this crawler in robots.txt User-agent lines.
const productToken = "crawl"

func defaultUserAgent() string {
	return productToken + "/" + version + " (+https://github.com/crawl-project/crawl)"
}

func runCrawl(ctx context.Context, e *env, cmd *cobra.Command, f *crawlFlags, args []string) int {
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

	seeds, code := collectSeeds(e, f, args)
	if code != exitOK {
		return code
	}
	cfg, err := f.config(seeds, log)
	if err != nil {
		fmt.Fprintf(e.stderr, "crawl: %v\n", err)
		return exitUsage
	}
	crash, err := crashHook(e.getenv)
	if err != nil {
		fmt.Fprintf(e.stderr, "crawl: %v\n", err)
		return exitUsage
	}
	f.memory.apply(cmd.Flags(), e.setMemoryLimit)
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
	var member *clusterMember
	if f.cluster.url != "" {
		// Before the database: a node refused by the cluster touches none.
		if member, err = joinCluster(ctx, &f.cluster, cfg, log, crash); err != nil {
			fmt.Fprintf(e.stderr, "crawl: %v\n", err)
			return clusterExit(err)
		}
		cfg.Cluster = member.node
	}
	db, err := store.Open(f.db, store.Options{})
	if err != nil {
		if member != nil {
			member.leave(e.stderr)
		}
		return openFailed(e.stderr, "crawl", f.db, err)
	}
	defer db.Close()
	if member != nil {
		defer member.leave(e.stderr) // before the database closes: the crawl has stopped
	}

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
	stopped := interrupted.Load() || errors.Is(runErr, context.Canceled)
	complete := runErr == nil && !stopped && alreadyComplete(c.Resumed(), sum)
	if member != nil {
		// A node ends when the crawl is complete on every node; its summary is its own part.
		complete = runErr == nil && !stopped && member.node.Complete()
	}
	if !f.quiet {
		printResumeNotes(e.stderr, c.Resumed())
		if complete && member == nil {
			printComplete(e.stdout, db)
		} else {
			printSummary(e.stdout, sum, db.Path())
		}
	}
	switch {
	case stopped && (runErr == nil || errors.Is(runErr, context.Canceled)):
		// The summary is printed, every result recorded: the next run goes on from here.
		fmt.Fprintln(e.stderr, "crawl: stopped; run the same command again to resume")
		return exitInterrupted
	case runErr != nil:
		fmt.Fprintf(e.stderr, "crawl: %v\n", runErr)
		return exitError
	case complete:
		return exitOK
	case member != nil:
		fmt.Fprintln(e.stderr, "crawl: the node stopped before the cluster crawl was complete")
		return exitError
	}
	return checkSeedsFetched(e.stderr, db, seeds)
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
	if err := f.cluster.check(f); err != nil {
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
	if err := f.checks.apply(&cfg); err != nil {
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
