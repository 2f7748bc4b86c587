package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/crawl-project/crawl/crawler"
)

// The Prometheus metrics of a running crawl. The collector reads the crawl's own counters
// (crawler.Stats and the pipeline's channel lengths) at scrape time, so the pipeline itself
// knows nothing of Prometheus, and nothing is registered globally.

// metricsSource is what the collector reads; *crawler.Crawler provides it.
type metricsSource interface {
	Stats() *crawler.Stats
	QueueDepths() []crawler.QueueDepth
}

func newDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("crawl_"+name, help, labels, nil)
}

// crawlCollector turns one Snapshot per scrape into metrics.
type crawlCollector struct {
	src metricsSource

	responses, fetchErrors, bytes, latency, committed, blocked, retries, links, discovered,
	pending, inFlight, hostsActive, hostsSeen, queueLen, queueCap, elapsed *prometheus.Desc
}

func newCrawlCollector(src metricsSource) *crawlCollector {
	return &crawlCollector{
		src:         src,
		responses:   newDesc("responses_total", "HTTP responses received, by status class and code (a followed redirect chain is one response).", "class", "code"),
		fetchErrors: newDesc("fetch_errors_total", "Fetches that failed: no HTTP response (network error, timeout, redirect loop), robots.txt fetches included, or a robots.txt answered with 429 or 5xx."),
		bytes:       newDesc("response_bytes_total", "Response body bytes received."),
		latency:     newDesc("fetch_duration_seconds", "Time from request to the end of the body, for fetches that got a response."),
		committed:   newDesc("pages_recorded_total", "Fetch outcomes (done, failed, robots-blocked) committed to the database."),
		blocked:     newDesc("robots_blocked_total", "URLs not fetched because robots.txt disallows them."),
		retries:     newDesc("retries_total", "Fetch attempts repeated after a transient failure."),
		links:       newDesc("links_total", "Links (edges) recorded."),
		discovered:  newDesc("urls_discovered_total", "URLs seen for the first time."),
		pending:     newDesc("frontier_pending", "URLs queued in the frontier and not handed out."),
		inFlight:    newDesc("in_flight", "URLs handed out to the pipeline and not yet recorded."),
		hostsActive: newDesc("hosts_active", "Hosts with a fetch in flight."),
		hostsSeen:   newDesc("hosts_seen", "Hosts with at least one recorded result in this run."),
		queueLen:    newDesc("queue_length", "Items waiting in a pipeline channel, by the stage that drains it.", "queue"),
		queueCap:    newDesc("queue_capacity", "Capacity of a pipeline channel.", "queue"),
		elapsed:     newDesc("elapsed_seconds", "Time since this run of the crawl started."),
	}
}

func (c *crawlCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.responses, c.fetchErrors, c.bytes, c.latency, c.committed,
		c.blocked, c.retries, c.links, c.discovered, c.pending, c.inFlight, c.hostsActive,
		c.hostsSeen, c.queueLen, c.queueCap, c.elapsed} {
		ch <- d
	}
}

func (c *crawlCollector) Collect(ch chan<- prometheus.Metric) {
	stats := c.src.Stats()
	s := stats.Snapshot()
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for code, n := range stats.StatusCodes() {
		class := "other"
		if code >= 100 {
			class = strconv.Itoa(code/100) + "xx"
		}
		counter(c.responses, n, class, strconv.Itoa(code))
	}
	counter(c.fetchErrors, s.Failed)
	counter(c.bytes, s.Bytes)
	lat := stats.FetchLatency()
	buckets := make(map[float64]uint64, len(crawler.LatencyBuckets))
	for i, le := range crawler.LatencyBuckets {
		buckets[le] = lat.Cumulative[i]
	}
	ch <- prometheus.MustNewConstHistogram(c.latency, lat.Count, lat.Sum.Seconds(), buckets)
	counter(c.committed, s.Committed)
	counter(c.blocked, s.RobotsBlocked)
	counter(c.retries, s.Retries)
	counter(c.links, s.Links)
	counter(c.discovered, s.NewURLs)
	gauge(c.pending, float64(s.Pending))
	gauge(c.inFlight, float64(s.InFlight))
	gauge(c.hostsActive, float64(s.ActiveHosts))
	gauge(c.hostsSeen, float64(s.Hosts))
	for _, q := range c.src.QueueDepths() {
		gauge(c.queueLen, float64(q.Len), q.Queue)
		gauge(c.queueCap, float64(q.Cap), q.Queue)
	}
	gauge(c.elapsed, s.Elapsed.Seconds())
}

// newMetricsRegistry returns a registry with the crawl's metrics and the Go runtime's and
// the process's standard ones.
func newMetricsRegistry(src metricsSource) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		newCrawlCollector(src),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// metricsServer serves /metrics over HTTP while a crawl runs.
type metricsServer struct {
	srv  *http.Server
	addr net.Addr
	done chan error
}

// listenMetrics opens the metrics port, before anything else is set up, so that a port in
// use is reported before the crawl touches its database. Any address is accepted; one that
// is not loopback exposes the crawl's numbers to the network.
func listenMetrics(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr %s: %w", addr, err)
	}
	return ln, nil
}

// serveMetrics serves the registry at /metrics on ln until Close.
func serveMetrics(ln net.Listener, reg *prometheus.Registry) *metricsServer {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	m := &metricsServer{
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		addr: ln.Addr(),
		done: make(chan error, 1),
	}
	go func() { m.done <- m.srv.Serve(ln) }()
	return m
}

// URL is where the metrics are served.
func (m *metricsServer) URL() string { return "http://" + m.addr.String() + "/metrics" }

// Close stops the server, letting scrapes in progress finish for a moment.
func (m *metricsServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := m.srv.Shutdown(ctx)
	if serveErr := <-m.done; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	return err
}
