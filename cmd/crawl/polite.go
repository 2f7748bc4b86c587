package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/crawl-project/crawl/crawler"
)

// politeFlags tune politeness, failure handling and how sites are reached.
type politeFlags struct {
	connectTimeout, tlsTimeout, firstByteTimeout time.Duration
	backoff, maxBackoff                          time.Duration
	retries, maxHostErrors, maxSitemapURLs       int
	insecure, noCookies, sitemaps                bool
	allowPrivateAddresses                        bool
}

func (f *politeFlags) register(fs *pflag.FlagSet) {
	fs.DurationVar(&f.connectTimeout, "connect-timeout", 10*time.Second, "time limit for opening a connection, name lookup included")
	fs.DurationVar(&f.tlsTimeout, "tls-timeout", 10*time.Second, "time limit for a TLS handshake")
	fs.DurationVar(&f.firstByteTimeout, "first-byte-timeout", 10*time.Second, "time limit for response headers once a request is sent")
	fs.IntVar(&f.retries, "retries", 2, "times a URL is tried again after no answer, a timeout, 429, 5xx or an unreachable robots.txt (2: three tries)")
	fs.DurationVar(&f.backoff, "backoff", time.Second, "how long a URL waits for its retry after a 5xx (doubling with its tries), and a host is held back after a failure of its own without Retry-After (doubling per failure in a row), with jitter")
	fs.DurationVar(&f.maxBackoff, "max-backoff", 10*time.Minute, "cap on the backoff and on a server's Retry-After")
	fs.IntVar(&f.maxHostErrors, "max-host-errors", 5, "URLs of a host failing in a row without an answer (no response, 429, 503) after which the host is given up for the run and its other URLs skipped; four times as many if they answered 5xx (0: never)")
	fs.BoolVarP(&f.insecure, "insecure", "k", false, "do not verify TLS certificates")
	fs.BoolVar(&f.noCookies, "no-cookies", false, "do not keep the cookies sites set (by default they are sent back to their site)")
	fs.BoolVar(&f.allowPrivateAddresses, "allow-private-addresses", false, "fetch URLs of any host on loopback, private, link-local and other non-public addresses (by default only the seeds' hosts and --resolve hosts may be on them)")
	fs.BoolVar(&f.sitemaps, "sitemaps", false, "seed the crawl with the in-scope URLs of the seeds' sitemaps (robots.txt Sitemap lines, else /sitemap.xml)")
	fs.IntVar(&f.maxSitemapURLs, "max-sitemap-urls", 50000, "URLs read from the sitemaps of one site, at most")
	group(fs, "Politeness", "retries", "backoff", "max-backoff", "max-host-errors", "sitemaps", "max-sitemap-urls")
	group(fs, "HTTP", "connect-timeout", "tls-timeout", "first-byte-timeout", "allow-private-addresses", "insecure", "no-cookies")
}

func (f *politeFlags) check() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"--connect-timeout", f.connectTimeout}, {"--tls-timeout", f.tlsTimeout},
		{"--first-byte-timeout", f.firstByteTimeout}, {"--backoff", f.backoff}, {"--max-backoff", f.maxBackoff},
	} {
		if d.v <= 0 {
			return fmt.Errorf("%s %s: must be positive", d.name, d.v)
		}
	}
	switch {
	case f.retries < 0:
		return fmt.Errorf("--retries %d: must not be negative", f.retries)
	case f.maxHostErrors < 0:
		return fmt.Errorf("--max-host-errors %d: must not be negative", f.maxHostErrors)
	case f.maxSitemapURLs < 1:
		return fmt.Errorf("--max-sitemap-urls %d: must be positive", f.maxSitemapURLs)
	}
	return nil
}

// printPoliteness writes the summary lines about robots.txt, retries and failing hosts.
func printPoliteness(w io.Writer, s crawler.Summary) {
	fmt.Fprintf(w, "  robots.txt      %d fetched, %d reused, %d URLs failed unavailable\n", s.RobotsFetched, s.RobotsRestored, s.RobotsUnavailable)
	fmt.Fprintf(w, "  retries         %d (%d backoffs, %d after Retry-After)\n", s.Retries, s.Backoffs, s.RetryAfters)
	fmt.Fprintf(w, "  hosts parked    %d (%d URLs skipped as host-unreachable)\n", s.HostsParked, s.HostUnreachableSkipped)
	if s.SitemapURLs > 0 {
		fmt.Fprintf(w, "  sitemap URLs    %d\n", s.SitemapURLs)
	}
}
