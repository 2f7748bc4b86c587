package parse

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkNormalized reports what is wrong with u as the result of a normalisation, if anything.
func checkNormalized(t *testing.T, what string, u *url.URL) {
	t.Helper()
	if u.Scheme != "http" && u.Scheme != "https" {
		t.Fatalf("%s: %q has scheme %q", what, u, u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		t.Fatalf("%s: %q has no host", what, u)
	}
	if u.Fragment != "" || u.RawFragment != "" || u.User != nil || u.Opaque != "" {
		t.Fatalf("%s: %q keeps a fragment, userinfo or opaque part", what, u)
	}
	if p := sessionIDIn(u); p != "" {
		t.Fatalf("%s: %q keeps the session id %q", what, u, p)
	}
	s := u.String()
	again, err := Normalize(s)
	if err != nil {
		t.Fatalf("%s: Normalize(%q): %v", what, s, err)
	}
	if again.String() != s {
		t.Fatalf("%s: Normalize(%q) = %q, not a fixed point", what, s, again)
	}
}

// sessionIDIn returns a session-id path or query parameter left in u, or "".
func sessionIDIn(u *url.URL) string {
	p := u.EscapedPath()
	if i := strings.Index(strings.ToLower(p), pathSessionParam); i >= 0 {
		return p[i:]
	}
	for _, param := range strings.Split(u.RawQuery, "&") {
		if name, _, _ := strings.Cut(param, "="); isSessionParam(name) {
			return param
		}
	}
	return ""
}

func FuzzNormalize(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := Normalize(raw)
		if err != nil {
			return
		}
		checkNormalized(t, "Normalize("+raw+")", u)
		checkLinkJudged(t, u)

		// The result also works as a base for resolving a reference.
		r, err := Resolve(u, raw)
		if err == nil {
			checkNormalized(t, "Resolve", r)
		}
	})
}

func FuzzExtract(f *testing.F) {
	page, err := Normalize("http://example.com/dir/page.html?x=1")
	if err != nil {
		f.Fatal(err)
	}
	// A page URL as a server's redirect may give it, not in normal form: the fast paths must
	// resolve against it as the general path does.
	raw, err := url.Parse("http://Example.COM:80/a%7eb/./c/../p;jsessionid=1?b=2&a=1#frag")
	if err != nil {
		f.Fatal(err)
	}
	// Seeds for the fast paths: each form of href, a <base href>, a legacy encoding.
	f.Add([]byte(`<base href="/b/"><a href="x">x</a><a href="../y?q=1#f">y</a><a href="http://Other.test:80/a/./b">z</a>` +
		`<a href="mailto:a@b">m</a><a href="//h.test/p">p</a><a href="#top"> t  </a><link rel=canonical href="?x=2">`))
	f.Add([]byte("<meta charset=windows-1252><title>caf\xe9</title><a href=\"/caf\xe9\">\xe9t\xe9</a><a href=./x>\xe9 x</a>"))
	f.Add([]byte(`<img src=a.png srcset="b.png 2x, ../c.png 3x" alt=" x "><script src=//cdn.test/x.js></script><a href="/p#x%20y">p</a>`))
	for _, cs := range []string{"shift_jis", "iso-2022-jp", "gb18030", "euc-kr", "utf-16le", "iso-2022-kr"} {
		f.Add([]byte("<meta charset=" + cs + "><a href=\"/\x93\xfa\x1b$B\x46\x7c\">\x82\xa0\x1b(B\xa4</a>\x81"))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		x := Extractor{MaxLinks: 50, Requisites: len(body)%2 == 0}
		for _, pageURL := range []*url.URL{page, raw} {
			for _, ct := range []string{"text/html", "text/html; charset=utf-8"} {
				p, err := x.Extract(body, ct, pageURL)
				// The fast paths give what the general path gives.
				g, gerr := x.extract(body, ct, pageURL, true)
				if !reflect.DeepEqual(p, g) || (err == nil) != (gerr == nil) {
					t.Fatalf("%s, %s: Extract = %+v, %v; the general path gives %+v, %v", pageURL, ct, p, err, g, gerr)
				}
				if err != nil {
					continue
				}
				checkPage(t, p)
			}
		}
	})
}

// checkPage reports what is wrong with a page Extract returned (with MaxLinks 50), if anything.
func checkPage(t *testing.T, p *Page) {
	t.Helper()
	if !utf8.ValidString(p.Title) {
		t.Errorf("title %q is not valid UTF-8", p.Title)
	}
	if len(p.Links) > 50 {
		t.Errorf("%d links kept, cap is 50", len(p.Links))
	}
	seen := make(map[string]bool)
	for _, l := range p.Links {
		u, err := l.Parse()
		if err != nil {
			t.Fatalf("link %q does not parse: %v", l.URL, err)
		}
		checkNormalized(t, "link", u)
		if u.String() != l.URL || u.Host != l.Host {
			t.Errorf("link %q, host %q: parsed back as %q, host %q", l.URL, l.Host, u, u.Host)
		}
		if l.Count < 1 {
			t.Errorf("%s: Count = %d", l.URL, l.Count)
		}
		if len(l.Anchor) > MaxAnchor || !utf8.ValidString(l.Anchor) {
			t.Errorf("%s: anchor %q is %d bytes or not valid UTF-8", l.URL, l.Anchor, len(l.Anchor))
		}
		k := l.Kind.String() + " " + l.URL
		if seen[k] {
			t.Errorf("%s appears twice", k)
		}
		seen[k] = true
	}
}
