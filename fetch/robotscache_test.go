package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crawl-project/crawl/crawler/crawltest"
)

// robotsServer serves /robots.txt with the status and body answer returns for the n-th
// request of it (starting at 1); its log counts the requests.
func robotsServer(answer func(n int) (int, string)) *crawltest.Recorder {
	return crawltest.RecordFunc(func(w http.ResponseWriter, r *http.Request, a crawltest.Arrival) {
		if r.URL.Path != "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		status, body := answer(a.N)
		if status/100 == 3 {
			w.Header().Set("Location", body)
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	})
}

func TestRobotsCacheAnswers(t *testing.T) {
	const rules = "User-agent: *\nDisallow: /private\nCrawl-delay: 100\nSitemap: http://example.com/sitemap.xml\n"
	tests := []struct {
		name        string
		status      int
		body        string
		path        string
		allowed     bool
		unavailable bool
		delay       time.Duration
	}{
		{name: "allowed path", status: 200, body: rules, path: "/public", allowed: true, delay: 30 * time.Second},
		{name: "disallowed path", status: 200, body: rules, path: "/private/x", allowed: false, delay: 30 * time.Second},
		{name: "robots.txt itself", status: 503, path: "/robots.txt", allowed: true},
		{name: "404 allows all", status: 404, path: "/private/x", allowed: true},
		{name: "401 allows all", status: 401, path: "/private/x", allowed: true},
		{name: "500 is unavailable", status: 500, path: "/public", unavailable: true},
		{name: "503 is unavailable", status: 503, path: "/public", unavailable: true},
		{name: "429 is unavailable", status: 429, path: "/public", unavailable: true},
		{name: "redirect loop allows all", status: 302, body: "/robots.txt", path: "/private/x", allowed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := robotsServer(func(int) (int, string) { return tt.status, tt.body })
			srv := newServer(t, rs)
			c := NewRobotsCache(NewClient(Config{}), "crawl")
			v, err := c.Check(context.Background(), mustURL(t, srv.URL+tt.path))
			if tt.unavailable {
				if !errors.Is(err, ErrRobotsUnavailable) {
					t.Fatalf("Check = %+v, %v; want ErrRobotsUnavailable", v, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v.Allowed != tt.allowed || v.CrawlDelay != tt.delay {
				t.Errorf("Check = allowed %v, delay %v; want %v, %v", v.Allowed, v.CrawlDelay, tt.allowed, tt.delay)
			}
		})
	}
}

func TestRobotsCacheFetchesOncePerOrigin(t *testing.T) {
	rs := robotsServer(func(int) (int, string) { return 200, "User-agent: *\nDisallow: /no\n" })
	srv := newServer(t, rs)
	c := NewRobotsCache(NewClient(Config{}), "crawl")
	var wg sync.WaitGroup
	var fetched atomic.Int32
	for i := range 20 {
		wg.Go(func() {
			v, err := c.Check(context.Background(), mustURL(t, fmt.Sprintf("%s/p%d", srv.URL, i)))
			if err != nil || !v.Allowed {
				t.Errorf("Check: %+v, %v", v, err)
			}
			if v.Fetched != nil {
				fetched.Add(1)
				if v.Fetched.Origin != srv.URL || v.Fetched.Status != 200 || string(v.Fetched.Body) != "User-agent: *\nDisallow: /no\n" {
					t.Errorf("Fetched = %+v", v.Fetched)
				}
			}
		})
	}
	wg.Wait()
	if n := rs.Count("/robots.txt"); n != 1 {
		t.Errorf("robots.txt requested %d times, want 1", n)
	}
	if n := fetched.Load(); n != 1 {
		t.Errorf("%d callers were told they fetched robots.txt, want 1", n)
	}
}

func TestRobotsCacheRetriesAnUnavailableRobotsTxt(t *testing.T) {
	// Down twice, then up: each Check after a failure asks again; the answer is then cached.
	rs := robotsServer(func(n int) (int, string) {
		if n <= 2 {
			return 503, ""
		}
		return 200, "User-agent: crawl\nDisallow: /private\n"
	})
	srv := newServer(t, rs)
	c := NewRobotsCache(NewClient(Config{}), "crawl")
	u := mustURL(t, srv.URL+"/private/page")
	for i := 1; i <= 2; i++ {
		if _, err := c.Check(context.Background(), u); !errors.Is(err, ErrRobotsUnavailable) {
			t.Fatalf("check %d: %v, want ErrRobotsUnavailable", i, err)
		}
	}
	for i := 3; i <= 4; i++ {
		v, err := c.Check(context.Background(), u)
		if err != nil || v.Allowed {
			t.Fatalf("check %d: %+v, %v; want disallowed", i, v, err)
		}
		if (v.Fetched != nil) != (i == 3) {
			t.Errorf("check %d: Fetched %v", i, v.Fetched)
		}
	}
	if n := rs.Count("/robots.txt"); n != 3 {
		t.Errorf("robots.txt requested %d times, want 3", n)
	}
}

func TestRobotsCacheUnreachableHost(t *testing.T) {
	srv := newServer(t, http.NotFoundHandler())
	u := mustURL(t, srv.URL+"/page")
	srv.Close()
	_, err := NewRobotsCache(NewClient(Config{}), "crawl").Check(context.Background(), u)
	if !errors.Is(err, ErrRobotsUnavailable) {
		t.Fatalf("Check: %v, want ErrRobotsUnavailable", err)
	}
}

func TestRobotsCacheUsesStoredCopy(t *testing.T) {
	rs := robotsServer(func(int) (int, string) { return 200, "User-agent: *\nDisallow: /\n" })
	srv := newServer(t, rs)
	tests := []struct {
		name     string
		stored   bool
		age      time.Duration
		requests int
		allowed  bool
	}{
		{name: "fresh copy is used", stored: true, age: time.Hour, requests: 0, allowed: true},
		{name: "stale copy is fetched again", stored: true, age: 25 * time.Hour, requests: 1, allowed: false},
		{name: "no copy is fetched", stored: false, requests: 1, allowed: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs.Reset()
			c := NewRobotsCache(NewClient(Config{}), "crawl")
			var lookups atomic.Int32
			c.UseStored(func(origin string) (RobotsFile, bool) {
				lookups.Add(1)
				if origin != srv.URL {
					t.Errorf("stored copy of %q asked for, want %q", origin, srv.URL)
				}
				return RobotsFile{Origin: origin, Status: 200, Body: []byte("User-agent: *\nAllow: /\n"), FetchedAt: time.Now().Add(-tt.age)}, tt.stored
			})
			for i := range 2 {
				v, err := c.Check(context.Background(), mustURL(t, srv.URL+"/page"))
				if err != nil || v.Allowed != tt.allowed {
					t.Fatalf("check %d = %+v, %v; want allowed %v", i, v, err, tt.allowed)
				}
				// Only the call that loaded the rules says where they came from.
				fetched, stored := i == 0 && tt.requests == 1, i == 0 && tt.requests == 0
				if (v.Fetched != nil) != fetched || v.Stored != stored {
					t.Errorf("check %d: Fetched %v, Stored %v; want fetched %v, stored %v", i, v.Fetched, v.Stored, fetched, stored)
				}
			}
			if n := rs.Count("/robots.txt"); n != tt.requests {
				t.Errorf("robots.txt requested %d times, want %d", n, tt.requests)
			}
			if n := lookups.Load(); n != 1 {
				t.Errorf("stored copy looked up %d times, want 1", n)
			}
		})
	}
}

func TestRobotsCacheLoaderCancelled(t *testing.T) {
	// A caller waiting for another caller's fetch is not failed by that caller's cancellation.
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	var requests atomic.Int32
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 1 {
			started <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		fmt.Fprint(w, "User-agent: *\nAllow: /\n")
	}))
	defer close(release)
	c := NewRobotsCache(NewClient(Config{}), "crawl")
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := c.Check(ctx, mustURL(t, srv.URL+"/a"))
		first <- err
	}()
	<-started
	second := make(chan error, 1)
	go func() {
		v, err := c.Check(context.Background(), mustURL(t, srv.URL+"/b"))
		if err == nil && !v.Allowed {
			err = errors.New("disallowed")
		}
		second <- err
	}()
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: %v, want context.Canceled", err)
	}
	if err := <-second; err != nil {
		t.Errorf("waiting caller: %v, want an answer", err)
	}
}
