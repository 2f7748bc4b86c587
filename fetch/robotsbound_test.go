package fetch

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crawl-project/crawl/crawler/crawltest"
)

// manyOrigins serves a distinct robots.txt on each of n host names, all on one server reached
// through Config.Resolve: host i disallows /private-i. Its log counts the requests.
type manyOrigins struct {
	client *Client
	port   string
	log    *crawltest.Recorder
}

func newManyOrigins(t *testing.T, n int) *manyOrigins {
	t.Helper()
	m := &manyOrigins{log: crawltest.Record(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		host, _, _ := strings.Cut(r.Host, ":")
		fmt.Fprintf(w, "User-agent: *\nDisallow: /private-%s\n", strings.TrimSuffix(host, ".test"))
	}))}
	srv := newServer(t, m.log)
	addr := strings.TrimPrefix(srv.URL, "http://")
	_, m.port, _ = strings.Cut(addr, ":")
	resolve := map[string]string{}
	for i := range n {
		resolve[fmt.Sprintf("h%d.test:%s", i, m.port)] = addr
	}
	m.client = NewClient(Config{Resolve: resolve})
	t.Cleanup(m.client.CloseIdleConnections)
	return m
}

func (m *manyOrigins) url(t *testing.T, i int, path string) *url.URL {
	return mustURL(t, fmt.Sprintf("http://h%d.test:%s%s", i, m.port, path))
}

// total is the number of robots.txt requests, over all hosts.
func (m *manyOrigins) total() int { return m.log.Count("/robots.txt") }

// memoryStore is what the crawl's database is to the cache: the files fetched are recorded,
// and looked up on a miss.
type memoryStore struct {
	mu    sync.Mutex
	files map[string]RobotsFile
	reads int
}

func (s *memoryStore) lookup(origin string) (RobotsFile, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[origin]
	if ok {
		s.reads++
	}
	return f, ok
}

func (s *memoryStore) record(f *RobotsFile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[f.Origin] = *f
}

func (c *RobotsCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// TestRobotsCacheStaysWithinItsBound: a cache bounded to a few origins, checked in turn
// across many, never holds more than its bound and answers each origin by its own rules
// after evictions. An evicted origin comes back from the stored copy without a request when
// there is one, and is fetched again when there is not.
func TestRobotsCacheStaysWithinItsBound(t *testing.T) {
	const origins, bound, passes = 40, 8, 3
	tests := []struct {
		name     string
		stored   bool
		requests int // robots.txt requests over all passes
	}{
		// Cycling over more origins than the bound, LRU drops each origin before its next turn.
		{name: "evicted origins come back from the store", stored: true, requests: origins},
		{name: "evicted origins are fetched again", stored: false, requests: origins * passes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newManyOrigins(t, origins)
			c := NewRobotsCache(m.client, "crawl").WithMaxOrigins(bound)
			st := &memoryStore{files: map[string]RobotsFile{}}
			if tt.stored {
				c.UseStored(st.lookup)
			}
			for pass := range passes {
				for i := range origins {
					for _, p := range []struct {
						path    string
						allowed bool
					}{
						{fmt.Sprintf("/private-h%d/x", i), false},
						{fmt.Sprintf("/private-h%d/x", (i+1)%origins), true},
					} {
						v, err := c.Check(context.Background(), m.url(t, i, p.path))
						if err != nil || v.Allowed != p.allowed {
							t.Fatalf("pass %d, h%d%s: %+v, %v; want allowed %v", pass, i, p.path, v, err, p.allowed)
						}
						if v.Fetched != nil {
							st.record(v.Fetched)
						}
						if v.Fetched != nil && v.Stored {
							t.Errorf("pass %d, h%d: both fetched and stored", pass, i)
						}
						if n := c.size(); n > bound {
							t.Fatalf("pass %d, h%d: %d origins cached, bound %d", pass, i, n, bound)
						}
					}
				}
			}
			if n := m.total(); n != tt.requests {
				t.Errorf("robots.txt requested %d times, want %d", n, tt.requests)
			}
			if tt.stored && st.reads != origins*(passes-1) {
				t.Errorf("%d stored copies read, want %d", st.reads, origins*(passes-1))
			}
		})
	}
}

// TestRobotsCacheKeepsOriginsBeingLoaded: an origin whose robots.txt is being fetched is not
// evicted while other origins fill the cache past its bound, and a caller for it that comes
// after those (waiting on the fetch or finding it done) gets its rules without a second
// request. (That callers arriving during a fetch wait for it is TestRobotsCacheFetchesOncePerOrigin.)
func TestRobotsCacheKeepsOriginsBeingLoaded(t *testing.T) {
	m := newManyOrigins(t, 4)
	release := make(chan struct{})
	started := make(chan struct{})
	var once sync.Once
	var requests atomic.Int32
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		once.Do(func() { close(started) })
		<-release
		fmt.Fprint(w, "User-agent: *\nDisallow: /no\n")
	}))
	// Released before the server closes, should the test stop early: its Close waits for the handler.
	releaseOnce := sync.OnceFunc(func() { close(release) })
	t.Cleanup(releaseOnce)
	slow := mustURL(t, srv.URL+"/no")
	c := NewRobotsCache(m.client, "crawl").WithMaxOrigins(1)
	checkSlow := func() <-chan RobotsVerdict {
		verdict := make(chan RobotsVerdict, 1)
		go func() {
			v, err := c.Check(context.Background(), slow)
			if err != nil {
				t.Error(err)
			}
			verdict <- v
		}()
		return verdict
	}
	first := checkSlow()
	<-started
	for i := range 3 {
		if _, err := c.Check(context.Background(), m.url(t, i, "/")); err != nil {
			t.Fatal(err)
		}
	}
	c.mu.Lock()
	_, ok := c.entries[Origin(slow)]
	c.mu.Unlock()
	if !ok {
		t.Fatal("the origin being loaded was evicted")
	}
	second := checkSlow()
	releaseOnce()
	v1, v2 := <-first, <-second
	if v1.Allowed || v2.Allowed || (v1.Fetched != nil) == (v2.Fetched != nil) {
		t.Errorf("verdicts %+v, %+v; want both disallowed, one of them fetched", v1, v2)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("robots.txt of the slow origin requested %d times, want 1", n)
	}
	if n := c.size(); n > 2 {
		t.Errorf("%d origins cached, want at most the bound and the one being loaded", n)
	}
}

// bigRobots returns a robots.txt of size bytes whose group for us is three lines; the rest
// is groups for other crawlers and comments, as in the large files of big sites.
func bigRobots(size int) []byte {
	var b strings.Builder
	b.WriteString("User-agent: *\nDisallow: /private/\nCrawl-delay: 1\n\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "# rules for another crawler, number %d, kept apart from ours\nUser-agent: otherbot%d\nDisallow: /only-for-others/%d/\n\n", i, i, i)
	}
	return []byte(b.String()[:size])
}

// heapPerOrigin is the Go heap that n origins with a robots.txt of bodySize bytes take in a
// cache: loaded from stored copies, as a resumed crawl does, or fetched over loopback.
func heapPerOrigin(tb testing.TB, n, bodySize int, fetched bool) int64 {
	body := bigRobots(bodySize)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	resolve := map[string]string{}
	for i := range n {
		resolve[fmt.Sprintf("h%d.test:80", i)] = addr
	}
	client := NewClient(Config{Resolve: resolve})
	c := NewRobotsCache(client, "crawl")
	if !fetched {
		c.UseStored(func(origin string) (RobotsFile, bool) {
			// A fresh copy each time, as decoding a database record makes.
			return RobotsFile{Origin: origin, Status: 200, Body: append([]byte(nil), body...), FetchedAt: time.Now()}, true
		})
	}
	before := liveHeap()
	for i := range n {
		u, err := url.Parse(fmt.Sprintf("http://h%d.test/private/x", i))
		if err != nil {
			tb.Fatal(err)
		}
		v, err := c.Check(context.Background(), u)
		if err != nil || v.Allowed || v.Stored == fetched {
			tb.Fatalf("h%d: %+v, %v; want disallowed", i, v, err)
		}
	}
	// Connections, and their buffers, are the client's and the server's, not the cache's.
	client.CloseIdleConnections()
	srv.Close()
	after := liveHeap()
	runtime.KeepAlive(c)
	return (int64(after) - int64(before)) / int64(n)
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC() // a second cycle frees what the first one's finalizers released
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestRobotsCacheHeapDoesNotGrowWithBodySize: an origin costs the cache the same whether its
// robots.txt is 100 bytes or 100 KB, when the rules for us are the same (the cache keeps
// those, not the body). BenchmarkRobotsCacheHeap measures it over 1,000 origins.
func TestRobotsCacheHeapDoesNotGrowWithBodySize(t *testing.T) {
	const n = 250 // enough to average out the GC's noise, few enough to be quick under -race
	small := heapPerOrigin(t, n, 100, false)
	large := heapPerOrigin(t, n, 100<<10, false)
	t.Logf("heap per cached origin: %d B with a 100 B robots.txt, %d B with a 100 KB one", small, large)
	// The margin absorbs the GC's noise; keeping the body would add 100 KB.
	if large > small+4<<10 {
		t.Errorf("heap per origin %d B with a 100 KB robots.txt, %d B with 100 B: the body is kept", large, small)
	}
}

// BenchmarkRobotsCacheHeap reports the Go heap per cached origin (heap-B/origin) for 1,000
// origins, by robots.txt size and by where the cache loads it from.
func BenchmarkRobotsCacheHeap(b *testing.B) {
	for _, from := range []string{"stored", "fetched"} {
		for _, size := range []int{100, 100 << 10} {
			b.Run(fmt.Sprintf("%s/body=%dB", from, size), func(b *testing.B) {
				var per int64
				for b.Loop() {
					per = heapPerOrigin(b, 1000, size, from == "fetched")
				}
				b.ReportMetric(float64(per), "heap-B/origin")
			})
		}
	}
}
