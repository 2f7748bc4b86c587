package parse_test

import (
	"reflect"
	"testing"

	"github.com/crawl-project/crawl/parse"
)

// TestFastPathsOnBenchPages runs the pages BenchmarkExtract measures through Extract and
// through its general path: the fast paths the benchmark exercises must not change a result.
func TestFastPathsOnBenchPages(t *testing.T) {
	pages := append(generatedPages(t, 50), demoPages(t)...)
	for _, x := range []parse.Extractor{{}, {MaxLinks: 10}} {
		for _, ct := range []string{"text/html; charset=utf-8", "text/html"} {
			for _, p := range pages {
				got, err := x.Extract(p.body, ct, p.url)
				want, werr := x.ExtractGeneral(p.body, ct, p.url)
				if err != nil || werr != nil {
					t.Fatalf("%s: %v; general path: %v", p.url, err, werr)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s (%s, MaxLinks %d): Extract gives\n%+v\nthe general path\n%+v", p.url, ct, x.MaxLinks, got, want)
				}
			}
		}
	}
}
