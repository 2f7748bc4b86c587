package crawler_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/fetch"
)

// hostile is a server that misbehaves on purpose, answering through a handler the test
// writes, and logging every request it was asked. It reuses harness for the crawl and the
// stored graph.
type hostile struct {
	*harness
	port string

	mu     sync.Mutex
	served []served
	counts map[string]int // by host+path
}

type served struct {
	host, path string
	at         time.Time
}

// answer serves one request; n is how many times host+path has been asked, this one included.
type answer func(w http.ResponseWriter, r *http.Request, n int)

// newHostile starts a server for the given host names (resolved to it by the crawl's client).
func newHostile(t *testing.T, hosts []string, fn answer) *hostile {
	t.Helper()
	s := &hostile{counts: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := strings.Split(r.Host, ":")[0]
		s.mu.Lock()
		s.counts[host+r.URL.RequestURI()]++
		n := s.counts[host+r.URL.RequestURI()]
		s.served = append(s.served, served{host, r.URL.RequestURI(), time.Now()})
		s.mu.Unlock()
		fn(w, r, n)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	s.port = u.Port()
	s.harness = &harness{t: t, srv: srv, dbPath: filepath.Join(t.TempDir(), "crawl.db"), resolve: map[string]string{}}
	for _, h := range hosts {
		s.resolve[h+":"+s.port] = u.Host
	}
	return s
}

// url is the URL of path on host, as the crawl sees it.
func (s *hostile) url(host, path string) string { return "http://" + host + ":" + s.port + path }

// count is how many times host+path (path with query) was requested.
func (s *hostile) count(host, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[host+path]
}

// times are the arrival times of host's requests; with paths, only requests for those.
func (s *hostile) times(host string, paths ...string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []time.Time
	for _, r := range s.served {
		if r.host != host {
			continue
		}
		if len(paths) > 0 && !contains(paths, r.path) {
			continue
		}
		out = append(out, r.at)
	}
	return out
}

// requests lists host's requests, in arrival order.
func (s *hostile) requests(host string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.served {
		if r.host == host {
			out = append(out, r.path)
		}
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

// linkPage writes an HTML page linking to the given hrefs.
func linkPage(w http.ResponseWriter, title string, hrefs ...string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<html><head><title>%s</title></head><body>", title)
	for _, h := range hrefs {
		fmt.Fprintf(w, `<a href="%s">%s</a> `, h, h)
	}
	fmt.Fprint(w, "</body></html>")
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
	c, db := h.newCrawler(cfg)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := c.Run(ctx); err != nil {
		h.t.Fatalf("crawl: %v", err)
	}
	return c.Stats().Snapshot()
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
