package parse

import (
	"net/url"
	"testing"
)

// TestScopeSeedHosts: whatever the mode, the scope knows the seeds' own hosts (those given at
// the start and those added later, as a resumed crawl does), and judges a host apart from the
// include and exclude patterns.
func TestScopeSeedHosts(t *testing.T) {
	for _, mode := range []ScopeMode{ScopeHost, ScopeDomain, ScopeAll} {
		s, err := NewScope(mode, []*url.URL{{Scheme: "http", Host: "www.example.com", Path: "/"}}, []string{"/blog/"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.AddSeed(&url.URL{Scheme: "http", Host: "127.0.0.1:8080", Path: "/"})
		for host, want := range map[string]bool{
			"www.example.com": true, "127.0.0.1:8080": true,
			"example.com": false, "127.0.0.1": false, "127.0.0.1:8081": false, "other.test": false,
		} {
			if got := s.IsSeedHost(host); got != want {
				t.Errorf("%s scope: IsSeedHost(%q) = %v, want %v", mode, host, got, want)
			}
		}
		// ContainsHost ignores --include: /robots.txt is not under /blog/ but its host is in scope.
		if !s.ContainsHost("www.example.com") || s.Contains(&url.URL{Scheme: "http", Host: "www.example.com", Path: "/robots.txt"}) {
			t.Errorf("%s scope: ContainsHost must judge the host alone", mode)
		}
		wantOther := mode == ScopeAll
		if got := s.ContainsHost("other.test"); got != wantOther {
			t.Errorf("%s scope: ContainsHost(other.test) = %v, want %v", mode, got, wantOther)
		}
		wantSub := mode != ScopeHost
		if got := s.ContainsHost("blog.example.com"); got != wantSub {
			t.Errorf("%s scope: ContainsHost(blog.example.com) = %v, want %v", mode, got, wantSub)
		}
	}
	if (&Scope{}).IsSeedHost("example.com") {
		t.Error("an empty scope has a seed host")
	}
}
