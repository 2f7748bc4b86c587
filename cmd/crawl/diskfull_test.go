//go:build unix

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/crawl-project/crawl"
)

// fileSizeLimitEnv makes the test binary a launcher: it lowers its RLIMIT_FSIZE to the value
// (bytes) and execs the rest of its command line. Files written past the limit fail with
// EFBIG ("file too large"), as on a full disk; Go ignores the SIGXFSZ that comes with it.
const fileSizeLimitEnv = "CRAWL_TEST_FSIZE"

func execWithFileSizeLimit() {
	fail := func(err error) {
		fmt.Fprintf(os.Stderr, "launcher: %v\n", err)
		os.Exit(127)
	}
	limit, err := strconv.ParseUint(os.Getenv(fileSizeLimitEnv), 10, 64)
	if err != nil || len(os.Args) < 2 {
		fail(fmt.Errorf("want %s=BYTES and a command, got %q %q", fileSizeLimitEnv, os.Getenv(fileSizeLimitEnv), os.Args))
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
		fail(err)
	}
	env := make([]string, 0, len(os.Environ()))
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, fileSizeLimitEnv+"=") {
			env = append(env, kv)
		}
	}
	fail(syscall.Exec(os.Args[1], os.Args[1:], env))
}

// startCrawlLimited runs the crawl binary unable to write files beyond limit bytes.
func startCrawlLimited(t *testing.T, limit int64, args ...string) *proc {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), fmt.Sprintf("%s=%d", fileSizeLimitEnv, limit))
	return startProc(t, env, self, append([]string{crawlBinary(t)}, args...)...)
}

// A real write failure: the database file cannot grow past half its final size, as on a
// full disk. The crawl stops with the error (exit 1); the database is consistent (status
// reads it); and once the file may grow again a rerun completes the crawl with the graph of
// an uninterrupted one, fetching again only what was in flight when the write failed.
func TestDiskFullStopsTheCrawlAndARerunCompletesIt(t *testing.T) {
	ref := crawlReference(t, 300)
	s, seeds, want := ref.site, ref.seeds, ref.graph
	db := filepath.Join(ref.dir, "crawl.db")
	fi, err := os.Stat(ref.db)
	if err != nil {
		t.Fatal(err)
	}

	p := startCrawlLimited(t, fi.Size()/2, crawlArgs(seeds, db)...)
	code, sig := p.wait()
	s.stop()
	if code != exitError || !strings.Contains(p.stderr.String(), "file too large") || !strings.Contains(p.stderr.String(), "crawl: commit ") {
		t.Fatalf("crawl on a full disk: exit %d (signal %v), want %d and the write error\nstderr:\n%s", code, sig, exitError, p.stderr.String())
	}
	t.Logf("stopped with: %s", strings.TrimSpace(lastLine(p.stderr.String())))
	st := statusJSON(t, db)
	if st.Finished || st.States["done"] == 0 {
		t.Fatalf("status after the failure: %+v; want some pages recorded and some left", st)
	}
	counts := s.pageCounts()
	inFlight := 0
	for u := range readGraph(t, db).pending() {
		if counts[s.logKey(u)] > 0 {
			inFlight++
		}
	}

	s.start(nil)
	if code, _, stderr := runBinary(t, crawlArgs(seeds, db)...); code != exitOK {
		t.Fatalf("rerun with room: exit %d\n%s", code, stderr)
	}
	expectSameGraph(t, want, readGraph(t, db))
	dups := 0
	for _, n := range s.pageCounts() {
		dups += n - 1
	}
	if dups > inFlight {
		t.Errorf("%d duplicate fetches, but only %d URLs were fetched and not recorded at the failure", dups, inFlight)
	}
	t.Logf("%d of %d pages recorded before the failure; %d refetched", st.States["done"], want.count(crawl.StateDone), dups)
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}
