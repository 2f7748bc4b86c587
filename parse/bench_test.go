package parse_test

import (
	"bytes"
	"io/fs"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/parse"
)

// benchPage is an HTML document and the URL it was served from.
type benchPage struct {
	url  *url.URL
	body []byte
}

// generatedPages renders pages of a crawltest site: 10-30 KB, 20-60 links each.
func generatedPages(b *testing.B, n int) []benchPage {
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
func demoPages(b *testing.B) []benchPage {
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
		{"demo-site", demoPages},
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
			gTime, gAllocs := measure(b, pages, goq)
			b.ResetTimer()
			xTime, xAllocs := measure(b, pages, ext)
			b.SetBytes(size / int64(len(pages)))
			b.ReportMetric(float64(b.N)/xTime.Seconds(), "pages/s")
			b.ReportMetric(float64(b.N)/gTime.Seconds(), "goquery-pages/s")
			b.ReportMetric(xAllocs, "allocs/page")
			b.ReportMetric(gAllocs, "goquery-allocs/page")
			b.ReportMetric(float64(xTime)/float64(gTime), "time-ratio")
			b.ReportMetric(xAllocs/gAllocs, "alloc-ratio")
		})
	}
}

// measure runs fn over b.N pages and returns the time taken and the allocations per page.
func measure(b *testing.B, pages []benchPage, fn func(benchPage) error) (time.Duration, float64) {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	start := time.Now()
	for i := range b.N {
		if err := fn(pages[i%len(pages)]); err != nil {
			b.Fatal(err)
		}
	}
	d := time.Since(start)
	runtime.ReadMemStats(&m1)
	return d, float64(m1.Mallocs-m0.Mallocs) / float64(b.N)
}

