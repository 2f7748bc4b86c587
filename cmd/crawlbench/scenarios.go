package main

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/crawl-project/crawl/crawler/crawltest"
)

// throughput runs the ceiling and the crawl on one generated site, -repeat times, with the
// server adding latency to every response.
func throughput(o *options, w io.Writer, latency time.Duration) error {
	site := crawltest.NewSite(crawltest.SiteConfig{
		Seed: o.seed, Pages: o.pages, Hosts: []string{"site.test", "other.test"},
		CrossHostFraction: 0.05, BrokenFraction: 0.01, ExternalFraction: 0.02, Latency: latency,
	})
	srv, err := listen(site)
	if err != nil {
		return err
	}
	defer srv.close()
	base := "http://site.test:" + srv.port
	root := base + "/"
	reach := site.ReachableWith([]string{root}, crawltest.ReachOptions{MaxDepth: -1, SameHostOnly: true, HonorNofollow: true})
	urls := make([]string, 0, len(reach.Pages)+len(reach.Broken))
	for u := range reach.Pages {
		urls = append(urls, u)
	}
	for u := range reach.Broken {
		urls = append(urls, u)
	}
	if o.prerender {
		// The server's share of the two CPUs is then small, and the same for the ceiling
		// and the crawl.
		site.Prerender(urls)
	}
	fmt.Fprintf(w, "\n== throughput: %d pages reachable + %d broken (404) URLs, seed %d, --workers %d, --host-rate 0, server latency %s\n\n",
		len(reach.Pages), len(reach.Broken), o.seed, o.workers, latency)

	addr := "127.0.0.1:" + srv.port
	flags := []string{
		"--workers", strconv.Itoa(o.workers), "--host-concurrency", strconv.Itoa(o.workers),
		"--host-rate", "0", "--ignore-robots",
		"--resolve", "site.test:" + srv.port + ":127.0.0.1", "--resolve", "other.test:" + srv.port + ":127.0.0.1",
	}
	flags = append(flags, o.extraFlags()...)
	var ratios []float64
	var last *crawlRun
	var lastCeil ceilingResult
	for rep := range o.repeat {
		var c ceilingResult
		var cr *crawlRun
		measureCeiling := func() {
			site.Log().Reset()
			c = getLoop(urls, o.workers, addr, o.ceilingTime)
		}
		measureCrawl := func() error {
			site.Log().Reset()
			f := flags
			if rep == 0 && latency == 0 && o.cpuProfile != "" {
				f = append(append([]string(nil), flags...), "--cpuprofile", o.cpuProfile)
			}
			var err error
			cr, err = runCrawl(o.crawlBin, filepath.Join(o.dir, "throughput"), []string{root}, f)
			if err != nil {
				return err
			}
			if dups, distinct := site.Log().Duplicates(), site.Log().Distinct(); dups != 0 || distinct != len(urls) {
				return fmt.Errorf("the crawl requested %d distinct URLs with %d repeats; want %d and 0", distinct, dups, len(urls))
			}
			return nil
		}
		// Alternate the order, so that drift in the machine's load favours neither.
		if rep%2 == 0 {
			measureCeiling()
			if err := measureCrawl(); err != nil {
				return err
			}
		} else {
			if err := measureCrawl(); err != nil {
				return err
			}
			measureCeiling()
		}
		if c.errors > 0 {
			return fmt.Errorf("the GET loop had %d errors", c.errors)
		}
		ceilRate := float64(c.requests) / c.wall.Seconds()
		crawlRate := float64(cr.stats.Fetched+cr.stats.Failed) / cr.wall.Seconds()
		ratios = append(ratios, crawlRate/ceilRate)
		fmt.Fprintf(w, "run %d: ceiling %7.0f req/s, crawl %7.0f pages/s: %5.1f%% of the ceiling (load average %s)\n",
			rep+1, ceilRate, crawlRate, 100*crawlRate/ceilRate, loadAverage())
		last, lastCeil = cr, c
	}
	printThroughput(w, last, lastCeil, median(ratios), len(ratios))
	o.results = append(o.results, result{latency: latency, ratio: median(ratios), crawl: last, ceiling: lastCeil})
	return nil
}

func printThroughput(w io.Writer, cr *crawlRun, c ceilingResult, ratio float64, n int) {
	s := cr.stats
	pages := float64(s.Fetched + s.Failed)
	secs := cr.wall.Seconds()
	fmt.Fprintf(w, "\nlast run                     %12s %12s\n", "GET loop", "crawl")
	fmt.Fprintf(w, "  requests                   %12d %12.0f\n", c.requests, pages)
	fmt.Fprintf(w, "  wall time                  %11.2fs %11.2fs\n", c.wall.Seconds(), secs)
	fmt.Fprintf(w, "  pages/s                    %12.0f %12.0f\n", float64(c.requests)/c.wall.Seconds(), pages/secs)
	fmt.Fprintf(w, "  MB/s (body)                %12.1f %12.1f\n", float64(c.bytes)/1e6/c.wall.Seconds(), float64(s.Bytes)/1e6/secs)
	fmt.Fprintf(w, "  links/s (edges stored)     %12s %12.0f\n", "-", float64(s.Links)/secs)
	fmt.Fprintf(w, "  CPU/page, crawl process    %12s %10.0fµs  (%.2f of %d CPUs busy)\n", "", cpuPerPage(cr.childCPU, pages),
		cr.childCPU.Seconds()/secs, runtime.NumCPU())
	fmt.Fprintf(w, "  CPU/page, bench process    %10.0fµs %10.0fµs  (server, and the GET loop itself)\n",
		cpuPerPage(c.cpu, float64(c.requests)), cpuPerPage(cr.serverCPU, pages))
	fmt.Fprintf(w, "  crawl peak RSS             %12s %10.1fMiB  (at the end: %.1f MiB anonymous, %.1f MiB mapped files)\n",
		"", mib(float64(cr.maxRSS)), mib(float64(s.RssAnon)), mib(float64(s.RssFile)))
	fmt.Fprintf(w, "  crawl Go heap in use, peak %12s %10.1fMiB\n", "", mib(float64(s.HeapInusePeak)))
	fmt.Fprintf(w, "  write transactions         %12s %12d (%.0f results each)\n", "", s.Commits, float64(s.Committed)/max(1, float64(s.Commits)))
	fmt.Fprintf(w, "\n  crawl / ceiling: %.1f%% (median of %d runs; target >= 70%%)\n", 100*ratio, n)

	fmt.Fprintf(w, "\nstages of the last crawl (%% of the stage's goroutine time over %.2fs of crawl)\n", s.ElapsedSeconds)
	fmt.Fprintf(w, "  %-9s %6s %9s %7s %8s %7s %22s\n", "stage", "width", "items", "busy", "blocked", "idle", "input queue avg/peak/cap")
	for _, st := range s.Stages {
		total := s.ElapsedSeconds * float64(st.Width)
		busy, blocked := 100*st.BusySeconds/total, 100*st.BlockedSeconds/total
		fmt.Fprintf(w, "  %-9s %6d %9d %6.1f%% %7.1f%% %6.1f%% %12.1f/%d/%d\n", st.Name, st.Width, st.Items,
			busy, blocked, max(0, 100-busy-blocked), st.QueueAvg, st.QueuePeak, st.QueueCap)
	}
}

func cpuPerPage(cpu time.Duration, pages float64) float64 {
	if pages == 0 {
		return 0
	}
	return float64(cpu.Microseconds()) / pages
}

// politeness crawls many hosts at one request per second each.
func politeness(o *options, w io.Writer) error {
	hosts := make([]string, o.hosts)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("h%03d.test", i)
	}
	site := crawltest.NewSite(crawltest.SiteConfig{
		Seed: o.seed, Pages: o.hostPages, Hosts: hosts,
		// No broken links: every host then has the same number of pages to fetch, and the
		// crawl cannot end before the last of them has had its one request per second.
		CrossHostFraction: 0.05, ExternalFraction: 0.02,
	})
	// The throughput scenario's rendered pages are garbage by now: collect them before the
	// measurement rather than during it, where the collector would delay the server.
	runtime.GC()
	srv, err := listen(site)
	if err != nil {
		return err
	}
	defer srv.close()
	base := "http://h000.test:" + srv.port
	roots := site.Roots(base)
	reach := site.ReachableWith(roots, crawltest.ReachOptions{MaxDepth: -1, SameHostOnly: true, HonorNofollow: true})
	want := len(reach.Pages) + len(reach.Broken)
	perHost := float64(want) / float64(len(hosts))
	fmt.Fprintf(w, "\n== politeness: %d hosts on 127.0.0.1 via --resolve, %d pages + %d broken URLs (%.1f requests per host), --host-rate 1, --workers %d\n",
		len(hosts), len(reach.Pages), len(reach.Broken), perHost, o.workers)
	flags := []string{"--workers", strconv.Itoa(o.workers), "--host-rate", "1", "--ignore-robots"}
	for _, h := range hosts {
		flags = append(flags, "--resolve", h+":"+srv.port+":127.0.0.1")
	}
	flags = append(flags, o.extraFlags()...)
	site.Log().Reset()
	cr, err := runCrawl(o.crawlBin, filepath.Join(o.dir, "politeness"), roots, flags)
	if err != nil {
		return err
	}
	got := site.Log().Total()
	if dups := site.Log().Duplicates(); dups != 0 || got != want {
		return fmt.Errorf("the crawl made %d requests with %d repeats; want %d and 0", got, dups, want)
	}
	secs := cr.wall.Seconds()
	allowed := float64(len(hosts))
	// The politeness limit: every host's requests one second apart, the first at once.
	rates := measureRates(site.Log(), hosts, time.Second)
	best := float64(want) / float64(rates.busiest-1)
	ratio := float64(got) / secs / allowed
	fmt.Fprintf(w, "  requests %d in %.2fs: %.0f pages/s = %.1f%% of the %.0f pages/s politeness allows (target >= 90%%)\n",
		got, secs, float64(got)/secs, 100*ratio, allowed)
	fmt.Fprintf(w, "  (the busiest host has %d pages: %d s at 1/s, so at best %.0f pages/s for this site)\n",
		rates.busiest, rates.busiest-1, best)
	fmt.Fprintf(w, "  per host, server side: shortest gap %s; gaps under 1 s: %d of %d; under 990 ms: %d, of which %d are\n",
		rates.minGap.Round(time.Microsecond), rates.short, rates.gaps, rates.shortBy10ms, rates.unexplained)
	fmt.Fprintf(w, "  neither a host's first gap nor right after a gap as much longer (the request between handled late)\n")
	fmt.Fprintf(w, "  most requests to one host in any 1 s: %d, in any 10 s: %d\n", rates.maxIn1s, rates.maxIn10s)
	fmt.Fprintf(w, "  crawl CPU %.2fs, peak RSS %.1fMiB, Go heap peak %.1fMiB\n",
		cr.childCPU.Seconds(), mib(float64(cr.maxRSS)), mib(float64(cr.stats.HeapInusePeak)))
	o.polite = &politeResult{hosts: len(hosts), requests: got, secs: secs, ratio: ratio, rates: rates}
	return nil
}
