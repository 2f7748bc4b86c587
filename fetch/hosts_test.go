package fetch

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// newServerOn starts an httptest server listening on ip (a loopback address such as
// 127.0.0.2, so that two servers are two hosts), closed when the test ends.
func newServerOn(t *testing.T, ip string, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("listen on %s: %v", ip, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// seen is a request as a server received it.
type seen struct {
	Path   string
	Header http.Header
}

// site is a test host: it answers each path from pages (a body, or a redirect when the
// value starts with "->"), 404 otherwise, and records every request.
type site struct {
	*httptest.Server
	mu       sync.Mutex
	requests []seen
	pages    map[string]string
}

func newSite(t *testing.T, ip string, pages map[string]string) *site {
	t.Helper()
	s := &site{pages: pages}
	s.Server = newServerOn(t, ip, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, seen{r.URL.Path, r.Header.Clone()})
		body, ok := s.pages[r.URL.Path]
		s.mu.Unlock()
		switch {
		case !ok:
			http.NotFound(w, r)
		case strings.HasPrefix(body, "->"):
			http.Redirect(w, r, strings.TrimPrefix(body, "->"), http.StatusMovedPermanently)
		default:
			fmt.Fprint(w, body)
		}
	}))
	return s
}

// set adds or replaces a page, e.g. one naming another site's URL.
func (s *site) set(path, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages[path] = body
}

func (s *site) seen() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.requests...)
}

func (s *site) paths() []string {
	var out []string
	for _, r := range s.seen() {
		out = append(out, r.Path)
	}
	return out
}

// host is the site's host as a URL has it (host:port).
func (s *site) host(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// isHost returns a predicate true for the given hosts only: a SeedHost, or an InScope on URLs.
func isHost(hosts ...string) func(string) bool {
	return func(h string) bool {
		for _, x := range hosts {
			if h == x {
				return true
			}
		}
		return false
	}
}

func urlOnHost(hosts ...string) func(*url.URL) bool {
	is := isHost(hosts...)
	return func(u *url.URL) bool { return is(u.Host) }
}
