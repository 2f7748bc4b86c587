package fetch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/crawl-project/crawl/parse"
)

// Get runs once per page: its own cost beside the round trip over loopback.
func BenchmarkGet(b *testing.B) {
	page := []byte("<html><body><a href=/a>a</a></body></html>")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	defer srv.Close()
	u, err := parse.Normalize(srv.URL + "/page")
	if err != nil {
		b.Fatal(err)
	}
	c := NewClient(Config{UserAgent: "crawl/1.0"})
	defer c.CloseIdleConnections()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Get(ctx, u, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// GetCrawlConfig is Get as the crawl command configures it: header rules chosen per request,
// seed hosts asked per request, and the address guard (the seed host is exempt; a new
// connection would be checked when dialled).
func BenchmarkGetCrawlConfig(b *testing.B) {
	page := []byte("<html><body><a href=/a>a</a></body></html>")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	defer srv.Close()
	u, err := parse.Normalize(srv.URL + "/page")
	if err != nil {
		b.Fatal(err)
	}
	var rules []HeaderRule
	for _, s := range []string{"Authorization: Bearer x", "other.test=X-Key: k", "*=Accept-Language: en"} {
		r, err := ParseHeaderRule(s)
		if err != nil {
			b.Fatal(err)
		}
		rules = append(rules, r)
	}
	seeds := map[string]bool{u.Host: true}
	c := NewClient(Config{UserAgent: "crawl/1.0", Headers: rules, RefusePrivateAddresses: true,
		SeedHost: func(h string) bool { return seeds[h] }})
	defer c.CloseIdleConnections()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Get(ctx, u, nil); err != nil {
			b.Fatal(err)
		}
	}
}
