package robots

import (
	"strings"
	"testing"
)

// FuzzParse parses arbitrary bodies and queries arbitrary paths. Besides not
// panicking, it checks invariants that hold for every input.
func FuzzParse(f *testing.F) {
	f.Add([]byte("User-agent: *\nDisallow: /\n"), "/a")
	f.Add([]byte("User-agent: crawl\nAllow: /a*b$\nDisallow: /%2f\nCrawl-delay: 1.5\n"), "/a%2Fb?x")
	f.Add([]byte(""), "")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		r := Parse(body)
		r.Sitemaps()
		for _, agent := range []string{"crawl", "*", "", "Crawl/1.0"} {
			g := r.Group(agent)
			if g == nil {
				t.Fatalf("Group(%q) = nil", agent)
			}
			allowed := g.Allowed(path)
			if d, ok := g.CrawlDelay(); d < 0 || (!ok && d != 0) {
				t.Fatalf("CrawlDelay() = %v, %v", d, ok)
			}
			if !g.Allowed("/robots.txt") {
				t.Fatalf("Group(%q) disallows /robots.txt", agent)
			}
			// A leading BOM never changes the result.
			if agent == "crawl" && len(body) < 4096 && !strings.HasPrefix(string(body), "\xEF\xBB\xBF") {
				bom := append([]byte("\xEF\xBB\xBF"), body...)
				if got := Parse(bom).Group(agent).Allowed(path); got != allowed {
					t.Fatalf("BOM changed Allowed(%q): %v, want %v", path, got, allowed)
				}
			}
		}
		if !Parse(nil).Group("crawl").Allowed(path) || !Parse([]byte{}).Group("*").Allowed(path) {
			t.Fatalf("empty file disallows %q", path)
		}
	})
}

// FuzzMatch checks the compiled matcher against a straightforward dynamic-
// programming implementation of the same pattern language.
func FuzzMatch(f *testing.F) {
	f.Add("/a*b$", "/axxb")
	f.Add("/*.php$", "/x.php?y")
	f.Add("*", "/")
	f.Add("/ab*ba$", "/aba")
	f.Add("/a**b*", "/ab")
	f.Fuzz(func(t *testing.T, pattern, path string) {
		r := compile(pattern, false)
		p, s := normalize(pattern), normalize(path)
		if got, want := r.match(s), refMatch(p, s); got != want {
			t.Fatalf("match(%q, %q) = %v, reference says %v", p, s, got, want)
		}
		if r.length != len(p) {
			t.Fatalf("length = %d, want %d", r.length, len(p))
		}
		if normalize(s) != s {
			t.Fatalf("normalize is not idempotent on %q", path)
		}
	})
}

// refMatch reports whether pattern matches path: '*' matches any sequence,
// a final '$' anchors at the end, and otherwise the pattern need only match a
// prefix of path.
func refMatch(pattern, path string) bool {
	anchored := strings.HasSuffix(pattern, "$")
	if anchored {
		pattern = pattern[:len(pattern)-1]
	}
	// m[j] reports whether the pattern read so far matches path[:j].
	m := make([]bool, len(path)+1)
	m[0] = true
	for i := 0; i < len(pattern); i++ {
		next := make([]bool, len(path)+1)
		for j := 0; j <= len(path); j++ {
			if pattern[i] == '*' {
				next[j] = m[j] || (j > 0 && next[j-1])
			} else {
				next[j] = j > 0 && m[j-1] && path[j-1] == pattern[i]
			}
		}
		m = next
	}
	if anchored {
		return m[len(path)]
	}
	for _, ok := range m {
		if ok {
			return true
		}
	}
	return false
}
