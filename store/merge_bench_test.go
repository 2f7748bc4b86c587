package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
)

// BenchmarkMerge merges three databases holding 1,000,000 edges together (25,000 pages of 40
// links, a third fetched in each; every link may go to a page another database fetched, which
// it then holds as queued), and reports edges merged per second and the peak heap during the
// merge: the merge streams, so the heap stays small whatever the inputs' size.
func BenchmarkMerge(b *testing.B) {
	const pages, parts = 25_000, 3
	dir := b.TempDir()
	urls := make([]string, pages)
	for i := range urls {
		urls[i] = fmt.Sprintf("http://h%02d.test/page/%d.html", i%50, i)
	}
	var inputs []string
	for part := range parts {
		path := filepath.Join(dir, fmt.Sprintf("node%d.db", part))
		inputs = append(inputs, path)
		db, err := Open(path, Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		var seeds []Seed
		var mine []int
		for i := part; i < pages; i += parts {
			seeds = append(seeds, Seed{URL: urls[i], Host: hostKey(urls[i])})
			mine = append(mine, i)
		}
		if _, err := db.AddSeeds(seeds); err != nil {
			b.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, uint64(part)))
		w := db.Writer(-1)
		for start := 0; start < len(mine); start += 1000 {
			var batch []crawl.Result
			for k, i := range mine[start:min(start+1000, len(mine))] {
				res := benchResult(i, urls, r, 1)
				res.ID = uint64(start + k + 1) // the seeds' ids, in order
				batch = append(batch, res)
			}
			if _, err := w.Commit(batch); err != nil {
				b.Fatal(err)
			}
		}
		db.Close()
	}
	runtime.GC()
	out := filepath.Join(dir, "all.db")
	var peak uint64
	var st MergeStats
	for b.Loop() {
		os.Remove(out)
		stop := peakHeap()
		var err error
		st, err = Merge(context.Background(), out, inputs, MergeOptions{})
		peak = max(peak, stop())
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.Edges)*float64(b.N)/b.Elapsed().Seconds(), "edges/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(st.Edges), "edges")
	b.ReportMetric(float64(st.URLs), "urls")
}

// peakHeap samples the heap (objects, live or awaiting collection) every millisecond until
// stop is called, and returns the largest sample. The sampling goroutine owns the peak and
// hands it over when stopped.
func peakHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	done, peak := make(chan struct{}), make(chan uint64)
	first := read()
	go func() {
		p := first
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				peak <- max(p, read())
				return
			case <-t.C:
				p = max(p, read())
			}
		}
	}()
	return func() uint64 {
		close(done)
		return <-peak
	}
}
