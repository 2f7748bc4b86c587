package crawler_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/fetch"
)

// hostile is a server that misbehaves on purpose, answering through a handler the test
// writes, for host names the crawl's client resolves to it. It reuses harness for the
// crawl, the stored graph and the request log.
type hostile struct {
	*harness
}

// answer serves one request; n is how many times host+path has been asked, this one included.
type answer func(w http.ResponseWriter, r *http.Request, n int)

// newHostile starts a server for the given host names (resolved to it by the crawl's client).
func newHostile(t *testing.T, hosts []string, fn answer) *hostile {
	t.Helper()
	return &hostile{serveHarness(t, crawltest.RecordFunc(func(w http.ResponseWriter, r *http.Request, a crawltest.Arrival) {
		fn(w, r, a.N)
	}), hosts...)}
}

// url is the URL of path on host, as the crawl sees it.
func (s *hostile) url(host, path string) string { return "http://" + host + ":" + s.port() + path }

// count is how many times host+path (path with query) was requested.
func (s *hostile) count(host, path string) int { return s.log.Count(host + path) }

// times are the arrival times of host's requests; with paths, only requests for those.
func (s *hostile) times(host string, paths ...string) []time.Time {
	var out []time.Time
	for _, a := range s.log.Arrivals(host) {
		if len(paths) == 0 || contains(paths, a.Target) {
			out = append(out, a.At)
		}
	}
	return out
}

// requests lists host's requests, in arrival order.
func (s *hostile) requests(host string) []string {
	var out []string
	for _, a := range s.log.Arrivals(host) {
		out = append(out, a.Target)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// fastFailures makes backoffs short enough for tests; the tries and streaks stay as given.
func fastFailures(retries, maxHostErrors int) option {
	return func(c *crawler.Config) {
		c.Retries, c.MaxHostErrors = retries, maxHostErrors
		c.Backoff, c.MaxBackoff = 20*time.Millisecond, 5*time.Second
		c.HostRate = 0
	}
}

// runWithin crawls like run, but fails the test if the crawl does not end within a generous
// watchdog: a crawl that waits for an uncapped Retry-After or never gives up on a host.
func (h *harness) runWithin(d time.Duration, cfg crawler.Config) crawler.Summary {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return h.runCtx(ctx, cfg, nil)
}

func (g graph) node(t *testing.T, u string) crawl.Node {
	t.Helper()
	n, ok := g.nodes[u]
	if !ok {
		t.Fatalf("no node for %s", u)
	}
	return n
}

// newClient is a fetch client for the test's hosts with a short whole-response timeout.
func newClient(resolve map[string]string, timeout time.Duration) *fetch.Client {
	return fetch.NewClient(fetch.Config{UserAgent: "crawl-test", Resolve: resolve, Timeout: timeout})
}
