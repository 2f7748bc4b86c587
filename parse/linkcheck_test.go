package parse

import (
	"net/url"
	"testing"
)

// Scope.ContainsLink and Filter.CheckLink judge a link on its strings; they must agree with
// Contains and Check on the parsed URL. The table tests of Scope and Filter go through the
// helpers below, and FuzzNormalize through checkLinkJudged.

// linkOf is the link Extract gives for the normalised URL u.
func linkOf(u *url.URL) Link { return Link{URL: u.String(), Host: u.Host} }

// scopeContains returns s.Contains(u), having checked that ContainsLink agrees.
func scopeContains(t *testing.T, s *Scope, u *url.URL) bool {
	t.Helper()
	in := s.Contains(u)
	if l := linkOf(u); s.ContainsLink(l) != in {
		t.Errorf("Contains(%s) = %v, ContainsLink(%+v) = %v", u, in, l, !in)
	}
	return in
}

// filterCheck returns f.Check(u), having checked that CheckLink agrees.
func filterCheck(t *testing.T, f Filter, u *url.URL) string {
	t.Helper()
	reject := f.Check(u)
	if l := linkOf(u); f.CheckLink(l) != reject {
		t.Errorf("Check(%.80s) = %q, CheckLink = %q", u, reject, f.CheckLink(l))
	}
	return reject
}

// checkLinkJudged checks the string forms against the url.URL ones for a normalised URL u,
// with scopes and filters that draw on every part of it.
func checkLinkJudged(t *testing.T, u *url.URL) {
	t.Helper()
	if got, want := escapedPath(u.String()), u.EscapedPath(); got != want {
		t.Fatalf("escapedPath(%q) = %q, EscapedPath gives %q", u, got, want)
	}
	seed, _ := url.Parse("http://www.example.co.uk:8080/")
	for _, mode := range []ScopeMode{ScopeHost, ScopeDomain, ScopeAll} {
		for _, seeds := range [][]*url.URL{{seed}, {seed, u}} {
			s, err := NewScope(mode, seeds, []string{`/[a-m]`}, []string{`\?`})
			if err != nil {
				t.Fatal(err)
			}
			scopeContains(t, s, u)
		}
	}
	for _, f := range []Filter{DefaultFilter(), {MaxURLLength: 30, MaxPathSegments: 2, MaxSegmentRepeats: 2}} {
		filterCheck(t, f, u)
	}
}

func TestLinkJudged(t *testing.T) {
	for _, raw := range []string{"http://example.com/", "https://www.example.co.uk:8080/a/b?q=1",
		"http://exämple.com/é/x?y", "http://[::1]:8080/a/a/a", "http://example.com/a%2Fb/c", "http://h.test/a(b)!/?x?y",
		"http://WWW.Example.co.uk/", "http://h.test?q", "http://1.2.3.4/" + "x/y/x/y/x"} {
		u, err := Normalize(raw)
		if err != nil {
			t.Fatal(err)
		}
		checkLinkJudged(t, u)
	}
}
