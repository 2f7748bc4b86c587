package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
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
	workers, parsers, maxDepth, maxPages  int
	hostRate                              float64
	hostConcurrency                       int
	timeout                               time.Duration
	maxBody                               int64
	include, exclude, resolve, headers    listFlag
	skipBadSeeds, quiet, ignoreRobots     bool
	diag                                  diagFlags
}

func newCrawlFlagSet(stderr io.Writer) (*flag.FlagSet, *crawlFlags) {
	f := &crawlFlags{}
	fs := flag.NewFlagSet("crawl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.seeds, "seeds", "", "file of seed URLs, one per line (# comments and blank lines skipped)")
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
	fs.Var(&f.headers, "header", "'Name: value' header sent with every request (repeatable)")
	fs.BoolVar(&f.skipBadSeeds, "skip-bad-seeds", false, "crawl the valid seeds even if some lines of the seeds file are bad")
	fs.BoolVar(&f.ignoreRobots, "ignore-robots", false, "do not fetch or obey robots.txt (only for sites you own)")
	fs.BoolVar(&f.quiet, "quiet", false, "print only errors")
	fs.StringVar(&f.logLevel, "log-level", "warn", "log level: debug, info, warn, error")
	f.diag.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: crawl --seeds FILE [flags]\n\nCrawl from the seed URLs into --db; rerun the same command to resume.\n\nFlags:\n")
		printVisibleDefaults(fs)
	}
	return fs, f
}

// productToken names this crawler in robots.txt User-agent lines.
const productToken = "crawl"

func defaultUserAgent() string {
	return productToken + "/" + version + " (+https://github.com/crawl-project/crawl)"
}

func runCrawl(ctx context.Context, e *env, args []string) int {
	fs, f := newCrawlFlagSet(e.stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "crawl: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if f.seeds == "" {
		fmt.Fprintln(e.stderr, "crawl: --seeds is required")
		fs.Usage()
		return exitUsage
	}
	log, err := newLogger(e.stderr, f.logLevel)
	if err != nil {
		fmt.Fprintf(e.stderr, "crawl: %v\n", err)
		return exitUsage
	}

	seeds, bad, err := crawler.ReadSeedsFile(f.seeds)
	if err != nil {
		fmt.Fprintf(e.stderr, "crawl: %v\n", err)
		return exitUsage
	}
	for _, b := range bad {
		fmt.Fprintf(e.stderr, "crawl: bad seed: %v\n", b)
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
	db, err := store.Open(f.db, store.Options{})
	if err != nil {
		fmt.Fprintf(e.stderr, "crawl: %v\n", err)
		if errors.Is(err, store.ErrLocked) || errors.Is(err, store.ErrNotCrawl) || errors.Is(err, store.ErrNewSchema) {
			return exitUsage
		}
		return exitError
	}
	defer db.Close()

	c, err := crawler.New(db, cfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "crawl: %v\n", err)
		return exitError
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
	diag, err := startDiagnostics(f.diag)
	if err != nil {
		fmt.Fprintf(e.stderr, "crawl: %v\n", err)
		return exitUsage
	}
	runErr := c.Run(ctx)
	if err := diag.finish(c.Stats()); err != nil {
		fmt.Fprintf(e.stderr, "crawl: %v\n", err)
	}
	sum := c.Stats().Snapshot()
	if !f.quiet {
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
	header, err := parseHeaders(f.headers)
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
	client := fetch.NewClient(fetch.Config{
		UserAgent: f.userAgent,
		Timeout:   f.timeout,
		MaxBody:   f.maxBody,
		Header:    header,
		Resolve:   resolve,
		// One kept-alive connection for each request a host may have in flight.
		IdleConnsPerHost: f.hostConcurrency,
	})
	var robotsCache crawler.RobotsChecker
	if f.ignoreRobots {
		log.Warn("robots.txt is ignored (--ignore-robots): crawl only sites you own or may crawl without it")
	} else {
		robotsCache = fetch.NewRobotsCache(client, productToken)
	}
	return crawler.Config{
		Robots:          robotsCache,
		Seeds:           seeds,
		Scope:           scope,
		MaxDepth:        f.maxDepth,
		MaxPages:        f.maxPages,
		Workers:         f.workers,
		Parsers:         f.parsers,
		HostRate:        f.hostRate,
		HostConcurrency: f.hostConcurrency,
		Fetch:           client,
		Log:             log,
	}, nil
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

func parseHeaders(entries []string) (http.Header, error) {
	h := make(http.Header)
	for _, e := range entries {
		name, value, ok := strings.Cut(e, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return nil, fmt.Errorf("--header %q: want 'Name: value'", e)
		}
		h.Add(name, strings.TrimSpace(value))
	}
	return h, nil
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func printSummary(w io.Writer, s crawler.Summary, dbPath string) {
	fmt.Fprintf(w, "\nCrawl summary\n")
	fmt.Fprintf(w, "  pages fetched   %d (2xx %d, 3xx %d, 4xx %d, 5xx %d, other %d)\n",
		s.Fetched, s.ByClass[2], s.ByClass[3], s.ByClass[4], s.ByClass[5], s.ByClass[0]+s.ByClass[1])
	fmt.Fprintf(w, "  fetch errors    %d\n", s.Failed)
	fmt.Fprintf(w, "  robots blocked  %d\n", s.RobotsBlocked)
	fmt.Fprintf(w, "  links found     %d (%d new URLs)\n", s.Links, s.NewURLs)
	fmt.Fprintf(w, "  hosts           %d\n", s.Hosts)
	fmt.Fprintf(w, "  bytes           %s\n", humanBytes(s.Bytes))
	fmt.Fprintf(w, "  elapsed         %s (%.1f pages/s)\n", s.Elapsed.Round(time.Millisecond), s.PagesPerSecond())
	fmt.Fprintf(w, "  database        %s\n", dbPath)
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
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
