// Command demosite serves a website for demos and manual tests of the
// crawler: the static demo site in testdata/demo-site (or any directory),
// or, with --generate N, a deterministic generated site from the crawltest
// package.
//
//	demosite --dir testdata/demo-site --addr 127.0.0.1:0
//	demosite --generate 20000 --hosts h1.test,h2.test --seed 7 --latency 20ms
//
// The first line of standard output is the base URL it listens on, e.g.
// "http://127.0.0.1:41234/"; --url-file writes the same line to a file.
// It serves until SIGINT or SIGTERM, then shuts down gracefully. It listens
// only on loopback addresses unless --public is given.
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
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/crawl-project/crawl/crawler/crawltest"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	dir, addr, hosts, urlFile string
	public, verbose           bool
	generate                  int
	seed                      int64
	latency                   time.Duration
	cross, broken, external   float64
	dirSet, genSet            bool
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("demosite", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.dir, "dir", "testdata/demo-site", "directory of static files to serve")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:0", "listen address (port 0 picks a free port)")
	fs.BoolVar(&o.public, "public", false, "allow listening on a non-loopback address")
	fs.IntVar(&o.generate, "generate", 0, "serve a generated site with `N` pages per host instead of --dir")
	fs.StringVar(&o.hosts, "hosts", "", "comma-separated host names of the generated site (default site.test)")
	fs.Int64Var(&o.seed, "seed", 1, "seed of the generated site")
	fs.DurationVar(&o.latency, "latency", 0, "delay added to every response of the generated site")
	fs.Float64Var(&o.cross, "cross", 0.05, "fraction of generated links to other hosts of the site")
	fs.Float64Var(&o.broken, "broken", 0.01, "fraction of generated links that answer 404")
	fs.Float64Var(&o.external, "external", 0.02, "fraction of generated links to hosts outside the site")
	fs.StringVar(&o.urlFile, "url-file", "", "also write the base URL to this `file`")
	fs.BoolVar(&o.verbose, "v", false, "log every request")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "dir":
			o.dirSet = true
		case "hosts", "seed", "latency", "cross", "broken", "external":
			o.genSet = true
		}
	})
	switch {
	case o.generate < 0:
		return nil, errors.New("--generate must be positive")
	case o.generate > 0 && o.dirSet:
		return nil, errors.New("--dir and --generate are mutually exclusive")
	case o.generate == 0 && o.genSet:
		return nil, errors.New("--hosts, --seed, --latency, --cross, --broken and --external need --generate")
	}
	return o, nil
}

// checkLoopback refuses a listen address whose host is not a loopback
// address, unless public is set.
func checkLoopback(addr string, public bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("bad --addr %q: %v", addr, err)
	}
	if public {
		return nil
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	if host == "" {
		host = "all interfaces"
	}
	return fmt.Errorf("--addr %q would listen on %s, which is not a loopback address; use 127.0.0.1 or pass --public", addr, host)
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "demosite:", err)
		return 2
	}
	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if err := checkLoopback(o.addr, o.public); err != nil {
		log.Error("refusing to listen", "err", err)
		return 2
	}

	handler, err := buildHandler(o, log)
	if err != nil {
		log.Error("cannot serve", "err", err)
		return 1
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		log.Error("cannot listen", "err", err)
		return 1
	}
	base := baseURL(ln.Addr())
	fmt.Fprintln(stdout, base)
	if o.urlFile != "" {
		if err := writeFileAtomic(o.urlFile, base+"\n"); err != nil {
			log.Error("cannot write --url-file", "err", err)
			ln.Close()
			return 1
		}
	}
	if o.generate > 0 {
		site := handler.(*crawltest.Site)
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		for _, h := range site.Hosts() {
			log.Info("generated host", "host", h, "pages", o.generate,
				"try", fmt.Sprintf("curl --resolve %s:%s:127.0.0.1 http://%s:%s/", h, port, h, port))
		}
	}

	srv := &http.Server{
		Handler:           logRequests(handler, log),
		ReadHeaderTimeout: 10 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("serving", "url", base)

	select {
	case err := <-errc:
		log.Error("server stopped", "err", err)
		return 1
	case <-ctx.Done():
	}
	stop()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("graceful shutdown incomplete", "err", err)
		srv.Close()
	}
	log.Info("stopped")
	return 0
}

func buildHandler(o *options, log *slog.Logger) (http.Handler, error) {
	if o.generate > 0 {
		var hosts []string
		for _, h := range strings.Split(o.hosts, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hosts = append(hosts, h)
			}
		}
		return crawltest.NewSite(crawltest.SiteConfig{
			Seed:              o.seed,
			Pages:             o.generate,
			Hosts:             hosts,
			CrossHostFraction: o.cross,
			BrokenFraction:    o.broken,
			ExternalFraction:  o.external,
			Latency:           o.latency,
		}), nil
	}
	st, err := os.Stat(o.dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("--dir %s is not a directory", o.dir)
	}
	abs, _ := filepath.Abs(o.dir)
	log.Info("serving directory", "dir", abs)
	return crawltest.FileServer(o.dir), nil
}

// baseURL returns the URL clients use to reach the listener; an
// unspecified address (all interfaces) is shown as loopback.
func baseURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String() + "/"
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip.To4() == nil {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// writeFileAtomic writes content to path through a temporary file and a
// rename, so that a reader never sees a partial line.
func writeFileAtomic(path, content string) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".demosite-url-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close() // a second Close only returns an error
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.WriteString(content); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// logRequests logs every request at debug level.
func logRequests(h http.Handler, log *slog.Logger) http.Handler {
	if !log.Enabled(context.Background(), slog.LevelDebug) {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		status := crawltest.ServeStatus(w, r, h)
		log.Debug("request", "method", r.Method, "host", r.Host, "uri", r.RequestURI,
			"status", status, "duration", time.Since(start))
	})
}
