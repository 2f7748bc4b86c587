package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// A check makes one request, HEAD or GET as asked, keeps no body and takes nothing of the
// body budget: its answer has the status, the type and the length (Content-Length, or the
// bytes a GET read, up to MaxBody), and a redirect's target.
func TestCheck(t *testing.T) {
	var mu sync.Mutex
	var methods []string
	big := strings.Repeat("x", 5000)
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte(big))
	zw.Close()
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		methods = append(methods, r.Method+" "+r.URL.Path+" "+r.Header.Get("Accept"))
		mu.Unlock()
		switch r.URL.Path {
		case "/img.png":
			w.Header().Set("Content-Type", "image/png")
			w.Header().Set("Content-Length", "1234")
			if r.Method == http.MethodGet {
				w.Write(make([]byte, 1234))
			}
		case "/nohead":
			if r.Method == http.MethodHead {
				w.WriteHeader(http.StatusMethodNotAllowed)
				return
			}
			w.Header().Set("Content-Type", "text/css; charset=utf-8")
			w.(http.Flusher).Flush() // chunked: no Content-Length
			w.Write([]byte(big))
		case "/gzip":
			w.Header().Set("Content-Encoding", "br") // not decoded, so not refused
			w.Header().Set("Content-Length", strconv.Itoa(zipped.Len()))
			w.Write(zipped.Bytes())
		case "/moved":
			http.Redirect(w, r, "/img.png", http.StatusMovedPermanently)
		default:
			http.NotFound(w, r)
		}
	}))
	c := NewClient(Config{MaxBody: 4096, BodyBudget: NewBodyBudget(4097)})
	ctx := context.Background()
	tests := []struct {
		path, method string
		status       int
		ctype        string
		length       int64
		truncated    bool
	}{
		{"/img.png", http.MethodHead, 200, "image/png", 1234, false},
		{"/img.png", http.MethodGet, 200, "image/png", 1234, false},
		{"/nohead", http.MethodHead, 405, "", -1, false},
		{"/nohead", http.MethodGet, 200, "text/css", 4096, true},
		{"/gzip", http.MethodGet, 200, "", int64(zipped.Len()), false},
		{"/missing", http.MethodHead, 404, "text/plain", int64(len("404 page not found\n")), false},
		{"/moved", http.MethodHead, 301, "text/html", -1, false},
	}
	for _, tt := range tests {
		resp, err := c.Check(ctx, mustURL(t, srv.URL+tt.path), tt.method)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.method, tt.path, err)
		}
		if resp.Status != tt.status || resp.ContentType != tt.ctype || resp.Length != tt.length ||
			resp.Truncated != tt.truncated || resp.Body != nil || resp.Duration <= 0 {
			t.Errorf("%s %s: status %d, type %q, length %d, truncated %v, body %d bytes, duration %v", tt.method, tt.path,
				resp.Status, resp.ContentType, resp.Length, resp.Truncated, len(resp.Body), resp.Duration)
		}
		if tt.path == "/moved" && (resp.Location == nil || resp.Location.String() != srv.URL+"/img.png") {
			t.Errorf("redirect to %v", resp.Location)
		}
	}
	if peak := c.cfg.BodyBudget.Peak(); peak != 0 {
		t.Errorf("checks took %d bytes of the body budget", peak)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(methods) != len(tests) {
		t.Errorf("%d requests for %d checks: %q", len(methods), len(tests), methods)
	}
	for _, m := range methods {
		if !strings.HasSuffix(m, " */*") {
			t.Errorf("request %q: a check accepts any type", m)
		}
	}
	for status, want := range map[int]bool{405: true, 501: true, 404: false, 403: false, 200: false} {
		if HEADRefused(status) != want {
			t.Errorf("HEADRefused(%d) = %v", status, !want)
		}
	}
}
