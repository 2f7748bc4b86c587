package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/fetch"
	"github.com/crawl-project/crawl/parse"
	"github.com/crawl-project/crawl/store"
)

// BenchmarkCrawlProgress crawls a generated site with the live status line off, at its real
// pace (4 redraws a second) and at 1000 redraws a second, to show that watching a crawl does
// not slow it: the reporter only reads atomic counters.
func BenchmarkCrawlProgress(b *testing.B) {
	const pages = 1000
	site := crawltest.NewSite(crawltest.SiteConfig{Pages: pages, Seed: 1})
	srv := httptest.NewServer(site)
	defer srv.Close()
	seed, _ := url.Parse(srv.URL + "/")
	scope, err := parse.NewScope(parse.ScopeHost, []*url.URL{seed}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []struct {
		name  string
		every time.Duration
	}{
		{"off", 0},
		{"redraw-250ms", redrawEvery},
		{"redraw-1ms", time.Millisecond},
	} {
		b.Run(mode.name, func(b *testing.B) {
			dir := b.TempDir()
			var fetched int64
			i := 0
			for b.Loop() {
				i++
				db, err := store.Open(filepath.Join(dir, fmt.Sprintf("c%d.db", i)), store.Options{NoSync: true})
				if err != nil {
					b.Fatal(err)
				}
				c, err := crawler.New(db, crawler.Config{
					Seeds: []string{seed.String()}, Scope: scope, MaxDepth: -1, Workers: 8, HostConcurrency: 8,
					Fetch: fetch.NewClient(fetch.Config{UserAgent: "crawl-bench"}),
				})
				if err != nil {
					b.Fatal(err)
				}
				stop := func() {}
				if mode.every > 0 {
					stop = startProgress(c.Stats(), &progress{term: &statusWriter{w: io.Discard, fd: -1}, every: mode.every})
				}
				if err := c.Run(context.Background()); err != nil {
					b.Fatal(err)
				}
				stop()
				fetched += c.Stats().Snapshot().Responses
				db.Close()
			}
			b.ReportMetric(float64(fetched)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}

// BenchmarkStatusRedraw measures one redraw of the status line: a Snapshot of the counters,
// the rate and the formatting. At 4 redraws a second its cost per second of crawl is four
// times this.
func BenchmarkStatusRedraw(b *testing.B) {
	c, err := crawler.New(nil, crawler.Config{Scope: &parse.Scope{}, Fetch: fetch.NewClient(fetch.Config{})})
	if err != nil {
		b.Fatal(err)
	}
	p := &progress{stats: c.Stats(), term: &statusWriter{w: io.Discard, fd: -1}, meter: rateMeter{window: rateWindow}}
	now := time.Now()
	for b.Loop() {
		now = now.Add(redrawEvery)
		p.report(now)
	}
}
