package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildCrawl builds the crawl binary that crawlbench measures.
func buildCrawl(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "crawl")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/crawl-project/crawl/cmd/crawl").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestSmallRun runs both scenarios on small sites with the real crawl binary: every figure
// is printed, and the checks inside (every reachable URL requested once) pass.
func TestSmallRun(t *testing.T) {
	bin := buildCrawl(t)
	var stdout, stderr bytes.Buffer
	code := run([]string{"-crawl", bin, "-pages", "300", "-repeat", "1", "-latency", "0,2ms",
		"-hosts", "4", "-host-pages", "3", "-faults", "60", "-redirect-pages", "100", "-asset-pages", "100", "-cluster-hosts", "0", "-memory=false", "-ceiling-time", "100ms", "-dir", t.TempDir()}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	for _, want := range []string{
		"crawl / ceiling", "pages/s", "MB/s", "links/s", "peak RSS", "Go heap", "CPU/page",
		"frontier", "fetch", "parse", "write", "input queue",
		"latency 2ms", "politeness, 4 hosts at 1/s", "shortest gap",
		"faults, every request obeys the rules", "time per request through redirects / plain", "to disallowed URLs: 0;", "served 200 more than once: 0 ",
		"crawl time with requisites checked / without", "--assets hosts",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &stdout)
		}
	}
}

// TestClusterFigure runs the cluster scenario on a small site: a plain crawl and 1, 2 and 3
// nodes each request every URL once (checked inside), and the table and ratios are printed.
func TestClusterFigure(t *testing.T) {
	bin := buildCrawl(t)
	var stdout bytes.Buffer
	o := &options{crawlBin: bin, dir: t.TempDir(), seed: 1, clusterHosts: 6, clusterPages: 15, clusterWorkers: 2, clusterLatency: 2 * time.Millisecond}
	if err := cluster(o, &stdout); err != nil {
		t.Fatalf("%v\n%s", err, &stdout)
	}
	t.Logf("%s", &stdout)
	for _, want := range []string{"plain crawl (no --cluster)", "cluster, 3 node(s)", "msgs/page", "3 nodes / 1 node",
		"CPU/page", "requests by node", "an even share", "first request"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if len(o.clusterRuns) != 4 || o.clusterRuns[3].inMsgs == 0 {
		t.Fatalf("no engine traffic measured: %+v", o.clusterRuns)
	}
	for _, r := range o.clusterRuns {
		// Every request is counted to the node that made it, and the crawl processes' CPU
		// while crawling is measured.
		sum := 0
		for _, n := range r.perNode {
			sum += n.requests
		}
		if len(r.perNode) != max(r.nodes, 1) || sum != r.pages {
			t.Errorf("%s: requests by node %+v, want %d nodes making %d requests", r.name(), r.perNode, max(r.nodes, 1), r.pages)
		}
		if r.crawlingCPU.children <= 0 || r.crawlingCPU.window <= 0 || r.cpuCeiling() <= 0 {
			t.Errorf("%s: CPU while crawling %+v, want it measured", r.name(), r.crawlingCPU)
		}
		if im := r.imbalance(); im < 1 || im > float64(len(r.perNode)) {
			t.Errorf("%s: imbalance %.2f, want within [1, nodes]", r.name(), im)
		}
	}
}

// TestMemoryIsBounded runs the memory scenario: every worker meets a 10 MiB page (half of them
// nothing but anchors) or a gzip bomb at once, and the crawl's peak resident set, which it
// reads from /proc/self/status as it ends, stays under 128 MiB with the default settings.
func TestMemoryIsBounded(t *testing.T) {
	bin := buildCrawl(t)
	var stdout bytes.Buffer
	o := &options{crawlBin: bin, dir: t.TempDir(), workers: 16}
	rss, err := memory(o, &stdout)
	if err != nil {
		t.Fatalf("%v\n%s", err, &stdout)
	}
	t.Logf("%s", &stdout)
	if rss == 0 || rss >= 128<<20 {
		t.Errorf("peak RSS %.1f MiB, want under 128 MiB", mib(float64(rss)))
	}
}

func TestBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{"-workers", "0"},
		{"-latency", "soon"},
		{"-crawl", filepath.Join(t.TempDir(), "missing")},
		{"extra"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 || stderr.Len() == 0 {
			t.Errorf("crawlbench %q: exit %d, stderr %q; want 2 and a message", args, code, &stderr)
		}
	}
}

func TestMostWithin(t *testing.T) {
	at := func(ms ...int) []time.Time {
		var ts []time.Time
		for _, m := range ms {
			ts = append(ts, time.Unix(0, 0).Add(time.Duration(m)*time.Millisecond))
		}
		return ts
	}
	tests := []struct {
		ts   []time.Time
		want int
	}{
		{nil, 0},
		{at(0), 1},
		{at(0, 1000, 2000), 1},
		{at(0, 999, 2000), 2},
		{at(0, 10, 20, 1500), 3},
	}
	for _, tt := range tests {
		if got := mostWithin(tt.ts, time.Second); got != tt.want {
			t.Errorf("mostWithin(%v) = %d, want %d", tt.ts, got, tt.want)
		}
	}
}
