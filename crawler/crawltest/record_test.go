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

	"golang.org/x/net/html"
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

func TestRecorderSingleHost(t *testing.T) {
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

func TestRecorderMultiHost(t *testing.T) {
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

// A Recorder in front of any handler: each arrival has its number, its URL's count, the
// status it was answered with (0 for a connection taken over), and its headers when kept; the
// hook sees it before the handler; Reset forgets what came before, answers included.
func TestRecorderNumbersAnswersAndHooksEachRequest(t *testing.T) {
	rec := RecordFunc(func(w http.ResponseWriter, r *http.Request, a Arrival) {
		switch {
		case r.URL.Path == "/drop":
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			conn.Close()
		case a.N == 1:
			http.Error(w, "later", http.StatusServiceUnavailable)
		default:
			WritePage(w, "again")
		}
	}).KeepHeaders()
	// The hook runs on the server's goroutines: the race detector sees no order through the
	// connection between its append and the test's read, so a mutex gives it one.
	var hookMu sync.Mutex
	var hooked []int
	rec.OnRequest(func(r *http.Request, a Arrival) {
		hookMu.Lock()
		defer hookMu.Unlock()
		hooked = append(hooked, a.Seq)
	})
	srv := ServeOn(t, "127.0.0.1:0", rec)
	// A connection each: a request on a reused connection that drops would be sent again.
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(path string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("X-Test", path)
		resp, err := c.Do(req)
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	codes := []int{get("/a?x=1"), get("/a?x=1"), get("/b"), get("/drop")}
	if !slices.Equal(codes, []int{503, 200, 503, 0}) {
		t.Errorf("codes %v", codes)
	}
	type seen struct {
		seq, n, status int
		key, path, hdr string
	}
	var got []seen
	for _, a := range rec.Arrivals("127.0.0.1") {
		got = append(got, seen{a.Seq, a.N, a.Status, a.Key(), a.Path(), a.Header.Get("X-Test")})
	}
	want := []seen{
		{1, 1, 503, "127.0.0.1/a?x=1", "/a", "/a?x=1"},
		{2, 2, 200, "127.0.0.1/a?x=1", "/a", "/a?x=1"},
		{3, 1, 503, "127.0.0.1/b", "/b", "/b"},
		{4, 1, 0, "127.0.0.1/drop", "/drop", "/drop"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("arrivals\n got %v\nwant %v", got, want)
	}
	hookMu.Lock()
	if !slices.Equal(hooked, []int{1, 2, 3, 4}) {
		t.Errorf("hook saw %v", hooked)
	}
	hookMu.Unlock()
	if n := rec.TargetCounts()["/a?x=1"]; n != 2 || rec.Count("/b") != 1 || rec.Count(srv.URL+"/a?x=1") != 2 {
		t.Errorf("counts %v", rec.Counts())
	}
	rec.OnRequest(nil)
	rec.Reset()
	if get("/b") != 503 || rec.Total() != 1 || len(hooked) != 4 {
		t.Errorf("after Reset: total %d, hook calls %d", rec.Total(), len(hooked))
	}
}

// A request in progress when the log is Reset ends without touching what came after.
func TestRecorderResetDuringARequest(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	rec := RecordFunc(func(w http.ResponseWriter, r *http.Request, a Arrival) {
		if r.URL.Path == "/held" {
			close(entered)
			<-release
		}
		http.NotFound(w, r)
	})
	srv := ServeOn(t, "127.0.0.1:0", rec)
	done := make(chan int)
	go func() { done <- fetch(t, srv.Client(), srv.URL+"/held") }()
	<-entered
	rec.Reset()
	if code := fetch(t, srv.Client(), srv.URL+"/next"); code != 404 {
		t.Errorf("next: %d", code)
	}
	close(release)
	<-done
	a := rec.Arrivals("")
	if len(a) != 1 || a[0].Target != "/next" || a[0].Status != 404 || rec.NotFound() != 1 || rec.PeakConcurrent("") != 2 {
		t.Errorf("after a Reset during a request: %+v, %d not found, peak %d", a, rec.NotFound(), rec.PeakConcurrent(""))
	}
}

// Prerendered answers are the answers the site makes, byte for byte, and are recorded as
// any other.
func TestPrerenderServesWhatTheSiteRenders(t *testing.T) {
	s := NewSite(SiteConfig{Seed: 4, Pages: 12, Hosts: []string{"h1.test", "h2.test"}, BrokenFraction: 0.2})
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := clientFor(srv)
	urls := []string{s.URL("h1.test", 0, srv.URL), s.URL("h2.test", 5, srv.URL), strings.TrimSuffix(s.URL("h1.test", 0, srv.URL), "/") + "/nope"}
	type answer struct {
		status int
		ctype  string
		body   string
	}
	get := func() []answer {
		var out []answer
		for _, u := range urls {
			resp, err := c.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			out = append(out, answer{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)})
		}
		return out
	}
	want := get()
	s.Prerender(urls)
	if got := get(); !slices.Equal(got, want) {
		t.Errorf("prerendered answers differ:\n got %.200v\nwant %.200v", got, want)
	}
	if s.Log().Total() != 6 || s.Log().NotFound() != 2 {
		t.Errorf("log: %d requests, %d not found", s.Log().Total(), s.Log().NotFound())
	}
}

func TestPagesAndWritePage(t *testing.T) {
	p := NewPages(map[string]string{"/": "<title>home</title>", "/go": "->/", "/robots.txt": "User-agent: *\n"})
	var b strings.Builder
	WritePage(&b, `a "quoted" <title>`, "/x?a=1&b=2", "/y")
	p.Set("/page", b.String())
	srv := ServeOn(t, "127.0.0.1:0", p)
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, tt := range []struct{ path, ctype, body string }{
		{"/", "text/html; charset=utf-8", "<title>home</title>"},
		{"/go", "", ""},
		{"/robots.txt", "text/plain; charset=utf-8", "User-agent: *\n"},
		{"/page", "text/html; charset=utf-8", b.String()},
	} {
		resp, err := c.Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if tt.path == "/go" {
			if resp.StatusCode != 301 || resp.Header.Get("Location") != "/" {
				t.Errorf("/go: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			continue
		}
		if resp.Header.Get("Content-Type") != tt.ctype || string(body) != tt.body {
			t.Errorf("%s: %q %q", tt.path, resp.Header.Get("Content-Type"), body)
		}
	}
	doc, err := html.Parse(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	var title string
	var hrefs []string
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.Data == "title" && n.FirstChild != nil {
			title = n.FirstChild.Data
		}
		if n.Type == html.ElementNode && n.Data == "a" {
			hrefs = append(hrefs, n.Attr[0].Val)
		}
	}
	if title != `a "quoted" <title>` || !slices.Equal(hrefs, []string{"/x?a=1&b=2", "/y"}) {
		t.Errorf("WritePage wrote title %q, links %q", title, hrefs)
	}
}
