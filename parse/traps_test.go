package parse

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/crawl-project/crawl"
)

func TestFilterCheck(t *testing.T) {
	// base is 19 bytes: a URL of n bytes is base plus n-19 more.
	const base = "http://example.com/"
	long := func(n int) string { return base + strings.Repeat("x", n-len(base)) }
	deep := func(segs int) string { // a path of segs slashes, no repeated segment
		var b strings.Builder
		b.WriteString("http://example.com")
		for i := 1; i < segs; i++ {
			b.WriteString("/s")
			b.WriteString(strings.Repeat("i", i))
		}
		b.WriteString("/")
		return b.String()
	}
	tests := []struct {
		name   string
		filter Filter
		url    string
		want   string
	}{
		{"plain URL accepted", DefaultFilter(), "http://example.com/a/b?q=1", ""},
		{"root accepted", DefaultFilter(), "http://example.com/", ""},

		// Length: the normalised URL's bytes, query included.
		{"2083 bytes accepted", DefaultFilter(), long(2083), ""},
		{"2084 bytes rejected", DefaultFilter(), long(2084), crawl.ReasonTooLong},
		{"long query rejected", DefaultFilter(), base + "?q=" + strings.Repeat("q", 2100), crawl.ReasonTooLong},
		{"length counted after escaping", Filter{MaxURLLength: 24}, base + "é", crawl.ReasonTooLong}, // "%C3%A9"
		{"length rule off", Filter{}, long(10000), ""},
		{"custom length", Filter{MaxURLLength: 30}, long(31), crawl.ReasonTooLong},

		// Segments: one per slash.
		{"20 segments accepted", DefaultFilter(), deep(20), ""},
		{"21 segments rejected", DefaultFilter(), deep(21), crawl.ReasonTooManySegments},
		{"trailing slash is a segment", Filter{MaxPathSegments: 2}, "http://example.com/a/b/", crawl.ReasonTooManySegments},
		{"without trailing slash", Filter{MaxPathSegments: 2}, "http://example.com/a/b", ""},
		{"empty segments count", Filter{MaxPathSegments: 3}, "http://example.com/a////b", crawl.ReasonTooManySegments},
		{"slashes in the query do not count", Filter{MaxPathSegments: 2}, "http://example.com/a?x=/b/c/d/e", ""},
		{"escaped slash is not a separator", Filter{MaxPathSegments: 2}, "http://example.com/a%2Fb%2Fc%2Fd", ""},
		{"segment rule off", Filter{}, deep(100), ""},

		// Repeats: the same non-empty segment anywhere in the path.
		{"same segment twice accepted", DefaultFilter(), "http://example.com/a/a/", ""},
		{"same segment three times rejected", DefaultFilter(), "http://example.com/a/a/a/", crawl.ReasonRepeatedSegment},
		{"not consecutive", DefaultFilter(), "http://example.com/en/x/en/y/en", crawl.ReasonRepeatedSegment},
		{"relative-link loop", DefaultFilter(), "http://example.com/img/img/img/logo.png", crawl.ReasonRepeatedSegment},
		{"case matters", DefaultFilter(), "http://example.com/A/a/A/", ""},
		{"empty segments do not repeat", DefaultFilter(), "http://example.com/a//b//c//", ""},
		{"different segments", DefaultFilter(), "http://example.com/2026/11/11/", ""},
		{"repeats in the query do not count", DefaultFilter(), "http://example.com/?a=/x/x/x", ""},
		{"custom repeats", Filter{MaxSegmentRepeats: 2}, "http://example.com/a/b/a", crawl.ReasonRepeatedSegment},
		{"repeat rule off", Filter{}, "http://example.com/a/a/a/a/a/", ""},
		{"long path without repeats", Filter{MaxSegmentRepeats: 3}, deep(40), ""},
		{"long path with repeats", Filter{MaxSegmentRepeats: 3}, deep(40) + "x/y/x/z/x", crawl.ReasonRepeatedSegment},
		{"long path with a pair", Filter{MaxSegmentRepeats: 3}, deep(40) + "x/y/x", ""},
		{"repeats of one", Filter{MaxSegmentRepeats: 1}, "http://example.com/a", crawl.ReasonRepeatedSegment},
		{"repeats of one, root", Filter{MaxSegmentRepeats: 1}, "http://example.com//", ""},

		// Order of the checks: length first, then segments, then repeats.
		{"too long and repeated", DefaultFilter(), base + strings.Repeat("a/", 1100), crawl.ReasonTooLong},
		{"too deep and repeated", DefaultFilter(), base + strings.Repeat("a/", 30), crawl.ReasonTooManySegments},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := Normalize(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if got := filterCheck(t, tt.filter, u); got != tt.want {
				t.Errorf("Check(%.80s) = %q, want %q", u, got, tt.want)
			}
		})
	}
}

func TestNormalizeStripsSessionIDs(t *testing.T) {
	tests := []normalizeCase{
		// Path parameter.
		{"jsessionid path parameter", "http://example.com/page;jsessionid=ABC123", "http://example.com/page"},
		{"jsessionid before the query", "http://example.com/page;jsessionid=ABC?x=1", "http://example.com/page?x=1"},
		{"jsessionid upper-case", "http://example.com/page;JSESSIONID=abc", "http://example.com/page"},
		{"jsessionid with escaped name", "http://example.com/page;%6Asessionid=abc", "http://example.com/page"},
		{"jsessionid in a directory", "http://example.com/dir;jsessionid=1/page", "http://example.com/dir/page"},
		{"other path parameters kept", "http://example.com/p;a=1;jsessionid=2;b=3", "http://example.com/p;a=1;b=3"},
		{"two jsessionids", "http://example.com/a;jsessionid=1/b;jsessionid=2", "http://example.com/a/b"},
		{"jsessionid on the root", "http://example.com/;jsessionid=1", "http://example.com/"},
		{"empty jsessionid", "http://example.com/page;jsessionid=", "http://example.com/page"},
		{"jsessionid then dot segment", "http://example.com/a/b/..;jsessionid=1/c", "http://example.com/a/c"},
		{"similar path parameter kept", "http://example.com/p;jsessionidx=1", "http://example.com/p;jsessionidx=1"},
		{"escaped semicolon kept", "http://example.com/p%3Bjsessionid=1", "http://example.com/p%3Bjsessionid=1"},

		// Query parameters.
		{"PHPSESSID", "http://example.com/?PHPSESSID=abc", "http://example.com/"},
		{"phpsessid lower-case among others", "http://example.com/p?a=1&phpsessid=abc&b=2", "http://example.com/p?a=1&b=2"},
		{"sid", "http://example.com/p?sid=1&page=2", "http://example.com/p?page=2"},
		{"SID last", "http://example.com/p?page=2&SID=1", "http://example.com/p?page=2"},
		{"sessionid", "http://example.com/p?SessionId=xyz&q=go", "http://example.com/p?q=go"},
		{"jsessionid in the query", "http://example.com/p?jsessionid=xyz", "http://example.com/p"},
		{"ASPSESSIONID with suffix", "http://example.com/p?ASPSESSIONIDQADSTCRB=KJH&x=1", "http://example.com/p?x=1"},
		{"aspsessionid alone", "http://example.com/p?aspsessionid=1", "http://example.com/p"},
		{"session id without a value", "http://example.com/p?sid&x=1", "http://example.com/p?x=1"},
		{"escaped parameter name", "http://example.com/p?%73id=1&x=1", "http://example.com/p?x=1"},
		{"repeated session ids", "http://example.com/p?sid=1&x=1&sid=2&y=2", "http://example.com/p?x=1&y=2"},
		{"order of the rest kept", "http://example.com/p?z=1&sid=0&a=2&m=3", "http://example.com/p?z=1&a=2&m=3"},
		{"similar names kept", "http://example.com/p?sids=1&ssid=2&session=3&asid=4", "http://example.com/p?sids=1&ssid=2&session=3&asid=4"},
		{"session id as a value kept", "http://example.com/p?name=sid&v=PHPSESSID", "http://example.com/p?name=sid&v=PHPSESSID"},
		{"both forms", "http://example.com/p;jsessionid=1?PHPSESSID=2&x=3", "http://example.com/p?x=3"},
		{"fragment after session id", "http://example.com/p?sid=1#top", "http://example.com/p"},
	}
	checkNormalizeCases(t, tests)
}

func TestResolveStripsSessionIDs(t *testing.T) {
	base, err := Normalize("http://example.com/shop/list;jsessionid=OLD?PHPSESSID=OLD&cat=3")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := base.String(), "http://example.com/shop/list?cat=3"; got != want {
		t.Fatalf("base = %q, want %q", got, want)
	}
	tests := []struct{ ref, want string }{
		{"item;jsessionid=NEW?id=7", "http://example.com/shop/item?id=7"},
		{"?PHPSESSID=NEW&cat=4", "http://example.com/shop/list?cat=4"},
		{"/cart?sid=NEW", "http://example.com/cart"},
		{"../;jsessionid=NEW", "http://example.com/"},
	}
	for _, tt := range tests {
		u, err := Resolve(base, tt.ref)
		if err != nil {
			t.Fatalf("Resolve(%q): %v", tt.ref, err)
		}
		if got := u.String(); got != tt.want {
			t.Errorf("Resolve(%q) = %q, want %q", tt.ref, got, tt.want)
		}
	}
}

func TestRobotsHeader(t *testing.T) {
	tests := []struct {
		name              string
		values            []string
		token             string
		nofollow, noindex bool
	}{
		{"none", nil, "crawl", false, false},
		{"nofollow", []string{"nofollow"}, "crawl", true, false},
		{"both, any case and spacing", []string{" NoIndex , NOFOLLOW "}, "crawl", true, true},
		{"none directive", []string{"none"}, "crawl", true, true},
		{"several headers", []string{"noindex", "nofollow"}, "crawl", true, true},
		{"our agent", []string{"crawl: nofollow"}, "crawl", true, false},
		{"our agent, other case", []string{"CRAWL: noindex, nofollow"}, "crawl", true, true},
		{"another agent", []string{"googlebot: nofollow, noindex"}, "crawl", false, false},
		{"agent prefix of ours", []string{"craw: nofollow"}, "crawl", false, false},
		{"agent-specific without a token", []string{"crawl: nofollow"}, "", false, false},
		{"directive with a value is not an agent", []string{"unavailable_after: 25 Jun 2030 15:00:00 PST, nofollow"}, "crawl", true, false},
		{"max-snippet is not an agent", []string{"max-snippet: 20"}, "crawl", false, false},
		{"other directives ignored", []string{"noarchive, nosnippet"}, "crawl", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nf, ni := RobotsHeader(tt.values, tt.token)
			if nf != tt.nofollow || ni != tt.noindex {
				t.Errorf("RobotsHeader(%q, %q) = %v, %v; want %v, %v", tt.values, tt.token, nf, ni, tt.nofollow, tt.noindex)
			}
		})
	}
}

// The filter runs on every link of every page: it must cost little next to parsing.
func BenchmarkFilterCheck(b *testing.B) {
	f := DefaultFilter()
	var urls []*url.URL
	for _, s := range []string{
		"http://example.com/",
		"http://example.com/blog/2026/11/some-article-title?utm_source=x&page=2",
		"http://example.com/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/",
		"http://example.com/img/img/img/logo.png",
	} {
		u, err := Normalize(s)
		if err != nil {
			b.Fatal(err)
		}
		urls = append(urls, u)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f.Check(urls[i%len(urls)])
	}
}

// Normalisation with session ids to strip, against the same URL without them.
func BenchmarkNormalizeSessionIDs(b *testing.B) {
	for _, s := range []string{
		"http://example.com/shop/item?id=7&cat=3",
		"http://example.com/shop/item;jsessionid=0123456789ABCDEF?id=7&PHPSESSID=abcdef0123456789&cat=3",
	} {
		b.Run(strconv.Itoa(len(s)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Normalize(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
