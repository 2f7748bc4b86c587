package crawltest

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// clientFor returns a client that connects to srv whatever the URL's host,
// as a crawler run with --resolve would.
func clientFor(srv *httptest.Server) *http.Client {
	addr := srv.Listener.Addr().String()
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 32,
	}}
}

func fetch(t *testing.T, c *http.Client, u string) int {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Error(err)
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func TestRequestLogSingleHost(t *testing.T) {
	s := NewSite(SiteConfig{Seed: 1, Pages: 30, Latency: 50 * time.Millisecond})
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := clientFor(srv)

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { fetch(t, c, srv.URL+"/p6.html") })
	}
	wg.Wait()
	for _, p := range []string{"/", "/docs/s1/p1.html", "/nope.html"} {
		fetch(t, c, srv.URL+p)
	}
	l := s.Log()
	if n := l.Count(srv.URL + "/p6.html"); n != 8 {
		t.Errorf("Count(URL) = %d, want 8", n)
	}
	if n := l.Count("site.test/p6.html"); n != 8 {
		t.Errorf("Count(key) = %d, want 8", n)
	}
	if n := l.Count("/p6.html"); n != 8 {
		t.Errorf("Count(path) = %d, want 8", n)
	}
	if n := l.Count(srv.URL + "/"); n != 1 {
		t.Errorf("Count(root) = %d, want 1", n)
	}
	if l.Total() != 11 || l.Distinct() != 4 || l.Duplicates() != 7 || l.NotFound() != 1 {
		t.Errorf("Total %d Distinct %d Duplicates %d NotFound %d", l.Total(), l.Distinct(), l.Duplicates(), l.NotFound())
	}
	if keys := l.DuplicateKeys(); !slices.Equal(keys, []string{"site.test/p6.html"}) {
		t.Errorf("DuplicateKeys = %v", keys)
	}
	if p := l.PeakConcurrent(""); p < 2 || p > 8 {
		t.Errorf("PeakConcurrent = %d", p)
	}
	if p := l.PeakConcurrent(srv.Listener.Addr().String()); p != l.PeakConcurrent("") {
		t.Errorf("PeakConcurrent by host = %d", p)
	}
	ts := l.Times("site.test")
	if len(ts) != 11 || !slices.IsSortedFunc(ts, func(a, b time.Time) int { return a.Compare(b) }) {
		t.Errorf("Times: %d, sorted %v", len(ts), ts)
	}
	if l.HostCount("127.0.0.1") != 11 {
		t.Errorf("HostCount = %d", l.HostCount("127.0.0.1"))
	}
	l.Reset()
	if l.Total() != 0 || l.Count("/p6.html") != 0 || l.PeakConcurrent("") != 0 || len(l.Times("")) != 0 {
		t.Error("Reset left data")
	}
}

func TestRequestLogMultiHost(t *testing.T) {
	hosts := []string{"h1.test", "h2.test"}
	s := NewSite(SiteConfig{Seed: 2, Pages: 20, Hosts: hosts, Latency: 40 * time.Millisecond, CrossHostFraction: 0.2})
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := clientFor(srv)
	roots := s.Roots(srv.URL)
	if !strings.HasPrefix(roots[1], "http://h2.test:") {
		t.Fatalf("roots %v", roots)
	}

	// Fetch every page of both hosts: four at a time on h1, one at a time on h2.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for page := range 20 {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if code := fetch(t, c, s.URL("h1.test", page, srv.URL)); code != 200 {
				t.Errorf("h1 page %d: %d", page, code)
			}
		})
	}
	wg.Go(func() {
		for page := range 20 {
			if code := fetch(t, c, s.URL("h2.test", page, srv.URL)); code != 200 {
				t.Errorf("h2 page %d: %d", page, code)
			}
		}
	})
	wg.Wait()
	if code := fetch(t, c, "http://unknown.test"+srv.URL[len("http://127.0.0.1"):]+"/"); code != 404 {
		t.Errorf("unknown host: %d", code)
	}

	l := s.Log()
	if l.Total() != 41 || l.Duplicates() != 0 || l.NotFound() != 1 {
		t.Errorf("Total %d Duplicates %d NotFound %d", l.Total(), l.Duplicates(), l.NotFound())
	}
	if l.HostCount("h1.test") != 20 || l.HostCount("h2.test:1234") != 20 || l.HostCount("unknown.test") != 1 {
		t.Errorf("host counts %d %d %d", l.HostCount("h1.test"), l.HostCount("h2.test"), l.HostCount("unknown.test"))
	}
	for page := range 20 {
		if n := l.Count(s.URL("h2.test", page, srv.URL)); n != 1 {
			t.Errorf("h2 page %d fetched %d times", page, n)
		}
	}
	if p := l.PeakConcurrent("h1.test"); p < 2 || p > 4 {
		t.Errorf("h1 peak %d, want 2..4", p)
	}
	if p := l.PeakConcurrent("h2.test"); p != 1 {
		t.Errorf("h2 peak %d, want 1", p)
	}
	if p := l.PeakConcurrent(""); p < 3 || p > 5 {
		t.Errorf("overall peak %d, want 3..5", p)
	}
	ts := l.Times("h2.test")
	if len(ts) != 20 {
		t.Fatalf("h2 times: %d", len(ts))
	}
	for k := 1; k < len(ts); k++ {
		if gap := ts[k].Sub(ts[k-1]); gap < 40*time.Millisecond {
			t.Errorf("h2 requests %d and %d only %v apart despite latency", k-1, k, gap)
		}
	}
}

func TestLatencyCancelled(t *testing.T) {
	s := NewSite(SiteConfig{Pages: 3, Latency: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest(http.MethodGet, "http://site.test/", nil).WithContext(ctx)
	done := make(chan struct{})
	go func() {
		s.ServeHTTP(httptest.NewRecorder(), req)
		close(done)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("handler ignored cancellation")
	}
}
