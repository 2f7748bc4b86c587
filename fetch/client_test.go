package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crawl-project/crawl/parse"
)

// newServer starts an httptest server that is closed when the test ends.
func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// blockingServer starts a server whose handler calls started (if set) and then waits until the
// test ends or the client goes away. It is released before the server is closed.
func blockingServer(t *testing.T, writeFirst bool, started chan<- struct{}) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if writeFirst {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusOK)
			fmt.Fprint(w, "<html><body>partial")
			w.(http.Flusher).Flush()
		}
		if started != nil {
			started <- struct{}{}
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	return srv
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := parse.Normalize(s)
	if err != nil {
		t.Fatalf("Normalize(%q): %v", s, err)
	}
	return u
}

func TestGetContentType(t *testing.T) {
	tests := []struct {
		name   string
		header []string // Content-Type values sent; nil sends none
		want   string
	}{
		{"html with charset", []string{"text/html; charset=ISO-8859-1"}, "text/html"},
		{"upper-case", []string{"Text/HTML; Charset=UTF-8"}, "text/html"},
		{"xhtml", []string{"application/xhtml+xml;charset=utf-8"}, "application/xhtml+xml"},
		{"no parameters", []string{"application/json"}, "application/json"},
		{"malformed parameters", []string{"TEXT/html; charset"}, "text/html"},
		{"malformed type", []string{" Text/Plain ;;; = "}, "text/plain"},
		{"missing", nil, ""},
	}
	const body = "<html><head><title>x</title></head><body><a href=/a>a</a></body></html>"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Content-Type"] = tt.header // nil stops the server sniffing one
				w.Header().Set("X-Extra", "yes")
				fmt.Fprint(w, body)
			}))
			c := NewClient(Config{UserAgent: "test"})
			u := mustURL(t, srv.URL+"/page")
			resp, err := c.Get(context.Background(), u, nil)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if resp.Status != http.StatusOK || string(resp.Body) != body || resp.Truncated {
				t.Errorf("Status %d, Body %q, Truncated %v", resp.Status, resp.Body, resp.Truncated)
			}
			if resp.ContentType != tt.want {
				t.Errorf("ContentType = %q, want %q", resp.ContentType, tt.want)
			}
			if resp.URL.String() != u.String() || len(resp.Hops) != 0 || resp.Location != nil {
				t.Errorf("URL %s, Hops %v, Location %v; want %s, none, nil", resp.URL, resp.Hops, resp.Location, u)
			}
			if resp.Header.Get("X-Extra") != "yes" {
				t.Errorf("Header = %v, want X-Extra", resp.Header)
			}
			if resp.Duration <= 0 {
				t.Errorf("Duration = %v", resp.Duration)
			}
		})
	}
}

func TestGetStatus(t *testing.T) {
	tests := []int{http.StatusNotFound, http.StatusInternalServerError, http.StatusNotModified, http.StatusMultipleChoices}
	for _, status := range tests {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", "/elsewhere") // not a redirect status: ignored
				w.WriteHeader(status)
			}))
			resp, err := NewClient(Config{}).Get(context.Background(), mustURL(t, srv.URL), nil)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if resp.Status != status || resp.Location != nil || len(resp.Hops) != 0 {
				t.Errorf("Status %d, Location %v, Hops %v; want %d, nil, none", resp.Status, resp.Location, resp.Hops, status)
			}
		})
	}
}

func TestGetMaxBody(t *testing.T) {
	tests := []struct {
		name      string
		maxBody   int64
		size      int
		truncated bool
	}{
		{"smaller", 100, 99, false},
		{"exact", 100, 100, false},
		{"one over", 100, 101, true},
		{"much larger", 1000, 1 << 20, true},
		{"empty", 10, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := bytes.Repeat([]byte("0123456789"), tt.size/10+1)[:tt.size]
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				w.Write(body)
			}))
			resp, err := NewClient(Config{MaxBody: tt.maxBody}).Get(context.Background(), mustURL(t, srv.URL), nil)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			want := body
			if int64(len(want)) > tt.maxBody {
				want = want[:tt.maxBody]
			}
			if resp.Truncated != tt.truncated || !bytes.Equal(resp.Body, want) {
				t.Errorf("Truncated %v, %d bytes; want %v, %d bytes", resp.Truncated, len(resp.Body), tt.truncated, len(want))
			}
			if int64(len(resp.Body)) > tt.maxBody {
				t.Errorf("%d bytes kept, MaxBody is %d", len(resp.Body), tt.maxBody)
			}
		})
	}
}

// gzipBytes compresses b.
func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGetGzip(t *testing.T) {
	// 50 MiB of zeros in about 50 KB.
	bomb, err := os.ReadFile(filepath.Join("testdata", "zeros-50MiB.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if size := binary.LittleEndian.Uint32(bomb[len(bomb)-4:]); size != 50<<20 {
		t.Fatalf("testdata bomb inflates to %d bytes, want %d", size, 50<<20)
	}
	page := []byte(strings.Repeat("<p>compressed page</p>\n", 100))
	tests := []struct {
		name      string
		gz        []byte
		maxBody   int64
		want      []byte
		truncated bool
	}{
		{"page", gzipBytes(t, page), 1 << 20, page, false},
		{"page over the cap", gzipBytes(t, page), 100, page[:100], true},
		{"bomb", bomb, 1 << 20, make([]byte, 1<<20), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var acceptEncoding atomic.Value
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				acceptEncoding.Store(r.Header.Get("Accept-Encoding"))
				w.Header().Set("Content-Type", "text/html")
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(tt.gz)
			}))
			resp, err := NewClient(Config{MaxBody: tt.maxBody}).Get(context.Background(), mustURL(t, srv.URL), nil)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			// The client asks for the codings it decodes; the transport then leaves them to it.
			if ae, _ := acceptEncoding.Load().(string); ae != "gzip, deflate" {
				t.Errorf("Accept-Encoding sent = %q, want %q", ae, "gzip, deflate")
			}
			if ce := resp.Header.Get("Content-Encoding"); ce != "" {
				t.Errorf("Content-Encoding %q left on a decompressed response", ce)
			}
			if resp.Truncated != tt.truncated || !bytes.Equal(resp.Body, tt.want) {
				t.Errorf("Truncated %v, %d bytes; want %v, %d bytes", resp.Truncated, len(resp.Body), tt.truncated, len(tt.want))
			}
			if int64(len(resp.Body)) > tt.maxBody {
				t.Errorf("%d decompressed bytes kept, MaxBody is %d", len(resp.Body), tt.maxBody)
			}
		})
	}
}

// redirects maps a path to its redirect status and Location, in which {HOST} stands for the
// request's host in upper case; other paths answer 200 with their path as body.
type redirects map[string]struct {
	status   int
	location string
}

func (rs redirects) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rd, ok := rs[r.URL.Path]; ok {
		if rd.location != "" {
			w.Header().Set("Location", strings.ReplaceAll(rd.location, "{HOST}", strings.ToUpper(r.Host)))
		}
		w.WriteHeader(rd.status)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprint(w, r.URL.Path)
}

func TestGetRedirects(t *testing.T) {
	type hop struct {
		path   string
		status int
	}
	routes := redirects{
		"/r1":         {http.StatusMovedPermanently, "/r2"},
		"/r2":         {http.StatusFound, "r3"}, // relative to /r2
		"/r3":         {http.StatusPermanentRedirect, "/final"},
		"/see-other":  {http.StatusSeeOther, "/final?from=303"},
		"/temporary":  {http.StatusTemporaryRedirect, "final#fragment"},
		"/deep/a/b":   {http.StatusFound, "../c/./d"},
		"/abs":        {http.StatusFound, "HTTP://{HOST}/x/../Final#f"},
		"/loop1":      {http.StatusFound, "/loop2"},
		"/loop2":      {http.StatusFound, "/loop1"},
		"/self":       {http.StatusMovedPermanently, "/self#again"},
		"/no-loc":     {http.StatusFound, ""},
		"/bad-loc":    {http.StatusFound, "http://[::1"},
		"/mailto-loc": {http.StatusFound, "mailto:x@example.com"},
	}
	srv := newServer(t, routes)
	host := strings.TrimPrefix(srv.URL, "http://")

	never := func(*url.URL) bool { return false }
	notFinal := func(u *url.URL) bool { return u.Path != "/final" }

	tests := []struct {
		name         string
		path         string
		maxRedirects int
		follow       func(*url.URL) bool
		hops         []hop
		final        string // path and query of Response.URL
		status       int
		location     string // path and query of Response.Location, "" for none
		loop         bool
	}{
		{name: "chain", path: "/r1", hops: []hop{{"/r1", 301}, {"/r2", 302}, {"/r3", 308}}, final: "/final", status: 200},
		{name: "303", path: "/see-other", hops: []hop{{"/see-other", 303}}, final: "/final?from=303", status: 200},
		{name: "307 relative with fragment", path: "/temporary", hops: []hop{{"/temporary", 307}}, final: "/final", status: 200},
		{name: "relative with dot segments", path: "/deep/a/b", hops: []hop{{"/deep/a/b", 302}}, final: "/deep/c/d", status: 200},
		{name: "absolute, normalised", path: "/abs", hops: []hop{{"/abs", 302}}, final: "/Final", status: 200},
		{name: "follow refuses first", path: "/r1", follow: never, final: "/r1", status: 301, location: "/r2"},
		{name: "follow refuses later", path: "/r1", follow: notFinal, hops: []hop{{"/r1", 301}, {"/r2", 302}}, final: "/r3", status: 308, location: "/final"},
		{name: "max redirects 1", path: "/r1", maxRedirects: 1, hops: []hop{{"/r1", 301}}, final: "/r2", status: 302, location: "/r3"},
		{name: "max redirects 2", path: "/r1", maxRedirects: 2, hops: []hop{{"/r1", 301}, {"/r2", 302}}, final: "/r3", status: 308, location: "/final"},
		{name: "max redirects 3 is enough", path: "/r1", maxRedirects: 3, hops: []hop{{"/r1", 301}, {"/r2", 302}, {"/r3", 308}}, final: "/final", status: 200},
		{name: "loop", path: "/loop1", loop: true},
		{name: "self loop", path: "/self", loop: true},
		{name: "no location", path: "/no-loc", final: "/no-loc", status: 302},
		{name: "malformed location", path: "/bad-loc", final: "/bad-loc", status: 302},
		{name: "non-http location", path: "/mailto-loc", final: "/mailto-loc", status: 302},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewClient(Config{MaxRedirects: tt.maxRedirects})
			resp, err := c.Get(context.Background(), mustURL(t, srv.URL+tt.path), tt.follow)
			if tt.loop {
				if !errors.Is(err, ErrRedirectLoop) {
					t.Fatalf("Get = %v, %v; want ErrRedirectLoop", resp, err)
				}
				// Both loops come back to the requested URL, which counts as visited.
				if want := " at " + srv.URL + tt.path; !strings.HasSuffix(err.Error(), want) {
					t.Errorf("Get: %v, want the loop found %s", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			var hops []hop
			for _, h := range resp.Hops {
				if h.URL.Host != host {
					t.Errorf("hop %s left the test server", h.URL)
				}
				hops = append(hops, hop{h.URL.RequestURI(), h.Status})
			}
			if fmt.Sprint(hops) != fmt.Sprint(tt.hops) {
				t.Errorf("Hops = %v, want %v", hops, tt.hops)
			}
			if resp.URL.String() != srv.URL+tt.final || resp.Status != tt.status {
				t.Errorf("URL %s, Status %d; want %s, %d", resp.URL, resp.Status, srv.URL+tt.final, tt.status)
			}
			var loc string
			if resp.Location != nil {
				loc = resp.Location.String()
			}
			if want := tt.location; (want == "" && loc != "") || (want != "" && loc != srv.URL+want) {
				t.Errorf("Location = %q, want %q", loc, want)
			}
			if tt.status == http.StatusOK && string(resp.Body) != strings.SplitN(tt.final, "?", 2)[0] {
				t.Errorf("Body = %q, want the final path", resp.Body)
			}
		})
	}
}

func TestGetFollowSeesEachHop(t *testing.T) {
	srv := newServer(t, redirects{
		"/r1": {http.StatusMovedPermanently, "/r2"},
		"/r2": {http.StatusFound, "/r3"},
	})
	var asked []string
	follow := func(u *url.URL) bool {
		asked = append(asked, u.Path)
		return true
	}
	resp, err := NewClient(Config{}).Get(context.Background(), mustURL(t, srv.URL+"/r1"), follow)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if resp.URL.Path != "/r3" || fmt.Sprint(asked) != "[/r2 /r3]" {
		t.Errorf("URL %s, follow asked about %v", resp.URL, asked)
	}
}

func TestGetRequestHeaders(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		want      map[string]string
		wantMulti map[string][]string
	}{
		{
			name: "defaults",
			cfg:  Config{UserAgent: "crawlbot/1.0 (+https://example.com/bot)"},
			want: map[string]string{
				"User-Agent": "crawlbot/1.0 (+https://example.com/bot)",
				"Accept":     "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
			},
		},
		{
			name: "custom headers",
			cfg: Config{
				UserAgent: "crawlbot/2.0",
				Headers: []HeaderRule{
					{Host: AnyHost, Name: "Authorization", Value: "Bearer staging-token"},
					{Host: AnyHost, Name: "Accept", Value: "text/html"},
					{Host: AnyHost, Name: "Accept-Language", Value: "de"},
					{Host: AnyHost, Name: "X-Multi", Value: "a"},
					{Host: AnyHost, Name: "X-Multi", Value: "b"},
				},
			},
			want: map[string]string{
				"User-Agent":      "crawlbot/2.0",
				"Authorization":   "Bearer staging-token",
				"Accept":          "text/html",
				"Accept-Language": "de",
			},
			wantMulti: map[string][]string{"X-Multi": {"a", "b"}},
		},
		{
			name: "user agent wins over header",
			cfg:  Config{UserAgent: "crawlbot/3.0", Headers: []HeaderRule{{Host: AnyHost, Name: "User-Agent", Value: "other"}}},
			want: map[string]string{"User-Agent": "crawlbot/3.0"},
		},
		{
			name: "accept-encoding is the client's",
			cfg:  Config{Headers: []HeaderRule{{Host: AnyHost, Name: "Accept-Encoding", Value: "br"}}},
			want: map[string]string{"Accept-Encoding": "gzip, deflate"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan http.Header, 1)
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got <- r.Header.Clone()
			}))
			if _, err := NewClient(tt.cfg).Get(context.Background(), mustURL(t, srv.URL), nil); err != nil {
				t.Fatalf("Get: %v", err)
			}
			h := <-got
			for k, v := range tt.want {
				if h.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, h.Get(k), v)
				}
			}
			for k, v := range tt.wantMulti {
				if fmt.Sprint(h.Values(k)) != fmt.Sprint(v) {
					t.Errorf("%s = %q, want %q", k, h.Values(k), v)
				}
			}
		})
	}
}

func TestGetResolve(t *testing.T) {
	hosts := make(chan string, 2)
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hosts <- r.Host
		if r.URL.Path == "/start" {
			http.Redirect(w, r, "/end", http.StatusFound)
			return
		}
		fmt.Fprint(w, "resolved")
	}))
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, final string
	}{
		{"direct", "/", "/"},
		{"through a redirect", "/start", "/end"},
	}
	c := NewClient(Config{Resolve: map[string]string{"site.test:" + port: "127.0.0.1:" + port}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := mustURL(t, "http://site.test:"+port+tt.path)
			resp, err := c.Get(context.Background(), u, nil)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if string(resp.Body) != "resolved" || resp.URL.Host != "site.test:"+port || resp.URL.Path != tt.final {
				t.Errorf("URL %s, Body %q", resp.URL, resp.Body)
			}
			for range len(resp.Hops) + 1 {
				if h := <-hosts; h != "site.test:"+port {
					t.Errorf("server saw Host %q, want site.test:%s", h, port)
				}
			}
		})
	}
}

func TestGetTimeout(t *testing.T) {
	tests := []struct {
		name       string
		writeFirst bool // headers and part of the body arrive before the server stalls
	}{
		{"no answer", false},
		{"stalled body", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := blockingServer(t, tt.writeFirst, nil)
			c := NewClient(Config{Timeout: 100 * time.Millisecond})
			resp, err := c.Get(context.Background(), mustURL(t, srv.URL), nil)
			if err == nil {
				t.Fatalf("Get = %+v, want a timeout error", resp)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Get: %v, want context.DeadlineExceeded", err)
			}
		})
	}
}

func TestGetCancel(t *testing.T) {
	tests := []struct {
		name       string
		writeFirst bool
	}{
		{"waiting for headers", false},
		{"reading the body", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			started := make(chan struct{}, 1)
			srv := blockingServer(t, tt.writeFirst, started)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c := NewClient(Config{Timeout: time.Hour})
			u := mustURL(t, srv.URL)
			done := make(chan error, 1)
			go func() {
				_, err := c.Get(ctx, u, nil)
				done <- err
			}()
			<-started
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Get: %v, want context.Canceled", err)
				}
			case <-time.After(30 * time.Second): // a watchdog, far beyond any prompt return
				t.Fatal("Get did not return after its context was cancelled")
			}
		})
	}
}

func TestGetCancelledBeforeStart(t *testing.T) {
	var requests atomic.Int32
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
	}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := NewClient(Config{}).Get(ctx, mustURL(t, srv.URL), nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Get: %v, want context.Canceled", err)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}

func TestIsHTML(t *testing.T) {
	tests := []struct {
		mt   string
		want bool
	}{
		{"text/html", true},
		{"application/xhtml+xml", true},
		{"text/plain", false},
		{"application/xml", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsHTML(tt.mt); got != tt.want {
			t.Errorf("IsHTML(%q) = %v, want %v", tt.mt, got, tt.want)
		}
	}
}
