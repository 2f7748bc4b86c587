package crawltest

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// get serves one request through the handler without a network.
func get(t testing.TB, h http.Handler, rawURL string) (int, http.Header, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, rawURL, nil))
	body, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Code, rec.Result().Header, body
}

var anchorRE = regexp.MustCompile(`<(?:a|A) (?:href|HREF)=(["'])(.*?)(["'])(?: (?:rel|REL)=["']([^"']*)["'])?>(.*?)</(?:a|A)>`)

// anchors extracts (href, rel, text) of the <a> elements of generated HTML.
func anchors(body []byte) [][3]string {
	var out [][3]string
	for _, m := range anchorRE.FindAllSubmatch(body, -1) {
		out = append(out, [3]string{html.UnescapeString(string(m[2])), string(m[4]), html.UnescapeString(string(m[5]))})
	}
	return out
}

func TestDeterminism(t *testing.T) {
	cfg := SiteConfig{Seed: 42, Pages: 50, Hosts: []string{"h1.test", "h2.test"},
		CrossHostFraction: 0.1, BrokenFraction: 0.05, ExternalFraction: 0.05}
	a, b := NewSite(cfg), NewSite(cfg)
	other := NewSite(SiteConfig{Seed: 43, Pages: 50, Hosts: cfg.Hosts})
	for _, host := range cfg.Hosts {
		for page := range 50 {
			u := a.URL(host, page, "http://127.0.0.1:8080")
			_, _, ba := get(t, a, u)
			_, _, bb := get(t, b, u)
			if !bytes.Equal(ba, bb) {
				t.Fatalf("%s: same seed served different bytes", u)
			}
			if _, _, bo := get(t, other, u); bytes.Equal(ba, bo) {
				t.Fatalf("%s: different seeds served identical bytes", u)
			}
		}
	}
	_, _, h1 := get(t, a, "http://h1.test/p6.html")
	_, _, h2 := get(t, a, "http://h2.test/p6.html")
	if bytes.Equal(h1, h2) {
		t.Error("two hosts served identical pages")
	}
}

func TestSizesLinksAndHrefs(t *testing.T) {
	s := NewSite(SiteConfig{Seed: 7, Pages: 300, BrokenFraction: 0.05, ExternalFraction: 0.05})
	cfg := s.Config()
	if cfg.MinLinks != 20 || cfg.MaxLinks != 60 || cfg.MinBytes != 10<<10 || cfg.MaxBytes != 30<<10 {
		t.Fatalf("defaults not applied: %+v", cfg)
	}
	base := "http://127.0.0.1:41234"
	kinds := map[LinkKind]int{}
	forms := map[string]int{}
	for page := range cfg.Pages {
		pageURL := s.URL("site.test", page, base)
		code, hdr, body := get(t, s, pageURL)
		if code != 200 || hdr.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Fatalf("%s: status %d, type %q", pageURL, code, hdr.Get("Content-Type"))
		}
		if len(body) < cfg.MinBytes || len(body) > cfg.MaxBytes {
			t.Errorf("%s: %d bytes, want %d..%d", pageURL, len(body), cfg.MinBytes, cfg.MaxBytes)
		}
		links := s.Links("site.test", page, base)
		got := anchors(body)
		if len(links) < cfg.MinLinks || len(links) > cfg.MaxLinks || len(got) != len(links) {
			t.Fatalf("%s: %d links in HTML, %d from Links, want %d..%d", pageURL, len(got), len(links), cfg.MinLinks, cfg.MaxLinks)
		}
		pu, _ := url.Parse(pageURL)
		for k, l := range links {
			if got[k] != [3]string{l.Href, l.Rel, l.Text} {
				t.Fatalf("%s link %d: HTML has %q, Links has %+v", pageURL, k, got[k], l)
			}
			ref, err := url.Parse(l.Href)
			if err != nil {
				t.Fatal(err)
			}
			res := pu.ResolveReference(ref)
			if res.Fragment != l.Fragment {
				t.Errorf("%s: fragment of %q is %q, want %q", pageURL, l.Href, res.Fragment, l.Fragment)
			}
			res.Fragment = ""
			if res.String() != l.URL {
				t.Errorf("%s: %q resolves to %s, Links says %s", pageURL, l.Href, res, l.URL)
			}
			kinds[l.Kind]++
			switch {
			case strings.HasPrefix(l.Href, "#"):
				forms["fragment"]++
			case strings.HasPrefix(l.Href, "//"):
				forms["protocol"]++
			case strings.Contains(l.Href, "://"):
				forms["absolute"]++
			case strings.HasPrefix(l.Href, "/"):
				forms["root"]++
			default:
				forms["relative"]++
			}
			if strings.Contains(l.URL, "?") {
				forms["query"]++
			}
			if l.Nofollow() {
				forms["nofollow"]++
			}
		}
	}
	for _, k := range []LinkKind{LinkPage, LinkBroken, LinkExternal} {
		if kinds[k] == 0 {
			t.Errorf("no %v links", k)
		}
	}
	if kinds[LinkCrossHost] != 0 {
		t.Errorf("%d cross-host links on a single-host site", kinds[LinkCrossHost])
	}
	for _, f := range []string{"fragment", "absolute", "root", "relative", "query", "nofollow"} {
		if forms[f] == 0 {
			t.Errorf("no %s links", f)
		}
	}
	total := kinds[LinkPage] + kinds[LinkBroken] + kinds[LinkExternal]
	if f := float64(kinds[LinkBroken]) / float64(total); f < 0.03 || f > 0.07 {
		t.Errorf("broken fraction %.3f, want about 0.05", f)
	}
}

func TestStatuses(t *testing.T) {
	s := NewSite(SiteConfig{Seed: 1, Pages: 40, Hosts: []string{"h1.test", "h2.test"},
		CrossHostFraction: 0.1, BrokenFraction: 0.1, MinBytes: 1000, MaxBytes: 2000})
	for _, tc := range []struct {
		url  string
		code int
	}{
		{"http://h1.test/", 200},
		{"http://H2.TEST:9999/p3.html", 404}, // page 3 has a query path
		{"http://h2.test:9999/catalog/item?id=3&view=full", 200},
		{"http://h2.test/catalog/item?view=full&id=3", 404},
		{"http://h1.test/guide/c7/", 200},
		{"http://h1.test/guide/c7", 404},
		{"http://h1.test/p6.html?x=1", 404},
		{"http://h1.test/p39.html", 200},
		{"http://h1.test/p42.html", 404},
		{"http://h1.test/robots.txt", 404},
		{"http://other.test/", 404},
		{"http://127.0.0.1/", 404},
	} {
		if code, _, _ := get(t, s, tc.url); code != tc.code {
			t.Errorf("GET %s: %d, want %d", tc.url, code, tc.code)
		}
	}
	for _, host := range s.Hosts() {
		for page := range 40 {
			for _, l := range s.Links(host, page, "") {
				code, _, _ := get(t, s, l.URL)
				switch {
				case l.Kind == LinkBroken && code != 404,
					(l.Kind == LinkPage || l.Kind == LinkCrossHost) && code != 200:
					t.Errorf("%v link %s: status %d", l.Kind, l.URL, code)
				}
			}
		}
	}
	single := NewSite(SiteConfig{Pages: 5, Robots: "User-agent: *\nDisallow: /docs/\n"})
	code, hdr, body := get(t, single, "http://anything.example:1/robots.txt")
	if code != 200 || string(body) != "User-agent: *\nDisallow: /docs/\n" || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Errorf("robots.txt: %d %q %q", code, hdr.Get("Content-Type"), body)
	}
	if code, _, _ := get(t, single, "http://127.0.0.1:5/"); code != 200 {
		t.Errorf("single-host site: status %d for any host", code)
	}
}

func TestPageOfAndURL(t *testing.T) {
	s := NewSite(SiteConfig{Pages: 20, Hosts: []string{"a.test", "b.test"}})
	for page := range 20 {
		u := s.URL("b.test", page, "https://127.0.0.1:443")
		host, p, ok := s.PageOf(u + "#frag")
		if !ok || host != "b.test" || p != page {
			t.Errorf("PageOf(%s) = %q, %d, %v", u, host, p, ok)
		}
	}
	if got := s.URL("a.test", 7, "http://127.0.0.1:8080"); got != "http://a.test:8080/guide/c7/" {
		t.Errorf("URL = %s", got)
	}
	if got := s.Roots("http://127.0.0.1:8080"); got[0] != "http://a.test:8080/" || got[1] != "http://b.test:8080/" {
		t.Errorf("Roots = %v", got)
	}
	one := NewSite(SiteConfig{Pages: 20})
	if got := one.URL("site.test", 4, "http://127.0.0.1:8080"); got != "http://127.0.0.1:8080/docs/s4/p4.html" {
		t.Errorf("URL = %s", got)
	}
	if got := one.URL("site.test", 0, ""); got != "http://site.test/" {
		t.Errorf("URL = %s", got)
	}
}

func TestRelRef(t *testing.T) {
	for _, tc := range [][3]string{
		{"/", "/", "./"},
		{"/", "/p3.html", "p3.html"},
		{"/docs/s1/p1.html", "/", "../../"},
		{"/docs/s1/p1.html", "/docs/s1/p8.html", "p8.html"},
		{"/docs/s1/p1.html", "/docs/s2/p9.html", "../s2/p9.html"},
		{"/guide/c7/", "/guide/c7/", "./"},
		{"/guide/c7/", "/guide/c17/", "../c17/"},
		{"/catalog/item?id=3&view=full", "/catalog/item?id=13&view=full", "item?id=13&view=full"},
		{"/p6.html", "/catalog/item?id=3&view=full", "catalog/item?id=3&view=full"},
	} {
		if got := relRef(tc[0], tc[1]); got != tc[2] {
			t.Errorf("relRef(%q, %q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}

func BenchmarkServePage(b *testing.B) {
	s := NewSite(SiteConfig{Seed: 1, Pages: 20000, ExternalFraction: 0.05})
	req := httptest.NewRequest(http.MethodGet, "http://site.test/p9999.html", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		b.SetBytes(int64(rec.Body.Len()))
	}
}

var assetTagRE = regexp.MustCompile(`(?m)^(<link rel="(stylesheet|icon)" href="/static/[^"]*">|<script src="/static/app\.js"></script>|<img src="/img/[0-9]+-[0-9]+\.jpg" alt="">)\n`)

// TestAssets: with Assets, each page loads the shared requisites and images of its own, which
// answer 200; without the tags, its bytes are those of the same site without Assets.
func TestAssets(t *testing.T) {
	cfg := SiteConfig{Seed: 7, Pages: 20}
	plain := NewSite(cfg)
	cfg.Assets = 5
	site := NewSite(cfg)
	for page := range 20 {
		u := site.URL("site.test", page, "http://127.0.0.1:8080")
		_, _, with := get(t, site, u)
		_, _, without := get(t, plain, u)
		tags := assetTagRE.FindAll(with, -1)
		if len(tags) != 5 || !strings.Contains(string(with), fmt.Sprintf(`<img src="/img/%d-4.jpg"`, page)) {
			t.Errorf("%s: asset tags %q", u, tags)
		}
		if stripped := assetTagRE.ReplaceAll(with, nil); !bytes.Equal(stripped, without) {
			t.Errorf("%s: without its asset tags, the page differs from the site without assets", u)
		}
	}
	for _, p := range []string{"/static/site.css", "/static/app.js", "/static/logo.png", "/img/3-3.jpg"} {
		rec := httptest.NewRecorder()
		site.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "http://127.0.0.1:8080"+p, nil))
		if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != fmt.Sprint(len(assetBody)) {
			t.Errorf("HEAD %s: %d, %d body bytes, length %q", p, rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"))
		}
		if code, _, _ := get(t, plain, "http://127.0.0.1:8080"+p); code != 404 {
			t.Errorf("%s on a site without assets: %d, want 404", p, code)
		}
	}
}
