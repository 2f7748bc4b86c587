package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crawl-project/crawl/crawler/crawltest"
)

func TestPolitenessFlagErrors(t *testing.T) {
	checkCrawlFlagErrors(t, []flagError{
		{[]string{"--retries", "-1"}, "--retries -1"},
		{[]string{"--max-host-errors", "-2"}, "--max-host-errors -2"},
		{[]string{"--connect-timeout", "0s"}, "--connect-timeout 0s"},
		{[]string{"--tls-timeout", "-1s"}, "--tls-timeout -1s"},
		{[]string{"--first-byte-timeout", "0s"}, "--first-byte-timeout 0s"},
		{[]string{"--backoff", "0s"}, "--backoff 0s"},
		{[]string{"--max-backoff", "0s"}, "--max-backoff 0s"},
		{[]string{"--max-sitemap-urls", "0"}, "--max-sitemap-urls 0"},
		{[]string{"--connect-timeout", "soon"}, `invalid argument "soon" for "--connect-timeout" flag`},
	})
}

// TestInsecure: a site with a certificate no one vouches for is not crawled, unless
// --insecure says so.
func TestInsecure(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<title>staging</title>")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	tests := []struct {
		name    string
		flags   []string
		code    int
		summary string
	}{
		// The only seed cannot be fetched: exit 3, and the summary says why.
		{"verified", nil, exitNoSeed, "fetch errors    1 (1 TLS error)"},
		{"insecure", []string{"--insecure"}, exitOK, "pages fetched   1 (2xx 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			seeds := writeFile(t, dir, "seeds.txt", srv.URL+"/\n")
			args := append([]string{"--seeds", seeds, "--db", filepath.Join(dir, "c.db"), "--host-rate", "0"}, tt.flags...)
			code, stdout, stderr := runCmd(t, args...)
			if code != tt.code || !strings.Contains(stdout, tt.summary) {
				t.Errorf("exit %d; want %d and %q in the summary:\n%s\n%s", code, tt.code, tt.summary, stdout, stderr)
			}
		})
	}
}

func TestSummaryCountsRetriesAndParkedHosts(t *testing.T) {
	tests := []struct {
		name string
		// fail says whether the n-th request (from 1) for a page path other than / fails.
		fail func(path string, n int) bool
		want []string
	}{
		{
			// /1 fails once; a fresh URL goes next, then the retry of /1 succeeds.
			name: "retry",
			fail: func(path string, n int) bool { return path == "/1" && n == 1 },
			want: []string{"retries         1 (1 backoffs, 0 after Retry-After)", "hosts parked    0 (0 URLs skipped"},
		},
		{
			// /1, /2 and /3 fail in a row: the host is parked; they and /4 are skipped.
			name: "parked",
			fail: func(string, int) bool { return true },
			want: []string{"retries         0 (3 backoffs, 0 after Retry-After)", "hosts parked    1 (4 URLs skipped as host-unreachable)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(crawltest.RecordFunc(func(w http.ResponseWriter, r *http.Request, a crawltest.Arrival) {
				n := a.N
				switch {
				case r.URL.Path == "/robots.txt":
					http.NotFound(w, r)
				case r.URL.Path == "/":
					w.Header().Set("Content-Type", "text/html")
					fmt.Fprint(w, `<a href="/1">1</a><a href="/2">2</a><a href="/3">3</a><a href="/4">4</a>`)
				case tt.fail(r.URL.Path, n):
					w.WriteHeader(http.StatusServiceUnavailable)
				default:
					fmt.Fprint(w, "ok")
				}
			}))
			t.Cleanup(srv.Close)
			dir := t.TempDir()
			seeds := writeFile(t, dir, "seeds.txt", srv.URL+"/\n")
			code, stdout, stderr := runCmd(t, "--seeds", seeds, "--db", filepath.Join(dir, "c.db"), "--host-rate", "0",
				"--host-concurrency", "1", "--retries", "1", "--max-host-errors", "3", "--backoff", "5ms")
			if code != exitOK {
				t.Fatalf("exit %d:\n%s", code, stderr)
			}
			for _, want := range append(tt.want, "robots.txt      1 fetched") {
				if !strings.Contains(stdout, want) {
					t.Errorf("summary lacks %q:\n%s", want, stdout)
				}
			}
		})
	}
}
