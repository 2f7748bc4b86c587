package parse

import (
	"net/url"
	"strings"
	"testing"
)

func TestParseScopeMode(t *testing.T) {
	tests := []struct {
		in      string
		want    ScopeMode
		wantErr bool
	}{
		{"host", ScopeHost, false},
		{"domain", ScopeDomain, false},
		{"all", ScopeAll, false},
		{"", "", true},
		{"Host", "", true},
		{"subdomain", "", true},
	}
	for _, tt := range tests {
		got, err := ParseScopeMode(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseScopeMode(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestScopeContains(t *testing.T) {
	tests := []struct {
		name    string
		mode    ScopeMode
		seeds   []string
		include []string
		exclude []string
		in      []string
		out     []string
	}{
		{
			name:  "host",
			mode:  ScopeHost,
			seeds: []string{"http://www.example.com/start"},
			in:    []string{"http://www.example.com/", "http://WWW.example.com:80/a?b", "https://www.example.com/secure"},
			out:   []string{"http://example.com/", "http://sub.www.example.com/", "http://www.example.com:8080/", "http://www.example.org/"},
		},
		{
			name:  "host with port",
			mode:  ScopeHost,
			seeds: []string{"http://127.0.0.1:8080/"},
			in:    []string{"http://127.0.0.1:8080/a"},
			out:   []string{"http://127.0.0.1/", "http://127.0.0.1:8081/", "http://localhost:8080/"},
		},
		{
			name:  "host, several seeds",
			mode:  ScopeHost,
			seeds: []string{"http://a.example.com/", "https://b.example.org:8443/"},
			in:    []string{"http://a.example.com/x", "https://b.example.org:8443/y"},
			out:   []string{"https://b.example.org/y", "http://c.example.com/"},
		},
		{
			name:  "domain",
			mode:  ScopeDomain,
			seeds: []string{"http://www.example.co.uk/"},
			in: []string{
				"http://sub.example.co.uk/", "https://example.co.uk/", "http://a.b.example.co.uk:8080/",
				"http://www.example.co.uk/page",
			},
			out: []string{"http://other.co.uk/", "http://example.com/", "http://co.uk/", "http://example.co.uk.evil.com/"},
		},
		{
			name:  "domain, ipv4 seed",
			mode:  ScopeDomain,
			seeds: []string{"http://192.168.1.10/"},
			in:    []string{"http://192.168.1.10:8080/", "https://192.168.1.10/x"},
			out:   []string{"http://192.168.1.11/", "http://10.168.1.10/", "http://1.10/"},
		},
		{
			name:  "domain, ipv6 seed",
			mode:  ScopeDomain,
			seeds: []string{"http://[2001:db8::1]:8080/"},
			in:    []string{"http://[2001:db8::1]/", "http://[2001:DB8::1]:9090/"},
			out:   []string{"http://[2001:db8::2]/", "http://[::1]/"},
		},
		{
			name:  "domain, single-label host",
			mode:  ScopeDomain,
			seeds: []string{"http://localhost:8080/"},
			in:    []string{"http://localhost/"},
			out:   []string{"http://example.com/"},
		},
		{
			name:  "all",
			mode:  ScopeAll,
			seeds: []string{"http://example.com/"},
			in:    []string{"http://example.com/", "https://anything.example.org:9999/x", "http://[::1]/"},
		},
		{
			name: "all without seeds",
			mode: ScopeAll,
			in:   []string{"http://example.com/"},
		},
		{
			name: "host without seeds",
			mode: ScopeHost,
			out:  []string{"http://example.com/"},
		},
		{
			name:    "include",
			mode:    ScopeHost,
			seeds:   []string{"http://example.com/"},
			include: []string{`^http://example\.com/docs/`, `\.html$`},
			in:      []string{"http://example.com/docs/a", "http://example.com/b/c.html"},
			out:     []string{"http://example.com/", "http://example.com/blog/x", "http://other.com/docs/a.html"},
		},
		{
			name:    "exclude",
			mode:    ScopeAll,
			exclude: []string{`\?`, `/private/`},
			in:      []string{"http://example.com/a", "http://example.com/privately"},
			out:     []string{"http://example.com/a?b=1", "http://example.com/private/x"},
		},
		{
			name:    "include and exclude",
			mode:    ScopeDomain,
			seeds:   []string{"https://www.example.com/"},
			include: []string{`/docs/`},
			exclude: []string{`/docs/old/`},
			in:      []string{"https://api.example.com/docs/new"},
			out:     []string{"https://www.example.com/docs/old/x", "https://www.example.com/blog/", "https://example.org/docs/"},
		},
		{
			name:    "patterns see the normalised URL",
			mode:    ScopeAll,
			include: []string{`^https://example\.com/a/c$`},
			in:      []string{"HTTPS://Example.com:443/a/b/../c#frag"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seeds []*url.URL
			for _, s := range tt.seeds {
				seeds = append(seeds, mustURL(t, s))
			}
			s, err := NewScope(tt.mode, seeds, tt.include, tt.exclude)
			if err != nil {
				t.Fatalf("NewScope: %v", err)
			}
			for _, u := range tt.in {
				if !scopeContains(t, s, mustURL(t, u)) {
					t.Errorf("Contains(%s) = false, want true", u)
				}
			}
			for _, u := range tt.out {
				if scopeContains(t, s, mustURL(t, u)) {
					t.Errorf("Contains(%s) = true, want false", u)
				}
			}
		})
	}
}

func TestScopeAddSeed(t *testing.T) {
	tests := []struct {
		mode ScopeMode
		seed string
		in   string
	}{
		{ScopeHost, "http://b.example.org:8080/", "http://b.example.org:8080/x"},
		{ScopeDomain, "http://www.example.org/", "http://static.example.org/x"},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			s, err := NewScope(tt.mode, []*url.URL{mustURL(t, "http://a.example.com/")}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			u := mustURL(t, tt.in)
			if s.Contains(u) {
				t.Fatalf("Contains(%s) before AddSeed = true", u)
			}
			s.AddSeed(mustURL(t, tt.seed))
			if !s.Contains(u) {
				t.Errorf("Contains(%s) after AddSeed(%s) = false", u, tt.seed)
			}
			if !s.Contains(mustURL(t, "http://a.example.com/y")) {
				t.Errorf("AddSeed dropped the first seed")
			}
		})
	}
}

func TestNewScopeBadPattern(t *testing.T) {
	tests := []struct {
		name             string
		include, exclude []string
		flag             string
	}{
		{"include", []string{`ok`, `a(b`}, nil, "--include"},
		{"exclude", nil, []string{`[z-a]`}, "--exclude"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewScope(ScopeAll, nil, tt.include, tt.exclude)
			if err == nil {
				t.Fatal("NewScope accepted a bad pattern")
			}
			if !strings.Contains(err.Error(), tt.flag) {
				t.Errorf("error %q does not mention %s", err, tt.flag)
			}
		})
	}
}

func TestDomain(t *testing.T) {
	tests := []struct{ host, want string }{
		{"www.example.co.uk", "example.co.uk"},
		{"a.b.c.example.com", "example.com"},
		{"example.com", "example.com"},
		{"co.uk", "co.uk"},
		{"localhost", "localhost"},
		{"192.168.1.10", "192.168.1.10"},
		{"::1", "::1"},
		{"[2001:db8::1]", "2001:db8::1"},
	}
	for _, tt := range tests {
		if got := Domain(tt.host); got != tt.want {
			t.Errorf("Domain(%q) = %q, want %q", tt.host, got, tt.want)
		}
	}
}

// Scope.Contains runs on every link of every page, like Filter.Check.
func BenchmarkScopeContains(b *testing.B) {
	seed, err := Normalize("http://example.com/")
	if err != nil {
		b.Fatal(err)
	}
	var urls []*url.URL
	for _, s := range []string{
		"http://example.com/blog/2026/11/some-article-title?page=2",
		"http://www.example.com/about",
		"http://other.example.org/",
	} {
		u, err := Normalize(s)
		if err != nil {
			b.Fatal(err)
		}
		urls = append(urls, u)
	}
	for _, mode := range []ScopeMode{ScopeHost, ScopeDomain} {
		for _, pats := range []struct {
			name             string
			include, exclude []string
		}{
			{"no-patterns", nil, nil},
			{"exclude", nil, []string{`\.pdf$`}},
		} {
			s, err := NewScope(mode, []*url.URL{seed}, pats.include, pats.exclude)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(string(mode)+"/"+pats.name, func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					s.Contains(urls[i%len(urls)])
				}
			})
		}
	}
}
