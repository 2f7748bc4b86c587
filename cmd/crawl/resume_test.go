//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/store"
)

// These tests run the command in-process: resuming a crawl with the same, changed or
// reconfigured flags, --retry-failed, the schema check and crawl status.

func quietArgs(seeds, db string, extra ...string) []string {
	return append([]string{"--seeds", seeds, "--db", db, "--host-rate", "0", "--workers", "4", "--quiet", "--backoff", "1ms"}, extra...)
}

func TestRerunWithChangedScopeIsRefused(t *testing.T) {
	s := newSiteServer(t, crashSite(40))
	dir := t.TempDir()
	seeds := writeFile(t, dir, "seeds.txt", s.root()+"\n")
	cases := []struct {
		name          string
		first, second []string
		want          string // the message after "crawl: DB was crawled with "; "" for accepted
	}{
		{"max-depth", []string{"--max-depth", "1"}, []string{"--max-depth", "2"},
			"--max-depth 1, this run has --max-depth 2; rerun with the same flags or pass --reconfigure"},
		{"max-depth added", nil, []string{"--max-depth", "2"}, "no --max-depth, this run has --max-depth 2;"},
		{"scope", nil, []string{"--scope", "domain"}, "--scope host, this run has --scope domain;"},
		{"include added", nil, []string{"--include", "/docs/"}, `no --include, this run has --include "/docs/";`},
		{"two changes", []string{"--exclude", "a", "--max-depth", "3"}, []string{"--exclude", "b", "--max-depth", "2"},
			`--exclude "a" and --max-depth 3, this run has --exclude "b" and --max-depth 2;`},
		{"max-pages is a budget", []string{"--max-pages", "10"}, []string{"--max-pages", "20"}, ""},
		{"pattern order", []string{"--exclude", "a", "--exclude", "b"}, []string{"--exclude", "b", "--exclude", "a"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "crawl.db")
			if code, _, stderr := runCmd(t, quietArgs(seeds, db, c.first...)...); code != exitOK {
				t.Fatalf("first run: exit %d\n%s", code, stderr)
			}
			config := statusJSON(t, db).Config
			requests := s.site.Log().Total()
			code, _, stderr := runCmd(t, quietArgs(seeds, db, c.second...)...)
			if c.want == "" {
				if code != exitOK {
					t.Fatalf("rerun: exit %d, want 0\n%s", code, stderr)
				}
				return
			}
			if code != exitUsage || !strings.HasPrefix(stderr, "crawl: "+db+" was crawled with "+c.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("rerun: exit %d, stderr:\n%s\nwant exit %d and one line with %q", code, stderr, exitUsage, c.want)
			}
			if s.site.Log().Total() != requests {
				t.Errorf("the refused run fetched %d URLs", s.site.Log().Total()-requests)
			}
			if got := statusJSON(t, db).Config; !jsonEqual(t, got, config) {
				t.Errorf("the refused run changed the recorded configuration: %+v, was %+v", got, config)
			}
			// --reconfigure accepts the change and records it.
			if code, _, stderr := runCmd(t, quietArgs(seeds, db, append(c.second, "--reconfigure")...)...); code != exitOK {
				t.Fatalf("rerun with --reconfigure: exit %d\n%s", code, stderr)
			}
			if code, _, stderr := runCmd(t, quietArgs(seeds, db, c.second...)...); code != exitOK {
				t.Errorf("run after --reconfigure: exit %d\n%s", code, stderr)
			}
		})
	}
}

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return bytes.Equal(ja, jb)
}

func statusJSON(t *testing.T, db string) statusReport {
	t.Helper()
	code, out, stderr := runCmd(t, "status", "--db", db, "--json")
	if code != exitOK {
		t.Fatalf("status: exit %d\n%s", code, stderr)
	}
	var r statusReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	return r
}

// Raising --max-depth with --reconfigure queues the URLs skipped for their depth: the crawl
// ends exactly as a crawl with the higher limit from the start, fetching no page twice.
func TestReconfigureToADeeperLimitMatchesAFreshCrawl(t *testing.T) {
	s := newSiteServer(t, crashSite(200))
	dir := t.TempDir()
	seeds := writeFile(t, dir, "seeds.txt", s.root()+"\n")
	fresh, db := filepath.Join(dir, "fresh.db"), filepath.Join(dir, "crawl.db")
	if code, _, stderr := runCmd(t, quietArgs(seeds, fresh, "--max-depth", "3")...); code != exitOK {
		t.Fatalf("fresh crawl: exit %d\n%s", code, stderr)
	}
	want := readGraph(t, fresh)
	s.site.Log().Reset()

	if code, _, stderr := runCmd(t, quietArgs(seeds, db, "--max-depth", "1")...); code != exitOK {
		t.Fatalf("shallow crawl: exit %d\n%s", code, stderr)
	}
	shallow := statusJSON(t, db)
	if shallow.Skipped[crawl.ReasonMaxDepth] == 0 {
		t.Fatal("the shallow crawl skipped nothing for its depth: the test proves nothing")
	}
	code, _, stderr := runCmd(t, "--seeds", seeds, "--db", db, "--host-rate", "0", "--max-depth", "3", "--reconfigure")
	if code != exitOK {
		t.Fatalf("reconfigured crawl: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "crawl: reconfigured to --max-depth 3: ") {
		t.Errorf("no reconfiguration note:\n%s", stderr)
	}
	expectSameGraph(t, want, readGraph(t, db))
	for key, n := range s.pageCounts() {
		if n > 1 {
			t.Errorf("%s fetched %d times", key, n)
		}
	}
	if cfg := statusJSON(t, db).Config; cfg == nil || cfg.MaxDepth != 3 {
		t.Errorf("recorded configuration after --reconfigure: %+v", cfg)
	}
}

// --retry-failed queues the URLs whose fetch failed; the crawl then continues from them and
// ends as a crawl that never failed. Each attempt counts against --max-pages.
func TestRetryFailedRefetchesFailedURLs(t *testing.T) {
	site := crawltest.NewSite(crashSite(150))
	failing := map[string]bool{site.Path(4): true, site.Path(9): true, site.Path(15): true, site.Path(22): true}
	var broken atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if broken.Load() && failing[r.URL.RequestURI()] {
			// No response at all: the fetch fails with a network error.
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.(*net.TCPConn).SetLinger(0)
				conn.Close()
			}
			return
		}
		site.ServeHTTP(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	seeds := writeFile(t, dir, "seeds.txt", srv.URL+"/\n")
	ref, db := filepath.Join(dir, "reference.db"), filepath.Join(dir, "crawl.db")
	if code, _, stderr := runCmd(t, quietArgs(seeds, ref)...); code != exitOK {
		t.Fatalf("reference crawl: exit %d\n%s", code, stderr)
	}
	want := readGraph(t, ref)

	broken.Store(true)
	if code, _, stderr := runCmd(t, quietArgs(seeds, db)...); code != exitOK {
		t.Fatalf("crawl with failures: exit %d\n%s", code, stderr)
	}
	first := statusJSON(t, db)
	nFailed := first.States["failed"]
	if nFailed == 0 || !first.Finished {
		t.Fatalf("after the first run: %d failed, finished %v; want failures and a finished crawl", nFailed, first.Finished)
	}
	broken.Store(false)
	site.Log().Reset()
	if code, _, stderr := runCmd(t, quietArgs(seeds, db)...); code != exitOK || site.Log().Total() > 1 {
		t.Fatalf("rerun without --retry-failed: exit %d, %d requests (robots.txt only expected)\n%s", code, site.Log().Total(), stderr)
	}
	code, _, stderr := runCmd(t, "--seeds", seeds, "--db", db, "--host-rate", "0", "--retry-failed", "--backoff", "1ms")
	if code != exitOK {
		t.Fatalf("--retry-failed: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "retrying "+strconv.Itoa(nFailed)+" failed URL(s)") {
		t.Errorf("no retry note for %d URLs:\n%s", nFailed, stderr)
	}
	expectSameGraph(t, want, readGraph(t, db))
	after := statusJSON(t, db)
	if after.Fetched != statusJSON(t, ref).Fetched+nFailed {
		t.Errorf("fetch attempts = %d, want %d (every page once, the failed ones twice)", after.Fetched, statusJSON(t, ref).Fetched+nFailed)
	}
}

// A database written by a newer version is refused, by crawl and by status, and not changed.
func TestNewerSchemaIsRefusedAndLeftUntouched(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "crawl.db")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	b, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte("99")) }); err != nil {
		t.Fatal(err)
	}
	b.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	seeds := writeFile(t, dir, "seeds.txt", "http://127.0.0.1:1/\n")
	for _, args := range [][]string{quietArgs(seeds, path), {"status", "--db", path}} {
		code, _, stderr := runCmd(t, args...)
		if code != exitUsage || !strings.Contains(stderr, "written by a newer version of crawl: schema 99, this version reads 2") {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
		}
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the database file was changed")
	}
}

func TestStatusReportsProgressAndConfiguration(t *testing.T) {
	s := newSiteServer(t, crashSite(120))
	dir := t.TempDir()
	seeds := writeFile(t, dir, "seeds.txt", s.root()+"\n")
	db := filepath.Join(dir, "crawl.db")

	if code, _, stderr := runCmd(t, "status", "--db", db); code != exitUsage || !strings.Contains(stderr, "does not exist") {
		t.Errorf("status of a missing database: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCmd(t, quietArgs(seeds, db, "--max-pages", "20", "--max-depth", "4")...); code != exitOK {
		t.Fatalf("crawl: exit %d\n%s", code, stderr)
	}
	code, out, _ := runCmd(t, "status", "--db", db)
	if code != exitOK {
		t.Fatalf("status: exit %d", code)
	}
	for _, want := range []string{
		"stopped at --max-pages 20 with ", "Last activity", "--scope host (" + s.addr + "), --max-depth 4, --max-pages 20, 1 seed(s)",
		"  done                   ", "  robots-blocked", "Fetch attempts  20 of --max-pages 20",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if lines := strings.Count(out, "\n"); lines > 24 {
		t.Errorf("status takes %d lines, more than a screen", lines)
	}
	r := statusJSON(t, db)
	g := readGraph(t, db)
	if r.State != "budget-spent" || r.Finished || r.Fetched != 20 || r.States["done"] != g.count(crawl.StateDone) ||
		r.URLs != len(g.nodes) || r.Links != len(g.edges) || r.Frontier != len(g.pending()) || r.Updated == nil || r.Hosts != 1 {
		t.Errorf("status --json = %+v; graph has %d nodes, %d done, %d edges, %d pending", r, len(g.nodes), g.count(crawl.StateDone), len(g.edges), len(g.pending()))
	}

	if code, _, stderr := runCmd(t, quietArgs(seeds, db, "--max-depth", "4")...); code != exitOK {
		t.Fatalf("crawl to the end: exit %d\n%s", code, stderr)
	}
	if r := statusJSON(t, db); r.State != "finished" || !r.Finished || r.Frontier != 0 || r.States["pending"] != 0 {
		t.Errorf("status after the crawl = %+v", r)
	}
}

// Seeds are cumulative: a new seed on another host joins the crawl and widens its scope, and
// a seed left out of the file later stays part of the crawl.
func TestNewSeedOnAnotherHostWidensTheCrawl(t *testing.T) {
	site := crawltest.NewSite(crawltest.SiteConfig{Seed: 12, Pages: 60, Hosts: []string{"a.test", "b.test"},
		MinLinks: 3, MaxLinks: 10, MinBytes: 800, MaxBytes: 1500, CrossHostFraction: 0.2})
	srv := httptest.NewServer(site)
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	roots := site.Roots(srv.URL)
	dir := t.TempDir()
	db := filepath.Join(dir, "crawl.db")
	args := func(seeds string) []string {
		return quietArgs(seeds, db, "--resolve", "a.test:"+port+":127.0.0.1", "--resolve", "b.test:"+port+":127.0.0.1")
	}
	onlyA := writeFile(t, dir, "a.txt", roots[0]+"\n")
	both := writeFile(t, dir, "both.txt", roots[0]+"\n"+roots[1]+"\n")

	if code, _, stderr := runCmd(t, args(onlyA)...); code != exitOK {
		t.Fatalf("crawl of a.test: exit %d\n%s", code, stderr)
	}
	if n := site.Log().HostCount("b.test"); n != 0 {
		t.Fatalf("b.test fetched %d times by a crawl of a.test", n)
	}
	loud := slices.DeleteFunc(args(both), func(a string) bool { return a == "--quiet" })
	code, _, stderr := runCmd(t, loud...)
	if code != exitOK || !strings.Contains(stderr, "1 new seed(s) added") {
		t.Fatalf("crawl with a new seed: exit %d\n%s", code, stderr)
	}
	g := readGraph(t, db)
	want := site.ReachableWith(roots[1:], crawltest.ReachOptions{MaxDepth: -1, SameHostOnly: true, HonorNofollow: true})
	for u := range want.Pages {
		if g.nodes[u].State != crawl.StateDone {
			t.Errorf("%s (reachable from the new seed) is %v", u, g.nodes[u].State)
		}
	}
	r := statusJSON(t, db)
	if r.Config == nil || len(r.Config.Seeds) != 2 || len(r.Config.ScopeHosts) != 2 {
		t.Errorf("recorded configuration = %+v", r.Config)
	}
	// Back to the first seeds file: the crawl keeps both seeds, and there is nothing to do.
	requests := site.Log().Total()
	if code, _, stderr := runCmd(t, args(onlyA)...); code != exitOK || site.Log().Total()-requests > 2 {
		t.Errorf("rerun with a seed left out: exit %d, %d requests\n%s", code, site.Log().Total()-requests, stderr)
	}
	if r := statusJSON(t, db); len(r.Config.Seeds) != 2 || !r.Finished {
		t.Errorf("after the rerun: %+v", r)
	}
}
