package main

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/crawl-project/crawl/crawler/crawltest"
)

// gatedSite serves a generated site and can hold page requests once a set number of them
// has started, so a test can look at a crawl at a known point without sleeping.
type gatedSite struct {
	site *crawltest.Site
	srv  *httptest.Server

	mu    sync.Mutex
	pages int // page requests started; robots.txt is not counted
	holds []*hold
}

// hold stops every page request after the first `after` until released.
type hold struct {
	after       int
	reached     chan struct{} // closed when request after+1 arrives
	release     chan struct{}
	reachOnce   sync.Once
	releaseOnce sync.Once
}

// Release lets the held requests, and all later ones, through.
func (h *hold) Release() { h.releaseOnce.Do(func() { close(h.release) }) }

func newGatedSite(t *testing.T, cfg crawltest.SiteConfig) *gatedSite {
	t.Helper()
	g := &gatedSite{site: crawltest.NewSite(cfg)}
	g.site.Log().OnRequest(func(r *http.Request, _ crawltest.Arrival) {
		if r.URL.Path == "/robots.txt" {
			return
		}
		g.mu.Lock()
		g.pages++
		n, holds := g.pages, g.holds
		g.mu.Unlock()
		for _, h := range holds {
			if n <= h.after {
				continue
			}
			h.reachOnce.Do(func() { close(h.reached) })
			select {
			case <-h.release:
			case <-r.Context().Done():
				return
			}
		}
	})
	g.srv = httptest.NewServer(g.site)
	t.Cleanup(func() {
		g.mu.Lock()
		for _, h := range g.holds {
			h.Release()
		}
		g.mu.Unlock()
		g.srv.Close()
	})
	return g
}

// holdAfter adds a hold at n page requests. Holds are added before the crawl starts, in
// increasing order of n.
func (g *gatedSite) holdAfter(n int) *hold {
	h := &hold{after: n, reached: make(chan struct{}), release: make(chan struct{})}
	g.mu.Lock()
	g.holds = append(g.holds, h)
	g.mu.Unlock()
	return h
}

// lines delivers the lines read from r until it ends, then closes the channel.
func lines(r io.Reader) <-chan string {
	ch := make(chan string, 64)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}
