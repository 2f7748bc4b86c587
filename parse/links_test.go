package parse

import (
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/crawl-project/crawl"
)

// wantLink is the expected form of one extracted Link.
type wantLink struct {
	url    string
	kind   crawl.EdgeKind
	rel    string
	anchor string
	count  int
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := Normalize(s)
	if err != nil {
		t.Fatalf("Normalize(%q): %v", s, err)
	}
	return u
}

func checkLinks(t *testing.T, got []Link, want []wantLink) {
	t.Helper()
	if len(got) != len(want) {
		var urls []string
		for _, l := range got {
			urls = append(urls, l.URL)
		}
		t.Fatalf("got %d links %q, want %d", len(got), urls, len(want))
	}
	for i, w := range want {
		g := got[i]
		if u, err := g.Parse(); err != nil || u.Host != g.Host {
			t.Errorf("link %d: %s parses to %v, %v; Host is %q", i, g.URL, u, err, g.Host)
		}
		if g.URL != w.url || g.Kind != w.kind || g.Rel != w.rel || g.Anchor != w.anchor || g.Count != w.count {
			t.Errorf("link %d = {%s %v rel=%q anchor=%q count=%d}, want {%s %v rel=%q anchor=%q count=%d}",
				i, g.URL, g.Kind, g.Rel, g.Anchor, g.Count, w.url, w.kind, w.rel, w.anchor, w.count)
		}
	}
}

// extractBoth runs Extract, and checks that the general path, without the fast paths, and
// the token scanner give the same page.
func extractBoth(t *testing.T, x Extractor, body []byte, contentType string, pageURL *url.URL) (*Page, error) {
	t.Helper()
	p, err := x.Extract(body, contentType, pageURL)
	g, gerr := x.extract(body, contentType, pageURL, true)
	if !reflect.DeepEqual(p, g) || (err == nil) != (gerr == nil) {
		t.Fatalf("Extract = %+v, %v; the general path gives %+v, %v", p, err, g, gerr)
	}
	s, serr := scanPage(x, body, contentType, pageURL)
	if !reflect.DeepEqual(p, s) || (err == nil) != (serr == nil) {
		t.Fatalf("Extract = %+v, %v; the token scanner gives %+v, %v", p, err, s, serr)
	}
	return p, err
}

func TestExtract(t *testing.T) {
	const page = "http://example.com/dir/page.html"
	longWord := strings.Repeat("é", 200) // 400 bytes of two-byte runes
	tests := []struct {
		name     string
		x        Extractor
		html     string
		ct       string
		title    string
		links    []wantLink
		dropped  int
		invalid  int
		nofollow bool
		noindex  bool
	}{
		{
			name:  "a and area",
			html:  `<title>T</title><a href="a.html">A</a><map><area href="/area" alt="Area alt"></map>`,
			title: "T",
			links: []wantLink{
				{"http://example.com/dir/a.html", crawl.KindLink, "", "A", 1},
				{"http://example.com/area", crawl.KindLink, "", "Area alt", 1},
			},
		},
		{
			name: "a without href ignored",
			html: `<a name="x">no href</a><a href="">self</a>`,
			links: []wantLink{
				{page, crawl.KindLink, "", "self", 1},
			},
		},
		{
			name: "relative base href",
			html: `<head><base href="/other/"></head><a href="x">X</a><a href="../y">Y</a>`,
			links: []wantLink{
				{"http://example.com/other/x", crawl.KindLink, "", "X", 1},
				{"http://example.com/y", crawl.KindLink, "", "Y", 1},
			},
		},
		{
			name: "absolute base href, first one wins",
			html: `<head><base href="https://cdn.example.org/root/"><base href="/ignored/"></head><a href="x">X</a><a href="//example.net/z">Z</a>`,
			links: []wantLink{
				{"https://cdn.example.org/root/x", crawl.KindLink, "", "X", 1},
				{"https://example.net/z", crawl.KindLink, "", "Z", 1},
			},
		},
		{
			name: "unusable base href ignored",
			html: `<head><base href="javascript:void(0)"></head><a href="x">X</a>`,
			links: []wantLink{
				{"http://example.com/dir/x", crawl.KindLink, "", "X", 1},
			},
		},
		{
			name: "link rel kinds",
			html: `<head>
				<link rel="stylesheet" href="/style.css">
				<link rel="Canonical" href="/canonical">
				<link rel="alternate" hreflang="de" href="/de/">
				<link rel="alternate" type="application/rss+xml" href="/feed">
				<link rel="icon" href="/favicon.ico">
				<link rel="preload stylesheet" href="/x.css">
			</head>`,
			links: []wantLink{
				{"http://example.com/canonical", crawl.KindCanonical, "canonical", "", 1},
				{"http://example.com/de/", crawl.KindAlternate, "alternate", "de", 1},
			},
		},
		{
			name: "same URL as link and canonical kept apart",
			html: `<link rel=canonical href="/p"><a href="/p">P</a><a href="/p#x">P2</a>`,
			links: []wantLink{
				{"http://example.com/p", crawl.KindCanonical, "canonical", "", 1},
				{"http://example.com/p", crawl.KindLink, "", "P", 2},
			},
		},
		{
			name: "rel nofollow",
			html: `<a href="/ad" rel="Sponsored   NOFOLLOW">Ad</a><a href="/ok" rel="noopener">OK</a>`,
			links: []wantLink{
				{"http://example.com/ad", crawl.KindLink, "sponsored nofollow", "Ad", 1},
				{"http://example.com/ok", crawl.KindLink, "noopener", "OK", 1},
			},
		},
		{
			name: "one followable occurrence makes a repeated link followable",
			html: `<a href="/a" rel="nofollow">A1</a><a href="/a" rel="noopener">A2</a><a href="/a" rel="NoFollow">A3</a>` +
				`<a href="/b" rel="external">B1</a><a href="/b#x" rel="nofollow">B2</a>` +
				`<a href="/c" rel="nofollow">C1</a><a href="/c" rel="ugc nofollow">C2</a>`,
			links: []wantLink{
				{"http://example.com/a", crawl.KindLink, "noopener", "A1", 3},
				{"http://example.com/b", crawl.KindLink, "external", "B1", 2},
				{"http://example.com/c", crawl.KindLink, "nofollow", "C1", 2},
			},
		},
		{
			name:     "meta robots nofollow noindex",
			html:     `<head><meta name="robots" content="NoFollow, noindex"></head><a href="/x">X</a>`,
			nofollow: true,
			noindex:  true,
			links:    []wantLink{{"http://example.com/x", crawl.KindLink, "", "X", 1}},
		},
		{
			name:     "meta robots none",
			html:     `<meta name="ROBOTS" content="none">`,
			nofollow: true,
			noindex:  true,
		},
		{
			name:    "meta robots noindex only",
			html:    `<meta name="robots" content="noindex">`,
			noindex: true,
		},
		{
			name:     "meta robots for this crawler",
			x:        Extractor{RobotsToken: "CrawlBot"},
			html:     `<meta name="crawlbot" content="nofollow"><meta name="otherbot" content="noindex">`,
			nofollow: true,
		},
		{
			name: "meta for another crawler ignored",
			html: `<meta name="otherbot" content="nofollow,noindex"><meta name="description" content="none">`,
		},
		{
			name: "repeats folded, first anchor kept",
			html: `<a href="/x">first</a><a href="/y">Y</a><a href="http://EXAMPLE.com:80/x#frag">second</a><a href="../x">third</a>`,
			links: []wantLink{
				{"http://example.com/x", crawl.KindLink, "", "first", 3},
				{"http://example.com/y", crawl.KindLink, "", "Y", 1},
			},
		},
		{
			name: "anchor whitespace collapsed",
			html: "<a href=/x>\n\t  Hello <b>bold</b>\n\n   world\u00a0 </a>",
			links: []wantLink{
				{"http://example.com/x", crawl.KindLink, "", "Hello bold world", 1},
			},
		},
		{
			name: "anchor cut on a rune boundary",
			html: `<a href="/long">` + longWord + `</a>`,
			links: []wantLink{
				{"http://example.com/long", crawl.KindLink, "", strings.Repeat("é", MaxAnchor/2), 1},
			},
		},
		{
			name: "anchor cut inside a rune",
			html: `<a href="/long">x` + longWord + `</a>`,
			links: []wantLink{
				{"http://example.com/long", crawl.KindLink, "", "x" + strings.Repeat("é", (MaxAnchor-1)/2), 1},
			},
		},
		{
			name: "image alt as anchor",
			html: `<a href="/img"><img src="/i.png" alt="  Logo   text "></a><a href="/both">Text<img alt="ignored"></a><a href="/none"><img src="/i.png"></a>`,
			links: []wantLink{
				{"http://example.com/img", crawl.KindLink, "", "Logo text", 1},
				{"http://example.com/both", crawl.KindLink, "", "Text", 1},
				{"http://example.com/none", crawl.KindLink, "", "", 1},
			},
		},
		{
			name: "max links",
			x:    Extractor{MaxLinks: 2},
			html: `<a href=/1>1</a><a href=/2>2</a><a href=/1>again</a><a href=/3>3</a><a href=/4>4</a>`,
			links: []wantLink{
				{"http://example.com/1", crawl.KindLink, "", "1", 2},
				{"http://example.com/2", crawl.KindLink, "", "2", 1},
			},
			dropped: 2,
		},
		{
			name: "invalid hrefs counted",
			html: `<a href="mailto:a@example.com">m</a><a href="javascript:void(0)">j</a>
				<a href="tel:+1">t</a><a href="data:,x">d</a><a href="ftp://example.com/">f</a>
				<a href="http://[::1">bad</a><a href="/a%zz">esc</a><link rel=canonical href="mailto:x@y">
				<a href="/ok">ok</a>`,
			links: []wantLink{
				{"http://example.com/ok", crawl.KindLink, "", "ok", 1},
			},
			invalid: 8,
		},
		{
			name: "href whitespace and control characters",
			html: "<a href=\"  /a\n/b\tc  \">x</a><a href=\"/sp ace?q=a b\">y</a>",
			links: []wantLink{
				{"http://example.com/a/bc", crawl.KindLink, "", "x", 1},
				{"http://example.com/sp%20ace?q=a%20b", crawl.KindLink, "", "y", 1},
			},
		},
		{
			name:  "title trimmed and collapsed",
			html:  "<title>\n   Hello \n\n  World  </title><body><title>second</title></body>",
			title: "Hello World",
		},
		{
			name: "malformed html",
			html: `<html><body><div><p>text <a href="/one">One <b>bold<a href="/two">Two</div><a href='/three'>Three<table><tr><td><a href=/four>Four`,
			links: []wantLink{
				{"http://example.com/one", crawl.KindLink, "", "One bold", 1},
				{"http://example.com/two", crawl.KindLink, "", "Two", 1},
				{"http://example.com/three", crawl.KindLink, "", "ThreeFour", 1},
				{"http://example.com/four", crawl.KindLink, "", "Four", 1},
			},
		},
		{
			// Sniffed as UTF-8; the document ends inside a multi-byte sequence.
			name:  "invalid utf-8 in a sniffed document",
			html:  "<title>café</title><a href=\"/x\">\xe6\x97\xa5\xe6",
			title: "café",
			links: []wantLink{
				{"http://example.com/x", crawl.KindLink, "", "\u65e5\uFFFD", 1},
			},
		},
		{
			name:  "utf-8 from content type",
			ct:    "text/html; charset=UTF-8",
			html:  `<title>Grüße</title><a href="/straße?q=ü">Straße</a>`,
			title: "Grüße",
			links: []wantLink{
				{"http://example.com/stra%C3%9Fe?q=%C3%BC", crawl.KindLink, "", "Straße", 1},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := tt.ct
			if ct == "" {
				ct = "text/html"
			}
			p, err := extractBoth(t, tt.x, []byte(tt.html), ct, mustURL(t, page))
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if p.Title != tt.title {
				t.Errorf("Title = %q, want %q", p.Title, tt.title)
			}
			checkLinks(t, p.Links, tt.links)
			if p.Dropped != tt.dropped || p.Invalid != tt.invalid {
				t.Errorf("Dropped, Invalid = %d, %d, want %d, %d", p.Dropped, p.Invalid, tt.dropped, tt.invalid)
			}
			if p.NoFollow != tt.nofollow || p.NoIndex != tt.noindex {
				t.Errorf("NoFollow, NoIndex = %v, %v, want %v, %v", p.NoFollow, p.NoIndex, tt.nofollow, tt.noindex)
			}
			for _, l := range p.Links {
				if len(l.Anchor) > MaxAnchor || !utf8.ValidString(l.Anchor) {
					t.Errorf("anchor %q: %d bytes or invalid UTF-8", l.Anchor, len(l.Anchor))
				}
			}
		})
	}
}

func TestLinkNofollow(t *testing.T) {
	tests := []struct {
		rel  string
		want bool
	}{
		{"", false},
		{"nofollow", true},
		{"noopener nofollow", true},
		{"sponsored ugc", false},
		{"nofollowers", false},
	}
	for _, tt := range tests {
		if got := (Link{Rel: tt.rel}).Nofollow(); got != tt.want {
			t.Errorf("Link{Rel: %q}.Nofollow() = %v, want %v", tt.rel, got, tt.want)
		}
	}
}

func TestExtractCharset(t *testing.T) {
	tests := []struct {
		file  string
		ct    string
		title string
		links []wantLink
	}{
		{
			// Declared by <meta charset>, not by the Content-Type header.
			file:  "windows-1252.html",
			ct:    "text/html",
			title: "Café crème",
			links: []wantLink{
				{"http://example.com/caf%C3%A9/cr%C3%A8me", crawl.KindLink, "", "Café crème", 1},
				{"http://example.com/l%E2%80%99%C3%A9t%C3%A9", crawl.KindLink, "", "l’été €5", 1},
			},
		},
		{
			// Declared only by the Content-Type header.
			file:  "shift_jis.html",
			ct:    "text/html; charset=Shift_JIS",
			title: "日本語",
			links: []wantLink{
				{"http://example.com/%E6%97%A5%E6%9C%AC%E8%AA%9E/%E3%83%9A%E3%83%BC%E3%82%B8", crawl.KindLink, "", "日本語のページ", 1},
				{"http://example.com/ascii", crawl.KindLink, "", "ＡＢＣ", 1},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if utf8.Valid(body) {
				t.Fatalf("%s is valid UTF-8; the test needs legacy-encoded bytes", tt.file)
			}
			p, err := extractBoth(t, Extractor{}, body, tt.ct, mustURL(t, "http://example.com/"))
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if p.Title != tt.title {
				t.Errorf("Title = %q, want %q", p.Title, tt.title)
			}
			checkLinks(t, p.Links, tt.links)
		})
	}
}
