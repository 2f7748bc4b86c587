package parse_test

import (
	"bytes"
	"io"
	"io/fs"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"

	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/parse"
)

// benchPage is an HTML document and the URL it was served from.
type benchPage struct {
	url  *url.URL
	body []byte
}

// generatedPages renders pages of a crawltest site: 10-30 KB, 20-60 links each.
func generatedPages(b testing.TB, n int) []benchPage {
	site := crawltest.NewSite(crawltest.SiteConfig{Seed: 1, Pages: n, Hosts: []string{"site.test", "other.test"},
		CrossHostFraction: 0.05, BrokenFraction: 0.01, ExternalFraction: 0.02})
	pages := make([]benchPage, 0, n)
	for i := range n {
		raw := site.URL("site.test", i, "http://site.test")
		rec := httptest.NewRecorder()
		site.ServeHTTP(rec, httptest.NewRequest("GET", raw, nil))
		u, err := url.Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		pages = append(pages, benchPage{url: u, body: rec.Body.Bytes()})
	}
	return pages
}

// demoPages reads the bundled demo site's HTML files.
func demoPages(b testing.TB) []benchPage {
	root := filepath.Join("..", "testdata", "demo-site")
	var pages []benchPage
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		u, _ := url.Parse("http://demo.test/" + filepath.ToSlash(rel))
		pages = append(pages, benchPage{url: u, body: body})
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return pages
}

// BenchmarkExtract measures the link extractor against goquery's own parse of the same
// bytes (what any goquery-based extractor must at least spend): pages/s and allocations per
// page of each, and the ratios extract/goquery.
func BenchmarkExtract(b *testing.B) {
	sets := []struct {
		name  string
		pages func(*testing.B) []benchPage
	}{
		{"generated", func(b *testing.B) []benchPage { return generatedPages(b, 200) }},
		{"demo-site", func(b *testing.B) []benchPage { return demoPages(b) }},
	}
	for _, set := range sets {
		b.Run(set.name, func(b *testing.B) {
			pages := set.pages(b)
			var size int64
			for _, p := range pages {
				size += int64(len(p.body))
			}
			x := parse.Extractor{MaxLinks: 6000}
			goq := func(p benchPage) error {
				_, err := goquery.NewDocumentFromReader(bytes.NewReader(p.body))
				return err
			}
			ext := func(p benchPage) error {
				_, err := x.Extract(p.body, "text/html; charset=utf-8", p.url)
				return err
			}
			g := measure(b, pages, goq)
			b.ResetTimer()
			xm := measure(b, pages, ext)
			b.SetBytes(size / int64(len(pages)))
			b.ReportMetric(float64(b.N)/xm.wall.Seconds(), "pages/s")
			b.ReportMetric(float64(b.N)/g.wall.Seconds(), "goquery-pages/s")
			// CPU time is steadier than wall time on a shared machine.
			b.ReportMetric(float64(xm.cpu.Microseconds())/float64(b.N), "cpu-µs/page")
			b.ReportMetric(float64(g.cpu.Microseconds())/float64(b.N), "goquery-cpu-µs/page")
			b.ReportMetric(xm.allocs, "allocs/page")
			b.ReportMetric(g.allocs, "goquery-allocs/page")
			b.ReportMetric(float64(xm.cpu)/float64(g.cpu), "cpu-ratio")
			b.ReportMetric(xm.allocs/g.allocs, "alloc-ratio")
		})
	}
}

type measured struct {
	wall, cpu time.Duration
	allocs    float64 // per page
}

// BenchmarkTokenize is a floor for any extractor built on golang.org/x/net/html: one pass of
// its tokenizer over the page, reading every tag's name and attributes, building no tree.
func BenchmarkTokenize(b *testing.B) {
	pages := generatedPages(b, 200)
	var size int64
	for _, p := range pages {
		size += int64(len(p.body))
	}
	tok := func(p benchPage) error {
		z := html.NewTokenizer(bytes.NewReader(p.body))
		for {
			switch z.Next() {
			case html.ErrorToken:
				if z.Err() == io.EOF {
					return nil
				}
				return z.Err()
			case html.StartTagToken, html.SelfClosingTagToken:
				if _, hasAttr := z.TagName(); hasAttr {
					for more := true; more; {
						_, _, more = z.TagAttr()
					}
				}
			}
		}
	}
	b.ResetTimer()
	m := measure(b, pages, tok)
	b.SetBytes(size / int64(len(pages)))
	b.ReportMetric(float64(b.N)/m.wall.Seconds(), "pages/s")
	b.ReportMetric(float64(m.cpu.Microseconds())/float64(b.N), "cpu-µs/page")
	b.ReportMetric(m.allocs, "allocs/page")
}

// measure runs fn over b.N pages and returns the time taken, the process's CPU time (GC
// included) and the allocations per page.
func measure(b *testing.B, pages []benchPage, fn func(benchPage) error) measured {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	cpu0 := processCPU()
	start := time.Now()
	for i := range b.N {
		if err := fn(pages[i%len(pages)]); err != nil {
			b.Fatal(err)
		}
	}
	wall := time.Since(start)
	cpu := processCPU() - cpu0
	runtime.ReadMemStats(&m1)
	return measured{wall: wall, cpu: cpu, allocs: float64(m1.Mallocs-m0.Mallocs) / float64(b.N)}
}

// processCPU is the user+system time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
