package crawler_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/fetch"
	"github.com/crawl-project/crawl/parse"
	"github.com/crawl-project/crawl/store"
)

// fakeSite answers requests in memory, inside a synctest bubble, and records when each came:
// the scheduling decisions of the frontier then show as exact gaps of the bubble's clock,
// with no network and no waiting in real time.
type fakeSite struct {
	log    *crawltest.Recorder
	answer func(path string, n int) (status int, header http.Header, body string, err error)

	mu     sync.Mutex
	failed map[*http.Request]error // requests the answer gave no response to, and why
}

func newFakeSite(answer func(path string, n int) (int, http.Header, string, error)) *fakeSite {
	s := &fakeSite{answer: answer, failed: map[*http.Request]error{}}
	s.log = crawltest.RecordFunc(func(w http.ResponseWriter, r *http.Request, a crawltest.Arrival) {
		status, header, body, err := s.answer(r.URL.Path, a.N)
		if err != nil {
			s.mu.Lock()
			s.failed[r] = err
			s.mu.Unlock()
			return
		}
		for k, vs := range header {
			w.Header()[k] = vs
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	})
	return s
}

func (s *fakeSite) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	s.log.ServeHTTP(rec, r)
	s.mu.Lock()
	err, failed := s.failed[r]
	delete(s.failed, r)
	s.mu.Unlock()
	if failed {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// first returns when path was first requested, or fails.
func (s *fakeSite) first(t *testing.T, path string) time.Time {
	t.Helper()
	return s.nth(t, path, 1)
}

// nth returns when path was requested the n-th time (1-based).
func (s *fakeSite) nth(t *testing.T, path string, n int) time.Time {
	t.Helper()
	all := s.log.Arrivals("")
	for _, a := range all {
		if a.Path() == path {
			if n--; n == 0 {
				return a.At
			}
		}
	}
	t.Fatalf("%s requested fewer times than asked; requests %v", path, all)
	return time.Time{}
}

func links(hrefs ...string) string {
	var b strings.Builder
	crawltest.WritePage(&b, "page", hrefs...)
	return b.String()
}

// crawlFake crawls http://site.test/ served by answer, in a synctest bubble, one request of the
// host at a time, and returns what the site saw.
func crawlFake(t *testing.T, answer func(path string, n int) (int, http.Header, string, error)) *fakeSite {
	site := newFakeSite(answer)
	synctest.Test(t, func(t *testing.T) {
		db, err := store.Open(filepath.Join(t.TempDir(), "crawl.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		seed, _ := url.Parse("http://site.test/")
		scope, err := parse.NewScope(parse.ScopeHost, []*url.URL{seed}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := crawler.New(db, crawler.Config{
			Seeds: []string{seed.String()}, Scope: scope, MaxDepth: -1,
			Workers: 4, Parsers: 1, HostConcurrency: 1, HostRate: 0,
			Retries: 2, Backoff: 10 * time.Second, MaxBackoff: time.Hour,
			Fetch: fetch.NewClient(fetch.Config{UserAgent: "crawl-test", Transport: site}),
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	return site
}

// TestAFailureSlowsWhatFailed holds the frontier to its failure policy: a 500 on a page
// delays that page's retry and nothing else of its host; a 429 or 503 holds back the whole
// host, for its Retry-After when it gives one; no answer at all holds back the host; and a run
// of failed answers holds back the host although each failed on its own.
func TestAFailureSlowsWhatFailed(t *testing.T) {
	const backoff = 10 * time.Second // crawlFake's; a wait is between half and all of it
	ok := func(hrefs ...string) (int, http.Header, string, error) { return 200, nil, links(hrefs...), nil }

	t.Run("500 delays only its page", func(t *testing.T) {
		s := crawlFake(t, func(path string, n int) (int, http.Header, string, error) {
			switch path {
			case "/":
				return ok("/a", "/b", "/c")
			case "/a":
				if n == 1 {
					return 500, nil, "", nil
				}
			}
			return ok()
		})
		failed := s.nth(t, "/a", 1)
		if b := s.first(t, "/b"); !b.Equal(failed) {
			t.Errorf("/b went out %v after /a's 500, want at once", b.Sub(failed))
		}
		if c := s.first(t, "/c"); !c.Equal(failed) {
			t.Errorf("/c went out %v after /a's 500, want at once", c.Sub(failed))
		}
		if retry := s.nth(t, "/a", 2).Sub(failed); retry < backoff/2 || retry > backoff {
			t.Errorf("/a retried after %v, want its own backoff of %v to %v", retry, backoff/2, backoff)
		}
	})

	t.Run("429 holds back the host until Retry-After", func(t *testing.T) {
		s := crawlFake(t, func(path string, n int) (int, http.Header, string, error) {
			switch {
			case path == "/":
				return ok("/a", "/b")
			case path == "/a" && n == 1:
				return 429, http.Header{"Retry-After": {"30"}}, "", nil
			}
			return ok()
		})
		limited := s.nth(t, "/a", 1)
		if b := s.first(t, "/b").Sub(limited); b < 30*time.Second {
			t.Errorf("/b went out %v after the 429, before its Retry-After of 30s", b)
		}
		if retry := s.nth(t, "/a", 2).Sub(limited); retry < 30*time.Second {
			t.Errorf("/a retried %v after the 429, before its Retry-After of 30s", retry)
		}
	})

	t.Run("503 without Retry-After holds back the host", func(t *testing.T) {
		s := crawlFake(t, func(path string, n int) (int, http.Header, string, error) {
			switch {
			case path == "/":
				return ok("/a", "/b")
			case path == "/a" && n == 1:
				return 503, nil, "", nil
			}
			return ok()
		})
		if b := s.first(t, "/b").Sub(s.nth(t, "/a", 1)); b < backoff/2 {
			t.Errorf("/b went out %v after the 503, want a backoff of at least %v", b, backoff/2)
		}
	})

	t.Run("no answer holds back the host", func(t *testing.T) {
		s := crawlFake(t, func(path string, n int) (int, http.Header, string, error) {
			switch {
			case path == "/":
				return ok("/a", "/b")
			case path == "/a" && n == 1:
				return 0, nil, "", fmt.Errorf("dial: %w", syscall.ECONNREFUSED)
			}
			return ok()
		})
		if b := s.first(t, "/b").Sub(s.nth(t, "/a", 1)); b < backoff/2 {
			t.Errorf("/b went out %v after the refused connection, want a backoff of at least %v", b, backoff/2)
		}
	})

	t.Run("three failed answers in a row hold back the host", func(t *testing.T) {
		s := crawlFake(t, func(path string, n int) (int, http.Header, string, error) {
			switch path {
			case "/":
				return ok("/a", "/b", "/c", "/d")
			case "/a", "/b", "/c":
				if n == 1 {
					return 502, nil, "", nil
				}
			}
			return ok()
		})
		a, b, c := s.nth(t, "/a", 1), s.nth(t, "/b", 1), s.nth(t, "/c", 1)
		if !b.Equal(a) || !c.Equal(a) {
			t.Errorf("the second and third failing pages went out %v and %v after the first, want at once", b.Sub(a), c.Sub(a))
		}
		if d := s.first(t, "/d").Sub(c); d < backoff/2 {
			t.Errorf("/d went out %v after the third failure in a row, want a backoff of at least %v", d, backoff/2)
		}
	})
}
