//go:build unix

package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestClusterFaults: three node processes (the crawl binary) crawl a 16-host site over a
// nats-server in the test process, under faults: a restart of the server (same store, same
// port) and, later in the same crawl, kill -9 of the busiest node; nodes exiting
// between a commit and the publishing of what it wrote, and between the commit of inbound
// URLs and their acknowledgement (each node restarted with the same --db and --node-id); a
// node lost for good, its shards freed by `crawl cluster reassign`, or by the lease. Each
// crawl must end, on every live node, with `crawl merge` equal to a single-node crawl of the
// site, every page fetched once but for those a stopped process was fetching (or, lost, had
// not published), and every host's rate and Crawl-delay kept across the nodes (see
// clusterCrawl.finish).
func TestClusterFaults(t *testing.T) {
	site := newFaultSite(t, 12)
	site.crawlReference(t)
	quarter := len(site.ref.requests) / 4

	t.Run("server restart, kill -9", func(t *testing.T) {
		cc := newClusterCrawl(t, site, "kill", time.Minute)
		cc.startAll()
		if !cc.waitFor(cc.at(quarter, "")) {
			t.Fatal("the crawl ended before a quarter of its requests")
		}
		cc.ns.restart()
		// The nodes go on fetching while the server restarts: kill one at the next requests,
		// unless the crawl has ended by then (finish tells whether it was complete).
		if cc.waitFor(cc.at(5, "")) {
			cc.kill(cc.busiest())
		} else {
			t.Logf("every node ended before the kill: %d of %d pages fetched", len(site.pageCounts()), len(site.ref.requests))
		}
		cc.finish()
	})
	t.Run("exits at the crash points", func(t *testing.T) {
		cc := newClusterCrawl(t, site, "crash", time.Minute)
		cc.node("a").crash = crashBeforePublish + ":3"
		cc.node("b").crash = crashBeforeAck + ":3"
		cc.startAll()
		cc.finish()
		if cc.crashes != 2 {
			t.Errorf("%d exits at crash points, want 2 (a %s, b %s)", cc.crashes, crashBeforePublish, crashBeforeAck)
		}
	})
	for _, reassign := range []bool{true, false} {
		name, lease := "node lost, reassigned", time.Minute
		if !reassign {
			name, lease = "node lost, lease", 2*time.Second
		}
		t.Run(name, func(t *testing.T) {
			cc := newClusterCrawl(t, site, map[bool]string{true: "reassign", false: "lease"}[reassign], lease)
			cc.startAll()
			if !cc.waitFor(cc.at(quarter, "")) {
				t.Fatal("the crawl ended before a quarter of its requests")
			}
			cc.loseForGood(cc.busiest(), reassign)
			cc.finish()
		})
	}
}

// TestClusterSoak is the long run of the cluster's faults (make soak-cluster,
// CRAWL_SOAK_CLUSTER=1): rounds of a crawl of a larger site by three nodes, each under a
// random series of faults at random moments: kill -9 of a random node, a restart of the
// server, a restarted node that exits at a random crash point; every third round ends with a
// node lost for good (reassigned, or by a 2s lease). Each round is checked as in
// TestClusterFaults. CRAWL_SOAK_ROUNDS, CRAWL_SOAK_PAGES (per host), CRAWL_SOAK_FAULTS (per
// round) change it; CRAWL_KILL_SEED replays one.
func TestClusterSoak(t *testing.T) {
	if os.Getenv("CRAWL_SOAK_CLUSTER") == "" {
		t.Skip("the long run: make soak-cluster (CRAWL_SOAK_CLUSTER=1)")
	}
	rounds := envInt(t, "CRAWL_SOAK_ROUNDS", 6)
	pages := envInt(t, "CRAWL_SOAK_PAGES", 150)
	faults := envInt(t, "CRAWL_SOAK_FAULTS", 6)
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("CRAWL_KILL_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("CRAWL_KILL_SEED=%q: %v", v, err)
		}
	}
	t.Logf("%d rounds of %d faults, %d pages per host, CRAWL_KILL_SEED=%d", rounds, faults, pages, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	site := newFaultSite(t, pages)
	site.crawlReference(t)
	total := len(site.ref.requests)

	for r := range rounds {
		t.Run(fmt.Sprintf("round %d", r+1), func(t *testing.T) {
			lose := r%3 == 2
			byLease := lose && r%2 == 0
			lease := time.Minute
			if byLease {
				lease = 2 * time.Second
			}
			cc := newClusterCrawl(t, site, "soak"+strconv.Itoa(r+1), lease)
			cc.restartCrash = func() string {
				if rng.IntN(2) == 0 {
					return ""
				}
				return []string{crashBeforePublish, crashBeforeAck}[rng.IntN(2)] + ":" + strconv.Itoa(1+rng.IntN(5))
			}
			cc.startAll()
			var did []string
			for f := range faults {
				left := faults - f
				remaining := total - len(site.pageCounts())
				k := 1 + rng.IntN(max(1, 2*remaining/(left+1)))
				if !cc.waitFor(cc.at(k, "")) {
					break
				}
				running := cc.running()
				switch {
				case f == faults-1 && lose && len(running) > 0:
					n := running[rng.IntN(len(running))]
					cc.loseForGood(n, !byLease)
					did = append(did, "lost "+n.id)
				case rng.IntN(4) == 0:
					cc.ns.restart()
					did = append(did, "server restart")
				case len(running) > 0:
					n := running[rng.IntN(len(running))]
					cc.kill(n)
					did = append(did, "kill "+n.id)
				}
			}
			cc.finish()
			t.Logf("faults at random requests: %v; %d crash-point exits", did, cc.crashes)
		})
	}
}
