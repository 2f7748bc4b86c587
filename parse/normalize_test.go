package parse

import (
	"errors"
	"net/url"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []normalizeCase{
		// Scheme, host and port.
		{"upper-case scheme and host", "HTTP://WWW.Example.COM/Path", "http://www.example.com/Path"},
		{"mixed-case https", "HtTpS://Example.com/", "https://example.com/"},
		{"default http port dropped", "http://example.com:80/a", "http://example.com/a"},
		{"default https port dropped", "https://example.com:443/a", "https://example.com/a"},
		{"https port 80 kept", "https://example.com:80/", "https://example.com:80/"},
		{"http port 443 kept", "http://example.com:443/", "http://example.com:443/"},
		{"non-default port kept", "http://example.com:8080/a", "http://example.com:8080/a"},
		{"empty port dropped", "http://example.com:/a", "http://example.com/a"},
		{"trailing dot on host", "http://example.com./a", "http://example.com/a"},
		{"trailing dots on host", "http://example.com../a", "http://example.com/a"},
		{"trailing dot with port", "http://Example.com.:8080/", "http://example.com:8080/"},
		{"userinfo dropped", "http://user:secret@example.com/a", "http://example.com/a"},
		{"user only dropped", "https://user@example.com/", "https://example.com/"},
		{"ipv4 host", "http://127.0.0.1:8080/x", "http://127.0.0.1:8080/x"},
		{"ipv6 without port", "http://[::1]/a", "http://[::1]/a"},
		{"ipv6 with port", "http://[::1]:8080/a", "http://[::1]:8080/a"},
		{"ipv6 default port dropped", "http://[::1]:80/a", "http://[::1]/a"},
		{"ipv6 upper-case", "https://[2001:DB8::1]:443/", "https://[2001:db8::1]/"},
		{"surrounding space trimmed", "  http://example.com/a \n", "http://example.com/a"},

		// Fragment and empty path.
		{"fragment dropped", "http://example.com/a#top", "http://example.com/a"},
		{"empty fragment dropped", "http://example.com/a#", "http://example.com/a"},
		{"empty path", "http://example.com", "http://example.com/"},
		{"empty path with query", "http://example.com?q=1", "http://example.com/?q=1"},
		{"empty query dropped", "http://example.com/a?", "http://example.com/a"},

		// Dot segments.
		{"dot segments", "http://example.com/a/./b/../c", "http://example.com/a/c"},
		{"dotdot at root", "http://example.com/..", "http://example.com/"},
		{"dotdot beyond root", "http://example.com/../../a/b", "http://example.com/a/b"},
		{"dotdot to root", "http://example.com/a/../../..", "http://example.com/"},
		{"trailing dot segment", "http://example.com/a/.", "http://example.com/a/"},
		{"trailing dotdot segment", "http://example.com/a/b/..", "http://example.com/a/"},
		{"dot only", "http://example.com/.", "http://example.com/"},
		{"dots inside names kept", "http://example.com/a..b/.c/d./...", "http://example.com/a..b/.c/d./..."},
		{"escaped dotdot", "http://example.com/a/b/%2E%2E/c", "http://example.com/a/c"},
		{"escaped dotdot lower-case", "http://example.com/a/b/%2e%2e/c", "http://example.com/a/c"},
		{"escaped dot", "http://example.com/a/%2E/c", "http://example.com/a/c"},
		{"half-escaped dotdot", "http://example.com/a/b/.%2E", "http://example.com/a/"},

		// Percent-encoding.
		{"unreserved unescaped", "http://example.com/%7e%41%2D%5F%2E%30", "http://example.com/~A-_.0"},
		{"reserved kept upper-cased", "http://example.com/a%2fb%3f", "http://example.com/a%2Fb%3F"},
		{"escaped percent kept", "http://example.com/100%25", "http://example.com/100%25"},
		{"query escapes upper-cased", "http://example.com/?a=%2f%7e", "http://example.com/?a=%2F~"},
		{"space in path", "http://example.com/a b", "http://example.com/a%20b"},
		{"space in query", "http://example.com/?q=a b", "http://example.com/?q=a%20b"},
		{"non-ASCII path", "http://example.com/café", "http://example.com/caf%C3%A9"},
		{"non-ASCII query", "http://example.com/?q=日本", "http://example.com/?q=%E6%97%A5%E6%9C%AC"},
		{"lone percent in query", "http://example.com/?q=100%", "http://example.com/?q=100%25"},
		{"unsafe query bytes", "http://example.com/?a=<b>&c={d}", "http://example.com/?a=%3Cb%3E&c=%7Bd%7D"},
		{"sub-delims in path kept", "http://example.com/wiki/Foo_(bar)!*'", "http://example.com/wiki/Foo_(bar)!*'"},
		{"escaped sub-delims kept", "http://example.com/wiki/Foo_%28bar%29", "http://example.com/wiki/Foo_%28bar%29"},
		{"unsafe path bytes escaped", "http://example.com/a^b|c", "http://example.com/a%5Eb%7Cc"},

		// Query order.
		{"query order kept", "http://example.com/?b=2&a=1&b=1", "http://example.com/?b=2&a=1&b=1"},
		{"query with slash and question mark", "http://example.com/p?x=/y?z", "http://example.com/p?x=/y?z"},
	}
	checkNormalizeCases(t, tests)
}

// normalizeCase is an input of Normalize and the URL it must give.
type normalizeCase struct{ name, in, want string }

// checkNormalizeCases runs Normalize on each case and checks its result.
func checkNormalizeCases(t *testing.T, tests []normalizeCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := Normalize(tt.in)
			if err != nil {
				t.Fatalf("Normalize(%q): %v", tt.in, err)
			}
			if got := u.String(); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			checkNormalized(t, tt.name, u)
		})
	}
}

func TestNormalizeErrors(t *testing.T) {
	tests := []struct {
		name, in string
		scheme   bool // errors.Is(err, ErrScheme)
	}{
		{"mailto", "mailto:someone@example.com", true},
		{"javascript", "javascript:alert(1)", true},
		{"javascript upper-case", "JavaScript:void(0)", true},
		{"data", "data:text/html,<p>hi</p>", true},
		{"ftp", "ftp://example.com/file", true},
		{"tel", "tel:+15551234567", true},
		{"file", "file:///etc/passwd", true},
		{"unclosed ipv6", "http://[::1", false},
		{"unclosed ipv6 with path", "http://[::1/a", false},
		{"bad port", "http://example.com:port/", false},
		{"bad escape", "http://example.com/%zz", false},
		{"space in host", "http://exa mple.com/", false},
		{"control character", "http://example.com/a\x01b", false},
		{"relative", "/a/b", false},
		{"scheme-relative", "//example.com/a", false},
		{"empty", "", false},
		{"no host", "http:///a", false},
		{"dots only host", "http://.../a", false},
		{"opaque http", "http:example.com", false},
		{"stray bracket with port", "http://]:0", false},
		{"stray bracket", "http://a]/", false},
		{"ipv6 zone", "http://[fe80::1%25eth0]:8080/", false},
		{"ipv6 zone of a dot", "http://[::%25.]/", false},
		{"ipv6 non-ASCII zone", "http://[::%25\xef\xbf\xbd]/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := Normalize(tt.in)
			if err == nil {
				t.Fatalf("Normalize(%q) = %q, want error", tt.in, u)
			}
			if got := errors.Is(err, ErrScheme); got != tt.scheme {
				t.Errorf("Normalize(%q): errors.Is(%v, ErrScheme) = %v, want %v", tt.in, err, got, tt.scheme)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name, base, ref, want string
	}{
		{"relative file", "http://example.com/dir/page", "other", "http://example.com/dir/other"},
		{"relative file, base with slash", "http://example.com/dir/", "other", "http://example.com/dir/other"},
		{"relative dir without slash", "http://example.com/dir", "other", "http://example.com/other"},
		{"parent", "http://example.com/a/b/c", "../d", "http://example.com/a/d"},
		{"parent beyond root", "http://example.com/a", "../../../d", "http://example.com/d"},
		{"dot", "http://example.com/a/b", ".", "http://example.com/a/"},
		{"absolute path", "http://example.com/a/b", "/x/y", "http://example.com/x/y"},
		{"query only", "http://example.com/a/b?x=1", "?q=2", "http://example.com/a/b?q=2"},
		{"fragment only", "http://example.com/a/b?x=1", "#top", "http://example.com/a/b?x=1"},
		{"empty ref", "http://example.com/a/b?x=1", "", "http://example.com/a/b?x=1"},
		{"scheme-relative", "https://example.com/a", "//Other.Example.com/p", "https://other.example.com/p"},
		{"scheme-relative with port", "http://example.com/a", "//other.example.com:80/p", "http://other.example.com/p"},
		{"absolute other scheme", "http://example.com/a", "HTTPS://Example.com:443/b#c", "https://example.com/b"},
		{"tab stripped", "http://example.com/", "/a\tb", "http://example.com/ab"},
		{"newlines stripped", "http://example.com/", "\n/a\r\n/b\n", "http://example.com/a/b"},
		{"newline in scheme", "http://example.com/", "ht\ntp://other.com/x", "http://other.com/x"},
		{"surrounding spaces", "http://example.com/", "   /a  ", "http://example.com/a"},
		{"inner space", "http://example.com/", "/a b?c d", "http://example.com/a%20b?c%20d"},
		{"non-ASCII", "http://example.com/", "/café?q=é", "http://example.com/caf%C3%A9?q=%C3%A9"},
		{"escaped dotdot", "http://example.com/a/b/", "%2E%2E/c", "http://example.com/a/c"},
		{"base with port", "http://example.com:8080/a/", "b", "http://example.com:8080/a/b"},
		{"base with ipv6", "http://[::1]:8080/a/", "../b", "http://[::1]:8080/b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, err := Normalize(tt.base)
			if err != nil {
				t.Fatalf("Normalize(%q): %v", tt.base, err)
			}
			u, err := Resolve(base, tt.ref)
			if err != nil {
				t.Fatalf("Resolve(%q, %q): %v", tt.base, tt.ref, err)
			}
			if got := u.String(); got != tt.want {
				t.Errorf("Resolve(%q, %q) = %q, want %q", tt.base, tt.ref, got, tt.want)
			}
			again, err := Normalize(u.String())
			if err != nil || again.String() != u.String() {
				t.Errorf("Normalize(%q) = %v, %v; want it unchanged", u.String(), again, err)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	base, err := url.Parse("http://example.com/dir/page")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, ref string
		scheme    bool
	}{
		{"mailto", "mailto:a@example.com", true},
		{"javascript", "javascript:void(0)", true},
		{"javascript with newline", "java\nscript:alert(1)", true},
		{"data", "data:image/png;base64,AAAA", true},
		{"ftp", "ftp://example.com/", true},
		{"tel", "tel:123", true},
		{"malformed ipv6", "http://[::1", false},
		{"bad escape", "/a%zz", false},
		{"bad port", "//example.com:x/", false},
		{"colons in a scheme-relative host", "//0::0", false},
		{"colons in a host", "//a:b:80/", false},
		{"ipv4 in brackets", "//[1.2.3.4]/", false},
		{"opaque http", "http:other", false},
		{"empty host", "http:///a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := Resolve(base, tt.ref)
			if err == nil {
				t.Fatalf("Resolve(%q) = %q, want error", tt.ref, u)
			}
			if got := errors.Is(err, ErrScheme); got != tt.scheme {
				t.Errorf("Resolve(%q): errors.Is(%v, ErrScheme) = %v, want %v", tt.ref, err, got, tt.scheme)
			}
		})
	}
}

// TestResolveKeepsBase checks that Resolve does not modify its base URL.
func TestResolveKeepsBase(t *testing.T) {
	base, err := Normalize("http://example.com/a/b?x=1")
	if err != nil {
		t.Fatal(err)
	}
	before := base.String()
	for _, ref := range []string{"../c", "?q", "#f", "//other.com/", "https://x.com/"} {
		if _, err := Resolve(base, ref); err != nil {
			t.Fatalf("Resolve(%q): %v", ref, err)
		}
	}
	if base.String() != before {
		t.Errorf("base changed from %q to %q", before, base.String())
	}
}
