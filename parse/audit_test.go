package parse

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/crawl-project/crawl"
)

// bothPaths extracts doc through the tree and through the token scanner, checks that they
// agree, and returns the page.
func bothPaths(t *testing.T, x Extractor, doc string) *Page {
	t.Helper()
	checkScanMatchesTree(t, x, doc)
	p, err := x.Extract([]byte(doc), "text/html", mustURL(t, "http://example.com/dir/page.html"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Page requisites are links of their own kinds, read only when asked for: every element and
// attribute that loads one, each srcset candidate, an image's alt text as its anchor.
func TestRequisites(t *testing.T) {
	doc := `<html><head>
		<link rel=stylesheet href=/s.css><link rel="alternate stylesheet" href=/alt.css>
		<link rel="shortcut icon" href=/favicon.ico><link rel=apple-touch-icon href=/touch.png>
		<link rel=preload href=/font.woff2 as=font><link rel=modulepreload href=/m.js>
		<link rel=manifest href=/app.webmanifest><link rel=stylesheet href="  ">
		<script src="/app.js"></script><script>inline()</script>
		</head><body>
		<img src=logo.png alt="  Our   logo "><img src="" alt=empty><img src=/logo.png>
		<picture><source srcset="a.png 1x, b.png 2x"><img srcset=" c.png , d(1,2).png 2x,e.png," src=c.png></picture>
		<iframe src="/frame.html">no frames</iframe>
		<video src=/v.mp4 poster=/poster.jpg><source src=/v.webm><track src=/subs.vtt></video><audio src=/a.mp3></audio>
		<object data=/doc.pdf></object><embed src=/movie.swf>
		<a href=/page>page</a>
		</body></html>`
	img, sheet := crawl.KindImage, crawl.KindStylesheet
	want := []wantLink{
		{"http://example.com/s.css", sheet, "stylesheet", "", 1},
		{"http://example.com/alt.css", sheet, "alternate stylesheet", "", 1},
		{"http://example.com/favicon.ico", crawl.KindIcon, "shortcut icon", "", 1},
		{"http://example.com/touch.png", crawl.KindIcon, "apple-touch-icon", "", 1},
		{"http://example.com/font.woff2", crawl.KindPreload, "preload", "", 1},
		{"http://example.com/m.js", crawl.KindPreload, "modulepreload", "", 1},
		{"http://example.com/app.webmanifest", crawl.KindManifest, "manifest", "", 1},
		{"http://example.com/app.js", crawl.KindScript, "", "", 1},
		{"http://example.com/dir/logo.png", img, "", "Our logo", 1},
		{"http://example.com/logo.png", img, "", "", 1},
		{"http://example.com/dir/a.png", img, "", "", 1},
		{"http://example.com/dir/b.png", img, "", "", 1},
		{"http://example.com/dir/c.png", img, "", "", 2},
		{"http://example.com/dir/d(1,2).png", img, "", "", 1},
		{"http://example.com/dir/e.png", img, "", "", 1},
		{"http://example.com/frame.html", crawl.KindFrame, "", "", 1},
		{"http://example.com/v.mp4", crawl.KindMedia, "", "", 1},
		{"http://example.com/poster.jpg", img, "", "", 1},
		{"http://example.com/v.webm", crawl.KindMedia, "", "", 1},
		{"http://example.com/subs.vtt", crawl.KindMedia, "", "", 1},
		{"http://example.com/a.mp3", crawl.KindMedia, "", "", 1},
		{"http://example.com/doc.pdf", crawl.KindObject, "", "", 1},
		{"http://example.com/movie.swf", crawl.KindObject, "", "", 1},
		{"http://example.com/page", crawl.KindLink, "", "page", 1},
	}
	checkLinks(t, bothPaths(t, Extractor{Requisites: true}, doc).Links, want)
	// Without Requisites, only the links of the graph.
	checkLinks(t, bothPaths(t, Extractor{}, doc).Links, want[len(want)-1:])
	// The cap counts requisites like any link.
	if p := bothPaths(t, Extractor{Requisites: true, MaxLinks: 3}, doc); len(p.Links) != 3 || p.Dropped != 22 {
		t.Errorf("capped at 3: %d links, %d dropped", len(p.Links), p.Dropped)
	}
}

func TestSrcsetCandidates(t *testing.T) {
	for srcset, want := range map[string][]string{
		"a.png":                         {"a.png"},
		"a.png 1x, b.png 2x":            {"a.png", "b.png"},
		" a.png, b.png,, c.png 300w ":   {"a.png", "b.png", "c.png"},
		"a.png,b.png 2x":                {"a.png,b.png"}, // a comma without space is part of a URL
		"a.png, data:x/y;base64,AAA 2x": {"a.png", "data:x/y;base64,AAA"},
		"a.png x(1, 2), b.png":          {"a.png", "b.png"},
		", ,":                           nil,
		"":                              nil,
	} {
		var got []string
		eachRequisiteURL(srcset, true, func(u string) { got = append(got, u) })
		if !slices.Equal(got, want) {
			t.Errorf("srcset %q: %q, want %q", srcset, got, want)
		}
	}
}

// The facts of a page: its title (or that it has none), description, first h1 and the
// number of them, canonical URL, hreflang values, lang, and the words of its text.
func TestPageFacts(t *testing.T) {
	tests := []struct {
		name, doc string
		title     string
		want      crawl.PageFacts
	}{
		{"none", `<p>`, "", crawl.PageFacts{}},
		{"empty title and description", `<title> </title><meta name=description>`, "",
			crawl.PageFacts{HasTitle: true, HasDescription: true}},
		{"all", `<html lang=" en-GB "><head><title>T</title>
			<meta name=" Description " content="  About   this  page ">
			<meta name=description content=second>
			<link rel=canonical href="/Canon?b=1#x"><link rel=canonical href=/second>
			<link rel=alternate hreflang=de href=/de/><link rel=alternate hreflang=x-default href=/de/>
			<link rel=alternate hreflang=fr href=/fr/></head>
			<body><h1>First <b>heading</b></h1><h1>Second</h1><p>One two, three.</p></body></html>`, "T",
			crawl.PageFacts{HasTitle: true, Description: "About this page", HasDescription: true, H1: "First heading",
				H1Count: 2, Canonical: "http://example.com/Canon?b=1", Hreflang: "de x-default fr", Lang: "en-GB", Words: 6}},
		{"a later html's lang", `<p>x<html lang=fr><html lang=de>`, "", crawl.PageFacts{Lang: "fr", Words: 1}},
	}
	for _, tt := range tests {
		for _, x := range []Extractor{{}, {Requisites: true}} {
			p := bothPaths(t, x, tt.doc)
			if p.Title != tt.title || p.Facts != tt.want {
				t.Errorf("%s: title %q, facts %+v\nwant %q, %+v", tt.name, p.Title, p.Facts, tt.title, tt.want)
			}
		}
	}
}

func TestWordCount(t *testing.T) {
	for doc, want := range map[string]int{
		`one two  three`: 3,
		`<p>One</p><p>Two</p><ul><li>3<li>four</ul>`:  4,
		`<b>S</b>tart <em>and</em> <a href=x>end</a>`: 3,
		`a<br>b<img src=x>c`:                          3,
		`caf&eacute; na&iuml;ve &mdash; – 42 日本語`:     6,
		`<title>Not counted</title><script>var x = 1</script><style>p{}</style><noscript>no</noscript>body`: 1,
		`<template>no</template><iframe>no</iframe>yes`:                                                     1,
		`foo<script>x</script>bar`:                        1,
		`<svg><text>in svg</text></svg>after`:             3,
		`x&nbsp;y`:                                        2,
		"a\u3000b\u2003c":                                 3,
		`<table><tr><td>a</td><td>b</td></tr></table>`:    2,
		`<span>wo</span><span>rd</span> <my-el>x</my-el>`: 2,
	} {
		if got := bothPaths(t, Extractor{}, doc).Facts.Words; got != want {
			t.Errorf("%q: %d words, want %d", doc, got, want)
		}
	}
}

// The fragment identifiers of a page are the ids of its elements and the names of its <a>
// elements; the fragments of its <a> and <area> hrefs are kept with each link.
func TestTargetsAndFragments(t *testing.T) {
	doc := `<html id=root><body id=top><h2 id="intro">Intro</h2><a name=old></a><div name=notanchor></div>
		<p id="x y">x</p><span id=''></span><svg><g id=icon></g></svg><p id=intro>again</p>
		<a href="#intro">a</a><a href="/doc#part">b</a><a href="/doc#other">c</a><a href="/doc#part">d</a>
		<a href="#">e</a><area href="/doc#map"><a href="/doc">f</a><link rel=canonical href="/doc#canon">
		<img src="/i.png#frag">`
	p := bothPaths(t, Extractor{Requisites: true}, doc)
	var want []uint32
	for _, id := range []string{"root", "top", "intro", "old", "x y", "icon"} {
		want = append(want, crawl.HashTarget(id))
	}
	slices.Sort(want)
	if !slices.Equal(p.Targets.Hashes, want) || p.Targets.Truncated {
		t.Errorf("targets %v, want %v", p.Targets.Hashes, want)
	}
	frags := map[string][]string{}
	for _, l := range p.Links {
		if l.Fragments != nil {
			frags[l.Kind.String()+" "+l.URL] = l.Fragments
		}
	}
	wantFrags := map[string][]string{
		"link http://example.com/dir/page.html": {"intro"},
		"link http://example.com/doc":           {"part", "other", "map"},
	}
	if !reflect.DeepEqual(frags, wantFrags) {
		t.Errorf("fragments %q\nwant %q", frags, wantFrags)
	}

	// Past the caps: MaxTargets ids, MaxFragments references.
	var b strings.Builder
	for i := range crawl.MaxTargets + 10 {
		fmt.Fprintf(&b, `<a id=i%d href="/p#f%d"></a>`, i, i)
	}
	for _, scan := range []bool{false, true} {
		var p *Page
		var err error
		if scan {
			p, err = Extractor{}.ExtractStreaming([]byte(b.String()), "text/html", mustURL(t, "http://example.com/"))
		} else {
			p, err = Extractor{}.Extract([]byte(b.String()), "text/html", mustURL(t, "http://example.com/"))
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Targets.Hashes) != crawl.MaxTargets || !p.Targets.Truncated {
			t.Errorf("scanner %v: %d targets, truncated %v", scan, len(p.Targets.Hashes), p.Targets.Truncated)
		}
		if len(p.Links) != 1 || len(p.Links[0].Fragments) != MaxFragments || p.Links[0].Fragments[0] != "f0" {
			t.Errorf("scanner %v: %d links, %d fragments", scan, len(p.Links), len(p.Links[0].Fragments))
		}
	}
}

func TestHashTargetMatchesTheScanner(t *testing.T) {
	for _, id := range []string{"a", "intro", "caf\u00e9", "x y", strings.Repeat("long", 100)} {
		var ts targetSet
		addTarget(&ts, []byte(id))
		if ts.hashes[0] != crawl.HashTarget(id) {
			t.Errorf("%q: %x, crawl.HashTarget %x", id, ts.hashes[0], crawl.HashTarget(id))
		}
	}
}
