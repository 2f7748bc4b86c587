package crawler

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/fetch"
	"github.com/crawl-project/crawl/parse"
	"github.com/crawl-project/crawl/store"
)

// cannedSite answers every request with one fuzzed response, in memory.
type cannedSite struct {
	status   int
	header   http.Header
	body     []byte
	requests int
}

func (s *cannedSite) RoundTrip(r *http.Request) (*http.Response, error) {
	s.requests++
	return &http.Response{
		StatusCode: s.status, Status: strconv.Itoa(s.status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: s.header.Clone(), Body: io.NopCloser(bytes.NewReader(s.body)), ContentLength: -1, Request: r,
	}, nil
}

var fuzzContentTypes = []string{"text/html; charset=utf-8", "text/html", "text/html; charset=windows-1252",
	"application/xhtml+xml", "text/plain", "", "text/html; charset=utf-16", "text/html; charset=bogus"}

var fuzzEncodings = []string{"", "gzip", "deflate", "br", "identity", "gzip, gzip"}

// FuzzHostilePage feeds any answer a server can give (status, headers, Location, body)
// through the fetch, the parse and the writer's commit, as the pipeline does: the commit
// never fails because of what the server sent, and the leased URL always ends recorded.
func FuzzHostilePage(f *testing.F) {
	f.Add(200, uint8(0), uint8(0), "", []byte(`<title>t</title><a href="/a">a</a><a href="http://other.test/">o</a>`))
	f.Add(301, uint8(0), uint8(0), "/moved", []byte(""))
	f.Add(302, uint8(0), uint8(0), "ftp://a.test/file", []byte(""))
	f.Add(301, uint8(0), uint8(0), "/"+string(bytes.Repeat([]byte("x"), 40_000)), []byte(""))
	f.Add(200, uint8(0), uint8(0), "", append([]byte(`<a href="/`), append(bytes.Repeat([]byte("y"), 40_000), `">long</a>`...)...))
	f.Add(200, uint8(1), uint8(1), "", []byte{0x1f, 0x8b, 0, 0})
	f.Add(200, uint8(0), uint8(3), "", []byte("<a href=/x>x</a>"))
	f.Add(500, uint8(0), uint8(0), "", []byte("<a href=/x>x</a>"))
	f.Add(200, uint8(2), uint8(0), "", bytes.Repeat([]byte("<div>"), 600))
	f.Add(200, uint8(0), uint8(0), "", bytes.Repeat([]byte(`<b id=1><p>x</p>`), 300))

	db, err := store.Open(filepath.Join(f.TempDir(), "fuzz.db"), store.Options{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	seed, _ := url.Parse("http://a.test/")
	scope, err := parse.NewScope(parse.ScopeDomain, []*url.URL{seed}, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	w := db.Writer(-1)
	page := 0
	f.Fuzz(func(t *testing.T, status int, ctype, encoding uint8, location string, body []byte) {
		if status < 100 || status > 999 {
			status = 200
		}
		site := &cannedSite{status: status, header: http.Header{}, body: body}
		if ct := fuzzContentTypes[int(ctype)%len(fuzzContentTypes)]; ct != "" {
			site.header.Set("Content-Type", ct)
		}
		if enc := fuzzEncodings[int(encoding)%len(fuzzEncodings)]; enc != "" {
			site.header.Set("Content-Encoding", enc)
		}
		if location != "" {
			site.header.Set("Location", location)
		}
		cfg := testConfig(Config{Scope: scope})
		cfg.Fetch = fetch.NewClient(fetch.Config{Transport: site, MaxBody: 1 << 20, BodyBudget: fetch.NewBodyBudget(4 << 20)})

		// A host of its own for each input, its one URL leased as the frontier leases.
		page++
		host := fmt.Sprintf("h%d.a.test", page)
		if _, err := db.AddSeeds([]store.Seed{{URL: "http://" + host + "/", Host: host}}); err != nil {
			t.Fatal(err)
		}
		entries, err := db.FrontierNext(host, 0, 1, nil)
		if err != nil || len(entries) != 1 {
			t.Fatalf("frontier: %v, %d entries", err, len(entries))
		}
		tk := task{Entry: entries[0]}
		u, err := url.Parse(tk.URL)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := attempt(context.Background(), cfg, newStats(), tk, u)
		if r == nil {
			t.Fatalf("no result for an answer of status %d", status)
		}
		res := toResult(cfg, parse.Extractor{MaxLinks: 6000, RobotsToken: "crawl"}, *r)
		r.resp.Release()
		if _, err := w.Commit([]crawl.Result{res}); err != nil {
			t.Fatalf("commit of status %d, %d links: %v", status, len(res.Links), err)
		}
		var n crawl.Node
		if err := db.View(func(s *store.Snapshot) (err error) { n, err = s.Node(tk.ID); return err }); err != nil {
			t.Fatal(err)
		}
		if n.State == crawl.StatePending {
			t.Fatalf("the leased URL is still pending after its commit: %+v", n)
		}
		if n.State == crawl.StateDone && n.OutLinks+n.DroppedOut < len(res.Links) {
			t.Fatalf("%d links found, %d stored and %d counted", len(res.Links), n.OutLinks, n.DroppedOut)
		}
		if site.requests > 1 {
			t.Fatalf("%d requests for one lease: a redirect was followed", site.requests)
		}
	})
}
