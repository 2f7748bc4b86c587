package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
)

// benchLinks is the number of links per page of the benchmark database: 36 to other pages
// of the site and 4 to external URLs.
const (
	benchInternal = 36
	benchExternal = 4
)

func benchPageURL(p int) string {
	return fmt.Sprintf("http://site.test/section-%d/page-%d.html", p%50, p)
}

// buildBenchDB writes a crawl of pages pages with benchInternal+benchExternal links each
// directly through store.Writer, in batches, as a crawl would. Page p links to pages
// p*36+1 ... p*36+36 (modulo pages), so every page is created by an earlier one and pages
// are committed in the order they were discovered. It returns the number of edges.
func buildBenchDB(tb testing.TB, path string, pages int) int {
	tb.Helper()
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if _, err := db.AddSeeds([]store.Seed{{URL: benchPageURL(0), Host: "site.test"}}); err != nil {
		tb.Fatal(err)
	}
	w := db.Writer(-1)
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	edges, committed, created := 0, 0, 1
	const batch = 500
	for committed < pages {
		end := min(committed+batch, created)
		ids := make([]uint64, 0, end-committed)
		err := db.View(func(s *store.Snapshot) error {
			for p := committed; p < end; p++ {
				n, ok, err := s.Lookup(benchPageURL(p))
				if err != nil || !ok {
					return fmt.Errorf("page %d not recorded (%v)", p, err)
				}
				ids = append(ids, n.ID)
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
		results := make([]crawl.Result, 0, len(ids))
		for i, id := range ids {
			p := committed + i
			links := make([]crawl.Link, 0, benchInternal+benchExternal)
			for j := range benchInternal {
				links = append(links, crawl.Link{URL: benchPageURL((p*benchInternal + j + 1) % pages), Host: "site.test",
					Kind: crawl.KindLink, Anchor: fmt.Sprintf("link %d, \"next\" <&>", j), Count: 1 + j%3, InScope: true, Follow: true})
			}
			for j := range benchExternal {
				k := p*benchExternal + j
				host := fmt.Sprintf("ext%d.example", k%50)
				links = append(links, crawl.Link{URL: fmt.Sprintf("https://%s/page-%d", host, k%5000), Host: host,
					Kind: crawl.KindLink, Rel: "nofollow", Anchor: "elsewhere", Count: 1})
			}
			results = append(results, crawl.Result{ID: id, Host: "site.test", Links: links, Page: crawl.Node{
				State: crawl.StateDone, Status: 200, ContentType: "text/html", Size: int64(10000 + p%5000), FetchedAt: at,
				Title: fmt.Sprintf("Page %d — \"quoted\", <&> ünïcödé", p),
			}})
		}
		cs, err := w.Commit(results)
		if err != nil {
			tb.Fatal(err)
		}
		edges += cs.Edges
		committed = end
		created = min(pages, max(created, (end-1)*benchInternal+benchInternal+1))
	}
	return edges
}

// peakHeap samples the live heap until stop is called and returns the largest sample.
func peakHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	var (
		mu   sync.Mutex
		peak = read()
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				v := read()
				mu.Lock()
				peak = max(peak, v)
				mu.Unlock()
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return max(peak, read())
	}
}

// BenchmarkExportLargeDB exports a 1,000,000-edge crawl database (25,000 pages x 40 links;
// BENCH_EXPORT_PAGES changes the page count) through `crawl export` and `crawl report`,
// reporting edges per second and the peak live heap during the command.
func BenchmarkExportLargeDB(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 1,000,000-edge database")
	}
	pages := 25_000
	if v := os.Getenv("BENCH_EXPORT_PAGES"); v != "" {
		var err error
		if pages, err = strconv.Atoi(v); err != nil || pages < 1 {
			b.Fatalf("BENCH_EXPORT_PAGES=%q: want a positive number", v)
		}
	}
	dir := b.TempDir()
	path := filepath.Join(dir, "crawl.db")
	start := time.Now()
	edges := buildBenchDB(b, path, pages)
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("database: %d pages, %d edges, %.0f MiB, built in %s", pages, edges, float64(info.Size())/(1<<20), time.Since(start).Round(time.Millisecond))

	cases := []struct{ name, format string }{
		{"graphml", "graphml"}, {"csv", "csv"}, {"gexf", "gexf"}, {"jsonl", "jsonl"}, {"report", ""},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			out := filepath.Join(b.TempDir(), "graph")
			args := []string{"export", "--db", path, "--format", c.format, "--out", out}
			if c.format == "" {
				args = []string{"report", "--db", path, "--json"}
			}
			runtime.GC()
			stop := peakHeap()
			for b.Loop() {
				var stderr strings.Builder
				if code := run(args, io.Discard, &stderr); code != exitOK {
					b.Fatalf("exit %d: %s", code, stderr.String())
				}
			}
			peak := stop()
			b.ReportMetric(float64(edges)*float64(b.N)/b.Elapsed().Seconds(), "edges/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
