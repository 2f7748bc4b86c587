package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crawl-project/crawl/crawler/crawltest"
)

// faultSite is a generated site with every fault a crawler meets on the open web, served on
// 127.0.0.1 behind a recorder of what it answered: pages behind redirect chains (some into a
// path robots.txt disallows, some onto pages also linked directly), pages that always answer
// 500, pages that answer 429 with Retry-After once, slow pages, gzip-encoded pages and one
// page of 20 MB. Of the pages, 5% link a one-hop redirect, 5% a three-hop chain, 5% a
// redirect into /private/, 5% a page that answers 500, 5% a slow page and 1% a 429.
//
// Paths, for page number n in [0, pages):
//
//	/p/N.html           a page (gzip-encoded when N%3 == 0 and the client accepts it)
//	/r/K/N              a redirect chain of K hops ending at /p/N.html
//	/rp/N               one redirect to /private/N.html, which robots.txt disallows
//	/e/N                always 500
//	/t/N                429 with Retry-After: 1 on its first request, then a page
//	/s/N                a page, after 300 ms
//	/big.html           a page of 20 MB
type faultSite struct {
	pages int

	mu          sync.Mutex
	answered429 map[string]bool
}

func newFaultSite(pages int) *faultSite {
	return &faultSite{pages: pages, answered429: map[string]bool{}}
}

const faultBigPage = 20 << 20

// links are the hrefs of page n: ordinary pages, and one or two faulty URLs.
func (s *faultSite) links(n int) []string {
	var out []string
	for k := 1; k <= 8; k++ {
		out = append(out, fmt.Sprintf("/p/%d.html", (n*7+k*131)%s.pages))
	}
	m := (n*13 + 5) % s.pages
	switch {
	case n%20 == 0:
		out = append(out, fmt.Sprintf("/r/1/%d", m))
	case n%20 == 1:
		out = append(out, fmt.Sprintf("/r/3/%d", m))
	case n%20 == 2:
		out = append(out, fmt.Sprintf("/rp/%d", n))
	case n%20 == 3:
		out = append(out, fmt.Sprintf("/e/%d", n))
	case n%20 == 5:
		out = append(out, fmt.Sprintf("/s/%d", n))
	case n%100 == 4:
		out = append(out, fmt.Sprintf("/t/%d", n))
	}
	if n == 1 {
		out = append(out, "/big.html")
	}
	return out
}

func (s *faultSite) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.serve(w, r, r.URL.Path) }

// serve answers a request for path.
func (s *faultSite) serve(w http.ResponseWriter, r *http.Request, path string) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	num := func(i int) (int, bool) {
		if i >= len(parts) {
			return 0, false
		}
		v, err := strconv.Atoi(strings.TrimSuffix(parts[i], ".html"))
		return v, err == nil && v >= 0 && v < s.pages
	}
	switch {
	case path == "/robots.txt":
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "User-agent: *\nDisallow: /private/\n")
		return
	case path == "/":
		s.page(w, r, 0)
		return
	case path == "/big.html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(faultBigPage))
		chunk := bytes.Repeat([]byte("<p>filler text of a very long page</p>\n"), 1024)
		for sent := 0; sent < faultBigPage; sent += len(chunk) {
			if _, err := w.Write(chunk[:min(len(chunk), faultBigPage-sent)]); err != nil {
				break
			}
		}
		return
	}
	switch parts[0] {
	case "p":
		if n, ok := num(1); ok && len(parts) == 2 {
			s.page(w, r, n)
			return
		}
	case "r":
		hops, err := strconv.Atoi(parts[min(1, len(parts)-1)])
		if n, ok := num(2); ok && err == nil && hops >= 1 && hops <= 5 && len(parts) == 3 {
			next := fmt.Sprintf("/p/%d.html", n)
			if hops > 1 {
				next = fmt.Sprintf("/r/%d/%d", hops-1, n)
			}
			http.Redirect(w, r, next, http.StatusMovedPermanently)
			return
		}
	case "rp":
		if n, ok := num(1); ok && len(parts) == 2 {
			http.Redirect(w, r, fmt.Sprintf("/private/%d.html", n), http.StatusFound)
			return
		}
	case "private":
		if n, ok := num(1); ok && len(parts) == 2 {
			s.page(w, r, n)
			return
		}
	case "e":
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	case "t":
		s.mu.Lock()
		first := !s.answered429[path]
		s.answered429[path] = true
		s.mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		if n, ok := num(1); ok {
			s.page(w, r, n)
			return
		}
	case "s":
		t := time.NewTimer(300 * time.Millisecond)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
		if n, ok := num(1); ok {
			s.page(w, r, n)
			return
		}
	}
	http.NotFound(w, r)
}

func (s *faultSite) page(w http.ResponseWriter, r *http.Request, n int) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "<!doctype html><html><head><title>page %d</title></head><body><h1>page %d</h1>\n", n, n)
	for _, l := range s.links(n) {
		fmt.Fprintf(&b, "<p>Some text before <a href=%q>a link to %s</a> and after.</p>\n", l, l)
	}
	b.WriteString("</body></html>\n")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	body := b.Bytes()
	if n%3 == 0 && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(body)
		zw.Close()
		body = z.Bytes()
		w.Header().Set("Content-Encoding", "gzip")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
	return
}

// faultCounts is what the site saw of a crawl.
type faultCounts struct {
	requests    int // every request, robots.txt included
	disallowed  int // requests under /private/
	servedTwice int // paths answered 200 more than once
	extra200    int // 200 answers beyond the first, over all paths
}

// countFaults reads what the fault site answered from its recorder.
func countFaults(log *crawltest.Recorder) faultCounts {
	var c faultCounts
	ok := map[string]int{} // 200 answers by path
	for _, a := range log.Arrivals("") {
		c.requests++
		if strings.HasPrefix(a.Path(), "/private/") {
			c.disallowed++
		}
		if a.Status == http.StatusOK {
			ok[a.Path()]++
		}
	}
	for _, n := range ok {
		if n > 1 {
			c.servedTwice++
			c.extra200 += n - 1
		}
	}
	return c
}

// faults crawls a fault site with every fault on, politeness per host lifted as far as the
// flags allow (--host-rate 0, --host-concurrency 16) but robots.txt obeyed, and prints what
// the server saw: requests to disallowed URLs, pages served 200 more than once, the wall time
// and the crawl's peak RSS.
func faults(o *options, w io.Writer) error {
	log := crawltest.Record(newFaultSite(o.faultPages))
	srv, err := listen(log)
	if err != nil {
		return err
	}
	defer srv.close()
	fmt.Fprintf(w, "\n== faults: %d pages with redirect chains, 500s, 429s, slow, gzip and a 20 MB page; robots.txt disallows /private/\n",
		o.faultPages)
	flags := []string{"--workers", strconv.Itoa(o.workers), "--host-rate", "0", "--host-concurrency", "16"}
	flags = append(flags, o.extraFlags()...)
	cr, err := runCrawl(o.crawlBin, filepath.Join(o.dir, "faults"), []string{srv.base + "/"}, flags)
	if err != nil {
		return err
	}
	c := countFaults(log)
	fmt.Fprintf(w, "  requests %d in %.2fs; to disallowed URLs: %d; pages served 200 more than once: %d (%d extra answers)\n",
		c.requests, cr.wall.Seconds(), c.disallowed, c.servedTwice, c.extra200)
	fmt.Fprintf(w, "  crawl peak RSS %.1f MiB, Go heap peak %.1f MiB, CPU %.2fs\n",
		mib(float64(cr.maxRSS)), mib(float64(cr.stats.HeapInusePeak)), cr.childCPU.Seconds())
	o.fault = &faultResult{counts: c, secs: cr.wall.Seconds(), maxRSS: cr.maxRSS}
	return nil
}

type faultResult struct {
	counts faultCounts
	secs   float64
	maxRSS int64
}

// redirectCost crawls a generated site twice, once with its links as they are and once with
// every link to a page going through a redirect, and reports what a redirect costs: the time
// per request of the second crawl over the first's. Each hop is a URL of its own, committed
// and handed out again by the frontier, where a crawler that follows redirects within one
// fetch makes the same requests in one lease.
func redirectCost(o *options, w io.Writer) error {
	fmt.Fprintf(w, "\n== redirects: %d pages, plain and with every link to a page through a 301, --workers %d, --host-rate 0\n",
		o.redirectPages, o.workers)
	var perRequest [2]float64
	for i, fraction := range []float64{0, 1} {
		site := crawltest.NewSite(crawltest.SiteConfig{Seed: o.seed, Pages: o.redirectPages, RedirectFraction: fraction})
		srv, err := listen(site)
		if err != nil {
			return err
		}
		flags := append([]string{"--workers", strconv.Itoa(o.workers), "--host-concurrency", strconv.Itoa(o.workers),
			"--host-rate", "0", "--ignore-robots"}, o.extraFlags()...)
		cr, err := runCrawl(o.crawlBin, filepath.Join(o.dir, "redirects"), []string{srv.base + "/"}, flags)
		requests := site.Log().Total()
		srv.close()
		if err != nil {
			return err
		}
		perRequest[i] = cr.wall.Seconds() / float64(requests)
		fmt.Fprintf(w, "  %-22s %6d requests in %6.2fs: %7.0f requests/s, CPU %.0f µs/request, %d requests repeated\n",
			map[float64]string{0: "plain", 1: "through redirects"}[fraction], requests, cr.wall.Seconds(),
			float64(requests)/cr.wall.Seconds(), float64(cr.childCPU.Microseconds())/float64(requests), site.Log().Duplicates())
	}
	o.redirectRatio = perRequest[1] / perRequest[0]
	fmt.Fprintf(w, "  time per request through redirects / plain: %.2f\n", o.redirectRatio)
	return nil
}

// assetCost crawls a generated site whose pages load requisites twice, with --assets off and
// with them checked (the default), and reports the wall time of the second over the first's.
func assetCost(o *options, w io.Writer) error {
	fmt.Fprintf(w, "\n== page requisites: %d pages loading %d each (3 shared, the rest their own), --workers %d, --host-rate 0\n",
		o.assetPages, o.assets, o.workers)
	var wall [2]float64
	for i, mode := range []string{"off", "hosts"} {
		site := crawltest.NewSite(crawltest.SiteConfig{Seed: o.seed, Pages: o.assetPages, Assets: o.assets})
		srv, err := listen(site)
		if err != nil {
			return err
		}
		flags := append([]string{"--workers", strconv.Itoa(o.workers), "--host-concurrency", strconv.Itoa(o.workers),
			"--host-rate", "0", "--ignore-robots", "--assets", mode}, o.extraFlags()...)
		cr, err := runCrawl(o.crawlBin, filepath.Join(o.dir, "assets"), []string{srv.base + "/"}, flags)
		requests := site.Log().Total()
		srv.close()
		if err != nil {
			return err
		}
		wall[i] = cr.wall.Seconds()
		fmt.Fprintf(w, "  --assets %-6s %6d requests in %6.2fs: %7.0f pages/s, CPU %.0f µs/page, peak heap %.1f MiB\n",
			mode, requests, wall[i], float64(cr.stats.Fetched)/wall[i],
			float64(cr.childCPU.Microseconds())/float64(max(cr.stats.Fetched, 1)), mib(float64(cr.stats.HeapInusePeak)))
	}
	o.assetRatio = wall[1] / wall[0]
	fmt.Fprintf(w, "  crawl time with requisites checked / without: %.2f (target <= 1.3)\n", o.assetRatio)
	return nil
}
