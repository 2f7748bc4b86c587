package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crawl-project/crawl/crawler/cluster/natstest"
	"github.com/crawl-project/crawl/crawler/crawltest"
)

// The cluster scenario: one latency-bound multi-host site crawled by a plain crawl and by 1,
// 2 and 3 nodes of a cluster crawl (crawl --cluster) over a nats-server with JetStream that
// runs in this process, every node with the same --workers. Nodes are separate processes,
// as on separate machines, but here they share this machine's CPUs: the scenario shows the
// engine's cost and how far a crawl bound by the sites' latency scales, not a real cluster.

// clusterRun is one crawl of the cluster scenario.
type clusterRun struct {
	nodes int // 0: plain, without --cluster
	// pages is what the site served; crawling is from its first request to its last
	// (the server's clock): the crawl's rate without the processes' start, the nodes' join
	// and the engine's detection that the crawl is complete, which wall includes.
	pages          int
	crawling, wall time.Duration
	// The engine's traffic over the run, as the server counted it: messages and bytes it
	// received from the nodes and sent them, and the messages its streams hold at the end.
	inMsgs, outMsgs, inBytes, outBytes int64
	stored, storedBytes                uint64
	// start is when the first process was started; cpu samples the processes' CPU time.
	start time.Time
	cpu   *cpuSampler
	// crawlingCPU is the CPU the processes used while crawling.
	crawlingCPU cpuUse
	// perNode is each node's share of the requests, by its User-Agent.
	perNode []nodeRequests
}

// nodeRequests is what the site saw of one node: its requests, the first and the last.
type nodeRequests struct {
	requests    int
	first, last time.Time
}

func (r clusterRun) rate() float64 { return float64(r.pages) / r.crawling.Seconds() }

func (r clusterRun) name() string {
	if r.nodes == 0 {
		return "plain crawl (no --cluster)"
	}
	return fmt.Sprintf("cluster, %d node(s)", r.nodes)
}

// cluster runs the cluster scenario and prints its table.
func cluster(o *options, w io.Writer) error {
	hosts := make([]string, o.clusterHosts)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("c%02d.test", i)
	}
	site := crawltest.NewSite(crawltest.SiteConfig{
		Seed: o.seed, Pages: o.clusterPages, Hosts: hosts, MinLinks: 5, MaxLinks: 20,
		MinBytes: 2000, MaxBytes: 6000, CrossHostFraction: 0.3, BrokenFraction: 0.01, ExternalFraction: 0.01,
		Latency: o.clusterLatency,
	})
	site.Log().KeepHeaders()
	srv, err := listen(site)
	if err != nil {
		return err
	}
	defer srv.close()
	roots := site.Roots("http://c00.test:" + srv.port)
	reach := site.ReachableWith(roots, crawltest.ReachOptions{MaxDepth: -1, SameHostOnly: true, HonorNofollow: true})
	want := len(reach.Pages) + len(reach.Broken)
	fmt.Fprintf(w, "\n== cluster: %d hosts, %d pages + %d broken URLs, server latency %s, --workers %d per node, --host-rate 0\n",
		len(hosts), len(reach.Pages), len(reach.Broken), o.clusterLatency, o.clusterWorkers)
	fmt.Fprintf(w, "   (nodes are processes sharing this machine's %d CPUs and the nats-server in this process: noisy, and no real cluster)\n\n", runtime.NumCPU())

	flags := []string{"--workers", strconv.Itoa(o.clusterWorkers), "--host-concurrency", strconv.Itoa(o.clusterWorkers),
		"--host-rate", "0", "--ignore-robots", "--quiet"}
	for _, h := range hosts {
		flags = append(flags, "--resolve", h+":"+srv.port+":127.0.0.1")
	}
	flags = append(flags, o.extraFlags()...)
	dir := filepath.Join(o.dir, "cluster")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	seeds := filepath.Join(dir, "seeds.txt")
	if err := os.WriteFile(seeds, []byte(strings.Join(roots, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(w, "  %-28s %9s %9s %8s %6s %9s %11s %11s %11s\n", "run", "pages/s", "crawling", "wall", "CPU", "CPU/page", "msgs/page", "bytes/page", "stored/page")
	var runs []clusterRun
	for _, nodes := range []int{0, 1, 2, 3} {
		site.Log().Reset()
		r, err := runCluster(o, filepath.Join(dir, strconv.Itoa(nodes)), seeds, flags, nodes)
		if err != nil {
			return fmt.Errorf("%d nodes: %w", nodes, err)
		}
		log := site.Log()
		if dups, distinct := log.Duplicates(), log.Distinct(); dups != 0 || distinct != want {
			return fmt.Errorf("%s requested %d distinct URLs with %d repeats; want %d and 0", r.name(), distinct, dups, want)
		}
		ts := log.Times("")
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
		r.pages, r.crawling = len(ts), ts[len(ts)-1].Sub(ts[0])
		r.crawlingCPU = r.cpu.over(ts[0], ts[len(ts)-1])
		r.perNode = requestsByNode(log.Arrivals(""), max(nodes, 1))
		runs = append(runs, r)
		msgs, bytes, stored := "-", "-", "-"
		if nodes > 0 {
			p := float64(r.pages)
			msgs = fmt.Sprintf("%.1f+%.1f", float64(r.inMsgs)/p, float64(r.outMsgs)/p)
			bytes = fmt.Sprintf("%.0f+%.0f", float64(r.inBytes)/p, float64(r.outBytes)/p)
			stored = fmt.Sprintf("%.2f", float64(r.stored)/p)
		}
		fmt.Fprintf(w, "  %-28s %9.0f %8.2fs %7.2fs %5.0f%% %6.0f µs %11s %11s %11s\n", r.name(), r.rate(), r.crawling.Seconds(), r.wall.Seconds(),
			100*r.crawlingCPU.busy(runtime.NumCPU()), r.cpuPerPage(), msgs, bytes, stored)
		if nodes > 1 {
			fmt.Fprintf(w, "      requests by node %s (the most %.2fx an even share); first request %s s after the start\n",
				r.nodeFigures(func(n nodeRequests) string { return strconv.Itoa(n.requests) }), r.imbalance(),
				r.nodeFigures(func(n nodeRequests) string {
					if n.requests == 0 {
						return "-" // its hosts had no pages
					}
					return fmt.Sprintf("%.2f", n.first.Sub(r.start).Seconds())
				}))
		}
	}
	o.clusterRuns = runs
	fmt.Fprintf(w, "\n  pages/s: pages over the time from the site's first request to its last; wall: from the first process's\n")
	fmt.Fprintf(w, "  start to the last one's exit. msgs and bytes per page: to the server + from the server, every engine\n")
	fmt.Fprintf(w, "  message (URLs, records, heartbeats, KV, acknowledgements); stored: messages the streams hold per page.\n")
	fmt.Fprintf(w, "  CPU: the share of the machine's %d CPUs that the crawl processes, the site and the server (this process)\n", runtime.NumCPU())
	fmt.Fprintf(w, "  kept busy while crawling; CPU/page: their CPU time then per page. Requests by node: told apart by User-Agent;\n")
	fmt.Fprintf(w, "  hosts go to nodes by shard, so a node given more hosts' pages finishes last and sets the rate.\n")
	fmt.Fprintf(w, "  1 node / plain: %.2f (target >= 0.8); 3 nodes / 1 node: %.2f (target >= 2.5); 2 nodes / 1 node: %.2f\n",
		runs[1].rate()/runs[0].rate(), runs[3].rate()/runs[1].rate(), runs[2].rate()/runs[1].rate())
	return nil
}

// runCluster crawls with nodes processes started at once (a plain crawl for 0), each into a
// database of its own, over a new server.
func runCluster(o *options, dir, seeds string, flags []string, nodes int) (clusterRun, error) {
	r := clusterRun{nodes: nodes}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return r, err
	}
	var nats *natstest.Server
	if nodes > 0 {
		nats = natstest.New(filepath.Join(dir, "jetstream"))
		if err := nats.Start(true); err != nil {
			return r, err
		}
		defer nats.Stop()
	}
	var cmds []*exec.Cmd
	var stderrs []*bytes.Buffer
	for i := range max(nodes, 1) {
		args := append([]string{"--seeds", seeds, "--db", filepath.Join(dir, fmt.Sprintf("n%d.db", i)), "--user-agent", nodeAgent(i)}, flags...)
		if nodes > 0 {
			args = append(args, "--cluster", nats.URL(), "--crawl-id", "bench", "--node-id", fmt.Sprintf("n%d", i))
		}
		cmd := exec.Command(o.crawlBin, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		cmds, stderrs = append(cmds, cmd), append(stderrs, &stderr)
	}
	r.start = time.Now()
	var pids []int
	for _, cmd := range cmds {
		if err := cmd.Start(); err != nil {
			return r, err
		}
		pids = append(pids, cmd.Process.Pid)
	}
	r.cpu = sampleCPU(pids, 50*time.Millisecond)
	var failed []string
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			failed = append(failed, fmt.Sprintf("node %d: %v\n%s", i, err, stderrs[i]))
		}
	}
	r.wall = time.Since(r.start)
	r.cpu.finish()
	if len(failed) > 0 {
		return r, fmt.Errorf("%s", strings.Join(failed, "\n"))
	}
	if nats != nil {
		v, err := nats.Server().Varz(nil)
		if err != nil {
			return r, err
		}
		r.inMsgs, r.outMsgs, r.inBytes, r.outBytes = v.InMsgs, v.OutMsgs, v.InBytes, v.OutBytes
		js, err := nats.Server().Jsz(nil)
		if err != nil {
			return r, err
		}
		r.stored, r.storedBytes = js.Messages, js.Bytes
	}
	return r, nil
}

// nodeAgent is the User-Agent of node i of a run, by which the site tells the nodes apart.
func nodeAgent(i int) string { return fmt.Sprintf("crawlbench-node-%d", i) }

// requestsByNode counts the arrivals of each of nodes nodes, told apart by their User-Agent.
func requestsByNode(arrivals []crawltest.Arrival, nodes int) []nodeRequests {
	by := make([]nodeRequests, nodes)
	for _, a := range arrivals {
		for i := range by {
			if a.Header.Get("User-Agent") != nodeAgent(i) {
				continue
			}
			n := &by[i]
			if n.requests == 0 || a.At.Before(n.first) {
				n.first = a.At
			}
			if a.At.After(n.last) {
				n.last = a.At
			}
			n.requests++
			break
		}
	}
	return by
}

// cpuPerPage is the CPU time the processes used per page while crawling, in µs.
func (r clusterRun) cpuPerPage() float64 {
	return float64((r.crawlingCPU.children + r.crawlingCPU.self).Microseconds()) / float64(max(r.pages, 1))
}

// cpuCeiling is the most pages/s this machine's CPUs allow at the run's CPU time per page.
func (r clusterRun) cpuCeiling() float64 {
	if r.cpuPerPage() == 0 {
		return 0
	}
	return float64(runtime.NumCPU()) * 1e6 / r.cpuPerPage()
}

// imbalance is the requests of the node that made the most over an even share of all of
// them: 1 when the hosts' pages fell evenly to the nodes.
func (r clusterRun) imbalance() float64 {
	most, all := 0, 0
	for _, n := range r.perNode {
		most, all = max(most, n.requests), all+n.requests
	}
	if all == 0 {
		return 0
	}
	return float64(most) * float64(len(r.perNode)) / float64(all)
}

// nodeFigures joins a figure of every node with slashes.
func (r clusterRun) nodeFigures(f func(nodeRequests) string) string {
	s := make([]string, len(r.perNode))
	for i, n := range r.perNode {
		s[i] = f(n)
	}
	return strings.Join(s, "/")
}
