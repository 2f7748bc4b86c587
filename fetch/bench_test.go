package fetch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/crawl-project/crawl/parse"
)

// Get runs once per page: its own cost beside the round trip over loopback.
func BenchmarkGet(b *testing.B) {
	u := pageServer(b)
	getLoop(b, NewClient(Config{UserAgent: "crawl/1.0"}), u)
}

// GetCrawlConfig is Get as the crawl command configures it: header rules chosen per request,
// seed hosts asked per request, and the address guard (the seed host is exempt; a new
// connection would be checked when dialled).
func BenchmarkGetCrawlConfig(b *testing.B) {
	u := pageServer(b)
	var rules []HeaderRule
	for _, s := range []string{"Authorization: Bearer x", "other.test=X-Key: k", "*=Accept-Language: en"} {
		r, err := ParseHeaderRule(s)
		if err != nil {
			b.Fatal(err)
		}
		rules = append(rules, r)
	}
	seeds := map[string]bool{u.Host: true}
	getLoop(b, NewClient(Config{UserAgent: "crawl/1.0", Headers: rules, RefusePrivateAddresses: true,
		SeedHost: func(h string) bool { return seeds[h] }}), u)
}

// pageServer serves one small HTML page at every path, with nothing else on the server's
// side that the benchmark would measure, and returns the URL of one.
func pageServer(b *testing.B) *url.URL {
	b.Helper()
	page := []byte("<html><body><a href=/a>a</a></body></html>")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	b.Cleanup(srv.Close)
	u, err := parse.Normalize(srv.URL + "/page")
	if err != nil {
		b.Fatal(err)
	}
	return u
}

// getLoop fetches u with c for as long as the benchmark runs.
func getLoop(b *testing.B, c *Client, u *url.URL) {
	b.Helper()
	defer c.CloseIdleConnections()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Get(ctx, u, nil); err != nil {
			b.Fatal(err)
		}
	}
}
