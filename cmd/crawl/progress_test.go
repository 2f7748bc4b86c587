package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crawl-project/crawl/crawler/crawltest"
)

// crawlStderr runs the crawl command in-process with stderr on a pipe, handing each stderr
// line to onLine as it comes, and returns the exit code and stdout.
func crawlStderr(t *testing.T, e env, args []string, onLine func(string)) (int, string) {
	t.Helper()
	pr, pw := io.Pipe()
	var stdout bytes.Buffer
	e.stdout, e.stderr = &stdout, pw
	code := make(chan int, 1)
	go func() {
		code <- dispatch(context.Background(), &e, args)
		pw.Close()
	}()
	for l := range lines(pr) {
		onLine(l)
	}
	return <-code, stdout.String()
}

func seedsFor(t *testing.T, urls ...string) string {
	t.Helper()
	return writeFile(t, t.TempDir(), "seeds.txt", strings.Join(urls, "\n")+"\n")
}

func TestProgressLinesWhenNotATerminal(t *testing.T) {
	g := newGatedSite(t, crawltest.SiteConfig{Pages: 40, Seed: 3})
	// The crawl cannot end before a progress line was seen: it is held until then.
	h := g.holdAfter(10)
	dir := t.TempDir()
	args := []string{"--seeds", seedsFor(t, g.srv.URL+"/"), "--db", filepath.Join(dir, "c.db"),
		"--host-rate", "0", "--workers", "2", "--progress-every", "100ms"}
	var progress []string
	code, stdout := crawlStderr(t, env{}, args, func(l string) {
		if strings.HasPrefix(l, "crawl: progress: ") {
			progress = append(progress, l)
			h.Release()
		}
	})
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if len(progress) < 1 {
		t.Fatal("no progress line")
	}
	for _, want := range []string{"done ", "pending ", "in flight ", "now ", "avg ", "errors ", "hosts ", "bytes ", "elapsed "} {
		if !strings.Contains(progress[0], want) {
			t.Errorf("progress line lacks %q: %s", want, progress[0])
		}
	}
	if !strings.Contains(stdout, "Crawl summary") {
		t.Errorf("no summary:\n%s", stdout)
	}
}

func TestQuietPrintsNoProgress(t *testing.T) {
	g := newGatedSite(t, crawltest.SiteConfig{Pages: 20, Seed: 3})
	args := []string{"--seeds", seedsFor(t, g.srv.URL+"/"), "--db", filepath.Join(t.TempDir(), "c.db"),
		"--host-rate", "0", "--quiet", "--progress-every", "1ms"}
	var stderr []string
	code, stdout := crawlStderr(t, env{}, args, func(l string) { stderr = append(stderr, l) })
	if code != exitOK || stdout != "" || len(stderr) != 0 {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0 and nothing printed", code, stdout, stderr)
	}
}

// TestJSONLogs checks that with --log-format json every line on stderr is a JSON object:
// the log records (a failed fetch at info, every fetch at debug) and the progress records.
func TestJSONLogs(t *testing.T) {
	g := newGatedSite(t, crawltest.SiteConfig{Pages: 30, Seed: 5})
	h := g.holdAfter(5)
	// Port 1 on loopback refuses connections: a fetch that fails.
	args := []string{"--seeds", seedsFor(t, g.srv.URL+"/", "http://127.0.0.1:1/"), "--db", filepath.Join(t.TempDir(), "c.db"),
		"--host-rate", "0", "--ignore-robots", "--log-format", "json", "--log-level", "debug", "--progress-every", "100ms"}
	msgs := map[string][]map[string]any{}
	code, _ := crawlStderr(t, env{}, args, func(l string) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Errorf("stderr line is not JSON: %v: %q", err, l)
			return
		}
		msg, _ := rec["msg"].(string)
		msgs[msg] = append(msgs[msg], rec)
		if msg == "progress" {
			h.Release()
		}
	})
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, c := range []struct {
		msg, level string
		keys       []string
	}{
		{"fetched", "DEBUG", []string{"url", "status", "bytes", "duration", "attempt"}},
		{"fetch failed", "INFO", []string{"url", "err", "attempt"}},
		{"progress", "INFO", []string{"done", "pending", "in_flight", "pages_per_second", "errors", "hosts_active", "bytes", "elapsed"}},
	} {
		recs := msgs[c.msg]
		if len(recs) == 0 {
			t.Errorf("no %q record; got %v", c.msg, keys(msgs))
			continue
		}
		if recs[0]["level"] != c.level {
			t.Errorf("%q at level %v, want %s", c.msg, recs[0]["level"], c.level)
		}
		for _, k := range c.keys {
			if _, ok := recs[0][k]; !ok {
				t.Errorf("%q record lacks %q: %v", c.msg, k, recs[0])
			}
		}
	}
	if n := len(msgs["fetched"]); n != 30+g.site.Log().NotFound() {
		t.Errorf("%d fetched records, want one per page request (%d)", n, 30+g.site.Log().NotFound())
	}
	if f := msgs["fetch failed"]; len(f) != 1 || f[0]["url"] != "http://127.0.0.1:1/" {
		t.Errorf("fetch failed records: %v", f)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestLogFile(t *testing.T) {
	g := newGatedSite(t, crawltest.SiteConfig{Pages: 5, Seed: 1})
	dir := t.TempDir()
	logPath := filepath.Join(dir, "crawl.log")
	seeds := seedsFor(t, g.srv.URL+"/")
	for range 2 { // the second run resumes a finished crawl and appends to the same log
		code, _, stderr := runCmd(t, "--seeds", seeds, "--db", filepath.Join(dir, "c.db"), "--host-rate", "0",
			"--log-level", "info", "--log-file", logPath)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if strings.Contains(stderr, "level=") {
			t.Errorf("log lines on stderr with --log-file:\n%s", stderr)
		}
	}
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), `msg="crawl starting"`); n != 2 {
		t.Errorf("%d 'crawl starting' lines in the log file, want 2 (appended):\n%s", n, b)
	}
}

func TestLogFlagErrors(t *testing.T) {
	dir := t.TempDir()
	seeds := seedsFor(t, "http://127.0.0.1:1/")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--log-file", filepath.Join(dir, "no-such-dir", "crawl.log")}, "--log-file: open "},
		{[]string{"--log-file", dir}, "--log-file: open "},
		{[]string{"--log-format", "xml"}, `--log-format "xml": want text or json`},
		{[]string{"--log-level", "loud"}, `--log-level "loud"`},
		{[]string{"--progress-every", "0s"}, "--progress-every 0s: must be positive"},
		{[]string{"--metrics-addr", "127.0.0.1:http-alt-x"}, "--metrics-addr 127.0.0.1:http-alt-x"},
	} {
		args := append([]string{"--seeds", seeds, "--db", filepath.Join(dir, "c.db")}, c.args...)
		code, stdout, stderr := runCmd(t, args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 || stdout != "" {
			t.Errorf("crawl %q: exit %d, stdout %q, stderr %q; want exit %d and one line with %q",
				c.args, code, stdout, stderr, exitUsage, c.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "c.db")); err == nil {
			t.Fatalf("crawl %q: database created although the crawl refused to start", c.args)
		}
	}
}

func TestRateMeter(t *testing.T) {
	t0 := time.Unix(1000, 0)
	m := rateMeter{window: 5 * time.Second}
	steps := []struct {
		at   time.Duration
		n    int64
		want float64
	}{
		{0, 0, 0},
		{time.Second, 10, 10},
		{2 * time.Second, 30, 15},
		{6 * time.Second, 30, 4}, // from the last sample 5s old or older (1s): (30-10)/5
		{20 * time.Second, 30, 0},
		{21 * time.Second, 80, 50.0 / 15}, // the 20s sample is within the window: from 6s
	}
	for _, s := range steps {
		if got := m.add(t0.Add(s.at), s.n); got != s.want {
			t.Errorf("at %s n %d: rate %g, want %g", s.at, s.n, got, s.want)
		}
	}
}
