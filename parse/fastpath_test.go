package parse

import (
	"slices"
	"strings"
	"testing"
)

// The helpers below have fast paths that return their input unchanged without allocating;
// these tables pin their results on both sides of each fast path.

func TestNormalizeEscapes(t *testing.T) {
	tests := []struct {
		in    string
		query bool
		want  string
	}{
		{"", false, ""},
		{"/a/b.html", false, "/a/b.html"},
		{"/%7e/%7E", false, "/~/~"},
		{"/%2f/%2F", false, "/%2F/%2F"},
		{"/a%2fb", false, "/a%2Fb"},
		{"/a b", false, "/a%20b"},
		{"/%zz", false, "/%25zz"},
		{"/%4", false, "/%254"},
		{"/%", false, "/%25"},
		{"/a?b", false, "/a%3Fb"},
		{"a=b?c", true, "a=b?c"},
		{"q=%e2%82%ac", true, "q=%E2%82%AC"},
		{"q=%E2%82%AC", true, "q=%E2%82%AC"},
		{"q={x}", true, "q=%7Bx%7D"},
		{"/é", false, "/%C3%A9"},
	}
	for _, tt := range tests {
		if got := normalizeEscapes(tt.in, tt.query); got != tt.want {
			t.Errorf("normalizeEscapes(%q, %v) = %q, want %q", tt.in, tt.query, got, tt.want)
		}
	}
}

func TestRemoveDotSegments(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"/p1.html", "/p1.html"},
		{"/a/.hidden/x", "/a/.hidden/x"},
		{"/a/./b", "/a/b"},
		{"/a/../b", "/b"},
		{"/a/b/..", "/a/"},
		{"/a/.", "/a/"},
		{"./a", "a"},
		{"../a", "a"},
		{"/a.b/c.d", "/a.b/c.d"},
	}
	for _, tt := range tests {
		if got := removeDotSegments(tt.in); got != tt.want {
			t.Errorf("removeDotSegments(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCollapseAndHasWord(t *testing.T) {
	for _, s := range []string{"", "a", "a b", " a", "a ", "a  b", "a\tb", "a\nb", "nofollow noopener",
		"Caf\u00e9 menu", "a\u00a0b", "\u00a0a\u00a0", "a\u2003\u2003b", "  \t "} {
		if got, want := collapse(s, 1024), strings.Join(strings.Fields(s), " "); got != want {
			t.Errorf("collapse(%q) = %q, want %q", s, got, want)
		}
		for _, w := range []string{"a", "b", "nofollow", "noopener", "menu", "Caf\u00e9"} {
			if got, want := hasWord(s, w), slices.Contains(strings.Fields(s), w); got != want {
				t.Errorf("hasWord(%q, %q) = %v, want %v", s, w, got, want)
			}
		}
	}
}
