package parse

import (
	"net/url"
	"testing"
)

// quickResolver must agree with Resolve wherever it answers.
func checkQuickResolve(t *testing.T, base *url.URL, href string) {
	t.Helper()
	got := newQuickResolver(base).resolve(href)
	if got == nil {
		return
	}
	want, err := Resolve(base, href)
	if err != nil {
		t.Fatalf("quick resolve(%q, %q) = %q, Resolve fails: %v", base, href, got, err)
	}
	if got.String() != want.String() || *got != *want {
		t.Fatalf("quick resolve(%q, %q) = %#v, Resolve gives %#v", base, href, got, want)
	}
}

func TestQuickResolve(t *testing.T) {
	bases := []string{"http://example.com/dir/page.html?x=1", "http://Example.COM:80/", "https://u@h.test/a/b/",
		"http://h.test", "http://h.test/a%20b/c", "http://h.test/a(b)/c", "http://h.test/;jsessionid=1/x", "mailto:a@b"}
	hrefs := []string{"", "/", "/p1.html", "p1.html", "a/b/c.html", "/a//b", "//other.test/x", "./x", "../x",
		"/x/./y", "/x/../y", ".hidden", "/.hidden", "x#frag", "/x#", "#frag", "x#a b", "a:b", "x?q=1", " /x",
		"/x y", "/%41", "~user/", "-._~"}
	for _, b := range bases {
		base, err := url.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hrefs {
			checkQuickResolve(t, base, h)
		}
	}
	base := mustURL(t, "http://h.test/dir/page.html")
	for _, h := range []string{"/p1.html", "p1.html", "a/b.html#top"} {
		if newQuickResolver(base).resolve(h) == nil {
			t.Errorf("quick resolve(%q) declined a plain path", h)
		}
	}
}

func FuzzQuickResolve(f *testing.F) {
	f.Add("http://example.com/dir/page.html", "a/b.html#x")
	f.Add("http://example.com", "/p1.html")
	f.Fuzz(func(t *testing.T, b, href string) {
		base, err := url.Parse(b)
		if err != nil {
			return
		}
		checkQuickResolve(t, base, href)
	})
}
