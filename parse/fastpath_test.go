package parse

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html/charset"
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

// checkCollapse holds appendCollapsed, which writes into a page's arena, to collapse.
func checkCollapse(t *testing.T, s string, max int) {
	t.Helper()
	want := "prefix" + collapse(s, max)
	if got := string(appendCollapsed([]byte("prefix"), []byte(s), max)); got != want {
		t.Fatalf("appendCollapsed(%q, %d) = %q, collapse gives %q", s, max, got, want)
	}
	var sc scratch
	if got := sc.textPiece(s, max).in(string(sc.arena)); got != collapse(s, max) {
		t.Fatalf("textPiece(%q, %d) = %q, collapse gives %q", s, max, got, collapse(s, max))
	}
}

func TestAppendCollapsed(t *testing.T) {
	for _, s := range []string{"", "a", "a b", " a", "a ", "a  b", "a\tb", "a\nb", "\x01a", "Caf\u00e9 menu",
		"a\u00a0b", "\u00a0a\u00a0", "a\u2003\u2003b", "  \t ", "\xff", "a\xff\xfeb", "\xff \xfe", "\ufffd\xff",
		"\xe6\x97\xa5\xe6", "\xed\xa0\x80x", "a\u0085b", strings.Repeat("é", 10), "x" + strings.Repeat("é", 10)} {
		for _, max := range []int{0, 1, 2, 3, 4, 7, 1024} {
			checkCollapse(t, s, max)
		}
	}
}

func FuzzCollapse(f *testing.F) {
	f.Add(" a\xff\xfe  b\u00a0", 5)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 {
			max = -max
		}
		checkCollapse(t, s, max%2048)
	})
}

// checkDeclaresUTF8 holds declaresUTF8 to charset.DetermineEncoding: where it answers yes,
// DetermineEncoding must settle on UTF-8 from the header.
func checkDeclaresUTF8(t *testing.T, contentType string) bool {
	t.Helper()
	if !declaresUTF8(contentType) {
		return false
	}
	if _, name, certain := charset.DetermineEncoding([]byte("<p>x"), contentType); name != "utf-8" || !certain {
		t.Fatalf("declaresUTF8(%q) is true, DetermineEncoding gives %q (certain %v)", contentType, name, certain)
	}
	return true
}

func TestDeclaresUTF8(t *testing.T) {
	for _, ct := range []string{"text/html; charset=utf-8", "text/html;charset=UTF-8", "TEXT/HTML ; Charset=Utf-8 ",
		`text/html; charset="utf-8"`, "application/xhtml+xml; charset=utf-8", "text/html;\tcharset=utf-8\t"} {
		if !checkDeclaresUTF8(t, ct) {
			t.Errorf("declaresUTF8(%q) = false, want true", ct)
		}
	}
	for _, ct := range []string{"", "text/html", "text/html; charset=iso-8859-1", "text/html; charset=utf8",
		"text/html; charset=utf-8; x=y", "text/html; charset=utf-16", `text/html; charset="utf-8`, "text; charset=utf-8",
		"text/html charset=utf-8", "/html; charset=utf-8", "text/html; charset = utf-8", "text/(html); charset=utf-8"} {
		if checkDeclaresUTF8(t, ct) {
			t.Errorf("declaresUTF8(%q) = true, want false", ct)
		}
	}
}

func FuzzDeclaresUTF8(f *testing.F) {
	f.Add("text/html; charset=utf-8")
	f.Add(`Text/Html ;CHARSET="UTF-8"`)
	f.Fuzz(func(t *testing.T, contentType string) {
		checkDeclaresUTF8(t, contentType)
	})
}
