package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/crawl-project/crawl/crawler/crawltest"
)

// server serves a generated site on 127.0.0.1 and counts the requests to each target.
type server struct {
	srv   *http.Server
	ln    net.Listener
	base  string // "http://127.0.0.1:PORT"
	port  string
	site  *crawltest.Site
	cache map[string]*cachedResponse // "host/path?query" -> response; nil renders every request
	// latency delays every response, to emulate a network; set before the server is used.
	latency time.Duration

	mu   sync.Mutex
	seen map[string]int // requests by "host/path?query", for duplicates
}

// cachedResponse is a page rendered ahead of the run.
type cachedResponse struct {
	status int
	ctype  string
	body   []byte
}

// startServer listens on a free loopback port.
func startServer(site *crawltest.Site) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{ln: ln, site: site, seen: map[string]int{}}
	s.base = "http://" + ln.Addr().String()
	_, s.port, _ = net.SplitHostPort(ln.Addr().String())
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

func (s *server) close() { s.srv.Close() }

// prerender renders every URL ahead of the run and serves those from memory from then on,
// so that the server's share of the two CPUs is small and the same for the ceiling and the
// crawl.
func (s *server) prerender(urls []string) {
	cache := make(map[string]*cachedResponse, len(urls))
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil {
			continue
		}
		req := httptest.NewRequest(http.MethodGet, raw, nil)
		rec := httptest.NewRecorder()
		s.site.ServeHTTP(rec, req)
		cache[key(u.Hostname(), u.RequestURI())] = &cachedResponse{
			status: rec.Code, ctype: rec.Header().Get("Content-Type"), body: rec.Body.Bytes(),
		}
	}
	s.site.Log().Reset()
	s.cache = cache
}

func key(host, target string) string { return host + target }

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	k := key(host, r.URL.RequestURI())
	s.mu.Lock()
	s.seen[k]++
	s.mu.Unlock()
	if s.latency > 0 {
		t := time.NewTimer(s.latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if c, ok := s.cache[k]; ok {
		w.Header().Set("Content-Type", c.ctype)
		w.Header().Set("Content-Length", strconv.Itoa(len(c.body))) // as the site itself does
		w.WriteHeader(c.status)
		_, _ = w.Write(c.body)
		return
	}
	s.site.ServeHTTP(w, r)
}

// resetCounts forgets the requests served so far.
func (s *server) resetCounts() {
	s.mu.Lock()
	s.seen = map[string]int{}
	s.mu.Unlock()
	s.site.Log().Reset()
}

// duplicates returns how many requests repeated an earlier one, and how many distinct
// targets were requested.
func (s *server) duplicates() (dups, distinct int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.seen {
		dups += n - 1
	}
	return dups, len(s.seen)
}

// hostRates is what the server saw of the spacing of each host's requests.
type hostRates struct {
	minGap      time.Duration // shortest time between two requests to one host
	gaps, short int           // gaps between consecutive requests to one host; those under the interval
	shortBy10ms int           // of those, the ones more than 10 ms under it
	// unexplained counts those of shortBy10ms that are neither a host's first gap (its first
	// request waits for the server to accept a new connection) nor right after a gap
	// that is longer by as much (together they span two intervals: the request between
	// was handled late, it was not sent early).
	unexplained int
	maxIn1s     int // most requests to one host within any 1 s
	maxIn10s    int // most requests to one host within any 10 s
	busiest     int // requests to the host with the most
}

// measureRates reads the request log for the spacing of every host's requests, against
// the interval the crawl was asked to keep. The log's times are taken when the handler
// runs, so they carry the server's own scheduling delay: a gap shrinks when the request
// that opens it was handled late.
func measureRates(log *crawltest.RequestLog, hosts []string, interval time.Duration) hostRates {
	r := hostRates{minGap: -1}
	for _, h := range hosts {
		ts := log.Times(h)
		sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
		r.busiest = max(r.busiest, len(ts))
		r.maxIn1s = max(r.maxIn1s, mostWithin(ts, time.Second))
		r.maxIn10s = max(r.maxIn10s, mostWithin(ts, 10*time.Second))
		for i := 1; i < len(ts); i++ {
			g := ts[i].Sub(ts[i-1])
			r.gaps++
			if r.minGap < 0 || g < r.minGap {
				r.minGap = g
			}
			if g < interval {
				r.short++
			}
			if g < interval-10*time.Millisecond {
				r.shortBy10ms++
				if i >= 2 && ts[i].Sub(ts[i-2]) < 2*interval-time.Millisecond {
					r.unexplained++
				}
			}
		}
	}
	return r
}

// mostWithin returns the most times of sorted ts that fall within any window of length d.
func mostWithin(ts []time.Time, d time.Duration) int {
	most, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= d {
			j++
		}
		most = max(most, i-j+1)
	}
	return most
}
