// Command crawlbench measures the crawl binary against a generated site on 127.0.0.1.
//
// The throughput scenario serves a generated site (deterministic from -seed), crawls it with
// the real crawl binary with politeness off for that host, and, in the same run, measures
// the ceiling: a plain concurrent GET loop over the same URLs with the same concurrency. It
// prints pages/s, MB/s, links/s, CPU, peak RSS, Go heap and per-stage figures, and the
// crawl's throughput as a share of the ceiling: on a noisy machine that ratio is the figure
// that counts.
//
// The politeness scenario serves many generated hosts, all on 127.0.0.1 and reached through
// --resolve, crawls them at --host-rate 1, and checks from the server's side that no host is
// requested faster than that, and how close the crawl comes to hosts x 1 page/s.
//
// The faults scenario serves a site with redirect chains, 500s, 429s, slow pages, gzip and a
// 20 MB page, and a robots.txt that disallows /private/ (where some redirects lead), and counts
// from the server's side the requests to disallowed URLs and the pages served 200 twice.
//
// The cluster scenario crawls a multi-host site whose every response takes 10 ms with a
// plain crawl and with 1, 2 and 3 nodes of a cluster crawl (--cluster, over a nats-server in
// this process), the same --workers each, and reports pages/s, the engine's messages and
// bytes per page, the CPU the processes kept busy while crawling, and each node's share of
// the requests.
//
// The memory scenario gives every worker a 10 MiB page or a gzip bomb at once and reports the
// crawl's peak resident set.
//
//	crawlbench -crawl bin/crawl                     both scenarios, default sizes
//	crawlbench -pages 2000 -hosts 50 -repeat 1      a quick run
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

type options struct {
	crawlBin   string
	dir        string
	pages      int
	workers    int
	seed       int64
	repeat     int
	latencies  []time.Duration
	prerender  bool
	hosts      int
	hostPages  int
	faultPages int
	// redirectPages sizes the redirect-cost scenario; redirectRatio is its result.
	redirectPages int
	redirectRatio float64
	// assetPages and assets size the requisites scenario; assetRatio is its result.
	assetPages, assets int
	assetRatio         float64
	memory             bool
	memoryRSS          int64 // the memory scenario's peak RSS, for the summary
	cpuProfile         string
	extra              string
	// ceilingTime is how long the GET loop runs at least.
	ceilingTime time.Duration
	// The cluster scenario's site and nodes; clusterRuns are its results.
	clusterHosts, clusterPages, clusterWorkers int
	clusterLatency                             time.Duration
	clusterRuns                                []clusterRun

	results []result      // throughput runs, for the summary
	polite  *politeResult // the politeness run, for the summary
	fault   *faultResult  // the faults run, for the summary
}

type result struct {
	latency time.Duration
	ratio   float64
	crawl   *crawlRun
	ceiling ceilingResult
}

type politeResult struct {
	hosts, requests int
	secs, ratio     float64
	rates           hostRates
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	o := &options{}
	fs := flag.NewFlagSet("crawlbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.crawlBin, "crawl", "bin/crawl", "the crawl binary to measure")
	fs.StringVar(&o.dir, "dir", "", "working directory for databases and profiles (default: a temporary one, removed)")
	fs.IntVar(&o.pages, "pages", 20000, "pages of the throughput site (0: skip the throughput scenario)")
	fs.IntVar(&o.workers, "workers", 16, "crawl --workers, and the GET loop's concurrency")
	fs.Int64Var(&o.seed, "seed", 1, "seed of the generated sites")
	fs.IntVar(&o.repeat, "repeat", 3, "throughput runs (ceiling and crawl each); the median ratio is reported")
	latencies := fs.String("latency", "0,10ms", "comma-separated delays the server adds to every response; the throughput scenario runs once for each")
	fs.BoolVar(&o.prerender, "prerender", true, "render the throughput site's pages before measuring, so the server costs little CPU")
	fs.IntVar(&o.hosts, "hosts", 500, "hosts of the politeness scenario (0: skip it)")
	fs.IntVar(&o.hostPages, "host-pages", 20, "pages per host in the politeness scenario")
	fs.IntVar(&o.faultPages, "faults", 2000, "pages of the faults scenario (0: skip it)")
	fs.IntVar(&o.redirectPages, "redirect-pages", 5000, "pages of the redirect-cost scenario (0: skip it)")
	fs.IntVar(&o.assetPages, "asset-pages", 20000, "pages of the requisites scenario, crawled with --assets off and hosts (0: skip it)")
	fs.IntVar(&o.assets, "assets", 4, "requisites per page in the requisites scenario: a stylesheet, a script and an icon shared, the rest images of the page's own")
	fs.BoolVar(&o.memory, "memory", true, "run the memory scenario: every worker meets a 10 MiB page or a gzip bomb at once")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the first throughput crawl to this file")
	fs.DurationVar(&o.ceilingTime, "ceiling-time", 3*time.Second, "the GET loop goes over the URLs again until it has run this long")
	fs.IntVar(&o.clusterHosts, "cluster-hosts", 24, "hosts of the cluster scenario (0: skip it)")
	fs.IntVar(&o.clusterPages, "cluster-pages", 100, "pages per host in the cluster scenario")
	fs.IntVar(&o.clusterWorkers, "cluster-workers", 4, "--workers of every crawl of the cluster scenario")
	fs.DurationVar(&o.clusterLatency, "cluster-latency", 10*time.Millisecond, "delay the cluster scenario's server adds to every response")
	fs.StringVar(&o.extra, "crawl-flags", "", "extra flags for the crawl binary, space-separated")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || o.pages < 0 || o.workers < 1 || o.repeat < 1 || o.hosts < 0 || o.hostPages < 1 || o.faultPages < 0 || o.redirectPages < 0 || o.assetPages < 0 || o.assets < 0 ||
		o.clusterHosts < 0 || o.clusterPages < 1 || o.clusterWorkers < 1 || o.clusterLatency < 0 {
		fmt.Fprintln(stderr, "crawlbench: bad arguments; see -help")
		return 2
	}
	for _, l := range strings.Split(*latencies, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(l))
		if err != nil || d < 0 {
			fmt.Fprintf(stderr, "crawlbench: -latency %q: want durations like 0,10ms\n", *latencies)
			return 2
		}
		o.latencies = append(o.latencies, d)
	}
	if _, err := os.Stat(o.crawlBin); err != nil {
		fmt.Fprintf(stderr, "crawlbench: -crawl %s: %v (run make build)\n", o.crawlBin, err)
		return 2
	}
	if o.dir == "" {
		d, err := os.MkdirTemp("", "crawlbench-")
		if err != nil {
			fmt.Fprintf(stderr, "crawlbench: %v\n", err)
			return 1
		}
		defer os.RemoveAll(d)
		o.dir = d
	}
	fmt.Fprintf(stdout, "crawlbench: %s, %d CPUs, GOMAXPROCS %d, load average %s at start\n",
		runtime.GOOS+"/"+runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), loadAverage())
	for _, l := range o.latencies {
		if o.pages == 0 {
			break
		}
		if err := throughput(o, stdout, l); err != nil {
			fmt.Fprintf(stderr, "crawlbench: throughput: %v\n", err)
			return 1
		}
	}
	if o.hosts > 0 {
		if err := politeness(o, stdout); err != nil {
			fmt.Fprintf(stderr, "crawlbench: politeness: %v\n", err)
			return 1
		}
	}
	if o.faultPages > 0 {
		if err := faults(o, stdout); err != nil {
			fmt.Fprintf(stderr, "crawlbench: faults: %v\n", err)
			return 1
		}
	}
	if o.redirectPages > 0 {
		if err := redirectCost(o, stdout); err != nil {
			fmt.Fprintf(stderr, "crawlbench: redirects: %v\n", err)
			return 1
		}
	}
	if o.assetPages > 0 {
		if err := assetCost(o, stdout); err != nil {
			fmt.Fprintf(stderr, "crawlbench: assets: %v\n", err)
			return 1
		}
	}
	if o.clusterHosts > 0 {
		if err := cluster(o, stdout); err != nil {
			fmt.Fprintf(stderr, "crawlbench: cluster: %v\n", err)
			return 1
		}
	}
	if o.memory {
		rss, err := memory(o, stdout)
		if err != nil {
			fmt.Fprintf(stderr, "crawlbench: memory: %v\n", err)
			return 1
		}
		o.memoryRSS = rss
	}
	summary(o, stdout)
	return 0
}

// summary prints the headline figures as one table.
func summary(o *options, w io.Writer) {
	fmt.Fprintf(w, "\n== summary (load average %s at the end)\n", loadAverage())
	fmt.Fprintf(w, "  %-44s %s\n", "figure", "value")
	for _, r := range o.results {
		s := r.crawl.stats
		secs := r.crawl.wall.Seconds()
		pages := float64(s.Fetched + s.Failed)
		l := fmt.Sprintf("latency %s", r.latency)
		fmt.Fprintf(w, "  %-44s %.0f pages/s, %.1f MB/s, %.0f links/s\n", "crawl, "+l, pages/secs, float64(s.Bytes)/1e6/secs, float64(s.Links)/secs)
		fmt.Fprintf(w, "  %-44s %.0f pages/s\n", "GET-loop ceiling, "+l, float64(r.ceiling.requests)/r.ceiling.wall.Seconds())
		fmt.Fprintf(w, "  %-44s %.1f%% (target >= 70%%)\n", "crawl / ceiling (median), "+l, 100*r.ratio)
		fmt.Fprintf(w, "  %-44s %.1f MiB RSS, %.1f MiB Go heap in use\n", "crawl peak memory, "+l, mib(float64(r.crawl.maxRSS)), mib(float64(s.HeapInusePeak)))
	}
	if p := o.polite; p != nil {
		fmt.Fprintf(w, "  %-44s %.0f pages/s = %.1f%% of %d (target >= 90%%)\n", fmt.Sprintf("politeness, %d hosts at 1/s", p.hosts), float64(p.requests)/p.secs, 100*p.ratio, p.hosts)
		fmt.Fprintf(w, "  %-44s shortest gap %s; %d of %d gaps under 1 s, %d under 990 ms (%d unexplained); at most %d in any 1 s, %d in any 10 s\n",
			"politeness, per-host spacing (server side)", p.rates.minGap.Round(time.Microsecond), p.rates.short, p.rates.gaps,
			p.rates.shortBy10ms, p.rates.unexplained, p.rates.maxIn1s, p.rates.maxIn10s)
	}
	if f := o.fault; f != nil {
		fmt.Fprintf(w, "  %-44s %d requests to disallowed URLs, %d pages served 200 more than once (targets: 0, 0)\n", "faults, every request obeys the rules", f.counts.disallowed, f.counts.servedTwice)
		fmt.Fprintf(w, "  %-44s %.1fs, peak RSS %.1f MiB\n", "faults, wall time and memory", f.secs, mib(float64(f.maxRSS)))
	}
	if o.redirectRatio > 0 {
		fmt.Fprintf(w, "  %-44s %.2f\n", "redirects, time per request: via 301 / plain", o.redirectRatio)
	}
	if o.assetRatio > 0 {
		fmt.Fprintf(w, "  %-44s %.2f (target <= 1.3)\n", "requisites, crawl time: checked / off", o.assetRatio)
	}
	if runs := o.clusterRuns; len(runs) == 4 {
		fmt.Fprintf(w, "  %-44s plain %.0f, 1 node %.0f, 2 nodes %.0f, 3 nodes %.0f pages/s\n",
			fmt.Sprintf("cluster, latency %s, --workers %d each", o.clusterLatency, o.clusterWorkers), runs[0].rate(), runs[1].rate(), runs[2].rate(), runs[3].rate())
		fmt.Fprintf(w, "  %-44s 1 node / plain %.2f (target >= 0.8), 3 nodes / 1 node %.2f (target >= 2.5)\n",
			"cluster, ratios", runs[1].rate()/runs[0].rate(), runs[3].rate()/runs[1].rate())
		r := runs[3]
		fmt.Fprintf(w, "  %-44s %.1f messages, %.0f bytes per page (to and from the server)\n", "cluster, engine traffic with 3 nodes",
			float64(r.inMsgs+r.outMsgs)/float64(r.pages), float64(r.inBytes+r.outBytes)/float64(r.pages))
		fmt.Fprintf(w, "  %-44s %.0f%% of %d CPUs busy (1 node %.0f%%, plain %.0f%%); the busiest node made %.2fx an even share of the requests\n",
			"cluster, what limits 3 nodes", 100*r.crawlingCPU.busy(runtime.NumCPU()), runtime.NumCPU(),
			100*runs[1].crawlingCPU.busy(runtime.NumCPU()), 100*runs[0].crawlingCPU.busy(runtime.NumCPU()), r.imbalance())
		fmt.Fprintf(w, "  %-44s %.0f µs of CPU per page with 3 nodes (1 node %.0f, plain %.0f): %d CPUs crawl at most %.0f pages/s, %.2fx 1 node\n",
			"cluster, the CPU ceiling", r.cpuPerPage(), runs[1].cpuPerPage(), runs[0].cpuPerPage(), runtime.NumCPU(),
			r.cpuCeiling(), r.cpuCeiling()/runs[1].rate())
	}
	if o.memoryRSS > 0 {
		fmt.Fprintf(w, "  %-44s %.1f MiB (target < 128 MiB)\n", "peak RSS, every worker on a 10 MiB page", mib(float64(o.memoryRSS)))
	}
}

func (o *options) extraFlags() []string { return strings.Fields(o.extra) }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func mib(b float64) float64 { return b / (1 << 20) }
