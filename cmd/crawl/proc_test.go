//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/store/storetest"
)

// Helpers for the tests that run the real binary as a subprocess against a generated site.

// binary is the crawl command built once per test process (see TestMain).
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	if os.Getenv(fileSizeLimitEnv) != "" {
		execWithFileSizeLimit() // the test binary as a launcher: see startCrawlLimited
	}
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// crawlBinary builds the command, with the race detector when the tests have it.
func crawlBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		binary.dir, binary.err = os.MkdirTemp("", "crawl-bin-")
		if binary.err != nil {
			return
		}
		gocmd, err := exec.LookPath("go")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(binary.dir, "crawl")
		args := []string{"build", "-o", binary.path}
		if raceEnabled {
			args = append(args, "-race")
		}
		out, err := exec.Command(gocmd, append(args, ".")...).CombinedOutput()
		if err != nil {
			binary.err = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// siteServer serves a generated site on one fixed address across restarts, so that every run
// of a crawl sees the same URLs, and lets a test act on each request as it arrives.
type siteServer struct {
	t    *testing.T
	site *crawltest.Site
	addr string

	mu  sync.Mutex
	srv *httptest.Server
}

func newSiteServer(t *testing.T, cfg crawltest.SiteConfig) *siteServer {
	s := &siteServer{t: t, site: crawltest.NewSite(cfg), addr: "127.0.0.1:0"}
	s.start(nil)
	t.Cleanup(s.stop)
	return s
}

// start serves the site again on the same address; hook, if set, sees request n (from 1)
// of this instance and its path before the site answers it.
func (s *siteServer) start(hook func(n int, path string)) {
	s.t.Helper()
	var requests atomic.Int64
	s.site.Log().OnRequest(func(r *http.Request, _ crawltest.Arrival) {
		n := requests.Add(1)
		if hook != nil {
			hook(int(n), r.URL.Path)
		}
	})
	srv := crawltest.ServeOn(s.t, s.addr, s.site)
	s.mu.Lock()
	s.srv, s.addr = srv, srv.Listener.Addr().String()
	s.mu.Unlock()
}

// stop closes the listener and every connection and waits for the handlers to return: no
// request of a finished or killed process can reach the site after it.
func (s *siteServer) stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (s *siteServer) root() string { return "http://" + s.addr + "/" }

// logKey is the request log's key of a page URL of the (single-host) site.
func (s *siteServer) logKey(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return s.site.Hosts()[0] + u.RequestURI()
}

// pageCounts is the request log without robots.txt.
func (s *siteServer) pageCounts() map[string]int {
	out := map[string]int{}
	for k, n := range s.site.Log().Counts() {
		if !strings.HasSuffix(k, "/robots.txt") {
			out[k] = n
		}
	}
	return out
}

// proc is a crawl subprocess.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr strings.Builder
	done           chan struct{}
	err            error
}

// startCrawl runs the binary with args. A run that hangs is killed after a generous limit,
// so that a hang fails the test instead of blocking it; a run still going when the test ends
// is killed then.
func startCrawl(t *testing.T, args ...string) *proc {
	t.Helper()
	return startProc(t, nil, crawlBinary(t), args...)
}

func startProc(t *testing.T, env []string, name string, args ...string) *proc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	p := &proc{done: make(chan struct{})}
	p.cmd = exec.CommandContext(ctx, name, args...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		cancel()
		close(p.done)
	}()
	// A test that stops early (t.Fatal) does not leave the process running until the limit.
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// signal sends sig to the process; it may already have exited.
func (p *proc) signal(sig syscall.Signal) {
	_ = p.cmd.Process.Signal(sig)
}

// wait returns the exit code, or -1 with the signal that ended the process.
func (p *proc) wait() (code int, sig syscall.Signal) {
	<-p.done
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		return -1, ws.Signal()
	}
	return p.cmd.ProcessState.ExitCode(), 0
}

// runBinary runs the binary to its end.
func runBinary(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	p := startCrawl(t, args...)
	code, sig := p.wait()
	if sig != 0 {
		t.Fatalf("crawl %q: killed by %v; stderr:\n%s", args, sig, p.stderr.String())
	}
	return code, p.stdout.String(), p.stderr.String()
}

// crawlGraph is a stored crawl by URL: what a resumed crawl must reproduce exactly.
type crawlGraph struct {
	nodes map[string]nodeSummary
	edges map[string]edgeSummary // "src -> dst kind"
}

type nodeSummary struct {
	State             crawl.State
	Depth, Status     int
	Title, Error      string
	Size              int64
	OutLinks, Dropped int
}

type edgeSummary struct {
	Rel, Anchor string
	Count       int
}

func readGraph(t *testing.T, dbPath string) crawlGraph {
	t.Helper()
	stored := storetest.ReadGraph(t, dbPath)
	g := crawlGraph{nodes: map[string]nodeSummary{}, edges: map[string]edgeSummary{}}
	for _, n := range stored.Nodes {
		g.nodes[n.URL] = nodeSummary{n.State, n.Depth, n.Status, n.Title, n.Error, n.Size, n.OutLinks, n.DroppedOut}
	}
	for _, e := range stored.Edges {
		g.edges[e.From+" -> "+e.To+" "+e.Kind.String()] = edgeSummary{e.Rel, e.Anchor, e.Count}
	}
	return g
}

// pending returns the URLs not recorded yet: queued, or in flight when the crawl stopped.
func (g crawlGraph) pending() map[string]bool {
	out := map[string]bool{}
	for u, n := range g.nodes {
		if n.State == crawl.StatePending {
			out[u] = true
		}
	}
	return out
}

func (g crawlGraph) count(s crawl.State) int {
	n := 0
	for _, nd := range g.nodes {
		if nd.State == s {
			n++
		}
	}
	return n
}

// expectSameGraph reports how many differences there are between two crawls, and the first
// ten of them.
func expectSameGraph(t *testing.T, want, got crawlGraph) {
	t.Helper()
	diffs := append(mapDiffs("node", want.nodes, got.nodes), mapDiffs("edge", want.edges, got.edges)...)
	if len(diffs) > 0 {
		t.Errorf("%d differences from the uninterrupted crawl, e.g.:\n  %s", len(diffs), strings.Join(diffs[:min(len(diffs), 10)], "\n  "))
	}
}

// mapDiffs lists the keys of want missing from got, those of got not in want, and those whose
// values differ; what names the things the keys stand for.
func mapDiffs[V comparable](what string, want, got map[string]V) []string {
	var diffs []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			diffs = append(diffs, "missing "+what+" "+k)
		} else if g != w {
			diffs = append(diffs, fmt.Sprintf("%s %s: got %+v, want %+v", what, k, g, w))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, "extra "+what+" "+k)
		}
	}
	return diffs
}
