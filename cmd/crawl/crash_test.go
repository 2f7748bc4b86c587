//go:build unix

package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler/crawltest"
)

// crashSite is the generated site of the subprocess tests: small pages, some broken links,
// some external ones, links through redirects (each hop a URL of its own, so a kill may fall
// between a redirect and its target), and a robots.txt that blocks part of the site.
func crashSite(pages int) crawltest.SiteConfig {
	return crawltest.SiteConfig{
		Seed: 11, Pages: pages, MinLinks: 5, MaxLinks: 25, MinBytes: 1500, MaxBytes: 4000,
		BrokenFraction: 0.02, ExternalFraction: 0.03, RedirectFraction: 0.05,
		Robots: "User-agent: *\nDisallow: /docs/s3/\n",
	}
}

// crawlArgs is the command every run of a subprocess test uses.
func crawlArgs(seeds, db string) []string {
	return []string{"--seeds", seeds, "--db", db, "--host-rate", "0", "--workers", "8",
		"--host-concurrency", "8", "--parsers", "2", "--log-level", "error"}
}

// reference is an uninterrupted crawl of a generated site: what an interrupted crawl of the
// same site must end up with.
type reference struct {
	site     *siteServer
	dir      string // a temporary directory, for the databases of the test
	seeds    string // the seeds file
	db       string // the reference crawl's database
	graph    crawlGraph
	requests int // requests of the uninterrupted crawl, robots.txt included
}

// crawlReference serves crashSite(pages), crawls it to the end with the real binary, and
// resets the site's request log so that it counts only what the test does next.
func crawlReference(t *testing.T, pages int) reference {
	t.Helper()
	r := reference{site: newSiteServer(t, crashSite(pages)), dir: t.TempDir()}
	r.seeds = writeFile(t, r.dir, "seeds.txt", r.site.root()+"\n")
	r.db = filepath.Join(r.dir, "reference.db")
	if code, _, stderr := runBinary(t, crawlArgs(r.seeds, r.db)...); code != exitOK {
		t.Fatalf("uninterrupted crawl: exit %d\n%s", code, stderr)
	}
	r.graph = readGraph(t, r.db)
	r.requests = r.site.site.Log().Total()
	r.site.site.Log().Reset()
	return r
}

// envInt reads a positive integer setting of the soak run.
func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// TestKillAndResumeLosesNothing is the crash test of exactly-once resume: it SIGKILLs the real
// binary at random moments, reruns the same command each time until the crawl finishes, and
// requires the result to be the graph of an uninterrupted crawl, page for page and edge for
// edge, with no fetch repeated except of the URLs in flight at a kill.
//
// The moment of each kill is the k-th request the site receives from that run, k random (the
// seed is logged; CRAWL_KILL_SEED replays it). What was in flight at a kill is measured, not
// estimated: once the process is dead and the server has drained its connections, it is every
// URL the server saw in that run that the database still has pending. Each such URL may be
// fetched once more; any other repeat is a lost commit or a lease that was never released.
//
// By default (and in make test) it kills 10 times on a few hundred pages. CRAWL_SOAK=1 (make
// soak) kills 40 times on 5000 pages; CRAWL_SOAK_PAGES and CRAWL_SOAK_KILLS change that.
func TestKillAndResumeLosesNothing(t *testing.T) {
	pages, kills := 300, 10
	if os.Getenv("CRAWL_SOAK") != "" {
		pages, kills = envInt(t, "CRAWL_SOAK_PAGES", 5000), envInt(t, "CRAWL_SOAK_KILLS", 40)
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("CRAWL_KILL_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("CRAWL_KILL_SEED=%q: %v", v, err)
		}
	}
	t.Logf("%d pages, %d kills, CRAWL_KILL_SEED=%d", pages, kills, seed)

	ref := crawlReference(t, pages)
	s, seeds, want, requests := ref.site, ref.seeds, ref.graph, ref.requests
	db := filepath.Join(ref.dir, "killed.db")

	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var inFlight []map[string]bool // per kill: the URLs in flight, as request log keys
	finished := false
	for run := 1; !finished; run++ {
		if run > kills+5 {
			t.Fatalf("the crawl did not finish after %d runs", run-1)
		}
		k := 0 // the request that triggers the kill; 0: let the run finish
		if left := kills - len(inFlight); left > 0 {
			// Spread the kills over what is left of the crawl: k averages an even share of
			// the remaining requests and never exceeds them, so no run can finish before
			// its kill (a run needs robots.txt and every remaining page).
			remaining := requests - len(s.site.Log().Counts())
			k = 1 + rng.IntN(max(1, 2*remaining/(left+1)))
		}
		procs := make(chan *proc, 1)
		s.stop()
		s.start(func(n int, _ string) {
			if n == k {
				(<-procs).signal(syscall.SIGKILL)
			}
		})
		before := s.pageCounts()
		p := startCrawl(t, crawlArgs(seeds, db)...)
		procs <- p
		code, sig := p.wait()
		s.stop() // every request of the run has been answered or abandoned: the log is final

		switch {
		case sig == syscall.SIGKILL:
			seen, now := 0, map[string]bool{}
			counts := s.pageCounts()
			for key, n := range counts {
				if n > before[key] {
					seen++
				}
			}
			for u := range readGraph(t, db).pending() {
				if key := s.logKey(u); counts[key] > before[key] {
					now[key] = true
				}
			}
			inFlight = append(inFlight, now)
			t.Logf("kill %2d at request %4d: %4d URLs fetched in the run, %3d in flight", len(inFlight), k, seen, len(now))
		case code == exitOK:
			if k > 0 {
				t.Logf("run %d finished before request %d", run, k)
			}
			finished = true
		default:
			t.Fatalf("run %d: exit %d, signal %v\nstderr:\n%s", run, code, sig, p.stderr.String())
		}
	}
	s.start(nil)

	if len(inFlight) < kills {
		t.Errorf("only %d kills, want %d", len(inFlight), kills)
	}
	got := readGraph(t, db)
	expectSameGraph(t, want, got)

	// Every repeated fetch must be of a URL in flight at a kill, at most once per such kill.
	allowed := map[string]int{}
	sumInFlight := 0
	for _, m := range inFlight {
		sumInFlight += len(m)
		for key := range m {
			allowed[key]++
		}
	}
	dups := checkRefetches(t, s.pageCounts(), allowed, "kills")
	if dups > sumInFlight {
		t.Errorf("%d duplicate fetches, more than the %d URLs in flight at the kills", dups, sumInFlight)
	}
	perKill := make([]string, len(inFlight))
	for i, m := range inFlight {
		perKill[i] = strconv.Itoa(len(m))
	}
	t.Logf("survived %d kills; compared %d nodes (%d fetched pages) and %d edges; %d duplicate fetches, %d URLs in flight at kills (per kill: %s)",
		len(inFlight), len(want.nodes), want.count(crawl.StateDone), len(want.edges), dups, sumInFlight, strings.Join(perKill, " "))
}

// checkRefetches reports each URL fetched more often than once plus the number of times it
// was in flight when a process was stopped (allowed; at names the stops), and returns the
// number of repeated fetches.
func checkRefetches(t *testing.T, counts, allowed map[string]int, at string) (dups int) {
	t.Helper()
	var unexplained []string
	for key, n := range counts {
		if n > 1 {
			dups += n - 1
			if n-1 > allowed[key] {
				unexplained = append(unexplained, fmt.Sprintf("%s fetched %d times, in flight at %d %s", key, n, allowed[key], at))
			}
		}
	}
	sort.Strings(unexplained)
	if len(unexplained) > 0 {
		t.Errorf("%d URLs fetched again although they were recorded:\n  %s", len(unexplained), strings.Join(unexplained[:min(10, len(unexplained))], "\n  "))
	}
	return dups
}

// SIGINT stops a crawl gracefully: exit 130 with the summary, every URL fetched is recorded,
// and a rerun completes the crawl without fetching any page twice.
func TestInterruptDrainsAndResumeRefetchesNothing(t *testing.T) {
	ref := crawlReference(t, 300)
	s, seeds, want, requests := ref.site, ref.seeds, ref.graph, ref.requests
	db := filepath.Join(ref.dir, "interrupted.db")

	procs := make(chan *proc, 1)
	s.stop()
	s.start(func(n int, _ string) {
		if n == requests/3 {
			(<-procs).signal(syscall.SIGINT)
		}
	})
	p := startCrawl(t, crawlArgs(seeds, db)...)
	procs <- p
	code, sig := p.wait()
	s.stop()
	if code != exitInterrupted {
		t.Fatalf("interrupted crawl: exit %d (signal %v), want %d\nstderr:\n%s", code, sig, exitInterrupted, p.stderr.String())
	}
	if !strings.Contains(p.stdout.String(), "Crawl summary") || !strings.Contains(p.stderr.String(), "run the same command again to resume") {
		t.Errorf("no summary or resume hint:\nstdout:\n%s\nstderr:\n%s", p.stdout.String(), p.stderr.String())
	}
	g := readGraph(t, db)
	fetched := s.pageCounts()
	if len(fetched) >= len(want.nodes) || len(g.pending()) == 0 {
		t.Fatalf("the interrupt did not stop the crawl early: %d URLs fetched, %d pending", len(fetched), len(g.pending()))
	}
	for u := range g.pending() {
		if fetched[s.logKey(u)] > 0 {
			t.Errorf("%s was fetched but is not recorded after a graceful stop", u)
		}
	}
	if code, out, _ := runCmd(t, "status", "--db", db); code != exitOK || !strings.Contains(out, "not finished") {
		t.Errorf("status after the interrupt: exit %d\n%s", code, out)
	}

	s.start(nil)
	if code, _, stderr := runBinary(t, crawlArgs(seeds, db)...); code != exitOK {
		t.Fatalf("resumed crawl: exit %d\n%s", code, stderr)
	}
	for key, n := range s.pageCounts() {
		if n > 1 {
			t.Errorf("%s fetched %d times", key, n)
		}
	}
	expectSameGraph(t, want, readGraph(t, db))
}

// A second crawl on a database in use fails at once (bbolt's lock timeout) instead of
// waiting, and says why; so does status.
func TestSecondCrawlOnABusyDatabaseFailsFast(t *testing.T) {
	s := newSiteServer(t, crashSite(40))
	dir := t.TempDir()
	seeds := writeFile(t, dir, "seeds.txt", s.root()+"\n")
	db := filepath.Join(dir, "crawl.db")

	running, hold := make(chan struct{}), make(chan struct{})
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(func() { close(hold) }) }
	t.Cleanup(release) // before the server stops: its Close waits for the held request
	s.stop()
	s.start(func(n int, _ string) {
		if n == 1 { // the first crawl has its database open and waits here
			close(running)
			<-hold
		}
	})
	first := startCrawl(t, crawlArgs(seeds, db)...)
	select {
	case <-running:
	case <-first.done:
		t.Fatalf("first crawl ended early: %v\n%s", first.err, first.stderr.String())
	}

	start := time.Now()
	code, _, stderr := runBinary(t, crawlArgs(seeds, db)...)
	t.Logf("second crawl refused after %v", time.Since(start).Round(time.Millisecond))
	if code != exitError || !strings.Contains(stderr, "in use by a running crawl") {
		t.Errorf("second crawl: exit %d, stderr %q; want exit %d and a message that the database is in use", code, stderr, exitError)
	}
	if code, _, stderr := runCmd(t, "status", "--db", db); code != exitError || !strings.Contains(stderr, "in use by a running crawl") {
		t.Errorf("status of a busy database: exit %d, stderr %q", code, stderr)
	}

	release()
	if code, _ := first.wait(); code != exitOK {
		t.Fatalf("first crawl: exit %d\n%s", code, first.stderr.String())
	}
	if code, out, _ := runCmd(t, "status", "--db", db); code != exitOK || !strings.Contains(out, "finished: nothing left to fetch") {
		t.Errorf("status after the crawl: exit %d\n%s", code, out)
	}
}
