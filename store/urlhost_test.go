package store

import "testing"

func TestHostName(t *testing.T) {
	for in, want := range map[string]string{
		"http://A.Test:8080/x?y":                     "a.test",
		"https://user@h.test/":                       "h.test",
		"http://[::1]:80/":                           "::1",
		"https://[2001:db8::1]:8443/":                "2001:db8::1",
		"http://h.test?q=a://b":                      "h.test",
		"https://example.com?x=http://y/":            "example.com",
		"http://user:pw@host.example.org:8080/p?q#f": "host.example.org",
		"http://192.168.0.1/":                        "192.168.0.1",
		"https://例え.jp/パス":                           "例え.jp",
		"https://example.com./":                      "example.com.",
		"mailto:someone@example.com":                 "",
		"mailto:x@example.com?u=http://y/":           "",
		"not a url":                                  "",
	} {
		if got := HostName(in); got != want {
			t.Errorf("HostName(%q) = %q, want %q", in, got, want)
		}
	}
}
