package store

import (
	"net/url"
	"testing"
)

func TestHostName(t *testing.T) {
	for in, want := range map[string]string{
		"http://A.Test:8080/x?y":                           "a.test",
		"https://user@h.test/":                             "h.test",
		"http://[::1]:80/":                                 "::1",
		"https://[2001:db8::1]:8443/":                      "2001:db8::1",
		"http://h.test?q=a://b":                            "h.test",
		"https://example.com?x=http://y/":                  "example.com",
		"http://user:pw@host.example.org:8080/p?q#f":       "host.example.org",
		"http://192.168.0.1/":                              "192.168.0.1",
		"https://例え.jp/パス":                                 "例え.jp",
		"https://%E4%BE%8B%E3%81%88.jp/%E3%83%91%E3%82%B9": "例え.jp", // as stored
		"https://example.com./":                            "example.com.",
		"mailto:someone@example.com":                       "",
		"mailto:x@example.com?u=http://y/":                 "",
		"not a url":                                        "",
	} {
		if got := HostName(in); got != want {
			t.Errorf("HostName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHostKey(t *testing.T) {
	for in, want := range map[string]string{
		"http://a.test/x":             "a.test",
		"https://a.test:8443?q":       "a.test:8443",
		"http://u@[::1]:80/p#f":       "[::1]:80",
		"http://a.test":               "a.test",
		"not a url":                   "",
		"mailto:x@a.test?u=http://y/": "",
	} {
		if got := hostKey(in); got != want {
			t.Errorf("hostKey(%q) = %q, want %q", in, got, want)
		}
	}
	// The frontier is keyed by url.URL.Host of the URL the crawl stores (url.URL.String):
	// hostKey must give the same key back, escaped hosts included.
	for _, raw := range []string{"http://a.test/x", "https://a.test:8443/?q=http://b/", "http://[::1]:8080/",
		"http://bücher.test/a", "https://例え.jp/パス"} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := hostKey(u.String()); got != u.Host {
			t.Errorf("hostKey(%q) = %q, want %q", u.String(), got, u.Host)
		}
	}
}
