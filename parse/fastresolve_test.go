package parse

import (
	"net/url"
	"testing"
)

// quickResolver must agree with Resolve wherever it answers: the same URL string, and the
// host as url.URL.Host holds it.
func checkQuickResolve(t *testing.T, base *url.URL, href string) (answered bool) {
	t.Helper()
	if otherScheme(href) {
		if u, err := Resolve(base, href); err == nil {
			t.Fatalf("otherScheme(%q) is true, Resolve gives %q", href, u)
		}
	}
	q := newQuickResolver(base)
	if u, ok := q.resolveURL(href); ok {
		want, err := Resolve(base, href)
		if err != nil || u != *want {
			t.Fatalf("quick resolveURL(%q, %q) = %#v, Resolve gives %#v, %v", base, href, u, want, err)
		}
	}
	var tmp []byte
	prefix := []byte("prefix ")
	got, host, ok := q.resolve(prefix, href, &tmp)
	if !ok {
		if string(got) != string(prefix) {
			t.Fatalf("quick resolve(%q, %q) declined but wrote %q", base, href, got)
		}
		return false
	}
	want, err := Resolve(base, href)
	if err != nil {
		t.Fatalf("quick resolve(%q, %q) = %q, Resolve fails: %v", base, href, got, err)
	}
	if string(got) != string(prefix)+want.String() || host != want.Host {
		t.Fatalf("quick resolve(%q, %q) = %q (host %q), Resolve gives %q (host %q)", base, href, got, host, want, want.Host)
	}
	return true
}

func TestQuickResolve(t *testing.T) {
	bases := []string{"http://example.com/dir/page.html?x=1", "http://Example.COM:80/", "https://u@h.test/a/b/",
		"http://h.test", "http://h.test/a%20b/c", "http://h.test/a(b)/c", "http://h.test/;jsessionid=1/x", "mailto:a@b",
		"http://h.test/a/./b/../c?sid=1#f", "https://h.test:8443/x?a=%7e", "http://h.test/a?q", "http://h.test/a?",
		"http://[::1]:8080/a/b", "http://exämple.test/a/b", "http://h.test./a/"}
	hrefs := []string{"", "/", "/p1.html", "p1.html", "a/b/c.html", "/a//b", "//other.test/x", "./x", "../x",
		"/x/./y", "/x/../y", ".hidden", "/.hidden", "x#frag", "/x#", "#frag", "x#a b", "a:b", "x?q=1", " /x",
		"/x y", "/%41", "~user/", "-._~", "?", "?q=2", "#", "x?", "x??", "x?a?b", "../../../../x", "./", "../",
		".", "..", "a/..", "a/.", "a//../b", "/..", "/a/b/../../..", "...", "a/.../b",
		"http://other.test", "http://other.test/", "HTTP://other.test/a/../b", "https://other.test:443/x",
		"http://other.test:80/x", "http://other.test:8080/x?y#z", "http://OTHER.test/", "http://other.test./",
		"http://u@other.test/", "http://other.test:/x", "http://:80/x", "https://other.test?q", "//other.test",
		"//other.test:8080/../x", "http:/x", "http:x", "ftp://other.test/", "http://other.test/a b",
		"http://1.2.3.4:0/x", "/x?sid=1", "/x?PHPSESSID=2", "/x?a=%7e", "/x?a=%7E", "/x?a=%2f", "/x?a b",
		"/x#%zz", "/x#a%20b", "/x#a#b", "x?q#f", "http://other.test#f", "//other.test?q#f",
		"mailto:a@b.test", "javascript:void(0)", "JavaScript:x", "tel:+1", "data:,x", "ftp://h/", "a+b-c.d:x", "1a:x",
		":x", "http:x", "HTTPS:/x", "x#y:z", "ma\tilto:x", "Http://h.test/"}
	for _, b := range bases {
		base, err := url.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hrefs {
			checkQuickResolve(t, base, h)
		}
	}
	// The forms the quick path exists for must not fall back to Resolve.
	base := mustURL(t, "http://h.test/dir/page.html?x=1")
	for _, h := range []string{"/p1.html", "p1.html", "a/b.html#top", "", "#top", "./", "../../x.html", "?y=2",
		"http://h.test/x", "https://other.test/", "//other.test/a/b", "http://h.test:8080/x?q=1#f"} {
		if !checkQuickResolve(t, base, h) {
			t.Errorf("quick resolve(%q) declined", h)
		}
	}
}

func FuzzQuickResolve(f *testing.F) {
	f.Add("http://example.com/dir/page.html", "a/b.html#x")
	f.Add("http://example.com", "/p1.html")
	f.Add("http://example.com/a/b/", "../../c/./d/..")
	f.Add("https://example.com/a?x=1", "//other.test:81/x/../y?q#f")
	f.Fuzz(func(t *testing.T, b, href string) {
		base, err := url.Parse(b)
		if err != nil {
			return
		}
		checkQuickResolve(t, base, href)
	})
}
