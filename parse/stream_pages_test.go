package parse_test

import (
	"reflect"
	"testing"

	"github.com/crawl-project/crawl/parse"
)

func TestStreamingMatchesTreeOnBenchPages(t *testing.T) {
	pages := append(generatedPages(t, 200), demoPages(t)...)
	for _, x := range []parse.Extractor{{}, {MaxLinks: 10}} {
		for _, ct := range []string{"text/html; charset=utf-8", "text/html"} {
			for _, p := range pages {
				want, err := x.Extract(p.body, ct, p.url)
				got, serr := x.ExtractStreaming(p.body, ct, p.url)
				if err != nil || serr != nil {
					t.Fatalf("%s: %v; streaming: %v", p.url, err, serr)
				}
				if got.Partial != "test" {
					t.Fatalf("Partial = %q", got.Partial)
				}
				got.Partial = ""
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s (%s, MaxLinks %d): the token scanner gives\n%+v\nthe tree\n%+v", p.url, ct, x.MaxLinks, got, want)
				}
			}
		}
	}
}
