package robots

import (
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// check is one Allowed query against a parsed file.
type check struct {
	path string
	want bool
}

func TestAllowed(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		agent  string
		checks []check
	}{
		// Product token selection.
		{"token exact", "User-agent: crawl\nDisallow: /a\n\nUser-agent: *\nDisallow: /b\n", "crawl",
			[]check{{"/a", false}, {"/b", true}}},
		{"token is not a prefix", "User-agent: crawler\nDisallow: /a\n\nUser-agent: *\nDisallow: /b\n", "crawl",
			[]check{{"/a", true}, {"/b", false}}},
		{"token case-insensitive", "User-agent: CRAWL\nDisallow: /a\n", "crawl",
			[]check{{"/a", false}}},
		{"token with version in file", "User-agent: crawl/2.0\nDisallow: /a\n\nUser-agent: *\nDisallow: /b\n", "crawl",
			[]check{{"/a", false}, {"/b", true}}},
		{"token with comment in file", "User-agent: Crawl (+https://example.com)\nDisallow: /a\n", "crawl",
			[]check{{"/a", false}}},
		{"token with version from caller", "User-agent: crawl\nDisallow: /a\n", "Crawl/1.0",
			[]check{{"/a", false}}},
		{"fallback to star", "User-agent: other\nDisallow: /a\n\nUser-agent: *\nDisallow: /b\n", "crawl",
			[]check{{"/a", true}, {"/b", false}}},
		{"no group applies", "User-agent: other\nDisallow: /\n", "crawl",
			[]check{{"/", true}, {"/a", true}}},
		{"empty token selects star", "User-agent: *\nDisallow: /b\n", "",
			[]check{{"/b", false}}},
		{"star not merged into specific group", "User-agent: *\nDisallow: /b\n\nUser-agent: crawl\nDisallow: /a\n", "crawl",
			[]check{{"/a", false}, {"/b", true}}},

		// Grouping.
		{"consecutive user-agents share a group", "User-agent: crawl\nUser-agent: other\nDisallow: /a\n", "crawl",
			[]check{{"/a", false}}},
		{"user-agent after rule starts a group", "User-agent: crawl\nDisallow: /a\nUser-agent: other\nDisallow: /b\n", "crawl",
			[]check{{"/a", false}, {"/b", true}}},
		{"same-agent groups merged", "User-agent: crawl\nDisallow: /a\n\nUser-agent: other\nDisallow: /x\n\nUser-agent: crawl\nDisallow: /b\n", "crawl",
			[]check{{"/a", false}, {"/b", false}, {"/x", true}}},
		{"same-agent groups merged across case and version", "User-agent: crawl\nDisallow: /a\n\nUser-agent: CRAWL/3\nAllow: /a/b\n", "crawl",
			[]check{{"/a/c", false}, {"/a/b", true}}},
		{"rules before any user-agent ignored", "Disallow: /a\nUser-agent: *\nDisallow: /b\n", "crawl",
			[]check{{"/a", true}, {"/b", false}}},

		// Precedence.
		{"longest match allow", "User-agent: *\nDisallow: /a\nAllow: /a/b\n", "crawl",
			[]check{{"/a/b/c", true}, {"/a/c", false}}},
		{"longest match disallow", "User-agent: *\nDisallow: /a/b\nAllow: /a\n", "crawl",
			[]check{{"/a/b/c", false}, {"/a/c", true}}},
		{"longest match counts wildcards", "User-agent: *\nAllow: /*a\nDisallow: /ba\n", "crawl",
			[]check{{"/ba", true}, {"/bb", true}}},
		{"longest match counts normalised octets", "User-agent: *\nDisallow: /üx\nAllow: /%C3%BC\n", "crawl",
			[]check{{"/%C3%BCx", false}, {"/%C3%BCy", true}}},
		{"tie allow wins, allow first", "User-agent: *\nAllow: /a\nDisallow: /a\n", "crawl",
			[]check{{"/a", true}}},
		{"tie allow wins, disallow first", "User-agent: *\nDisallow: /a\nAllow: /a\n", "crawl",
			[]check{{"/a", true}}},
		{"tie allow wins with wildcard", "User-agent: *\nDisallow: /a/\nAllow: /a*\n", "crawl",
			[]check{{"/a/x", true}}},
		{"no match allowed", "User-agent: *\nDisallow: /a\n", "crawl",
			[]check{{"/b", true}, {"/", true}}},

		// Wildcards.
		{"star", "User-agent: *\nDisallow: /*.php\n", "crawl",
			[]check{{"/x/y.php", false}, {"/x.php?q=1", false}, {"/x.html", true}}},
		{"several stars in order", "User-agent: *\nDisallow: /a*b*c\n", "crawl",
			[]check{{"/a-x-b-y-c", false}, {"/abc", false}, {"/a-c-b", true}}},
		{"leading star", "User-agent: *\nDisallow: *private\n", "crawl",
			[]check{{"/x/private/y", false}, {"/public", true}}},
		{"dollar anchors", "User-agent: *\nDisallow: /*.php$\n", "crawl",
			[]check{{"/x.php", false}, {"/x.php?q=1", true}, {"/x.phpx", true}}},
		{"dollar without star", "User-agent: *\nDisallow: /a$\n", "crawl",
			[]check{{"/a", false}, {"/ab", true}}},
		{"dollar in the middle is literal", "User-agent: *\nDisallow: /a$b\n", "crawl",
			[]check{{"/a$b", false}, {"/a", true}, {"/ab", true}}},
		{"anchored star suffix may not overlap", "User-agent: *\nDisallow: /ab*ba$\n", "crawl",
			[]check{{"/aba", true}, {"/abba", false}}},
		{"pattern without leading slash ignored", "User-agent: *\nDisallow: a\nDisallow: $\n", "crawl",
			[]check{{"/a", true}, {"/", true}}},

		// Percent-encoding.
		{"raw utf-8 pattern matches encoded path", "User-agent: *\nDisallow: /ü\n", "crawl",
			[]check{{"/%C3%BC", false}, {"/%c3%bc", false}, {"/u", true}}},
		{"encoded pattern matches raw path", "User-agent: *\nDisallow: /%C3%BC\n", "crawl",
			[]check{{"/ü", false}}},
		{"hex case", "User-agent: *\nDisallow: /a%2fb\n", "crawl",
			[]check{{"/a%2Fb", false}, {"/a%2fb", false}}},
		{"encoded slash is not slash", "User-agent: *\nDisallow: /a/b\n", "crawl",
			[]check{{"/a%2Fb", true}, {"/a/b", false}}},
		{"unreserved decoded", "User-agent: *\nDisallow: /~joe\nDisallow: /%62ar\n", "crawl",
			[]check{{"/%7Ejoe", false}, {"/bar", false}}},
		{"stray percent", "User-agent: *\nDisallow: /100%\n", "crawl",
			[]check{{"/100%25", false}, {"/100", true}, {"/100%2F", true}}},
		{"space in pattern", "User-agent: *\nDisallow: /a b\n", "crawl",
			[]check{{"/a%20b", false}, {"/ab", true}}},
		{"encoded star is literal", "User-agent: *\nDisallow: /a%2Ab\n", "crawl",
			[]check{{"/axb", true}, {"/a%2Ab", false}}},

		// Syntax.
		{"bom", "\xEF\xBB\xBFUser-agent: *\nDisallow: /a\n", "crawl",
			[]check{{"/a", false}}},
		{"cr line endings", "User-agent: *\rDisallow: /a\rDisallow: /b", "crawl",
			[]check{{"/a", false}, {"/b", false}}},
		{"crlf line endings", "User-agent: crawl\r\nDisallow: /a\r\n\r\nUser-agent: *\r\nDisallow: /b\r\n", "crawl",
			[]check{{"/a", false}, {"/b", true}}},
		{"comments", "# header\nUser-agent: * # everyone\nDisallow: /a # not a\n# Disallow: /b\n", "crawl",
			[]check{{"/a", false}, {"/b", true}}},
		{"whitespace and case in fields", "  USER-AGENT  :  crawl  \n\tdisALLOW :\t/a\t\n", "crawl",
			[]check{{"/a", false}}},
		{"misspelt fields", "useragent: *\ndissallow: /a\nuser agent: x\n", "crawl",
			[]check{{"/a", false}}},
		{"line without colon ignored", "User-agent: *\nDisallow /a\nDisallow: /b\n", "crawl",
			[]check{{"/a", true}, {"/b", false}}},
		{"empty disallow", "User-agent: *\nDisallow:\n", "crawl",
			[]check{{"/", true}, {"/a", true}}},
		{"empty disallow beside others", "User-agent: *\nDisallow:\nDisallow: /a\n", "crawl",
			[]check{{"/a", false}, {"/b", true}}},
		{"robots.txt always allowed", "User-agent: *\nDisallow: /\n", "crawl",
			[]check{{"/robots.txt", true}, {"/robots.txt?x=1", true}, {"/robots.txtx", false}, {"/", false}}},
		{"empty path is root", "User-agent: *\nDisallow: /$\n", "crawl",
			[]check{{"", false}, {"/a", true}}},
		{"empty file", "", "crawl",
			[]check{{"/", true}, {"/a", true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := Parse([]byte(tt.body)).Group(tt.agent)
			for _, c := range tt.checks {
				if got := g.Allowed(c.path); got != c.want {
					t.Errorf("Allowed(%q) = %v, want %v", c.path, got, c.want)
				}
			}
		})
	}
}

func TestBodyCap(t *testing.T) {
	head := "User-agent: *\nDisallow: /a\n"
	pad := strings.Repeat("# padding\n", (MaxBodySize-len(head))/10)
	body := head + pad + "Disallow: /b\n"
	if len(body) <= MaxBodySize {
		t.Fatalf("body is %d bytes, want more than %d", len(body), MaxBodySize)
	}
	g := Parse([]byte(body)).Group("crawl")
	if g.Allowed("/a") || !g.Allowed("/b") {
		t.Errorf("rules past the cap: /a=%v /b=%v, want false true", g.Allowed("/a"), g.Allowed("/b"))
	}

	// A line cut by the cap is dropped rather than applied truncated.
	cut := head + pad[:MaxBodySize-len(head)-10] + "\nAllow: /abcdef\n"
	if !strings.HasSuffix(cut[:MaxBodySize], "\nAllow: /a") {
		t.Fatalf("cap does not cut the Allow line where intended")
	}
	g = Parse([]byte(cut)).Group("crawl")
	if g.Allowed("/a") != false {
		t.Errorf("truncated Allow line was applied")
	}
}

func TestCrawlDelay(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		agent  string
		want   time.Duration
		wantOK bool
	}{
		{"integer", "User-agent: *\nCrawl-delay: 10\n", "crawl", 10 * time.Second, true},
		{"decimal", "User-agent: *\nCrawl-delay: 0.5\n", "crawl", 500 * time.Millisecond, true},
		{"leading dot", "User-agent: *\nCrawl-delay: .25\n", "crawl", 250 * time.Millisecond, true},
		{"zero", "User-agent: *\nCrawl-delay: 0\n", "crawl", 0, true},
		{"garbage", "User-agent: *\nCrawl-delay: soon\n", "crawl", 0, false},
		{"negative", "User-agent: *\nCrawl-delay: -1\n", "crawl", 0, false},
		{"exponent", "User-agent: *\nCrawl-delay: 1e3\n", "crawl", 0, false},
		{"unit suffix", "User-agent: *\nCrawl-delay: 5s\n", "crawl", 0, false},
		{"two dots", "User-agent: *\nCrawl-delay: 1.2.3\n", "crawl", 0, false},
		{"empty", "User-agent: *\nCrawl-delay:\n", "crawl", 0, false},
		{"huge clamps", "User-agent: *\nCrawl-delay: 99999999999999999999\n", "crawl", time.Duration(math.MaxInt64), true},
		{"comment stripped", "User-agent: *\nCrawl-delay: 3 # be nice\n", "crawl", 3 * time.Second, true},
		{"garbage then valid", "User-agent: *\nCrawl-delay: x\nCrawl-delay: 2\n", "crawl", 2 * time.Second, true},
		{"first wins", "User-agent: *\nCrawl-delay: 1\nCrawl-delay: 2\n", "crawl", time.Second, true},
		{"first wins across merged groups", "User-agent: crawl\nCrawl-delay: 4\n\nUser-agent: crawl\nCrawl-delay: 2\n", "crawl", 4 * time.Second, true},
		{"from merged group", "User-agent: crawl\nDisallow: /a\n\nUser-agent: crawl\nCrawl-delay: 2\n", "crawl", 2 * time.Second, true},
		{"selected group only", "User-agent: *\nCrawl-delay: 9\n\nUser-agent: crawl\nDisallow: /a\n", "crawl", 0, false},
		{"before any user-agent", "Crawl-delay: 9\nUser-agent: *\nDisallow: /a\n", "crawl", 0, false},
		{"ends user-agent run", "User-agent: other\nCrawl-delay: 5\nUser-agent: crawl\nDisallow: /a\n", "crawl", 0, false},
		{"no directive", "User-agent: *\nDisallow: /a\n", "crawl", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Parse([]byte(tt.body)).Group(tt.agent).CrawlDelay()
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("CrawlDelay() = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestSitemaps(t *testing.T) {
	body := "Sitemap: https://example.com/a.xml\n" +
		"User-agent: *\nDisallow: /x\nSITEMAP :  https://example.com/b.xml  # second\n" +
		"User-agent: crawl\nsitemap: https://example.com/a.xml\nSitemap:\n" +
		"Sitemap: https://example.com/c.xml?x=1"
	r := Parse([]byte(body))
	want := []string{"https://example.com/a.xml", "https://example.com/b.xml", "https://example.com/c.xml?x=1"}
	got := r.Sitemaps()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Sitemaps() = %q, want %q", got, want)
	}
	got[0] = "changed"
	if r.Sitemaps()[0] != want[0] {
		t.Errorf("Sitemaps() returned the internal slice")
	}
	// Sitemap lines do not end a run of user-agent lines.
	g := Parse([]byte("User-agent: other\nSitemap: https://e/s\nUser-agent: crawl\nDisallow: /a\n")).Group("crawl")
	if g.Allowed("/a") {
		t.Errorf("sitemap line split a user-agent run")
	}
	if s := Parse(nil).Sitemaps(); s != nil {
		t.Errorf("Sitemaps() of empty file = %q, want nil", s)
	}
}

func TestAllowAllDisallowAll(t *testing.T) {
	paths := []string{"/", "/a", "/a/b?x=1", "", "/robots.txt"}
	for _, r := range []*Rules{AllowAll(), {}, nil} {
		g := r.Group("crawl")
		for _, p := range paths {
			if !g.Allowed(p) {
				t.Errorf("AllowAll: Allowed(%q) = false", p)
			}
		}
		if _, ok := g.CrawlDelay(); ok {
			t.Errorf("AllowAll: CrawlDelay present")
		}
		if r.Sitemaps() != nil {
			t.Errorf("AllowAll: Sitemaps not empty")
		}
	}
	for _, agent := range []string{"crawl", "*", "anything"} {
		g := DisallowAll().Group(agent)
		for _, p := range paths {
			want := p == "/robots.txt"
			if got := g.Allowed(p); got != want {
				t.Errorf("DisallowAll: Group(%q).Allowed(%q) = %v, want %v", agent, p, got, want)
			}
		}
	}
	var nilGroup *Group
	if !nilGroup.Allowed("/a") {
		t.Errorf("nil Group disallowed")
	}
	if _, ok := nilGroup.CrawlDelay(); ok {
		t.Errorf("nil Group has a crawl delay")
	}
}

// TestPathological runs patterns that take exponential time with a naive
// backtracking matcher. It asserts only the results; a slow matcher shows up
// as a test timeout.
func TestPathological(t *testing.T) {
	path := "/" + strings.Repeat("a", 100000)
	body := "User-agent: *\n" +
		"Disallow: /" + strings.Repeat("*a", 200) + "*b\n" +
		"Disallow: /" + strings.Repeat("*a", 200) + "b$\n" +
		"Allow: /" + strings.Repeat("*a", 200) + "$\n"
	g := Parse([]byte(body)).Group("crawl")
	for i := 0; i < 100; i++ {
		if !g.Allowed(path) {
			t.Fatalf("pathological path disallowed")
		}
		if g.Allowed(path + "b") {
			t.Fatalf("pathological path ending in b allowed")
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	r := Parse([]byte("User-agent: crawl\nDisallow: /a\nAllow: /a/b\nCrawl-delay: 1\nSitemap: https://e/s\n"))
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 1000; j++ {
				g := r.Group("crawl")
				if g.Allowed("/a/c") || !g.Allowed("/a/b") {
					t.Error("wrong result under concurrency")
					return
				}
				g.CrawlDelay()
				r.Sitemaps()
			}
		}()
	}
	wg.Wait()
}

func BenchmarkAllowed(b *testing.B) {
	body := "User-agent: *\nDisallow: /search\nDisallow: /*?sessionid=\nDisallow: /*.pdf$\n" +
		"Allow: /search/about\nDisallow: /private/\nAllow: /private/public*\n"
	g := Parse([]byte(body)).Group("crawl")
	for b.Loop() {
		g.Allowed("/some/long/path/to/a/page.html?q=1&sessionid=abc")
	}
}
