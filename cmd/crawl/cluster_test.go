//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/crawl-project/crawl/crawler/cluster/natstest"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/store"
)

// clusterSite is a generated site of 16 hosts, served on one port of four loopback
// addresses (127.0.0.2 to 127.0.0.5), four hosts on each, with links across hosts, links to
// fragments and four page requisites a page. It returns
// the site, the seeds file (the 16 roots) and the --resolve flags that reach the hosts.
func clusterSite(t *testing.T, dir string) (*crawltest.Site, string, []string) {
	t.Helper()
	hosts := make([]string, 16)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("h%d.test", i)
	}
	site := crawltest.NewSite(crawltest.SiteConfig{Seed: 7, Pages: 25, Hosts: hosts, MinLinks: 3, MaxLinks: 10,
		MinBytes: 600, MaxBytes: 1500, CrossHostFraction: 0.4, BrokenFraction: 0.02, ExternalFraction: 0.02, Assets: 4})
	first := crawltest.ServeOn(t, "127.0.0.2:0", site)
	_, port, _ := net.SplitHostPort(first.Listener.Addr().String())
	for ip := 3; ip <= 5; ip++ {
		crawltest.ServeOn(t, "127.0.0."+strconv.Itoa(ip)+":"+port, site)
	}
	var resolve []string
	for i, h := range hosts {
		resolve = append(resolve, "--resolve", fmt.Sprintf("%s:%s:127.0.0.%d", h, port, 2+i%4))
	}
	seeds := writeFile(t, dir, "seeds.txt", strings.Join(site.Roots("http://127.0.0.1:"+port), "\n")+"\n")
	return site, seeds, resolve
}

// clusterNodeArgs are a node's flags: short engine timings, for a test.
func clusterNodeArgs(url, crawlID, nodeID string) []string {
	return []string{"--cluster", url, "--crawl-id", crawlID, "--node-id", nodeID, "--shards", "32",
		"--heartbeat", "100ms", "--heartbeat-ttl", "1s", "--lease", "2s", "--max-host-delay", "200ms",
		"--ack-wait", "1s", "--timeout", "1s"}
}

// nodeRun is a run of the crawl command in a goroutine of the test.
type nodeRun struct {
	id             string
	code           chan int
	stdout, stderr bytes.Buffer
}

// startNode runs the command with args in a goroutine, as its own process would.
func startNode(ctx context.Context, id string, args []string) *nodeRun {
	n := &nodeRun{id: id, code: make(chan int, 1)}
	e := &env{stdout: &n.stdout, stderr: &n.stderr, signals: make(chan os.Signal), getenv: noEnv}
	go func() { n.code <- dispatch(ctx, e, args) }()
	return n
}

// Three nodes, each the crawl command running in a goroutine of its own with its own
// database, crawl a 16-host site through an in-process JetStream server: each ends by itself
// with exit 0 once the crawl is complete everywhere; no page is requested twice;
// `crawl cluster status` shows the crawl complete and every shard owned; and `crawl merge` of
// the three databases gives the graph of a crawl of the same site by one node, page for page
// and edge for edge.
func TestClusterCommandThreeNodesMergeToOneCrawl(t *testing.T) {
	ns := startNATS(t)
	dir := t.TempDir()
	site, seeds, resolve := clusterSite(t, dir)
	common := append([]string{"--seeds", seeds, "--host-rate", "0", "--workers", "4", "--host-concurrency", "2",
		"--log-level", "error", "--quiet"}, resolve...)

	single := filepath.Join(dir, "single.db")
	if code, _, stderr := runCmd(t, append(append([]string{}, common...), "--db", single)...); code != exitOK {
		t.Fatalf("crawl by one node: exit %d\n%s", code, stderr)
	}
	site.Log().Reset()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var nodes []*nodeRun
	var dbs []string
	for _, id := range []string{"a", "b", "c"} {
		db := filepath.Join(dir, id+".db")
		dbs = append(dbs, db)
		args := append(append(append([]string{}, common...), "--db", db), clusterNodeArgs(ns.url(), "site", id)...)
		nodes = append(nodes, startNode(ctx, id, args))
	}
	deadline := time.After(3 * time.Minute)
	for _, n := range nodes {
		select {
		case code := <-n.code:
			if code != exitOK {
				t.Fatalf("node %s: exit %d\n%s", n.id, code, n.stderr.String())
			}
		case <-deadline:
			t.Fatalf("node %s still running after 3 minutes", n.id)
		}
	}
	counts := site.Log().Counts()
	for k, c := range counts {
		if c > 1 && !strings.HasSuffix(k, "/robots.txt") { // a shard's new owner reads robots.txt again
			t.Errorf("%s requested %d times by the cluster", k, c)
		}
	}

	code, out, stderr := runCmd(t, "cluster", "status", "--cluster", ns.url(), "--crawl-id", "site", "--json")
	if code != exitOK {
		t.Fatalf("cluster status: exit %d\n%s", code, stderr)
	}
	var st clusterStatusJSON
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("cluster status --json: %v\n%s", err, out)
	}
	owned, done := 0, uint64(0)
	for _, n := range st.Nodes {
		owned += len(n.Shards)
		done += n.Done
		if n.Alive || len(n.Shards) == 0 {
			t.Errorf("node %s after the crawl: alive %v, %d shards; want gone, owning shards", n.ID, n.Alive, len(n.Shards))
		}
	}
	if !st.Done || st.Shards != 32 || owned != 32 || len(st.FreeShards) != 0 || len(st.Nodes) != 3 || st.Records == 0 || done != st.Records {
		t.Errorf("cluster status after the crawl: %+v; want done, 3 nodes owning the 32 shards, every record counted once", st)
	}
	code, text, _ := runCmd(t, "cluster", "status", "--cluster", ns.url(), "--crawl-id", "site")
	if code != exitOK || !strings.Contains(text, "crawl site on "+ns.url()+": complete") ||
		!strings.Contains(text, "32 shards (0 free), 3 nodes (0 live)") {
		t.Errorf("cluster status: exit %d\n%s", code, text)
	}
	for _, id := range []string{"a", "b", "c"} {
		// A node gone has no heartbeat: what only a heartbeat tells is shown as unknown.
		line := regexp.MustCompile(`(?m)^\s*` + id + `\s+gone\s+\d+\s+-\s+-\s+\d+\s+-\s+\d+\s+-\s+-\s*$`)
		if !line.MatchString(text) {
			t.Errorf("cluster status has no line for node %s gone, its reports unknown:\n%s", id, text)
		}
	}

	merged := filepath.Join(dir, "all.db")
	if code, _, stderr := runCmd(t, append([]string{"merge", "--out", merged}, dbs...)...); code != exitOK {
		t.Fatalf("merge: exit %d\n%s", code, stderr)
	}
	want, got := readGraph(t, single), readGraph(t, merged)
	for u, n := range want.nodes {
		if m, ok := got.nodes[u]; !ok {
			t.Errorf("%s: not in the merged crawl", u)
		} else if m != n {
			t.Errorf("%s: merged %+v, one node %+v", u, m, n)
		}
	}
	for u := range got.nodes {
		if _, ok := want.nodes[u]; !ok {
			t.Errorf("%s: in the merged crawl only", u)
		}
	}
	for k, e := range want.edges {
		if f, ok := got.edges[k]; !ok || f != e {
			t.Errorf("edge %s: merged %+v (%v), one node %+v", k, f, ok, e)
		}
	}
	if len(got.edges) != len(want.edges) {
		t.Errorf("%d edges merged, %d crawled by one node", len(got.edges), len(want.edges))
	}
	checkSameAuditReport(t, single, merged)
	t.Logf("%d URLs, %d edges; %d requests by the cluster, %d page records", len(want.nodes), len(want.edges), site.Log().Total(), st.Records)
}

// checkSameAuditReport checks that `crawl report --format json` audits the merged database
// as the database of a crawl by one node: the same checks of page requisites, broken
// fragments, titles, descriptions, headings and the rest (the slowest pages aside, which are
// timings). The crawl by one node must have checked requisites and found broken fragments,
// so that the comparison covers them.
func checkSameAuditReport(t *testing.T, single, merged string) {
	t.Helper()
	sections := func(db string) map[string]json.RawMessage {
		code, out, stderr := runCmd(t, "report", "--db", db, "--format", "json", "--limit", "0", "--referrers", "0")
		if code != exitOK {
			t.Fatalf("report on %s: exit %d\n%s", db, code, stderr)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("report on %s: %v", db, err)
		}
		return m
	}
	want, got := sections(single), sections(merged)
	for _, name := range []string{"checks", "broken_links", "broken_external", "broken_assets", "broken_fragments",
		"redirected_links", "titles", "descriptions", "h1", "canonical_conflicts", "hreflang_without_return", "orphans"} {
		if w, g := string(want[name]), string(got[name]); w == "" || w != g {
			t.Errorf("report section %s of the merged crawl:\n  got  %.600s\n  want %.600s", name, g, w)
		}
	}
	var checks struct {
		Total, Answered int
	}
	if json.Unmarshal(want["checks"], &checks) != nil || checks.Answered == 0 {
		t.Errorf("the crawl by one node checked %+v; want requisites checked", checks)
	}
	// The site's fragments all exist: the report finds none broken. That it checked them is
	// in the databases: the same fragment references, to the same pages, whose fragment
	// identifiers are the same.
	wantRefs, gotRefs := fragmentRefs(t, single), fragmentRefs(t, merged)
	if len(wantRefs) == 0 || !slices.Equal(wantRefs, gotRefs) {
		t.Errorf("fragment references: merged %d, one node %d (want the same, some)", len(gotRefs), len(wantRefs))
	}
}

// fragmentRefs lists the fragment references of a crawl database, each as the linking
// page's URL, the linked page's, the fragment and whether the linked page defines it.
func fragmentRefs(t *testing.T, path string) []string {
	t.Helper()
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var refs []string
	err = db.View(func(s *store.Snapshot) error {
		return s.EachFragmentRef(func(r store.FragmentRef) error {
			src, err := s.Node(r.Src)
			if err != nil {
				return err
			}
			dst, err := s.Node(r.Dst)
			if err != nil {
				return err
			}
			tg, found, err := s.Targets(r.Dst)
			refs = append(refs, fmt.Sprintf("%s -> %s#%s %v %v", src.URL, dst.URL, r.Fragment, found, tg.Has(r.Fragment)))
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(refs)
	return refs
}

// A node that cannot join is refused on one line, with a non-zero exit, before its
// database is created: no server, a server without JetStream, a node id already running,
// settings other than the crawl's.
func TestClusterCommandRefusals(t *testing.T) {
	dir := t.TempDir()
	seeds := writeFile(t, dir, "seeds.txt", "http://h0.test/\n")
	noJS := &natsServer{t, natstest.New(t.TempDir())}
	noJS.start(false)
	t.Cleanup(noJS.stop)
	ns := startNATS(t)

	// Node a holds its id: its seed answers slowly enough for the refusals below.
	site := crawltest.NewSite(crawltest.SiteConfig{Seed: 1, Pages: 3, Latency: 200 * time.Millisecond})
	srv := crawltest.ServeOn(t, "127.0.0.2:0", site)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	resolve := []string{"--resolve", "h0.test:80:127.0.0.2", "--resolve", "h0.test:" + port + ":127.0.0.2"}
	seeds = writeFile(t, dir, "seeds.txt", "http://h0.test:"+port+"/\n")
	base := append([]string{"--seeds", seeds, "--quiet", "--host-rate", "0"}, resolve...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := startNode(ctx, "a", append(append(append([]string{}, base...), "--db", filepath.Join(dir, "a.db")), clusterNodeArgs(ns.url(), "refuse", "a")...))
	waitForNode(t, ns, "refuse", "a", a)

	for _, tc := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"unreachable", clusterNodeArgs("nats://127.0.0.1:1", "refuse", "b"), exitError, "cluster server unreachable: nats://127.0.0.1:1"},
		{"no JetStream", clusterNodeArgs(noJS.url(), "refuse", "b"), exitError, "JetStream is not enabled on the cluster server: " + noJS.url() + " (start nats-server with -js)"},
		{"running", clusterNodeArgs(ns.url(), "refuse", "a"), exitError, "node id is already running"},
		{"settings", append(clusterNodeArgs(ns.url(), "refuse", "b"), "--max-depth", "2"), exitUsage, "it was created with --max-depth -1, this node has --max-depth 2"},
		{"no node id", []string{"--cluster", ns.url(), "--crawl-id", "refuse"}, exitUsage, "give this node's --node-id"},
		{"crawl id alone", []string{"--crawl-id", "refuse"}, exitUsage, "--crawl-id refuse: only with --cluster"},
		{"bad id", clusterNodeArgs(ns.url(), "re.fuse", "b"), exitUsage, `crawl id "re.fuse"`},
		{"sitemaps", append(clusterNodeArgs(ns.url(), "refuse", "b"), "--sitemaps"), exitUsage, "--sitemaps: not available with --cluster"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(dir, "refused.db")
			code, _, stderr := runCmd(t, append(append(append([]string{}, base...), "--db", db), tc.args...)...)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != tc.code || !strings.Contains(stderr, tc.says) || len(lines) > 2 {
				t.Errorf("exit %d, want %d; stderr (want one line with %q):\n%s", code, tc.code, tc.says, stderr)
			}
			if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a refused node left %s: %v", db, err)
			}
		})
	}
	code, _, stderr := runCmd(t, "cluster", "reassign", "--cluster", ns.url(), "--crawl-id", "refuse", "--node-id", "a")
	if code != exitError || !strings.Contains(stderr, "has a live heartbeat") {
		t.Errorf("reassign of a running node: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runCmd(t, "cluster", "status", "--cluster", ns.url(), "--crawl-id", "nothing")
	if code != exitUsage || !strings.Contains(stderr, "no such crawl") {
		t.Errorf("status of no crawl: exit %d\n%s", code, stderr)
	}
	select {
	case code := <-a.code:
		if code != exitOK {
			t.Errorf("node a: exit %d\n%s", code, a.stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("node a still running after a minute")
	}
}

// waitForNode returns once the node shows live in the crawl's status.
func waitForNode(t *testing.T, ns *natsServer, crawlID, nodeID string, n *nodeRun) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(30 * time.Second)
	for {
		code, out, _ := runCmd(t, "cluster", "status", "--cluster", ns.url(), "--crawl-id", crawlID, "--json")
		if code == exitOK {
			var st clusterStatusJSON
			if json.Unmarshal([]byte(out), &st) == nil {
				for _, x := range st.Nodes {
					if x.ID == nodeID && x.Alive {
						return
					}
				}
			}
		}
		select {
		case <-tick.C:
		case code := <-n.code:
			t.Fatalf("node %s ended (exit %d) before it was seen live\n%s", nodeID, code, n.stderr.String())
		case <-timeout:
			t.Fatalf("node %s not live after 30s", nodeID)
		}
	}
}
