package crawltest

import (
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Pages is a site of pages a test writes: each path answers its body, or a 301 redirect to
// what follows "->" in it; any other path answers 404. A body that starts with "<" (but not
// "<?xml") is served as UTF-8 HTML. Set changes a page while it serves.
type Pages struct {
	mu    sync.Mutex
	pages map[string]string
}

// NewPages returns a site of the pages, by path. The map is the site's from then on.
func NewPages(pages map[string]string) *Pages {
	if pages == nil {
		pages = map[string]string{}
	}
	return &Pages{pages: pages}
}

// Set adds or replaces the page at path, e.g. one naming another server's URL.
func (p *Pages) Set(path, body string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pages[path] = body
}

func (p *Pages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	body, ok := p.pages[r.URL.Path]
	p.mu.Unlock()
	switch {
	case !ok:
		http.NotFound(w, r)
	case strings.HasPrefix(body, "->"):
		http.Redirect(w, r, strings.TrimPrefix(body, "->"), http.StatusMovedPermanently)
	default:
		if strings.HasPrefix(body, "<") && !strings.HasPrefix(body, "<?xml") {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		}
		fmt.Fprint(w, body)
	}
}

// WritePage writes an HTML page with a title and a link to each of hrefs, its text the
// href. On an http.ResponseWriter without a Content-Type, it sets text/html.
func WritePage(w io.Writer, title string, hrefs ...string) {
	if rw, ok := w.(http.ResponseWriter); ok && rw.Header().Get("Content-Type") == "" {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><html><head><title>%s</title></head><body>\n", html.EscapeString(title))
	for _, h := range hrefs {
		h = html.EscapeString(h)
		fmt.Fprintf(&b, "<a href=\"%s\">%s</a>\n", h, h)
	}
	b.WriteString("</body></html>\n")
	_, _ = io.WriteString(w, b.String())
}

// ServeOn starts a server for h listening on addr: a loopback address with port 0 (any free
// port), such as "127.0.0.2:0", so that servers on 127.0.0.2 and 127.0.0.3 are hosts apart
// from the seed's; or an address a server listened on before, to serve the same URLs
// again. The server is closed when t ends.
func ServeOn(t testing.TB, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}
