package crawler

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
)

const (
	benchPending = 1_000_000 // URLs queued in the fixture
	benchHosts   = 1_000
)

// buildFrontierFixture writes a crawl database holding benchPending queued URLs spread
// evenly over benchHosts hosts, as a large crawl's frontier would.
func buildFrontierFixture(b *testing.B, path string) {
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	perHost := benchPending / benchHosts
	seeds := make([]store.Seed, 0, 50_000)
	// Host-major order with zero-padded numbers: every bucket is filled in key order.
	for h := range benchHosts {
		host := fmt.Sprintf("h%04d.test", h)
		for p := range perHost {
			seeds = append(seeds, store.Seed{URL: fmt.Sprintf("http://%s/section/%06d.html", host, p), Host: host})
			if len(seeds) == cap(seeds) {
				if _, err := db.AddSeeds(seeds); err != nil {
					b.Fatal(err)
				}
				seeds = seeds[:0]
			}
		}
	}
	if _, err := db.AddSeeds(seeds); err != nil {
		b.Fatal(err)
	}
}

// openCopy opens a copy of the fixture, so that each run starts from the same frontier.
func openCopy(b *testing.B, fixture string) *store.DB {
	path := filepath.Join(b.TempDir(), "crawl.db")
	copyFile(b, fixture, path)
	db, err := store.Open(path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return db
}

func copyFile(b *testing.B, from, to string) {
	src, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		b.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFrontier1M measures the frontier with 1,000,000 URLs pending over 1,000 hosts.
//
// out: one op is one URL handed out by the frontier's refill and hand-out path, its host
// released and its lease ended by a commit (batches of 512 results without links, which
// delete the entries), as in a crawl whose writer keeps up. Go heap in use and RSS are
// sampled while it runs: the frontier itself is on disk.
//
// in: one op is one new URL queued: batches of 512 results with 40 new links each,
// committed into the 1,000,000-URL database.
func BenchmarkFrontier1M(b *testing.B) {
	fixture := filepath.Join(b.TempDir(), "fixture.db")
	buildFrontierFixture(b, fixture)
	runtime.GC()

	b.Run("out", func(b *testing.B) {
		db := openCopy(b, fixture)
		defer db.Close()
		cfg := &Config{HostConcurrency: 2}
		cfg.setDefaults()
		f := newFrontier(db, cfg, newStats(), cfg.Log, 0)
		w := db.Writer(-1)
		batch := make([]crawl.Result, 0, cfg.BatchSize)
		commit := func() {
			cs, err := w.Commit(batch)
			if err != nil {
				b.Fatal(err)
			}
			note := commitNote{attempts: cs.Attempts, hostsWithNew: cs.HostsWithNew, requeued: cs.HostsRequeued}
			for _, r := range batch {
				note.released = append(note.released, r.ID)
			}
			f.noteCommit(note)
			batch = batch[:0]
		}
		runtime.GC()
		var heapPeak uint64
		b.ResetTimer()
		for i := range b.N {
			now := time.Now()
			h, _, err := f.peek(now)
			if err != nil {
				b.Fatal(err)
			}
			if h == nil {
				b.Fatalf("frontier drained after %d URLs: use a -benchtime of at most %dx", i, benchPending)
			}
			next, fromRetry := h.next(false, now) // as run does for each hand-out
			e := next.Entry
			f.handOut(h, fromRetry, now)
			f.release(hostFeedback{host: e.Host})
			batch = append(batch, crawl.Result{ID: e.ID, Host: e.Host, Page: crawl.Node{State: crawl.StateDone, Status: 200, FetchedAt: now}})
			if len(batch) == cap(batch) {
				commit()
			}
			if i%4096 == 0 {
				heapPeak = max(heapPeak, heapInUse())
			}
		}
		if len(batch) > 0 {
			commit()
		}
		b.StopTimer()
		heapPeak = max(heapPeak, heapInUse())
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "urls-out/s")
		b.ReportMetric(float64(heapPeak)/(1<<20), "heap-inuse-MiB")
		rss, anon := procRSS()
		b.ReportMetric(rss/(1<<20), "rss-MiB")
		b.ReportMetric(anon/(1<<20), "rss-anon-MiB")
	})

	b.Run("in", func(b *testing.B) {
		db := openCopy(b, fixture)
		defer db.Close()
		w := db.Writer(-1)
		const links = 40
		perHost := benchPending / benchHosts
		pages := (b.N + links - 1) / links
		if pages > benchPending {
			b.Fatalf("%d URLs need more than %d leased pages", b.N, benchPending)
		}
		batch := make([]crawl.Result, 0, 512)
		b.ResetTimer()
		added := 0
		for p := 0; p < pages; p++ {
			b.StopTimer() // building results is the pipeline's work, not the frontier's
			// Node ids follow the fixture's host-major order.
			host := fmt.Sprintf("h%04d.test", p/perHost)
			r := crawl.Result{ID: uint64(p + 1), Host: host, Page: crawl.Node{State: crawl.StateDone, Status: 200}}
			for k := range min(links, b.N-added) {
				u := "http://" + host + "/new/" + strconv.Itoa(p) + "/" + strconv.Itoa(k) + ".html"
				r.Links = append(r.Links, crawl.Link{URL: u, Host: host, Kind: crawl.KindLink, Count: 1, InScope: true, Follow: true})
				added++
			}
			batch = append(batch, r)
			b.StartTimer()
			if len(batch) == cap(batch) || p == pages-1 {
				if _, err := w.Commit(batch); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "urls-in/s")
	})
}

// heapInUse is runtime.MemStats.HeapInuse, read without stopping the world.
func heapInUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() + s[1].Value.Uint64()
}

// procRSS returns this process's resident set and its anonymous part, in bytes (Linux).
func procRSS() (rss, anon float64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		f := strings.Fields(rest)
		if !ok || len(f) != 2 {
			continue
		}
		n, _ := strconv.ParseFloat(f[0], 64)
		switch name {
		case "VmRSS":
			rss = n * 1024
		case "RssAnon":
			anon = n * 1024
		}
	}
	return rss, anon
}
