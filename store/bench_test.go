package store

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
)

// benchLinks is the out-degree of a benchmark page. Of its links, newLinks go to URLs seen for
// the first time and the rest to URLs already known (pages seen before, picked uniformly, the
// worst case for any caching). Once a crawl of one site is under way, about one link per page
// is new (every URL is new once); a crawl that fans out over the web meets more.
const benchLinks = 40

// benchSeeds queues n pages to be "fetched" by the benchmark, as a crawl's frontier would
// hold them, and returns their URLs (ids 1..n, in order, on a new database).
func benchSeeds(b *testing.B, db *DB, n int) []string {
	urls := make([]string, n)
	seeds := make([]Seed, 0, 50_000)
	for i := range n {
		host := fmt.Sprintf("h%02d.test", i%50)
		urls[i] = fmt.Sprintf("http://%s/page/%d.html", host, i)
		seeds = append(seeds, Seed{URL: urls[i], Host: host})
		if len(seeds) == cap(seeds) || i == n-1 {
			if _, err := db.AddSeeds(seeds); err != nil {
				b.Fatal(err)
			}
			seeds = seeds[:0]
		}
	}
	return urls
}

// benchResult is the fetch result of page i: done, benchLinks links of which newLinks are new.
func benchResult(i int, urls []string, r *rand.Rand, newLinks int) crawl.Result {
	res := crawl.Result{ID: uint64(i + 1), Host: hostKey(urls[i])}
	res.Page = crawl.Node{State: crawl.StateDone, Status: 200, ContentType: "text/html", Size: 20_000,
		Title: "A page title of a usual length", FetchedAt: time.Unix(1700000000, 0), Duration: time.Millisecond}
	res.Links = make([]crawl.Link, 0, benchLinks)
	for range benchLinks - newLinks {
		u := urls[r.IntN(len(urls))]
		res.Links = append(res.Links, crawl.Link{URL: u, Host: hostKey(u), Kind: crawl.KindLink, Anchor: "anchor text",
			Count: 1, InScope: true, Follow: true})
	}
	for k := range newLinks {
		host := fmt.Sprintf("h%02d.test", (i+k)%50)
		u := fmt.Sprintf("http://%s/new/%d/%d.html", host, i, k)
		res.Links = append(res.Links, crawl.Link{URL: u, Host: host, Kind: crawl.KindLink, Anchor: "anchor text",
			Count: 1, InScope: true, Follow: true})
	}
	return res
}

// BenchmarkCommit measures the writer: one op is one page with 40 links committed, in
// batches of the given size, with and without fsync, with 10 or 1 of the 40 links new.
// The database grows with b.N, so figures compare only at one -benchtime (make bench uses
// 20000x).
func BenchmarkCommit(b *testing.B) {
	cases := []struct {
		sync            bool
		batch, newLinks int
	}{
		{true, 512, 10}, {true, 64, 10}, {false, 512, 10},
		{true, 512, 1}, {true, 64, 1},
	}
	for _, c := range cases {
		sync, batch := c.sync, c.batch
		name := fmt.Sprintf("fsync=%v/batch=%d/new=%d", sync, batch, c.newLinks)
		b.Run(name, func(b *testing.B) {
			db, err := Open(filepath.Join(b.TempDir(), "crawl.db"), Options{NoSync: !sync})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			urls := benchSeeds(b, db, b.N)
			r := rand.New(rand.NewPCG(1, 2))
			results := make([]crawl.Result, 0, batch)
			w := db.Writer(-1)
			var edges int
			var cpu time.Duration
			b.ResetTimer()
			for start := 0; start < b.N; start += batch {
				b.StopTimer() // building the batch is the pipeline's work, not the writer's
				results = results[:0]
				for i := start; i < min(start+batch, b.N); i++ {
					results = append(results, benchResult(i, urls, r, c.newLinks))
				}
				b.StartTimer()
				cpu0 := processCPU()
				cs, err := w.Commit(results)
				if err != nil {
					b.Fatal(err)
				}
				cpu += processCPU() - cpu0
				edges += cs.Edges
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
			b.ReportMetric(float64(edges)/b.Elapsed().Seconds(), "edges/s")
			// CPU time is steadier than wall time on a shared machine.
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/page")
		})
	}
}

// processCPU is the user+system time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkOpen measures opening a database of 100,000 pages with 40 links each (some
// 200 MB): read-only, as status, export and report do, and read-write, as a crawl does,
// which reads every page first under a guard (see checkPages) and then lets bbolt scan them
// again to rebuild its free list.
func BenchmarkOpen(b *testing.B) {
	const pages = 100_000
	path := filepath.Join(b.TempDir(), "crawl.db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	urls := benchSeeds(b, db, pages)
	r := rand.New(rand.NewPCG(1, 2))
	w := db.Writer(-1)
	for start := 0; start < pages; start += 1000 {
		results := make([]crawl.Result, 0, 1000)
		for i := start; i < min(start+1000, pages); i++ {
			results = append(results, benchResult(i, urls, r, 1))
		}
		if _, err := w.Commit(results); err != nil {
			b.Fatal(err)
		}
	}
	db.Close()
	for _, readOnly := range []bool{true, false} {
		b.Run(fmt.Sprintf("read-only=%v", readOnly), func(b *testing.B) {
			for b.Loop() {
				db, err := Open(path, Options{ReadOnly: readOnly})
				if err != nil {
					b.Fatal(err)
				}
				db.Close()
			}
		})
	}
}
