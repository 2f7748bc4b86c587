package main

import (
	"bufio"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/store/storetest"
)

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

type scrape []sample

func getMetrics(url string) (scrape, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return parseMetrics(resp.Body)
}

// parseMetrics reads the text exposition format (enough of it for these metrics: no
// escaped quotes or commas in label values).
func parseMetrics(r io.Reader) (scrape, error) {
	var out scrape
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, err
		}
		s := sample{name: line[:i], labels: map[string]string{}, value: v}
		if name, labels, ok := strings.Cut(s.name, "{"); ok {
			s.name = name
			for _, kv := range strings.Split(strings.TrimSuffix(labels, "}"), ",") {
				k, v, _ := strings.Cut(kv, "=")
				s.labels[k] = strings.Trim(v, `"`)
			}
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// sum adds the samples of a metric whose labels include all of match (key, value, ...).
func (s scrape) sum(name string, match ...string) (float64, bool) {
	var total float64
	found := false
	for _, x := range s {
		if x.name != name {
			continue
		}
		ok := true
		for i := 0; i+1 < len(match); i += 2 {
			ok = ok && x.labels[match[i]] == match[i+1]
		}
		if ok {
			total += x.value
			found = true
		}
	}
	return total, found
}

// TestMetricsEndpoint scrapes /metrics while a crawl is held at a known point and once it
// has finished, and checks the final counters against the pages stored in the database.
func TestMetricsEndpoint(t *testing.T) {
	g := newGatedSite(t, crawltest.SiteConfig{Pages: 60, Seed: 7, BrokenFraction: 0.05, Robots: "User-agent: *\nDisallow: /guide/\n"})
	const heldAt = 20
	h := g.holdAfter(heldAt)
	dbPath := filepath.Join(t.TempDir(), "c.db")
	const workers = 3
	args := []string{"--seeds", seedsFor(t, g.srv.URL+"/"), "--db", dbPath, "--host-rate", "0",
		"--workers", strconv.Itoa(workers), "--metrics-addr", "127.0.0.1:0"}

	var metricsURL atomic.Pointer[string]
	urlFound := make(chan struct{})
	during := make(chan scrape, 1)
	ended := make(chan struct{})
	go func() {
		for _, step := range []chan struct{}{urlFound, h.reached} {
			select {
			case <-step:
			case <-ended:
				during <- nil
				return
			}
		}
		// The crawl is held: requests after heldAt wait in the server.
		s, err := getMetrics(*metricsURL.Load())
		if err != nil {
			t.Error(err)
		}
		during <- s
		h.Release()
	}()
	var final scrape
	e := env{crawlDone: func() {
		s, err := getMetrics(*metricsURL.Load())
		if err != nil {
			t.Error(err)
		}
		final = s
	}}
	code, _ := crawlStderr(t, e, args, func(l string) {
		if u, ok := strings.CutPrefix(l, "crawl: metrics at "); ok {
			metricsURL.Store(&u)
			close(urlFound)
		}
	})
	close(ended)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}

	mid := <-during
	if mid == nil {
		t.Fatal("no scrape during the crawl")
	}
	if v, _ := mid.sum("crawl_in_flight"); v < 1 {
		t.Errorf("in flight while requests are held: %g", v)
	}
	if v, _ := mid.sum("crawl_responses_total"); v > heldAt {
		t.Errorf("%g responses while the site has answered %d requests", v, heldAt)
	}
	if v, ok := mid.sum("crawl_queue_capacity", "queue", "parse"); v != workers {
		t.Errorf("parse queue capacity %g (found %v), want %d", v, ok, workers)
	}
	for _, name := range []string{"crawl_frontier_pending", "crawl_hosts_active", "crawl_queue_length", "go_goroutines", "crawl_fetch_duration_seconds_bucket"} {
		if _, ok := mid.sum(name); !ok {
			t.Errorf("no %s during the crawl", name)
		}
	}

	// The truth: the stored pages.
	byState := map[crawl.State]float64{}
	var notFound, bytes float64
	for _, n := range storetest.ReadGraph(t, dbPath).Nodes {
		byState[n.State]++
		if n.State == crawl.StateDone {
			bytes += float64(n.Size)
			if n.Status == http.StatusNotFound {
				notFound++
			}
		}
	}
	if byState[crawl.StateDone] < 60 || notFound == 0 || byState[crawl.StateBlocked] == 0 {
		t.Fatalf("the crawl did not reach the whole site: %v", byState)
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"crawl_responses_total", nil, byState[crawl.StateDone]},
		{"crawl_responses_total", []string{"code", "404", "class", "4xx"}, notFound},
		{"crawl_responses_total", []string{"class", "2xx"}, byState[crawl.StateDone] - notFound},
		{"crawl_fetch_errors_total", nil, byState[crawl.StateFailed]},
		{"crawl_robots_blocked_total", nil, byState[crawl.StateBlocked]},
		{"crawl_pages_recorded_total", nil, byState[crawl.StateDone] + byState[crawl.StateFailed] + byState[crawl.StateBlocked]},
		{"crawl_response_bytes_total", nil, bytes},
		{"crawl_fetch_duration_seconds_count", nil, byState[crawl.StateDone]},
		{"crawl_fetch_duration_seconds_bucket", []string{"le", "+Inf"}, byState[crawl.StateDone]},
		{"crawl_retries_total", nil, 0},
		{"crawl_in_flight", nil, 0},
		{"crawl_frontier_pending", nil, 0},
		{"crawl_hosts_active", nil, 0},
		{"crawl_hosts_seen", nil, 1},
		{"crawl_queue_length", nil, 0},
	} {
		if got, ok := final.sum(c.name, c.labels...); got != c.want || !ok {
			t.Errorf("%s%v = %g (found %v), want %g", c.name, c.labels, got, ok, c.want)
		}
	}
}
