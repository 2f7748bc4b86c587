package crawltest

import (
	"net/http"
	"net/http/httptest"
)

// rendered is an answer made ahead of its request.
type rendered struct {
	status int
	header http.Header
	body   []byte
}

func (c *rendered) write(w http.ResponseWriter, r *http.Request) {
	for k, v := range c.header {
		w.Header()[k] = v
	}
	w.WriteHeader(c.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(c.body)
	}
}

// Prerender makes the answers to urls now (absolute URLs as the crawl requests them, host
// and port included: page links are rendered for that origin) and serves them from memory
// from then on, so that a benchmark's server costs little CPU, the same for every client.
// Requests are still recorded and delayed by the configured latency. Call it before the
// site serves.
func (s *Site) Prerender(urls []string) {
	done := make(map[string]*rendered, len(urls))
	for _, raw := range urls {
		r := httptest.NewRequest(http.MethodGet, raw, nil)
		w := httptest.NewRecorder()
		s.answer(w, r)
		key := s.logHost(r.Host) + r.URL.Path
		if r.URL.RawQuery != "" {
			key += "?" + r.URL.RawQuery
		}
		done[key] = &rendered{status: w.Code, header: w.Header().Clone(), body: w.Body.Bytes()}
	}
	s.rendered = done
}
