package crawler_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/parse"
	"github.com/crawl-project/crawl/store/storetest"
)

// trapSite is a server that misbehaves on purpose, answering through a handler the test
// writes (robots.txt is a 404); it reuses harness for the crawl's configuration, its
// database and the request log.
type trapSite struct {
	*harness

	mu    sync.Mutex
	pages int    // page requests so far, robots.txt left out
	stop  func() // stops the crawl running against the site
	// stopAfter, when > 0, stops the crawl (gracefully) at that many page requests.
	stopAfter int
}

// maxTrapRequests is where a trap site gives up on the crawl ending by itself: a crawl that
// falls into the trap fails the test instead of running forever.
const maxTrapRequests = 2000

func newTrapSite(t *testing.T, handler http.HandlerFunc) *trapSite {
	t.Helper()
	s := &trapSite{}
	s.harness = serveHarness(t, crawltest.RecordFunc(func(w http.ResponseWriter, r *http.Request, _ crawltest.Arrival) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		s.mu.Lock()
		s.pages++
		n, stop := s.pages, s.stop
		stopNow := n >= maxTrapRequests || (s.stopAfter > 0 && n == s.stopAfter)
		s.mu.Unlock()
		if n == maxTrapRequests {
			t.Errorf("the crawl fell into the trap: %d requests", n)
		}
		if stopNow && stop != nil {
			stop()
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		handler(w, r)
	}))
	return s
}

func (s *trapSite) config(opts ...func(*crawler.Config)) crawler.Config {
	cfg := s.harness.config([]string{s.srv.URL + "/"}, func(c *crawler.Config) {
		c.Workers, c.HostConcurrency, c.RobotsToken = 4, 4, "crawl"
	})
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// crawl runs a crawl of the site into its database until it ends.
func (s *trapSite) crawl(cfg crawler.Config) crawler.Summary {
	s.t.Helper()
	return s.runCtx(context.Background(), cfg, func(c *crawler.Crawler) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.stop = nil
		if c != nil {
			s.stop = c.Stop
		}
	})
}

// fetched returns the requests by path?query, robots.txt left out, and those requested
// more than once.
func (s *trapSite) fetched() (map[string]int, []string) {
	out := s.log.TargetCounts()
	delete(out, "/robots.txt")
	var dups []string
	for k, n := range out {
		if n > 1 {
			dups = append(dups, k)
		}
	}
	return out, dups
}

// stored is what a crawl left in its database.
type stored struct {
	nodes      map[string]crawl.Node // by URL
	edges      []storetest.Edge
	rejections map[string]int
	hostQueued int
}

func (s *trapSite) stored() stored {
	s.t.Helper()
	g := storetest.ReadGraph(s.t, s.dbPath)
	return stored{nodes: g.ByURL, edges: g.Edges, rejections: g.Rejections, hostQueued: g.HostQueued[s.srv.Listener.Addr().String()]}
}

// manyLinks serves a home page with n links, to /p/0 up to /p/<n-1>, and a page without
// links at every other path.
func manyLinks(n int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			crawltest.WritePage(w, r.URL.Path)
			return
		}
		hrefs := make([]string, n)
		for i := range hrefs {
			hrefs[i] = "/p/" + strconv.Itoa(i)
		}
		crawltest.WritePage(w, "many", hrefs...)
	}
}

// calendar is an infinite calendar: every month links to the one before and the one after.
func calendar(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/" {
		crawltest.WritePage(w, "home", "/cal/2026/11/")
		return
	}
	var y, m int
	if _, err := fmt.Sscanf(r.URL.Path, "/cal/%d/%d/", &y, &m); err != nil {
		http.NotFound(w, r)
		return
	}
	month := func(d int) string {
		n := y*12 + (m - 1) + d
		return fmt.Sprintf("/cal/%d/%02d/", n/12, n%12+1)
	}
	crawltest.WritePage(w, fmt.Sprintf("%d-%02d", y, m), month(-1), month(+1))
}

func TestCrawlTrapsEnd(t *testing.T) {
	type want struct {
		fetched  int            // distinct page requests, none repeated
		rejected map[string]int // in the run's summary and the database alike
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		opts    []func(*crawler.Config)
		want    func(srvURL string) want
		check   func(t *testing.T, s *trapSite, st stored)
	}{
		{
			// Every month is a new URL: only the host's budget ends it. The URLs queued form
			// one run of months around the first, so exactly the two beyond its ends are refused.
			name:    "infinite calendar within the host budget",
			handler: calendar,
			opts:    []func(*crawler.Config){func(c *crawler.Config) { c.MaxPagesPerHost = 30 }},
			want: func(string) want {
				return want{fetched: 30, rejected: map[string]int{crawl.ReasonHostBudget: 2}}
			},
			check: func(t *testing.T, s *trapSite, st stored) {
				if st.hostQueued != 30 {
					t.Errorf("host queued %d, want 30", st.hostQueued)
				}
			},
		},
		{
			// A relative link "a/" on every page: /a/, /a/a/, /a/a/a/, ...
			name: "ever-deeper relative path",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if strings.Trim(strings.ReplaceAll(r.URL.Path, "a/", ""), "/") != "" {
					http.NotFound(w, r)
					return
				}
				crawltest.WritePage(w, r.URL.Path, "a/")
			},
			want: func(string) want {
				return want{fetched: 3, rejected: map[string]int{crawl.ReasonRepeatedSegment: 1}}
			},
			check: func(t *testing.T, s *trapSite, st stored) {
				u := s.srv.URL + "/a/a/a/"
				if n := st.nodes[u]; n.State != crawl.StateSkipped || n.Error != crawl.ReasonRepeatedSegment {
					t.Errorf("%s = %v %q, want skipped for %s", u, n.State, n.Error, crawl.ReasonRepeatedSegment)
				}
				if !hasEdge(st, s.srv.URL+"/a/a/", u, crawl.KindLink) {
					t.Errorf("no edge to the rejected URL %s", u)
				}
			},
		},
		{
			// Ever-deeper distinct directories: /1/, /1/2/, /1/2/3/, ...
			name: "ever-deeper distinct path",
			handler: func(w http.ResponseWriter, r *http.Request) {
				depth := strings.Count(r.URL.Path, "/")
				crawltest.WritePage(w, r.URL.Path, strconv.Itoa(depth)+"/")
			},
			// "/" and /1/ to /1/.../19/ have at most 20 slashes; /1/.../20/ has 21.
			want: func(string) want {
				return want{fetched: 20, rejected: map[string]int{crawl.ReasonTooManySegments: 1}}
			},
		},
		{
			// Each page links to a URL 100 bytes longer than its own.
			name: "ever-longer URL",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/" {
					crawltest.WritePage(w, "home", "/g/x")
					return
				}
				crawltest.WritePage(w, "g", r.URL.Path+strings.Repeat("x", 100))
			},
			want: func(srvURL string) want {
				n := 1 // "/"
				for l := len(srvURL + "/g/x"); l <= parse.DefaultMaxURLLength; l += 100 {
					n++
				}
				return want{fetched: n, rejected: map[string]int{crawl.ReasonTooLong: 1}}
			},
		},
		{
			// A redirect into a trap is not followed: the 302 is recorded, its target refused.
			name: "redirect to a trap URL",
			handler: func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/":
					crawltest.WritePage(w, "home", "/r")
				case "/r":
					http.Redirect(w, r, "/r/r/r/", http.StatusFound)
				default:
					crawltest.WritePage(w, r.URL.Path)
				}
			},
			want: func(string) want {
				return want{fetched: 2, rejected: map[string]int{crawl.ReasonRepeatedSegment: 1}}
			},
			check: func(t *testing.T, s *trapSite, st stored) {
				if n := st.nodes[s.srv.URL+"/r"]; n.State != crawl.StateDone || n.Status != http.StatusFound {
					t.Errorf("/r = %v %d, want done 302", n.State, n.Status)
				}
				if !hasEdge(st, s.srv.URL+"/r", s.srv.URL+"/r/r/r/", crawl.KindRedirect) {
					t.Error("no redirect edge to the refused target")
				}
			},
		},
		{
			// Every page view hands out new session ids, in the path and in the query.
			name: "session ids",
			handler: func() http.HandlerFunc {
				var mu sync.Mutex
				views := 0
				return func(w http.ResponseWriter, r *http.Request) {
					mu.Lock()
					views++
					id := views
					mu.Unlock()
					var hrefs []string
					for j := 1; j <= 5; j++ {
						hrefs = append(hrefs,
							fmt.Sprintf("/s/%d;jsessionid=J%d", j, id),
							fmt.Sprintf("/s/%d?PHPSESSID=P%d&view=full", j, id),
							fmt.Sprintf("/s/%d?view=full&sid=S%d&SessionID=X%d", j, id, id),
							fmt.Sprintf("/s/%d?ASPSESSIONIDQQ=A%d", j, id))
					}
					crawltest.WritePage(w, r.URL.Path, hrefs...)
				}
			}(),
			// "/", /s/1 to /s/5, and /s/1?view=full to /s/5?view=full: nothing else exists.
			want: func(string) want { return want{fetched: 11, rejected: map[string]int{}} },
			check: func(t *testing.T, s *trapSite, st stored) {
				log, _ := s.fetched()
				for uri := range log {
					if u := strings.ToLower(uri); strings.Contains(u, "sessionid") || strings.Contains(u, "sid=") {
						t.Errorf("requested with a session id: %s", uri)
					}
				}
				for j := 1; j <= 5; j++ {
					for _, u := range []string{fmt.Sprintf("%s/s/%d", s.srv.URL, j), fmt.Sprintf("%s/s/%d?view=full", s.srv.URL, j)} {
						if n := st.nodes[u]; n.State != crawl.StateDone {
							t.Errorf("%s = %v, want done", u, n.State)
						}
					}
				}
				if len(st.nodes) != 11 {
					t.Errorf("%d nodes, want 11: %v", len(st.nodes), firstFew(keys(st.nodes)))
				}
			},
		},
		{
			// 10,000 links on one page: 6,000 kept, and of those the budget queues 19 besides "/".
			name:    "10,000 links on a page within the host budget",
			handler: manyLinks(10000),
			opts:    []func(*crawler.Config){func(c *crawler.Config) { c.MaxPagesPerHost = 20 }},
			want: func(string) want {
				return want{fetched: 20, rejected: map[string]int{crawl.ReasonLinkCap: 4000, crawl.ReasonHostBudget: 5981}}
			},
			check: func(t *testing.T, s *trapSite, st stored) {
				root := st.nodes[s.srv.URL+"/"]
				if root.OutLinks != 6000 || root.DroppedOut != 4000 {
					t.Errorf("root: %d links stored, %d dropped; want 6000 and 4000", root.OutLinks, root.DroppedOut)
				}
				log, _ := s.fetched()
				for i := range 19 { // links are queued in page order
					if uri := "/p/" + strconv.Itoa(i); log[uri] != 1 {
						t.Errorf("%s requested %d times, want 1", uri, log[uri])
					}
				}
				if n := st.nodes[s.srv.URL+"/p/19"]; n.State != crawl.StateSkipped || n.Error != crawl.ReasonHostBudget {
					t.Errorf("/p/19 = %v %q, want skipped for the budget", n.State, n.Error)
				}
				if _, ok := st.nodes[s.srv.URL+"/p/6000"]; ok {
					t.Error("a link beyond the page's cap was recorded")
				}
			},
		},
		{
			name:    "10,000 links on a page with a smaller cap",
			handler: manyLinks(10000),
			opts:    []func(*crawler.Config){func(c *crawler.Config) { c.MaxLinksPerPage = 100 }},
			want: func(string) want {
				return want{fetched: 101, rejected: map[string]int{crawl.ReasonLinkCap: 9900}}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTrapSite(t, tt.handler)
			sum := s.crawl(s.config(tt.opts...))
			w := tt.want(s.srv.URL)
			log, dups := s.fetched()
			if len(log) != w.fetched || len(dups) > 0 {
				t.Errorf("server saw %d distinct URIs (repeated: %v), want %d", len(log), firstFew(dups), w.fetched)
			}
			if sum.Responses != int64(w.fetched) {
				t.Errorf("summary: %d fetched, want %d", sum.Responses, w.fetched)
			}
			gotSum := map[string]int{}
			for r, n := range sum.Rejected {
				gotSum[r] = int(n)
			}
			if !reflect.DeepEqual(gotSum, w.rejected) {
				t.Errorf("summary rejections %v, want %v", gotSum, w.rejected)
			}
			st := s.stored()
			if !reflect.DeepEqual(st.rejections, w.rejected) {
				t.Errorf("stored rejections %v, want %v", st.rejections, w.rejected)
			}
			// Every rejected URL is in the graph, skipped with its reason, and was never requested.
			skipped := map[string]int{}
			for u, n := range st.nodes {
				if n.State == crawl.StateSkipped {
					skipped[n.Error]++
					if log[strings.TrimPrefix(u, s.srv.URL)] > 0 {
						t.Errorf("skipped %s (%s) was requested", u, n.Error)
					}
				}
			}
			for r, n := range w.rejected {
				if r != crawl.ReasonLinkCap && skipped[r] != n {
					t.Errorf("%d nodes skipped for %s, want %d", skipped[r], r, n)
				}
			}
			if tt.check != nil {
				tt.check(t, s, st)
			}
		})
	}
}

// The budget holds over runs: a crawl stopped early and resumed queues no more than it allows.
func TestHostBudgetHoldsAcrossRuns(t *testing.T) {
	s := newTrapSite(t, calendar)
	budget := func(c *crawler.Config) { c.MaxPagesPerHost = 12 }
	s.mu.Lock()
	s.stopAfter = 5
	s.mu.Unlock()
	s.crawl(s.config(budget))
	if first, _ := s.fetched(); len(first) >= 12 {
		t.Fatalf("the first run fetched %d pages: it was not stopped early", len(first))
	}
	s.mu.Lock()
	s.stopAfter = 0
	s.mu.Unlock()
	s.crawl(s.config(budget))
	log, dups := s.fetched()
	if len(log) != 12 || len(dups) > 0 {
		t.Errorf("after two runs: %d pages, repeated %v; want 12 and none", len(log), dups)
	}
	if st := s.stored(); st.hostQueued != 12 || st.rejections[crawl.ReasonHostBudget] != 2 {
		t.Errorf("host queued %d, rejections %v; want 12 and 2 %s", st.hostQueued, st.rejections, crawl.ReasonHostBudget)
	}
	// A third run has nothing left to do.
	if sum := s.crawl(s.config(budget)); sum.Responses != 0 {
		t.Errorf("third run fetched %d", sum.Responses)
	}
}

func hasEdge(st stored, src, dst string, kind crawl.EdgeKind) bool {
	for _, e := range st.edges {
		if e.From == src && e.To == dst && e.Kind == kind {
			return true
		}
	}
	return false
}
