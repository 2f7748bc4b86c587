package crawltest

import (
	"html"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const demoDir = "../../testdata/demo-site"

func TestFileServerTypes(t *testing.T) {
	h := FileServer(demoDir)
	for _, tc := range []struct{ path, ctype string }{
		{"/", "text/html; charset=utf-8"},
		{"/intl/fr/", "text/html; charset=windows-1252"},
		{"/downloads/pricing.csv", "text/csv; charset=utf-8"},
		{"/downloads/release-notes.txt", "text/plain; charset=utf-8"},
		{"/products/img/lineup.png", "image/png"},
		{"/robots.txt", "text/plain; charset=utf-8"},
	} {
		code, hdr, _ := get(t, h, "http://demo.test"+tc.path)
		if code != 200 || hdr.Get("Content-Type") != tc.ctype {
			t.Errorf("%s: %d %q, want 200 %q", tc.path, code, hdr.Get("Content-Type"), tc.ctype)
		}
	}
	for _, p := range []string{"/products/img/", "/blog/2024/", "/about/openings.html"} {
		if code, _, _ := get(t, h, "http://demo.test"+p); code != 404 {
			t.Errorf("%s: %d, want 404", p, code)
		}
	}
	if code, _, _ := get(t, h, "http://demo.test/about"); code != http.StatusMovedPermanently {
		t.Errorf("/about: %d, want 301", code)
	}
	_, _, body := get(t, h, "http://demo.test/intl/fr/")
	if !strings.Contains(string(body), "Pr\xe9sentation de la soci\xe9t\xe9") || !strings.Contains(string(body), "\x80") {
		t.Error("French page is not encoded in windows-1252")
	}
}

var (
	demoLinkRE = regexp.MustCompile(`<(?:a|area)\b[^>]*?\shref="([^"]*)"`)
	demoBaseRE = regexp.MustCompile(`<base\s+href="([^"]*)"`)
)

// TestDemoSiteExpectations crawls the demo site breadth-first from "/",
// host-scoped, honouring robots.txt and <base href>, following <a> and
// <area> links, and pins the numbers documented in its README.md.
func TestDemoSiteExpectations(t *testing.T) {
	srv := httptest.NewServer(FileServer(demoDir))
	defer srv.Close()
	root, _ := url.Parse(srv.URL + "/")

	pages := map[string]int{} // path?query -> depth
	var notFound, files, external, blocked, other, redirects []string
	// Redirects are URLs of their own, as the crawl records them: /docs answers 301.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	seen := map[string]bool{root.String(): true}
	queue := []*url.URL{root}
	depth := map[string]int{root.String(): 0}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		key := u.RequestURI()
		if strings.HasPrefix(u.Path, "/private/") {
			blocked = append(blocked, key)
			continue
		}
		resp, err := client.Get(u.String())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == 404:
			notFound = append(notFound, key)
			continue
		case resp.StatusCode == http.StatusMovedPermanently:
			redirects = append(redirects, key+" -> "+resp.Header.Get("Location"))
			continue
		case resp.StatusCode != 200:
			t.Fatalf("%s: status %d", key, resp.StatusCode)
		case !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html"):
			files = append(files, key)
			continue
		}
		pages[key] = depth[u.String()]
		base := u
		if m := demoBaseRE.FindSubmatch(body); m != nil {
			b, _ := url.Parse(html.UnescapeString(string(m[1])))
			base = u.ResolveReference(b)
		}
		for _, m := range demoLinkRE.FindAllSubmatch(body, -1) {
			ref, err := url.Parse(html.UnescapeString(string(m[1])))
			if err != nil {
				t.Fatal(err)
			}
			next := base.ResolveReference(ref)
			next.Fragment = ""
			s := next.String()
			if seen[s] {
				continue
			}
			seen[s] = true
			switch {
			case next.Scheme != "http" && next.Scheme != "https":
				other = append(other, s)
			case next.Host != root.Host:
				external = append(external, s)
			default:
				depth[s] = depth[u.String()] + 1
				queue = append(queue, next)
			}
		}
	}
	wantPages := map[string]int{
		"/": 0, "/products/": 1, "/docs/": 1, "/blog/": 1, "/about/": 1, "/contact.html": 1,
		"/legal/privacy.html": 1, "/legal/terms.html": 1, "/docs/getting-started.html": 1,
		"/docs/search.html?q=install&lang=en": 1, "/downloads/": 1, "/intl/fr/": 1,
		"/products/widget-a.html": 2, "/products/widget-b.html": 2, "/products/widget-c.html": 2,
		"/products/compare.html?a=widget-a&b=widget-b": 2, "/docs/install/": 2, "/docs/api/": 2,
		"/docs/faq.html": 2, "/docs/changelog.html": 2, "/blog/2025/roadmap.html": 2,
		"/blog/2024/release-2-0.html": 2, "/blog/2024/launch.html": 2, "/about/team.html": 2,
		"/about/careers.html": 2, "/docs/install/linux.html": 2, "/docs/install/windows.html": 2,
		"/docs/reference/": 3, "/docs/reference/endpoints.html": 3, "/docs/reference/errors.html": 3,
	}
	if !maps.Equal(pages, wantPages) {
		t.Errorf("pages (%d) = %v\nwant (%d) %v", len(pages), pages, len(wantPages), wantPages)
	}
	check := func(what string, got, want []string) {
		t.Helper()
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}
	check("404s", notFound, []string{"/about/openings.html", "/docs/v1/install/windows.html"})
	check("non-HTML files", files, []string{"/downloads/pricing.csv", "/downloads/release-notes.txt", "/products/img/lineup.png"})
	check("external links", external, []string{"https://example.com/maps?q=harbour+road+12", "https://example.org/", "https://example.org/standards/iso-9001"})
	check("robots-blocked", blocked, []string{"/private/"})
	check("redirects", redirects, []string{"/docs -> docs/"})
	check("other schemes", other, []string{"javascript:void(0)", "mailto:sales@tidewater.example?subject=Quote"})
}
