package fetch

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/crawl-project/crawl/crawler/crawltest"
)

func TestParseHeaderRule(t *testing.T) {
	tests := []struct {
		in      string
		want    HeaderRule
		wantErr string
	}{
		{in: "Authorization: Bearer abc==", want: HeaderRule{Host: SeedHosts, Name: "Authorization", Value: "Bearer abc=="}},
		{in: "cookie: a=b; c=d", want: HeaderRule{Host: SeedHosts, Name: "Cookie", Value: "a=b; c=d"}},
		{in: "Cookie:a=b", want: HeaderRule{Host: SeedHosts, Name: "Cookie", Value: "a=b"}},
		{in: "X-Empty:", want: HeaderRule{Host: SeedHosts, Name: "X-Empty"}},
		{in: "X-Token:123=abc", want: HeaderRule{Host: SeedHosts, Name: "X-Token", Value: "123=abc"}},
		{in: "Staging.Example.com=Authorization: Basic dTpw", want: HeaderRule{Host: "staging.example.com", Name: "Authorization", Value: "Basic dTpw"}},
		{in: "127.0.0.2:8080=X-Key: k", want: HeaderRule{Host: "127.0.0.2:8080", Name: "X-Key", Value: "k"}},
		{in: "[::1]:8080=X-Key: k", want: HeaderRule{Host: "[::1]:8080", Name: "X-Key", Value: "k"}},
		{in: "*=Accept-Language: de", want: HeaderRule{Host: AnyHost, Name: "Accept-Language", Value: "de"}},
		{in: "NoColon", wantErr: "want 'Name: value'"},
		{in: ": value", wantErr: "want 'Name: value'"},
		{in: "Bad Name: x", wantErr: `header name "Bad Name" is not a valid token`},
		{in: "X-Split: a\r\nInjected: b", wantErr: "control character"},
		{in: "X-Split: a\nb", wantErr: "control character"},
		{in: "X-Nul: a\x00b", wantErr: "control character"},
		{in: "example.com=X-Split: a\rb", wantErr: "control character"},
		{in: "a host=X: y", wantErr: "not a valid token"},
	}
	for _, tt := range tests {
		got, err := ParseHeaderRule(tt.in)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseHeaderRule(%q) = %+v, %v; want an error with %q", tt.in, got, err, tt.wantErr)
			}
		case err != nil || got != tt.want:
			t.Errorf("ParseHeaderRule(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestHeaderRulesMatchTheRequestHost(t *testing.T) {
	seed := isHost("seed.test", "127.0.0.1:8080", "[::1]:9000")
	tests := []struct {
		rule string // host of the rule
		url  string
		want bool
	}{
		{SeedHosts, "http://seed.test/a", true},
		{SeedHosts, "https://seed.test/a", true},
		{SeedHosts, "https://seed.test:443/a", true},
		{SeedHosts, "http://SEED.test/a", true},
		{SeedHosts, "http://seed.test:8080/a", false},
		{SeedHosts, "http://127.0.0.1:8080/", true},
		{SeedHosts, "http://127.0.0.1:8081/", false},
		{SeedHosts, "http://[::1]:9000/", true},
		{SeedHosts, "http://www.seed.test/", false},
		{SeedHosts, "http://other.test/", false},
		{AnyHost, "http://other.test/", true},
		{"other.test", "http://other.test/", true},
		{"other.test", "https://other.test:8443/", true},
		{"other.test", "http://sub.other.test/", false},
		{"other.test:8443", "https://other.test:8443/", true},
		{"other.test:8443", "https://other.test/", false},
		{"other.test:443", "https://other.test/", true},
		{"other.test:443", "http://other.test/", false},
		{"[::1]:9000", "http://[::1]:9000/", true},
		{"::1", "http://[::1]:9000/", true},
		{"not a host", "http://nothost/", false},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		newHeaderRules([]HeaderRule{{Host: tt.rule, Name: "X-Key", Value: "k"}}).add(h, u, seed)
		if got := h.Get("X-Key") != ""; got != tt.want {
			t.Errorf("rule for %q on %s: sent %v, want %v", tt.rule, tt.url, got, tt.want)
		}
	}
}

// TestHeadersFollowTheRequestHost: a header meant for the seed host reaches it, and never
// another host, whichever way the crawler is led there: a redirect, a robots.txt redirect, a
// sitemap index or a sitemap redirect. Each host gets the headers named for it.
func TestHeadersFollowTheRequestHost(t *testing.T) {
	seedSite := crawltest.NewHost(t, "127.0.0.1", map[string]string{})
	other := crawltest.NewHost(t, "127.0.0.2", map[string]string{
		"/landing":     "landing",
		"/robots.txt":  "User-agent: *\nDisallow: /private\n",
		"/sitemap.xml": `<urlset><url><loc>/a</loc></url></urlset>`,
	})
	seedSite.Set("/go", "->"+other.URL+"/landing")
	seedSite.Set("/robots.txt", "->"+other.URL+"/robots.txt")
	seedSite.Set("/index.xml", `<sitemapindex><sitemap><loc>`+other.URL+`/sitemap.xml</loc></sitemap></sitemapindex>`)
	seedSite.Set("/moved.xml", "->"+other.URL+"/sitemap.xml")

	var rules []HeaderRule
	for _, s := range []string{"Authorization: Bearer seed-secret", "Cookie: session=seed", other.HostPort() + "=X-Other: o", "*=X-All: a"} {
		r, err := ParseHeaderRule(s)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, r)
	}
	c := NewClient(Config{Headers: rules, SeedHost: isHost(seedSite.HostPort()), NoCookies: true})
	ctx := context.Background()

	if resp, err := c.Get(ctx, mustURL(t, seedSite.URL+"/go"), nil); err != nil || string(resp.Body) != "landing" {
		t.Fatalf("redirect: %v", err)
	}
	v, err := NewRobotsCache(c, "crawl").Check(ctx, mustURL(t, seedSite.URL+"/private"))
	if err != nil || v.Allowed {
		t.Fatalf("robots.txt redirect: %+v, %v; want the other host's rules, which disallow", v, err)
	}
	sm, err := c.GetSitemap(ctx, mustURL(t, seedSite.URL+"/index.xml"), 1<<20, 100)
	if err != nil || len(sm.Sitemaps) != 1 {
		t.Fatalf("sitemap index: %+v, %v", sm, err)
	}
	for _, loc := range []string{sm.Sitemaps[0], seedSite.URL + "/moved.xml"} {
		if sm, err := c.GetSitemap(ctx, mustURL(t, loc), 1<<20, 100); err != nil || len(sm.URLs) != 1 {
			t.Fatalf("sitemap %s: %+v, %v", loc, sm, err)
		}
	}

	wantOther := "[/landing /robots.txt /sitemap.xml /sitemap.xml]"
	if got := other.Paths(); strings.Join(got, " ") != strings.Trim(wantOther, "[]") {
		t.Fatalf("other host's requests: %v, want %s", got, wantOther)
	}
	for _, r := range other.Log.Arrivals("") {
		for _, name := range []string{"Authorization", "Cookie"} {
			if v := r.Header.Get(name); v != "" {
				t.Errorf("other host got %s: %q with %s", name, v, r.Path())
			}
		}
		if r.Header.Get("X-Other") != "o" || r.Header.Get("X-All") != "a" {
			t.Errorf("other host's %s lacks its own headers: %v", r.Path(), r.Header)
		}
	}
	for _, r := range seedSite.Log.Arrivals("") {
		if r.Header.Get("Authorization") != "Bearer seed-secret" || r.Header.Get("Cookie") != "session=seed" || r.Header.Get("X-All") != "a" {
			t.Errorf("seed host's %s lacks its headers: %v", r.Path(), r.Header)
		}
		if v := r.Header.Get("X-Other"); v != "" {
			t.Errorf("seed host got the other host's header with %s", r.Path())
		}
	}
}

// TestRobotsAndSitemapsKeepToTheScope: with a scope of the seed host only, a robots.txt
// redirect, a Sitemap line, a sitemap index entry or a sitemap redirect to another host sends
// it nothing. The robots.txt redirect not followed counts as no robots.txt (RFC 9309 2.3.1.2).
func TestRobotsAndSitemapsKeepToTheScope(t *testing.T) {
	seedSite := crawltest.NewHost(t, "127.0.0.1", map[string]string{})
	other := crawltest.NewHost(t, "127.0.0.2", map[string]string{
		"/robots.txt":  "User-agent: *\nDisallow: /\n",
		"/sitemap.xml": `<urlset><url><loc>/a</loc></url></urlset>`,
	})
	seedSite.Set("/robots.txt", "->"+other.URL+"/robots.txt")
	seedSite.Set("/own.xml", `<urlset><url><loc>/b</loc></url></urlset>`)
	seedSite.Set("/index.xml", `<sitemapindex><sitemap><loc>`+other.URL+`/sitemap.xml</loc></sitemap><sitemap><loc>/own.xml</loc></sitemap></sitemapindex>`)
	seedSite.Set("/moved.xml", "->"+other.URL+"/sitemap.xml")
	c := NewClient(Config{InScope: urlOnHost(seedSite.HostPort())})
	ctx := context.Background()

	rc := NewRobotsCache(c, "crawl")
	v, err := rc.Check(ctx, mustURL(t, seedSite.URL+"/page"))
	if err != nil || !v.Allowed || v.Fetched == nil || v.Fetched.Status != http.StatusMovedPermanently {
		t.Errorf("robots.txt redirected out of scope: %+v, %v; want allowed, recorded as the 301", v, err)
	}
	sm, err := c.GetSitemap(ctx, mustURL(t, seedSite.URL+"/index.xml"), 1<<20, 100)
	if err != nil || strings.Join(sm.Sitemaps, " ") != "/own.xml" {
		t.Errorf("sitemap index: %+v, %v; want only the in-scope /own.xml", sm, err)
	}
	if _, err := c.GetSitemap(ctx, mustURL(t, other.URL+"/sitemap.xml"), 1<<20, 100); !errors.Is(err, ErrOutOfScope) || Retriable(err) {
		t.Errorf("out-of-scope sitemap: %v; want ErrOutOfScope, not retriable", err)
	}
	if _, err := c.GetSitemap(ctx, mustURL(t, seedSite.URL+"/moved.xml"), 1<<20, 100); err == nil || !strings.Contains(err.Error(), "301") {
		t.Errorf("sitemap redirected out of scope: %v; want its 301 as an error", err)
	}
	if got := other.Paths(); len(got) > 0 {
		t.Errorf("the host out of scope got requests: %v", got)
	}
}
