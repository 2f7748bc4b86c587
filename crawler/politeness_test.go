package crawler_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/fetch"
)

// paceViolation checks that requests arriving at ts (in order) keep to one per interval:
// any k+1 consecutive ones span at least k intervals, less slack. The limiter spaces the
// moments URLs are handed out; each request reaches the server a little later, by a varying
// delay (scheduling, a loaded machine), which can shorten one gap but not a run of them.
// So the bound is checked over every run, with a slack of about one such delay; a crawl
// without the limit sends its requests back to back and fails it by far. It returns the
// first violation, or "".
func paceViolation(ts []time.Time, interval, slack time.Duration) string {
	for i := range ts {
		for j := i + 1; j < len(ts); j++ {
			if span, want := ts[j].Sub(ts[i]), time.Duration(j-i)*interval-slack; span < want {
				return fmt.Sprintf("requests %d to %d came within %v; at one per %v they need %v", i+1, j+1, span, interval, want+slack)
			}
		}
	}
	return ""
}

func TestHostRateAndConcurrencyLimits(t *testing.T) {
	tests := []struct {
		name        string
		rate        float64
		concurrency int
		latency     time.Duration
		pages       int
	}{
		{name: "rate 20/s", rate: 20, concurrency: 2, pages: 12},
		{name: "2 in flight", rate: 0, concurrency: 2, latency: 20 * time.Millisecond, pages: 30},
		{name: "1 in flight", rate: 0, concurrency: 1, latency: 10 * time.Millisecond, pages: 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, crawltest.SiteConfig{Seed: 11, Pages: tt.pages, MinBytes: 500, MaxBytes: 1000, Latency: tt.latency})
			h.run(h.config(h.roots(), func(c *crawler.Config) {
				c.HostRate, c.HostConcurrency, c.Workers = tt.rate, tt.concurrency, 8
			}))
			log := h.site.Log()
			// Every page and robots.txt, each once.
			if n := log.Total(); n != tt.pages+1 || log.Duplicates() != 0 {
				t.Errorf("%d requests, %d duplicates; want %d and none", n, log.Duplicates(), tt.pages+1)
			}
			host := h.site.Hosts()[0]
			if peak := log.PeakConcurrent(host); peak > tt.concurrency {
				t.Errorf("peak %d requests in flight, limit %d", peak, tt.concurrency)
			} else if tt.rate == 0 && peak != tt.concurrency {
				t.Errorf("peak %d requests in flight; with no rate limit the crawl should use all %d", peak, tt.concurrency)
			}
			if tt.rate > 0 {
				interval := time.Duration(float64(time.Second) / tt.rate)
				if v := paceViolation(log.Times(host), interval, interval); v != "" {
					t.Error(v)
				}
			}
		})
	}
}

// TestManyHostsKeepAllWorkersBusy: with many hosts each limited to a few requests per
// second, the workers serve whichever host is ready, so that all of them are busy at once and
// each host's requests are interleaved with other hosts' requests rather than waited for.
func TestManyHostsKeepAllWorkersBusy(t *testing.T) {
	const hosts, pages, workers, rate = 50, 6, 16, 20.0
	var names []string
	for i := range hosts {
		names = append(names, "h"+string(rune('a'+i/26))+string(rune('a'+i%26))+".test")
	}
	h := newHarness(t, crawltest.SiteConfig{Seed: 12, Pages: pages, Hosts: names, MinBytes: 500, MaxBytes: 1000, Latency: 30 * time.Millisecond})
	h.run(h.config(h.roots(), func(c *crawler.Config) {
		c.HostRate, c.HostConcurrency, c.Workers = rate, 2, workers
	}))
	log := h.site.Log()
	if n := log.Total(); n != hosts*(pages+1) || log.Duplicates() != 0 {
		t.Fatalf("%d requests, %d duplicates; want %d and none", n, log.Duplicates(), hosts*(pages+1))
	}
	// 50 hosts at 20/s could take 1000 requests/s; 16 workers at 30 ms a request manage about
	// 530. The workers are the bottleneck, so all of them must have been busy at once.
	if peak := log.PeakConcurrent(""); peak != workers {
		t.Errorf("at most %d requests in flight; all %d workers should have been busy", peak, workers)
	}
	all := log.Times("")
	interval := time.Duration(float64(time.Second) / rate)
	// Until the first host is done, every host has requests to come.
	busyUntil := all[len(all)-1]
	for _, host := range names {
		ts := log.Times(host)
		busyUntil = minTime(busyUntil, ts[len(ts)-1])
	}
	for _, host := range names {
		ts := log.Times(host)
		if peak := log.PeakConcurrent(host); peak > 2 {
			t.Errorf("%s: %d requests in flight, limit 2", host, peak)
		}
		if v := paceViolation(ts, interval, interval); v != "" {
			t.Errorf("%s: %s", host, v)
		}
		// While a host waits for its next turn, other hosts are served.
		for i := 1; i < len(ts) && !ts[i].After(busyUntil); i++ {
			if between(all, ts[i-1], ts[i]) == 0 {
				t.Errorf("%s: no other host was served between its requests at %v and %v", host, ts[i-1], ts[i])
				break
			}
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// between counts the times strictly between a and b.
func between(sorted []time.Time, a, b time.Time) int {
	n := 0
	for _, t := range sorted {
		if t.After(a) && t.Before(b) {
			n++
		}
	}
	return n
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A robots.txt request slow to go out (a slow dial, a busy machine) must not let the page
// after it go early: the Crawl-delay runs from the robots.txt request, not from the moment
// the frontier handed the URL out.
func TestCrawlDelayRunsFromTheRobotsRequest(t *testing.T) {
	const delay = 150 * time.Millisecond
	h := newHarness(t, crawltest.SiteConfig{Seed: 13, Pages: 2, MinBytes: 500, MaxBytes: 1000,
		Robots: "User-agent: *\nCrawl-delay: 0.15\n"})
	transport := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(transport.CloseIdleConnections)
	client := fetch.NewClient(fetch.Config{UserAgent: "crawl-test", Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Path == "/robots.txt" {
			time.Sleep(2 * delay) // the request leaves this long after the hand-out
		}
		return transport.RoundTrip(r)
	})})
	h.run(h.config(h.roots(), func(c *crawler.Config) {
		c.HostRate, c.HostConcurrency = 0, 1
		c.Fetch, c.Robots = client, fetch.NewRobotsCache(client, "crawl")
	}))
	ts := h.site.Log().Times(h.site.Hosts()[0])
	if len(ts) != 3 {
		t.Fatalf("%d requests, want 3", len(ts))
	}
	if gap := ts[1].Sub(ts[0]); gap < delay {
		t.Errorf("the first page came %v after robots.txt; Crawl-delay is %v", gap, delay)
	}
}

func TestCrawlDelaySlowsTheHost(t *testing.T) {
	const delay = 150 * time.Millisecond
	h := newHarness(t, crawltest.SiteConfig{Seed: 13, Pages: 6, MinBytes: 500, MaxBytes: 1000,
		Robots: "User-agent: *\nCrawl-delay: 0.15\n"})
	// No rate limit of our own: only the site's Crawl-delay spaces the requests.
	h.run(h.config(h.roots(), func(c *crawler.Config) { c.HostRate, c.HostConcurrency = 0, 2 }))
	ts := h.site.Log().Times(h.site.Hosts()[0])
	if len(ts) != 7 {
		t.Fatalf("%d requests, want 7", len(ts))
	}
	if v := paceViolation(ts, delay, delay/2); v != "" {
		t.Errorf("Crawl-delay %v: %s", delay, v)
	}
}
