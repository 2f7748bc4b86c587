package crawler_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/crawler/cluster"
	"github.com/crawl-project/crawl/crawler/cluster/natstest"
	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/fetch"
	"github.com/crawl-project/crawl/store"
	"github.com/crawl-project/crawl/store/storetest"
)

// natsServer is a real nats-server with JetStream in this process (see natstest).
type natsServer struct{ *natstest.Server }

func startNATS(t *testing.T) *natsServer { return &natsServer{natstest.Run(t)} }

func (ns *natsServer) url() string { return ns.URL() }

// clusterSite is a generated site of 16 hosts, all served by one server through --resolve,
// with links across hosts, so that most links of a page lead to another node's shard.
func clusterSite(t *testing.T, pages int) *harness {
	hosts := make([]string, 16)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("h%d.test", i)
	}
	h := newHarness(t, crawltest.SiteConfig{Seed: 5, Pages: pages, Hosts: hosts, MinLinks: 3, MaxLinks: 10,
		MinBytes: 600, MaxBytes: 1500, CrossHostFraction: 0.4, BrokenFraction: 0.02, ExternalFraction: 0.02})
	h.log.KeepHeaders() // requests tell their node by their User-Agent
	return h
}

// clusterTimings are short engine timings for tests: heartbeats every 100ms, the server's
// shortest TTL (1s), shards of a node gone for the lease freed.
func clusterTimings(crawlID, nodeID string, lease time.Duration) cluster.Config {
	return cluster.Config{
		CrawlID: crawlID, NodeID: nodeID, Shards: 32,
		Heartbeat: 100 * time.Millisecond, HeartbeatTTL: time.Second, Lease: lease,
		MaxHostDelay: 200 * time.Millisecond, AckWait: time.Second, PollEvery: 100 * time.Millisecond, Batch: 64,
		Logger: testLogger(),
	}
}

// testLogger logs the engine's decisions on stderr when CLUSTER_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("CLUSTER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// clusterNode is one node's process: its database, its store side, its run.
type clusterNode struct {
	t      *testing.T
	id     string
	lease  time.Duration // 300ms unless the test sets it
	dbPath string
	spy    *storeSpy
	cancel context.CancelFunc
	result chan error
	cn     *crawler.ClusterNode
	db     *store.DB
}

func newClusterNode(t *testing.T, id string) *clusterNode {
	return &clusterNode{t: t, id: id, lease: 300 * time.Millisecond, dbPath: filepath.Join(t.TempDir(), id+".db"),
		spy: newStoreSpy()}
}

// start joins the crawl and runs the node in the background, as `crawl --cluster` does. Its
// requests carry the User-Agent "node-<id>".
func (n *clusterNode) start(ns *natsServer, crawlID string, h *harness, cfg crawler.Config) {
	n.t.Helper()
	if err := n.join(ns, crawlID, h, cfg); err != nil {
		n.t.Fatalf("join %s: %v", n.id, err)
	}
}

func (n *clusterNode) join(ns *natsServer, crawlID string, h *harness, cfg crawler.Config) error {
	n.t.Helper()
	conn, err := cluster.Dial(context.Background(), ns.url(), cluster.DialOptions{Name: n.id})
	if err != nil {
		n.t.Fatal(err)
	}
	cfg.Fetch = fetch.NewClient(fetch.Config{UserAgent: "node-" + n.id, Resolve: h.resolve})
	cn, err := crawler.JoinCluster(context.Background(), conn, cfg, crawler.ClusterOptions{Engine: clusterTimings(crawlID, n.id, n.lease)})
	if err != nil {
		conn.Close()
		return err
	}
	n.spy = newStoreSpy() // one per process: it holds the process's database
	crawler.UseNodeStore(cn, n.spy.open)
	db, err := store.Open(n.dbPath, store.Options{})
	if err != nil {
		n.t.Fatal(err)
	}
	cfg.Cluster = cn
	c, err := crawler.New(db, cfg)
	if err != nil {
		n.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel, n.result, n.cn, n.db = cancel, make(chan error, 1), cn, db
	go func() {
		err := c.Run(ctx)
		if err == nil {
			err = cn.Leave(context.Background())
		}
		db.Close()
		conn.Close()
		n.result <- err
	}()
	n.t.Cleanup(func() { n.kill() })
	return nil
}

// requested returns the keys of the requests this node made.
func (n *clusterNode) requested(h *harness) map[string]bool {
	out := map[string]bool{}
	for _, a := range h.log.Arrivals("") {
		if a.Header.Get("User-Agent") == "node-"+n.id {
			out[a.Key()] = true
		}
	}
	return out
}

// inFlight returns the requests of the node, stopped, whose URLs its database still has
// pending: what it was fetching when it was killed, which may be fetched once more.
func (n *clusterNode) inFlight(h *harness) map[string]bool {
	n.t.Helper()
	g := storetest.ReadGraph(n.t, n.dbPath)
	mine := n.requested(h)
	out := map[string]bool{}
	for u, node := range g.ByURL {
		if k := logKey(u); node.State == crawl.StatePending && mine[k] {
			out[k] = true
		}
	}
	return out
}

// unpublished returns the pages the node, stopped, recorded whose records it had not
// published: a node lost for good takes them with it, and their new owner fetches them again.
func (n *clusterNode) unpublished() map[string]bool {
	n.t.Helper()
	db, err := store.Open(n.dbPath, store.Options{ReadOnly: true})
	if err != nil {
		n.t.Fatal(err)
	}
	defer db.Close()
	recs, err := db.PendingRecords(1 << 30)
	if err != nil {
		n.t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range recs {
		out[logKey(r.URL)] = true
	}
	return out
}

// logKey is the request log's key of a URL.
func logKey(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	key := p.Hostname() + p.EscapedPath()
	if p.RawQuery != "" {
		key += "?" + p.RawQuery
	}
	return key
}

// kill stops the node as kill -9 would: nothing more is committed, nothing said to the others.
func (n *clusterNode) kill() {
	if n.cancel == nil {
		return
	}
	n.cancel()
	<-n.result
	n.cancel = nil
}

// wait returns the node's run once it ends by itself: the crawl is complete everywhere.
func (n *clusterNode) wait(d time.Duration) {
	n.t.Helper()
	select {
	case err := <-n.result:
		n.cancel = nil
		if err != nil {
			n.t.Fatalf("node %s: %v", n.id, err)
		}
		if !n.cn.Complete() {
			n.t.Errorf("node %s ended without the crawl being complete", n.id)
		}
	case <-time.After(d):
		n.t.Fatalf("node %s still running after %s", n.id, d)
	}
}

// clusterConfig is a crawl of the site's 16 roots, without robots.txt (whose fetches a shard
// move repeats, by design), politeness off.
func (h *harness) clusterConfig(opts ...option) crawler.Config {
	cfg := h.config(h.roots(), append([]option{func(c *crawler.Config) {
		c.Robots = nil
		c.Workers, c.HostConcurrency = 4, 4
	}}, opts...)...)
	return cfg
}

// checkFetchedOnce checks that the server got every reachable page, each once except the
// request keys in allowTwice, and that one more time at most.
func checkFetchedOnce(t *testing.T, h *harness, allowTwice map[string]bool) {
	t.Helper()
	reach := h.site.Reachable(h.roots(), -1, false)
	for u := range reach.Pages {
		if h.log.Count(u) == 0 {
			t.Errorf("%s never fetched", u)
		}
	}
	counts := h.log.Counts()
	for _, k := range h.log.DuplicateKeys() {
		if !allowTwice[k] || counts[k] > 2 {
			var by []string
			for _, a := range h.log.Arrivals("") {
				if a.Key() == k {
					by = append(by, a.Header.Get("User-Agent"))
				}
			}
			t.Errorf("%s requested %d times, by %s", k, counts[k], strings.Join(by, ", "))
		}
	}
	t.Logf("%d reachable pages, %d requests, %d distinct", len(reach.Pages), h.log.Total(), h.log.Distinct())
}

// Three nodes crawl a 16-host site through the engine: every reachable page is fetched, once
// cluster-wide, and every node ends by itself once the crawl is complete everywhere.
func TestClusterThreeNodesFetchEveryPageOnce(t *testing.T) {
	ns := startNATS(t)
	h := clusterSite(t, 25)
	var nodes []*clusterNode
	for _, id := range []string{"a", "b", "c"} {
		n := newClusterNode(t, id)
		n.start(ns, "three", h, h.clusterConfig())
		nodes = append(nodes, n)
	}
	for _, n := range nodes {
		n.wait(2 * time.Minute)
	}
	checkFetchedOnce(t, h, nil)
	for _, n := range nodes {
		if len(n.requested(h)) == 0 {
			t.Errorf("node %s fetched nothing: the work was not shared", n.id)
		}
	}
}

// startThree starts nodes a, b and c on the crawl, each with the lease given.
func startThree(t *testing.T, ns *natsServer, crawlID string, h *harness, lease time.Duration, opts ...option) []*clusterNode {
	var nodes []*clusterNode
	for _, id := range []string{"a", "b", "c"} {
		n := newClusterNode(t, id)
		n.lease = lease
		n.start(ns, crawlID, h, h.clusterConfig(opts...))
		nodes = append(nodes, n)
	}
	return nodes
}

// atRequest returns a channel closed at the server's n-th request from now on.
func atRequest(h *harness, n int) chan struct{} {
	ch := make(chan struct{})
	h.atRequest(n, func() { close(ch) })
	return ch
}

// firstToRequest returns the node that makes n requests from now on before the others do.
// The busiest node is the one a kill tests best; a node chosen in advance may get its shards
// late and have finished its part before it made n requests.
func firstToRequest(h *harness, nodes []*clusterNode, n int) *clusterNode {
	first := make(chan string, 1)
	var mu sync.Mutex
	seen := map[string]int{}
	h.log.OnRequest(func(r *http.Request, _ crawltest.Arrival) {
		mu.Lock()
		defer mu.Unlock()
		ua := r.Header.Get("User-Agent")
		if seen[ua]++; seen[ua] == n {
			select {
			case first <- strings.TrimPrefix(ua, "node-"):
			default: // another node got there first
			}
		}
	})
	id := <-first
	for _, node := range nodes {
		if node.id == id {
			return node
		}
	}
	panic("a request from no node: " + id)
}

// A node killed mid-crawl and restarted with the same database resumes its shards: nothing
// is lost, and the only pages fetched twice are those it was fetching when it was killed.
func TestClusterNodeKilledAndRestartedLosesNothing(t *testing.T) {
	ns := startNATS(t)
	h := clusterSite(t, 25)
	nodes := startThree(t, ns, "restart", h, time.Minute) // a lease far longer than the restart
	b := firstToRequest(h, nodes, 20)
	b.kill()
	inFlight := b.inFlight(h)
	b.start(ns, "restart", h, h.clusterConfig())
	for _, n := range nodes {
		n.wait(2 * time.Minute)
	}
	checkFetchedOnce(t, h, inFlight)
	t.Logf("%d URLs in flight at the kill", len(inFlight))
}

// A node lost for good: once the lease has passed, its shards move to the live nodes, which
// rebuild them from the engine and finish the crawl. Pages whose records the engine holds are
// not fetched again: only what the lost node was fetching, or had recorded without
// publishing, is.
func TestClusterLostNodesShardsMove(t *testing.T) {
	ns := startNATS(t)
	h := clusterSite(t, 25)
	nodes := startThree(t, ns, "lost", h, 300*time.Millisecond)
	c := firstToRequest(h, nodes, 30)
	<-c.spy.published // the engine holds records of c's
	c.kill()
	again := c.inFlight(h)
	for k := range c.unpublished() {
		again[k] = true
	}
	var live []*clusterNode
	for _, n := range nodes {
		if n != c {
			n.wait(2 * time.Minute)
			live = append(live, n)
		}
	}
	checkFetchedOnce(t, h, again)
	if live[0].spy.appliedRecords()+live[1].spy.appliedRecords() == 0 {
		t.Error("no record of the lost node's shards was applied: they were not rebuilt from the engine")
	}
}

// The NATS server restarts mid-crawl (same store directory, same port): the nodes reconnect
// and finish the crawl, losing nothing.
func TestClusterServerRestart(t *testing.T) {
	ns := startNATS(t)
	h := clusterSite(t, 25)
	nodes := startThree(t, ns, "bounce", h, time.Minute)
	<-atRequest(h, 150)
	if err := ns.Restart(); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		n.wait(2 * time.Minute)
	}
	checkFetchedOnce(t, h, nil)
}

// --max-pages is one budget for the whole cluster.
func TestClusterMaxPagesIsClusterWide(t *testing.T) {
	ns := startNATS(t)
	h := clusterSite(t, 25)
	nodes := startThree(t, ns, "budget", h, time.Minute, func(c *crawler.Config) { c.MaxPages = 60 })
	for _, n := range nodes {
		n.wait(2 * time.Minute)
	}
	if got := h.log.Total(); got != 60 {
		t.Errorf("%d pages fetched by the cluster, want --max-pages 60", got)
	}
}

// A node that brings other settings than the crawl's, or a node id already running, is
// refused before anything is touched.
func TestClusterJoinRefusals(t *testing.T) {
	ns := startNATS(t)
	h := clusterSite(t, 5)
	a := newClusterNode(t, "a")
	a.start(ns, "refuse", h, h.clusterConfig())
	other := newClusterNode(t, "b")
	err := other.join(ns, "refuse", h, h.clusterConfig(func(c *crawler.Config) { c.MaxDepth = 2 }))
	if !errors.Is(err, cluster.ErrSettingsMismatch) || !strings.Contains(err.Error(), "--max-depth -1") || !strings.Contains(err.Error(), "--max-depth 2") {
		t.Errorf("join with another --max-depth: %v", err)
	}
	again := newClusterNode(t, "a")
	if err := again.join(ns, "refuse", h, h.clusterConfig()); !errors.Is(err, cluster.ErrNodeRunning) {
		t.Errorf("join with a running node id: %v", err)
	}
	for _, n := range []*clusterNode{other, again} {
		if _, err := os.Stat(n.dbPath); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a refused join left %s: %v", n.dbPath, err)
		}
	}
	a.wait(time.Minute)
}
