package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crawl-project/crawl/crawler/crawltest"
)

// A page linking to a URL of 40,000 bytes, in scope and outside it, and a redirect to one,
// once stopped every crawl of the site for good: the commit failed on bbolt's key limit and
// every resume fetched the page again and failed the same way. Now the crawl finishes, counts
// the three URLs it cannot store, and a rerun fetches nothing again. With --max-url-length 0
// the long link and the redirect's target are followable, not merely recorded as too long:
// the writer refuses them all the same.
func TestURLsTooLongToStoreDoNotStopTheCrawl(t *testing.T) {
	long := strings.Repeat("a", 40_000)
	log := crawltest.Record(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, `<title>Home</title><a href="/%s">long</a> <a href="http://other.test/%s">far</a>
				<a href="/moved">moved</a> <a href="/ok">ok</a>`, long, long)
		case "/moved":
			http.Redirect(w, r, "/"+strings.Repeat("b", 40_000), http.StatusMovedPermanently)
		case "/ok":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<title>OK</title><a href="/">home</a>`)
		default:
			http.NotFound(w, r)
		}
	}))
	srv := httptest.NewServer(log)
	t.Cleanup(srv.Close)
	seeds := writeFile(t, t.TempDir(), "seeds.txt", srv.URL+"/\n")
	for _, flags := range [][]string{nil, {"--max-url-length", "0"}} {
		t.Run(fmt.Sprintf("%q", flags), func(t *testing.T) {
			log.Reset()
			db := filepath.Join(t.TempDir(), "c.db")
			args := append([]string{"--seeds", seeds, "--db", db, "--host-rate", "0"}, flags...)
			code, stdout, stderr := runCmd(t, args...)
			if code != exitOK {
				t.Fatalf("crawl: exit %d\n%s", code, stderr)
			}
			for _, want := range []string{"pages fetched   3 ", "3 url-too-long-to-store"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("summary lacks %q:\n%s", want, stdout)
				}
			}
			st := statusJSON(t, db)
			if !st.Finished || st.Rejected["url-too-long-to-store"] != 3 || st.States["done"] != 3 || st.URLs != 3 {
				t.Errorf("status: %+v; want 3 URLs done and 3 refused as too long to store", st)
			}
			g := readGraph(t, db)
			if n := g.nodes[srv.URL+"/"]; n.Dropped != 2 || n.OutLinks != 2 {
				t.Errorf("home page: %+v; want 2 links recorded and 2 counted as dropped", n)
			}
			// The redirect is recorded with its status, and its record says why its target is
			// not: a URL the crawl cannot store is never requested either.
			if n := g.nodes[srv.URL+"/moved"]; n.Status != http.StatusMovedPermanently || n.Dropped != 1 ||
				!strings.Contains(n.Error, fmt.Sprintf("redirect to a URL of %d bytes, longer than the 16384 the crawl stores", len(srv.URL)+40_001)) {
				t.Errorf("redirect: %+v; want its status, its target counted as dropped, and why", n)
			}
			if target := log.Count("/" + strings.Repeat("b", 40_000)); target != 0 {
				t.Errorf("the redirect's target was requested %d times", target)
			}

			before := log.TargetCounts()
			if code, _, stderr := runCmd(t, args...); code != exitOK {
				t.Fatalf("rerun: exit %d\n%s", code, stderr)
			}
			for path, n := range log.TargetCounts() {
				if path != "/robots.txt" && n != before[path] {
					t.Errorf("the rerun fetched %s again", path)
				}
			}
		})
	}
}
