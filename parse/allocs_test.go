//go:build !race

// The race detector changes allocation counts (sync.Pool drops items at random under it).

package parse_test

import (
	"bytes"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/crawl-project/crawl/parse"
)

// resultAllocs is what Extract may allocate beyond goquery's parse of the page: its result,
// whatever the number of links (the Page, its Links, one string holding all their URLs,
// anchor texts and facts, the page's fragment identifiers and its links' fragments), and no
// more than a decoder's output for a page in a legacy encoding.
const resultAllocs = 5

// TestExtractAllocs holds Extract to the allocations of goquery's own parse of the same bytes
// plus its result (the extractor is to allocate no more per page than goquery itself needs):
// nothing per link or per element. Counts are deterministic, so this is a test, not a benchmark.
func TestExtractAllocs(t *testing.T) {
	pages := append(generatedPages(t, 5), demoPages(t)...)
	x := parse.Extractor{MaxLinks: 6000}
	for _, p := range pages {
		goq := testing.AllocsPerRun(20, func() {
			if _, err := goquery.NewDocumentFromReader(bytes.NewReader(p.body)); err != nil {
				t.Fatal(err)
			}
		})
		ext := testing.AllocsPerRun(20, func() {
			if _, err := x.Extract(p.body, "text/html; charset=utf-8", p.url); err != nil {
				t.Fatal(err)
			}
		})
		if ext > goq+resultAllocs {
			t.Errorf("%s: Extract allocates %v times, goquery's parse %v (+%d for the result)", p.url, ext, goq, resultAllocs)
		}
	}
}
