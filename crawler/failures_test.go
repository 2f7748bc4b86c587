package crawler_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/crawler/crawltest"
)

// TestRetryAfterHoldsBackTheWholeHost: a 429 or 503 with Retry-After holds back every URL of
// the host, not only the one that got it, for as long as the server asked (up to the cap), and
// the URL is then fetched again.
func TestRetryAfterHoldsBackTheWholeHost(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter func() string
		maxBackoff time.Duration
		wait       time.Duration // the least the host must be left alone
	}{
		{"429 with seconds", http.StatusTooManyRequests, func() string { return "1" }, time.Minute, time.Second},
		{"503 with a date", http.StatusServiceUnavailable, func() string { return time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat) }, time.Minute, time.Second},
		{"capped", http.StatusTooManyRequests, func() string { return "3600" }, 300 * time.Millisecond, 300 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newHostile(t, []string{"site.test"}, aFailsFirst(func(w http.ResponseWriter) {
				w.Header().Set("Retry-After", tt.retryAfter())
				w.WriteHeader(tt.status)
			}))
			sum := s.runWithin(30*time.Second, s.config([]string{s.url("site.test", "/")}, fastFailures(2, 5), func(c *crawler.Config) {
				c.MaxBackoff = tt.maxBackoff
				c.HostConcurrency = 1 // nothing in flight can slip past the hold
			}))
			g := s.graph()
			if n := g.node(t, s.url("site.test", "/a")); n.State != crawl.StateDone || n.Status != 200 {
				t.Errorf("/a: %v %d, want done 200 after the retry", n.State, n.Status)
			}
			if c := s.count("site.test", "/a"); c != 2 {
				t.Errorf("/a requested %d times, want 2", c)
			}
			// The request that got the Retry-After, then the next request of the host, whatever URL.
			reqs, ts := s.requests("site.test"), s.times("site.test")
			for i, p := range reqs {
				if p == "/a" {
					if i+1 >= len(ts) {
						t.Fatal("no request after the Retry-After")
					}
					if gap := ts[i+1].Sub(ts[i]); gap < tt.wait-10*time.Millisecond {
						t.Errorf("next request of the host %v after the %d; Retry-After asked for %v", gap, tt.status, tt.wait)
					}
					break
				}
			}
			if sum.Retries != 1 || sum.RetryAfters != 1 || sum.Backoffs != 1 {
				t.Errorf("summary retries %d, retry-afters %d, backoffs %d; want 1, 1, 1", sum.Retries, sum.RetryAfters, sum.Backoffs)
			}
		})
	}
}

// TestFailuresAreRetried: no answer, a timeout or a 5xx is tried again, after a backoff, up to
// the retry budget; what the last try got is recorded.
func TestFailuresAreRetried(t *testing.T) {
	const backoff = 20 * time.Millisecond
	tests := []struct {
		name      string
		retries   int
		failFirst int // requests of /a that misbehave; -1 for all
		misbehave func(w http.ResponseWriter, r *http.Request)
		requests  int // of /a
		state     crawl.State
		status    int
		errorHas  string
		// closeConns: no keep-alive, so that the transport's own replay of a request on a
		// reused connection that was closed does not add requests to the count.
		closeConns bool
	}{
		{name: "500 then success", retries: 2, failFirst: 2, misbehave: status(500), requests: 3, state: crawl.StateDone, status: 200},
		{name: "502 always", retries: 2, failFirst: -1, misbehave: status(502), requests: 3, state: crawl.StateDone, status: 502},
		{name: "no retries", retries: 0, failFirst: -1, misbehave: status(503), requests: 1, state: crawl.StateDone, status: 503},
		{name: "connection dropped", retries: 1, failFirst: -1, misbehave: hangUp, requests: 2, state: crawl.StateFailed, errorHas: "EOF", closeConns: true},
		{name: "timeout then success", retries: 1, failFirst: 1, misbehave: stall, requests: 2, state: crawl.StateDone, status: 200},
		{name: "404 is an answer", retries: 2, failFirst: -1, misbehave: status(404), requests: 1, state: crawl.StateDone, status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newHostile(t, []string{"site.test"}, func(w http.ResponseWriter, r *http.Request, n int) {
				if tt.closeConns {
					w.Header().Set("Connection", "close")
				}
				switch {
				case r.URL.Path == "/robots.txt":
					http.NotFound(w, r)
				case r.URL.Path == "/":
					crawltest.WritePage(w, "home", "/a")
				case r.URL.Path == "/a" && (tt.failFirst < 0 || n <= tt.failFirst):
					tt.misbehave(w, r)
				default:
					crawltest.WritePage(w, r.URL.Path)
				}
			})
			sum := s.runWithin(30*time.Second, s.config([]string{s.url("site.test", "/")}, fastFailures(tt.retries, 0), func(c *crawler.Config) {
				c.Fetch = newClient(s.resolve, 200*time.Millisecond)
			}))
			n := s.graph().node(t, s.url("site.test", "/a"))
			if n.State != tt.state || n.Status != tt.status || !strings.Contains(n.Error, tt.errorHas) {
				t.Errorf("/a recorded %v %d %q; want %v %d, error with %q", n.State, n.Status, n.Error, tt.state, tt.status, tt.errorHas)
			}
			if c := s.count("site.test", "/a"); c != tt.requests {
				t.Errorf("/a requested %d times, want %d", c, tt.requests)
			}
			if want := int64(tt.requests - 1); sum.Retries != want {
				t.Errorf("summary: %d retries, want %d", sum.Retries, want)
			}
			// Each retry waits at least half the nominal backoff (base, then doubled).
			ts := s.times("site.test", "/a")
			for i := 1; i < len(ts); i++ {
				least := backoff << (i - 1) / 2
				if gap := ts[i].Sub(ts[i-1]); gap < least {
					t.Errorf("try %d came %v after the previous one; backoff is at least %v", i+1, gap, least)
				}
			}
		})
	}
}

func status(code int) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) }
}

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter, r *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

// stall sends nothing until the client gives up.
func stall(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// TestFailingHostIsParked: a host that fails again and again is given up: after a few
// consecutive failures nothing more is requested from it, and its remaining URLs, those
// queued on disk included, are recorded as skipped. Other hosts are crawled as usual. A host
// that does not answer is given up after --max-host-errors URLs; one that answers, but with
// 5xx on every page, after four times as many.
func TestFailingHostIsParked(t *testing.T) {
	const links = 80 // more than the frontier holds in memory per host
	var hrefs []string
	for i := range links {
		hrefs = append(hrefs, "/p"+strconv.Itoa(i))
	}
	for _, tt := range []struct {
		name      string
		misbehave func(w http.ResponseWriter, r *http.Request)
		tried     int // URLs tried before the park
	}{
		{"no answer", hangUp, 3},
		{"502 everywhere", status(http.StatusBadGateway), 12},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newHostile(t, []string{"bad.test", "good.test"}, func(w http.ResponseWriter, r *http.Request, n int) {
				host := strings.Split(r.Host, ":")[0]
				if host == "bad.test" {
					// No keep-alive: the transport replays a request on a reused connection
					// that was closed, which would add requests to the count.
					w.Header().Set("Connection", "close")
				}
				switch {
				case r.URL.Path == "/robots.txt":
					http.NotFound(w, r)
				case r.URL.Path == "/":
					crawltest.WritePage(w, "home", hrefs...)
				case host == "bad.test":
					tt.misbehave(w, r)
				default:
					crawltest.WritePage(w, r.URL.Path)
				}
			})
			seeds := []string{s.url("bad.test", "/"), s.url("good.test", "/")}
			sum := s.runWithin(30*time.Second, s.config(seeds, fastFailures(1, 3), func(c *crawler.Config) { c.HostConcurrency = 1 }))

			// robots.txt, /, then failures in a row, each of a different URL (a fresh URL goes
			// before a retry after a failure): the last parks the host.
			want := []string{"/robots.txt", "/"}
			for i := range tt.tried {
				want = append(want, "/p"+strconv.Itoa(i))
			}
			if reqs := s.requests("bad.test"); strings.Join(reqs, " ") != strings.Join(want, " ") {
				t.Errorf("bad.test got requests %v, want %v", reqs, want)
			}
			g := s.graph()
			var skipped int
			for i := range links {
				n := g.node(t, s.url("bad.test", "/p"+strconv.Itoa(i)))
				switch {
				case n.State == crawl.StateSkipped && n.Error == crawl.ReasonHostUnreachable:
					skipped++ // the tried ones too: their retries were pending at the park
				default:
					t.Errorf("/p%d: %v %d %q", i, n.State, n.Status, n.Error)
				}
				if gn := g.node(t, s.url("good.test", "/p"+strconv.Itoa(i))); gn.State != crawl.StateDone || gn.Status != 200 {
					t.Errorf("good.test/p%d: %v %d", i, gn.State, gn.Status)
				}
			}
			if skipped != links {
				t.Errorf("%d skipped, want %d", skipped, links)
			}
			if sum.HostsParked != 1 || sum.HostUnreachableSkipped != int64(skipped) {
				t.Errorf("summary: %d hosts parked, %d skipped; want 1 and %d", sum.HostsParked, sum.HostUnreachableSkipped, skipped)
			}
			if sum.InFlight != 0 {
				t.Errorf("%d leases abandoned", sum.InFlight)
			}
		})
	}
}

// TestWaitingRetryStaysPending: a URL waiting for its retry when the crawl stops, gracefully
// or not, is still pending in the database, and the next run fetches it.
func TestWaitingRetryStaysPending(t *testing.T) {
	for _, graceful := range []bool{true, false} {
		t.Run(map[bool]string{true: "stop", false: "cancel"}[graceful], func(t *testing.T) {
			healthy := make(chan struct{})
			gotBusy := make(chan struct{}, 1)
			s := newHostile(t, []string{"site.test"}, func(w http.ResponseWriter, r *http.Request, n int) {
				switch r.URL.Path {
				case "/robots.txt":
					http.NotFound(w, r)
				case "/":
					crawltest.WritePage(w, "home", "/a")
				case "/a":
					select {
					case <-healthy:
						crawltest.WritePage(w, "a")
					default:
						w.Header().Set("Retry-After", "3600")
						w.WriteHeader(http.StatusServiceUnavailable)
						gotBusy <- struct{}{}
					}
				}
			})
			cfg := s.config([]string{s.url("site.test", "/")}, fastFailures(2, 0), func(c *crawler.Config) { c.MaxBackoff = time.Hour })
			c, db := s.newCrawler(cfg)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- c.Run(ctx) }()
			<-gotBusy // /a answered 503: its retry now waits an hour
			if graceful {
				c.Stop()
			} else {
				cancel()
			}
			err := <-done
			db.Close()
			if graceful && err != nil {
				t.Fatalf("stopped crawl: %v", err)
			}
			if n := s.graph().node(t, s.url("site.test", "/a")); n.State != crawl.StatePending {
				t.Fatalf("/a is %v after the stop, want pending", n.State)
			}
			close(healthy)
			s.runWithin(30*time.Second, s.config([]string{s.url("site.test", "/")}, fastFailures(2, 0)))
			if n := s.graph().node(t, s.url("site.test", "/a")); n.State != crawl.StateDone || n.Status != 200 {
				t.Errorf("/a after the next run: %v %d, want done 200", n.State, n.Status)
			}
		})
	}
}

// TestBadURLsDoNotParkAHealthyHost: a host that answers most URLs is not given up because a
// few URLs fail every try: after a failure a fresh URL goes before the retry, and its answer
// ends the failure streak.
func TestBadURLsDoNotParkAHealthyHost(t *testing.T) {
	var hrefs []string
	for i := range 6 {
		hrefs = append(hrefs, "/good"+strconv.Itoa(i), "/bad"+strconv.Itoa(i))
	}
	s := newHostile(t, []string{"site.test"}, func(w http.ResponseWriter, r *http.Request, n int) {
		switch {
		case r.URL.Path == "/robots.txt":
			http.NotFound(w, r)
		case r.URL.Path == "/":
			crawltest.WritePage(w, "home", hrefs...)
		case strings.HasPrefix(r.URL.Path, "/bad"):
			w.WriteHeader(http.StatusInternalServerError)
		default:
			crawltest.WritePage(w, r.URL.Path)
		}
	})
	// Three failures in a row would park the host; each bad URL alone fails three times.
	sum := s.runWithin(30*time.Second, s.config([]string{s.url("site.test", "/")}, fastFailures(2, 3), func(c *crawler.Config) {
		c.HostConcurrency, c.MaxBackoff = 1, 100*time.Millisecond
	}))
	if sum.HostsParked != 0 {
		t.Fatalf("a host answering most URLs was parked; requests %v", s.requests("site.test"))
	}
	g := s.graph()
	for i := range 6 {
		bad := "/bad" + strconv.Itoa(i)
		if n := g.node(t, s.url("site.test", bad)); n.State != crawl.StateDone || n.Status != 500 || s.count("site.test", bad) != 3 {
			t.Errorf("%s: %v %d after %d requests; want the 500 recorded after 3", bad, n.State, n.Status, s.count("site.test", bad))
		}
		if n := g.node(t, s.url("site.test", "/good"+strconv.Itoa(i))); n.State != crawl.StateDone || n.Status != 200 {
			t.Errorf("/good%d: %v %d", i, n.State, n.Status)
		}
	}
	if sum.Retries != 12 {
		t.Errorf("summary: %d retries, want 12", sum.Retries)
	}
}

// TestRetryWithinThePageBudget: a URL waiting for its retry holds a place in --max-pages; when
// the budget is otherwise spent, the retry still goes ahead and the crawl ends.
func TestRetryWithinThePageBudget(t *testing.T) {
	s := newHostile(t, []string{"site.test"}, aFailsFirst(func(w http.ResponseWriter) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	sum := s.runWithin(30*time.Second, s.config([]string{s.url("site.test", "/")}, fastFailures(2, 0), func(c *crawler.Config) {
		c.MaxPages = 3
	}))
	g := s.graph()
	if n := g.node(t, s.url("site.test", "/a")); n.State != crawl.StateDone || n.Status != 200 {
		t.Errorf("/a: %v %d, want done 200 after its retry", n.State, n.Status)
	}
	if done := len(g.inState(crawl.StateDone)); done != 3 || sum.Retries != 1 {
		t.Errorf("%d pages done, %d retries; want 3 (the budget) and 1", done, sum.Retries)
	}
}

// aFailsFirst is a site of four pages, "/" linking /a, /b and /c, without robots.txt, whose
// /a answers its first request with fail.
func aFailsFirst(fail func(w http.ResponseWriter)) answer {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		switch {
		case r.URL.Path == "/robots.txt":
			http.NotFound(w, r)
		case r.URL.Path == "/":
			crawltest.WritePage(w, "home", "/a", "/b", "/c")
		case r.URL.Path == "/a" && n == 1:
			fail(w)
		default:
			crawltest.WritePage(w, r.URL.Path)
		}
	}
}
