//go:build unix

package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/store"
)

// The setting of the cluster fault tests: a real nats-server with JetStream in the test
// process, a generated site of 16 hosts on four loopback addresses, and the crawl binary as
// every node's process.

// restart stops the server and starts it again on the same store and port, as an
// operator's restart would.
func (ns *natsServer) restart() {
	ns.t.Helper()
	ns.stop()
	ns.start(true)
}

// waitHeartbeatGone returns once node's heartbeat key in the crawl's bucket is gone (expired
// or deleted): from then on the engine treats the node as stopped.
func (ns *natsServer) waitHeartbeatGone(crawlID, node string, limit time.Duration) {
	ns.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	nc, err := nats.Connect(ns.url())
	if err != nil {
		ns.t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		ns.t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, "crawl_"+crawlID)
	if err != nil {
		ns.t.Fatalf("crawl %s: bucket: %v", crawlID, err)
	}
	w, err := kv.Watch(ctx, "alive."+node)
	if err != nil {
		ns.t.Fatal(err)
	}
	defer func() { _ = w.Stop() }()
	live := false
	for {
		select {
		case e, ok := <-w.Updates():
			switch {
			case !ok:
				ns.t.Fatalf("watch of node %s's heartbeat stopped", node)
			case e == nil: // the end of the current values
				if !live {
					return
				}
			case e.Operation() == jetstream.KeyValuePut:
				live = true
			default:
				return
			}
		case <-ctx.Done():
			ns.t.Fatalf("node %s's heartbeat still live after %s", node, limit)
		}
	}
}

// Politeness of the cluster site: every host at --host-rate 20 (one request per 50ms);
// the even hosts' robots.txt asks for a Crawl-delay of 0.1s and disallows a directory, the
// odd hosts have none.
const (
	clusterHosts      = 16
	clusterHostRate   = 20
	clusterCrawlDelay = 100 * time.Millisecond
)

// faultSite is the fault tests' generated site of 16 hosts, h0.test to h15.test, on one port of 127.0.0.1
// to 127.0.0.4 (host i on 127.0.0.(i%4+1), through --resolve), with links across hosts so
// that most links of a page lead to another node's shard. Its log records every request with
// its headers: a node's requests carry its User-Agent.
type faultSite struct {
	site  *crawltest.Site
	log   *crawltest.Recorder
	port  string
	hosts []string
	dir   string
	seeds string // the seeds file: every host's root
	ref   singleCrawl
}

// singleCrawl is the crawl of the site by one plain process, without --cluster.
type singleCrawl struct {
	db       string
	graph    crawlGraph
	requests map[string]int // its requests by log key, robots.txt excluded
}

func newFaultSite(t *testing.T, pages int) *faultSite {
	t.Helper()
	cs := &faultSite{dir: t.TempDir()}
	for i := range clusterHosts {
		cs.hosts = append(cs.hosts, fmt.Sprintf("h%d.test", i))
	}
	cs.site = crawltest.NewSite(crawltest.SiteConfig{Seed: 21, Pages: pages, Hosts: cs.hosts, MinLinks: 3, MaxLinks: 12,
		MinBytes: 600, MaxBytes: 2000, CrossHostFraction: 0.4, BrokenFraction: 0.02, ExternalFraction: 0.02,
		RedirectFraction: 0.03})
	cs.log = crawltest.Record(http.HandlerFunc(cs.serve)).KeepHeaders()
	cs.listen(t)
	roots := cs.site.Roots("http://127.0.0.1:" + cs.port)
	cs.seeds = writeFile(t, cs.dir, "seeds.txt", strings.Join(roots, "\n")+"\n")
	return cs
}

// listen serves the site on one free port of every address 127.0.0.1 to 127.0.0.4.
func (cs *faultSite) listen(t *testing.T) {
	t.Helper()
	var lastErr error
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		lns := []net.Listener{ln}
		for ip := 2; ip <= 4 && err == nil; ip++ {
			var l net.Listener
			if l, err = net.Listen("tcp", fmt.Sprintf("127.0.0.%d:%s", ip, port)); err == nil {
				lns = append(lns, l)
			}
		}
		if err != nil { // the port is taken on another address: try another one
			lastErr = err
			for _, l := range lns {
				l.Close()
			}
			continue
		}
		for _, l := range lns {
			srv := &http.Server{Handler: cs.log, ReadHeaderTimeout: 10 * time.Second}
			go srv.Serve(l)
			t.Cleanup(func() { srv.Close() })
		}
		cs.port = port
		return
	}
	t.Fatalf("no port free on 127.0.0.1 to 127.0.0.4: %v", lastErr)
}

// serve answers robots.txt by host (see clusterCrawlDelay) and every other path from the
// generated site.
func (cs *faultSite) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/robots.txt" {
		cs.site.ServeHTTP(w, r)
		return
	}
	if i := cs.hostIndex(r.Host); i >= 0 && i%2 == 0 {
		fmt.Fprintf(w, "User-agent: *\nCrawl-delay: %g\nDisallow: /docs/s2/\n", clusterCrawlDelay.Seconds())
		return
	}
	http.NotFound(w, r)
}

// hostIndex is i for host hi.test (port allowed), -1 for another host.
func (cs *faultSite) hostIndex(host string) int {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return slices.Index(cs.hosts, strings.ToLower(host))
}

// interval is the shortest time a host's requests must keep apart.
func (cs *faultSite) interval(host string) time.Duration {
	d := time.Second / clusterHostRate
	if cs.hostIndex(host)%2 == 0 {
		d = max(d, clusterCrawlDelay)
	}
	return d
}

// crawlArgs is the command line of a crawl of the site, plain or a node's: ua is its
// User-Agent, which tells its requests in the site's log.
func (cs *faultSite) crawlArgs(db, ua string) []string {
	args := []string{"--seeds", cs.seeds, "--db", db, "--host-rate", strconv.Itoa(clusterHostRate),
		"--host-concurrency", "2", "--workers", "4", "--parsers", "1", "--log-level", "error",
		"--user-agent", ua, "--timeout", "2s"}
	for i, h := range cs.hosts {
		args = append(args, "--resolve", fmt.Sprintf("%s:%s:127.0.0.%d", h, cs.port, i%4+1))
	}
	return args
}

// crawlReference crawls the site with one plain process, then clears the site's log.
func (cs *faultSite) crawlReference(t *testing.T) {
	t.Helper()
	cs.ref.db = filepath.Join(cs.dir, "reference.db")
	if code, _, stderr := runBinary(t, cs.crawlArgs(cs.ref.db, "crawl/reference")...); code != exitOK {
		t.Fatalf("single-node crawl: exit %d\n%s", code, stderr)
	}
	cs.ref.graph = readGraph(t, cs.ref.db)
	cs.ref.requests = cs.pageCounts()
	cs.log.Reset()
	if len(cs.ref.requests) < clusterHosts*5 {
		t.Fatalf("the single-node crawl fetched only %d pages", len(cs.ref.requests))
	}
}

// pageCounts is the site's log by "host/path?query" key, without robots.txt: a new owner of
// a shard reads a host's robots.txt again, by design.
func (cs *faultSite) pageCounts() map[string]int {
	out := map[string]int{}
	for k, n := range cs.log.Counts() {
		if !strings.HasSuffix(k, "/robots.txt") {
			out[k] = n
		}
	}
	return out
}

// requestedBy returns the log keys of the pages requested with User-Agent ua.
func (cs *faultSite) requestedBy(ua string) map[string]bool {
	out := map[string]bool{}
	for _, a := range cs.log.Arrivals("") {
		if a.Header.Get("User-Agent") == ua {
			out[a.Key()] = true
		}
	}
	return out
}

// logKey is the site log's key of a URL of the site.
func logKey(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return strings.ToLower(u.Hostname()) + u.RequestURI()
}

// checkPoliteness checks from the site's log that every host's requests, whichever node
// sent them, kept the host's interval (rate or Crawl-delay) and --host-concurrency. The
// check is over runs of requests, with a slack of two intervals (see paceViolation): a run of
// k+1 requests spans at least k-2 intervals. With the race detector, three node processes and
// the server on two cores, a request can reach the handler more than one interval after the
// limiter let it go, so one interval of slack failed now and then with no node at fault; two
// nodes fetching one host at once still break the rule within six requests.
func (cs *faultSite) checkPoliteness(t *testing.T) {
	t.Helper()
	for _, h := range cs.hosts {
		arrivals := cs.log.Arrivals(h)
		ts := make([]time.Time, len(arrivals))
		for i, a := range arrivals {
			ts[i] = a.At
		}
		if i, j := paceViolation(ts, cs.interval(h), 2*cs.interval(h)); i >= 0 {
			var around []string
			for k := max(0, i-2); k <= min(len(arrivals)-1, j+2); k++ {
				a := arrivals[k]
				around = append(around, fmt.Sprintf("%d %s %s at +%v", k+1, a.Header.Get("User-Agent"), a.Target, a.At.Sub(arrivals[max(0, i-2)].At).Round(time.Microsecond)))
			}
			t.Errorf("%s: requests %d to %d came within %v; at one per %v they need %v:\n  %s", h, i+1, j+1,
				ts[j].Sub(ts[i]).Round(time.Microsecond), cs.interval(h), time.Duration(j-i)*cs.interval(h), strings.Join(around, "\n  "))
		}
		if peak := cs.log.PeakConcurrent(h); peak > 2 {
			t.Errorf("%s: %d requests at once, --host-concurrency 2", h, peak)
		}
	}
}

// paceViolation checks that requests arriving at ts (in order) keep to one per interval: any
// k+1 consecutive ones span at least k intervals, less slack. The limiter spaces the moments
// requests are sent; each reaches the server's handler a little later, by a varying delay
// (scheduling, a loaded machine), which can shorten one gap but not a run of them. It returns
// the first run that breaks the rule, i and j, or -1, -1.
func paceViolation(ts []time.Time, interval, slack time.Duration) (i, j int) {
	for i := range ts {
		for j := i + 1; j < len(ts); j++ {
			if ts[j].Sub(ts[i]) < time.Duration(j-i)*interval-slack {
				return i, j
			}
		}
	}
	return -1, -1
}

// unpublishedRecords returns the log keys of the pages whose records a stopped node's
// database has not sent to the engine yet: if the node never comes back, the new owners of
// its shards fetch them again.
func unpublishedRecords(t *testing.T, db string) map[string]bool {
	t.Helper()
	d, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("%s: %v", db, err)
	}
	defer d.Close()
	rows, err := d.PendingRecords(1 << 30)
	if err != nil {
		t.Fatalf("%s: %v", db, err)
	}
	out := map[string]bool{}
	for _, r := range rows {
		out[logKey(r.URL)] = true
	}
	return out
}
