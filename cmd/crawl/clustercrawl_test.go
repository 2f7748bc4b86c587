//go:build unix

package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler/crawltest"
)

// A crawl of the cluster site by three node processes (a, b, c), the faults a test does to
// them, and the checks every such crawl ends with.

// Crash points of the crawl binary (crashEnv, crawler.CrashBeforePublish): the process exits
// 137 the n-th time it reaches the point.
const (
	crashBeforePublish = "before-publish"
	crashBeforeAck     = "before-ack"
	crashExit          = 137
)

// faultNodeFlags are a node's flags: the server, the crawl, the node, and the engine's timings
// shortened for tests (heartbeat TTL 1s, the server's shortest; a stopped node's
// unacknowledged messages delivered again after 2s; the hold on a lost node's shards 500ms,
// more than any host's interval).
func faultNodeFlags(serverURL, crawlID, node string, lease time.Duration) []string {
	return []string{"--cluster", serverURL, "--crawl-id", crawlID, "--node-id", node,
		"--heartbeat", "200ms", "--heartbeat-ttl", "1s", "--lease", lease.String(),
		"--max-host-delay", "500ms", "--ack-wait", "2s"}
}

// clusterNode is one node: its database and the processes that ran it (incarnations), each
// with a User-Agent of its own ("crawl/b.2": node b's second process).
type clusterNode struct {
	id, db  string
	runs    int
	ua      string
	p       *proc
	crash   string // CRAWL_CLUSTER_CRASH of the next process started
	running bool
	killing bool // the test sent SIGKILL to the running process
	done    bool // its last process exited 0
	lost    bool // never started again after its next stop
}

// nodeExit is the end of a node's process.
type nodeExit struct {
	n    *clusterNode
	p    *proc
	code int
	sig  syscall.Signal
}

// nodeStop is a process that died: what its database had pending then (the URLs it was
// fetching among them) and, for a node lost for good, its records not sent to the engine.
type nodeStop struct {
	node, ua    string
	pending     map[string]bool
	unpublished map[string]bool
}

type clusterCrawl struct {
	t       *testing.T
	site    *faultSite
	ns      *natsServer
	id      string
	lease   time.Duration
	nodes   []*clusterNode
	exits   chan nodeExit
	stops   []nodeStop
	crashes int // processes that exited at a crash point
	// restartCrash, if set, gives the crash point of a process started again after a stop.
	restartCrash func() string
}

// newClusterCrawl prepares crawl id of the site on a new server, with nodes a, b and c.
func newClusterCrawl(t *testing.T, site *faultSite, id string, lease time.Duration) *clusterCrawl {
	t.Helper()
	site.log.Reset()
	site.log.OnRequest(nil)
	cc := &clusterCrawl{t: t, site: site, ns: startNATS(t), id: id, lease: lease, exits: make(chan nodeExit, 3)}
	dir := t.TempDir()
	for _, n := range []string{"a", "b", "c"} {
		cc.nodes = append(cc.nodes, &clusterNode{id: n, db: filepath.Join(dir, n+".db")})
	}
	return cc
}

func (cc *clusterCrawl) node(id string) *clusterNode {
	for _, n := range cc.nodes {
		if n.id == id {
			return n
		}
	}
	cc.t.Fatalf("no node %s", id)
	return nil
}

func (cc *clusterCrawl) startAll() {
	for _, n := range cc.nodes {
		cc.start(n)
	}
}

// start runs a new process of node n, with n.crash as its crash point if set.
func (cc *clusterCrawl) start(n *clusterNode) {
	cc.t.Helper()
	n.runs++
	n.ua = fmt.Sprintf("crawl/%s.%d", n.id, n.runs)
	env := os.Environ()
	if n.crash != "" {
		env = append(env, crashEnv+"="+n.crash)
	}
	args := append(cc.site.crawlArgs(n.db, n.ua), faultNodeFlags(cc.ns.url(), cc.id, n.id, cc.lease)...)
	p := startProc(cc.t, env, crawlBinary(cc.t), args...)
	n.p, n.running, n.killing, n.done = p, true, false, false
	go func() {
		code, sig := p.wait()
		cc.exits <- nodeExit{n, p, code, sig}
	}()
}

// handle acts on a process's end: a node whose crawl is over is done; a process killed by
// the test or at its crash point is noted and its node started again (unless lost, and then
// without a crash point); anything else fails the test.
func (cc *clusterCrawl) handle(ex nodeExit) {
	cc.t.Helper()
	n := ex.n
	n.running = false
	stderr := ex.p.stderr.String()
	switch {
	case ex.code == exitOK:
		n.done = true
		if out := ex.p.stdout.String(); !strings.Contains(out, "Crawl summary") && !strings.Contains(out, "Crawl complete") {
			cc.t.Errorf("node %s (%s) exited 0 without its summary:\n%s", n.id, n.ua, ex.p.stdout.String())
		}
	case ex.sig == syscall.SIGKILL && n.killing, ex.code == crashExit && n.crash != "":
		if ex.code == crashExit {
			cc.crashes++
			cc.t.Logf("node %s (%s) exited at its crash point %s", n.id, n.ua, n.crash)
		}
		s := nodeStop{node: n.id, ua: n.ua, pending: map[string]bool{}}
		for u := range readGraph(cc.t, n.db).pending() {
			s.pending[logKey(u)] = true
		}
		if n.lost || cc.lease < 10*time.Second {
			// Its shards move (or may, before it is back): their new owners fetch again
			// what it recorded without publishing.
			s.unpublished = unpublishedRecords(cc.t, n.db)
		}
		cc.stops = append(cc.stops, s)
		n.crash = ""
		if cc.restartCrash != nil {
			n.crash = cc.restartCrash()
		}
		if !n.lost {
			cc.start(n)
		}
	default:
		cc.t.Fatalf("node %s (%s): exit %d, signal %v\nstderr:\n%s", n.id, n.ua, ex.code, ex.sig, stderr)
	}
}

// waitFor returns true once ch is closed, handling the processes' ends meanwhile; false if
// every node was done first.
func (cc *clusterCrawl) waitFor(ch <-chan struct{}) bool {
	cc.t.Helper()
	for !cc.allDone() {
		select {
		case <-ch:
			return true
		case ex := <-cc.exits:
			cc.handle(ex)
		}
	}
	return false
}

// busiest returns the running node whose process has made the most requests: one that owns
// hosts with pages left, whose stop therefore loses work in flight.
func (cc *clusterCrawl) busiest() *clusterNode {
	cc.t.Helper()
	per := map[string]int{}
	for _, a := range cc.site.log.Arrivals("") {
		per[a.Header.Get("User-Agent")]++
	}
	var best *clusterNode
	for _, n := range cc.running() {
		if best == nil || per[n.ua] > per[best.ua] {
			best = n
		}
	}
	if best == nil {
		cc.t.Fatal("no node is running")
	}
	return best
}

// running returns the nodes with a running process that the test has not lost.
func (cc *clusterCrawl) running() []*clusterNode {
	var out []*clusterNode
	for _, n := range cc.nodes {
		if n.running && !n.lost {
			out = append(out, n)
		}
	}
	return out
}

func (cc *clusterCrawl) allDone() bool {
	for _, n := range cc.nodes {
		if !n.done && !(n.lost && !n.running) {
			return false
		}
	}
	return true
}

// kill sends SIGKILL to node n's process and handles its end (and the others' meanwhile).
func (cc *clusterCrawl) kill(n *clusterNode) {
	cc.t.Helper()
	if !n.running {
		cc.t.Fatalf("kill %s: not running", n.id)
	}
	n.killing = true
	p := n.p
	p.signal(syscall.SIGKILL)
	for {
		ex := <-cc.exits
		cc.handle(ex)
		if ex.p == p {
			return
		}
	}
}

// at returns a channel closed at the n-th request from now on whose User-Agent is ua, or of
// any request when ua is "".
func (cc *clusterCrawl) at(n int, ua string) <-chan struct{} {
	ch := make(chan struct{})
	var seen atomic.Int64
	cc.site.log.OnRequest(func(r *http.Request, _ crawltest.Arrival) {
		if ua != "" && r.Header.Get("User-Agent") != ua {
			return
		}
		if seen.Add(1) == int64(n) {
			close(ch)
		}
	})
	return ch
}

// loseForGood kills node n and never starts it again; with reassign, `crawl cluster
// reassign` frees its shards once its heartbeat is gone, otherwise the lease does.
func (cc *clusterCrawl) loseForGood(n *clusterNode, reassign bool) {
	cc.t.Helper()
	n.lost = true
	cc.kill(n)
	if !reassign {
		return
	}
	cc.ns.waitHeartbeatGone(cc.id, n.id, time.Minute)
	code, out, stderr := runCmd(cc.t, "cluster", "reassign", "--cluster", cc.ns.url(), "--crawl-id", cc.id,
		"--node-id", n.id, "--max-host-delay", "500ms")
	if code != exitOK {
		cc.t.Fatalf("crawl cluster reassign: exit %d\n%s%s", code, out, stderr)
	}
	cc.t.Logf("%s", strings.TrimSpace(out))
}

// finish waits for every node to end, then checks the crawl: the merged databases equal the
// single-node crawl, every page was fetched once but for those a stopped process was
// fetching (or, lost for good, had not published), and every host was crawled politely.
func (cc *clusterCrawl) finish() {
	t := cc.t
	t.Helper()
	cc.site.log.OnRequest(nil)
	limit := time.After(4 * time.Minute)
	for !cc.allDone() {
		select {
		case ex := <-cc.exits:
			cc.handle(ex)
		case <-limit:
			t.Fatal("the nodes did not end within 4 minutes")
		}
	}
	if code, out, stderr := runCmd(t, "cluster", "status", "--cluster", cc.ns.url(), "--crawl-id", cc.id); code != exitOK {
		t.Errorf("crawl cluster status: exit %d\n%s%s", code, out, stderr)
	}

	var dbs []string
	for _, n := range cc.nodes {
		if !n.lost {
			dbs = append(dbs, n.db)
		}
	}
	merged := filepath.Join(t.TempDir(), "merged.db")
	if code, out, stderr := runCmd(t, append([]string{"merge", "--out", merged}, dbs...)...); code != exitOK {
		t.Fatalf("crawl merge: exit %d\n%s%s", code, out, stderr)
	}
	got := readGraph(t, merged)
	expectSameGraph(t, cc.site.ref.graph, got)

	counts := cc.site.pageCounts()
	mapKeysDiff(t, "page requested", cc.site.ref.requests, counts)
	allowed := map[string]int{}
	inFlight := make([]string, len(cc.stops))
	for i, s := range cc.stops {
		mine := cc.site.requestedBy(s.ua)
		n := 0
		for k := range s.pending {
			if mine[k] {
				allowed[k]++
				n++
			}
		}
		for k := range s.unpublished { // done pages: never pending as well
			allowed[k]++
			n++
		}
		inFlight[i] = fmt.Sprintf("%s %d", s.ua, n)
	}
	dups := checkRefetches(t, counts, allowed, "stops")
	cc.site.checkPoliteness(t)
	per := map[string]int{}
	for _, a := range cc.site.log.Arrivals("") {
		per[a.Header.Get("User-Agent")]++
	}
	t.Logf("compared %d URLs (%d fetched) and %d edges with the single-node crawl; %d requests (%v), %d repeated; stopped processes with the pages they may refetch: %s",
		len(got.nodes), got.count(crawl.StateDone), len(got.edges), cc.site.log.Total(), per, dups, strings.Join(inFlight, ", "))
}

// mapKeysDiff reports the keys of want missing from got and those of got not in want.
func mapKeysDiff(t *testing.T, what string, want, got map[string]int) {
	t.Helper()
	var diffs []string
	for k := range want {
		if _, ok := got[k]; !ok {
			diffs = append(diffs, "missing "+what+" "+k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, "extra "+what+" "+k)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%d differences from the single-node crawl's requests, e.g.:\n  %s", len(diffs), strings.Join(diffs[:min(10, len(diffs))], "\n  "))
	}
}
