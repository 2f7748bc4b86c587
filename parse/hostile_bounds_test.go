//go:build !race

// The race detector changes what is allocated, and slows these pages tenfold.

package parse_test

import (
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/crawl-project/crawl/parse"
)

// TestHostilePagesBounded parses the pages built to exhaust the extractor and holds it to
// what a page of that size may cost: links found, and bytes allocated (which bound the heap
// the call can grow) within a few times the body, where building their trees took 30 to 50
// times it.
func TestHostilePagesBounded(t *testing.T) {
	pageURL, _ := url.Parse("http://hostile.test/p")
	x := parse.Extractor{MaxLinks: 6000}
	for _, p := range hostilePages()[:4] {
		t.Run(p.name, func(t *testing.T) {
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			page, err := x.Extract(p.body, "text/html; charset=utf-8", pageURL)
			runtime.ReadMemStats(&m1)
			if err != nil {
				t.Fatal(err)
			}
			if allocated, bound := m1.TotalAlloc-m0.TotalAlloc, 4*uint64(len(p.body))+1<<20; allocated > bound {
				t.Errorf("%d bytes allocated for a %d-byte page; bound %d", allocated, len(p.body), bound)
			}
			if page.Partial == "" {
				t.Errorf("read from a tree")
			}
			t.Logf("%s: %d links, %s", p.name, len(page.Links), page.Partial)
			switch p.name {
			case "anchors-10MiB":
				if len(page.Links) != 1 || page.Links[0].Count != len(p.body)/len("<a href=/x>x</a>") || page.Links[0].Anchor != "x" {
					t.Errorf("links %+v", page.Links)
				}
			case "svg-anchors-500x2.6M":
				if len(page.Links) != 500 {
					t.Fatalf("%d links, want 500", len(page.Links))
				}
				for _, l := range page.Links {
					if l.Anchor != strings.Repeat("x", parse.MaxAnchor) || l.Count != 1 {
						t.Fatalf("link %s: anchor of %d bytes, count %d", l.URL, len(l.Anchor), l.Count)
					}
				}
			case "formatting-400x25k":
				if len(page.Links) != 2 || !strings.Contains(page.Partial, "formatting elements") {
					t.Errorf("links %+v, partial %q", page.Links, page.Partial)
				}
			case "deep-2000":
				var urls []string
				for _, l := range page.Links {
					urls = append(urls, l.URL+" "+l.Anchor)
				}
				want := []string{"http://hostile.test/before before", "http://hostile.test/at1000 at 1000",
					"http://hostile.test/at1999 at 1999", "http://hostile.test/after after"}
				if strings.Join(urls, ", ") != strings.Join(want, ", ") {
					t.Errorf("links %q, want %q", urls, want)
				}
			}
		})
	}
}
