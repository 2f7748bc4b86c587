package parse

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/crawl-project/crawl"
)

// scanPage reads a page with the token scanner, and checks that the page says so.
func scanPage(x Extractor, body []byte, contentType string, pageURL *url.URL) (*Page, error) {
	s := scratchPool.Get().(*scratch)
	defer s.release()
	p, err := x.scan(body, contentType, pageURL, s, false, "scanned")
	if err != nil {
		return nil, err
	}
	if p.Partial != "scanned" {
		return nil, fmt.Errorf("Partial = %q", p.Partial)
	}
	p.Partial = ""
	return p, nil
}

// checkScanMatchesTree reports where the token scanner and the tree give different pages.
func checkScanMatchesTree(t *testing.T, x Extractor, doc string) {
	t.Helper()
	pageURL := mustURL(t, "http://example.com/dir/page.html")
	want, err := x.Extract([]byte(doc), "text/html", pageURL)
	if err != nil {
		t.Fatalf("%q: Extract: %v", doc, err)
	}
	if want.Partial != "" {
		t.Fatalf("%q: Extract read it with the token scanner: %s", doc, want.Partial)
	}
	got, err := scanPage(x, []byte(doc), "text/html", pageURL)
	if err != nil {
		t.Fatalf("%q: token scanner: %v", doc, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q (MaxLinks %d):\ntoken scanner %+v\ntree          %+v", doc, x.MaxLinks, got, want)
	}
}

// TestScannerMatchesTree pins the constructs the token scanner follows the tree builder in.
func TestScannerMatchesTree(t *testing.T) {
	docs := map[string]string{
		"base after links":  `<a href=x>x</a><p><base href="/b/"></p><a href=y>y</a>`,
		"no base, the word": `<p>&lt;base href=/no/&gt;</p><!-- <base href=/no/> --><script>"<base href=/no/>"</script><a href=x>x</a>`,
		"uppercase":         `<A HREF="/up" REL="NoFollow">Up<IMG ALT="i"></A><IMAGE alt=img><TITLE>T</TITLE>`,
		"image is img":      `<a href=/i><image alt="from image"></a>`,
		"svg anchors nest":  `<svg><a href="/s1">one<a xlink:href="/s2" href="/s3">two<g>three</g></a>four</a></svg><a href=/h>h</a>`,
		"xlink order":       `<svg><a href="/first" xlink:href="/second">a</a><a xlink:href="/x1" href="/x2">b</a></svg>`,
		"xlink only in svg": `<a xlink:href="/no">html</a><math><a xlink:href="/m">math</a></math>`,
		"svg self-closing":  `<svg><a href="/empty"/><path d="M0"/><a href="/t">t</a></svg><a href=/empty>again</a>`,
		"svg title":         `<svg><title>icon <b>x</b></title></svg><title>page</title>`,
		"svg cdata":         `<svg><a href=/c><![CDATA[ a < b & c ]]></a></svg><p><![CDATA[ not cdata ]]></p>`,
		"svg style":         `<svg><style>a{}</style><a href=/after-style>s</a></svg>`,
		"foreignObject":     `<svg><a href=/o><foreignObject><a href=/fo>fo<svg><a href=/in>in</a></svg></a></foreignObject></a></svg>`,
		"breakout":          `<svg><a href=/b1>x<div>out</div><a href=/b2>y</a></svg>`,
		"font breakout":     `<svg><a href=/f1><font color=red>red</font></a><font>in</font></svg>`,
		"math":              `<math><mi><a href=/mi>m</a></mi><mtext><b><a href=/mt>t</a></b></mtext><annotation-xml encoding="text/html"><a href=/ax>ax</a></annotation-xml><annotation-xml><a href=/ns>ns</a></annotation-xml></math>`,
		"raw text":          `<script><a href=/js>x</a></script><style><a href=/css></style><noscript><a href=/ns></noscript><textarea><a href=/ta></textarea><a href=/real>real</a>`,
		"raw text in a":     `<a href=/r>x<script>var a = "<b>";</script>y<noscript>n</noscript></a>`,
		"pre newline":       "<a href=/p>x<pre>\ny</pre><pre><!---->\nz</pre><listing>\nl</listing><textarea>\nt</textarea></a>",
		"nul":               "<a href=/n>a\x00b</a><svg><a href=/m>c\x00d</a></svg><title>t\x00t</title>",
		"entities":          `<a href="/q?a=1&amp;b=2">&lt;b&gt; &amp; &eacute;&nbsp;x</a><a href=/e title="&quot;">&#x41;&#66;</a>`,
		"a closes a":        `<a href=/1>one<a href=/2>two<b>bold<a href=/3>three</b></a>`,
		"a in a cell":       `<a href=/three>Three<table><tr><td><a href=/four>Four</td></tr></table>After</a>`,
		"end tag closes a":  `<div><span><a href=/d>foo</span></div><a href=/e>e</a>`,
		"implied ends":      `<ul><li>x<li><a href=/li>li</a></ul><dl><dt>t<dd><a href=/dd>d</a></dl><table><tr><td>1<td><a href=/td>2</a><tr><td>3</table><select><option>o<option>p</select>`,
		"p closed":          `<p>one<div><a href=/div>div</a></div><p>two<h1>h<h2>i</h2></h1>`,
		"img alt":           `<a href=/1><span><img alt="  first  "><img alt=second></span></a><a href=/2>text<img alt=x></a><a href=/3><img alt=""><img alt=later></a>`,
		"area and links":    `<map><area href=/area alt=" Area  alt "><area nohref></map><link rel="alternate" hreflang=de href=/de><link rel=canonical href=/c><link rel=stylesheet href=/s.css>`,
		"meta":              `<meta name=" ROBOTS " content="noindex"><meta name=crawlbot content=nofollow><meta content=nofollow>`,
		"invalid and empty": `<a href="mailto:x@y">m</a><a href="javascript:void(0)">j</a><a href="">self</a><a href="http://[::1">bad</a><a>none</a>`,
		"long anchors":      `<svg>` + strings.Repeat(`<a href="/deep">`+strings.Repeat("word ", 60), 5) + strings.Repeat("</a>", 5) + `</svg>`,
		"template":          `<template><a href=/tpl>tpl</a></template><a href=/t>t</a>`,
		"body twice":        `<body><a href=/b>b</body><body>c</a>`,
		"custom elements":   `<my-box><a href=/c>c<my-box>d</my-box></a></my-box>`,
		"title first":       `<svg><title></title></svg><title>later</title>`,
		"text after html":   `<html><body><a href=/x>x</a></body></html><a href=/after>after</a>`,
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			for _, x := range []Extractor{{}, {MaxLinks: 2}, {RobotsToken: "CrawlBot"}} {
				checkScanMatchesTree(t, x, doc)
			}
		})
	}
}

// TestScannerDiffers pins where the token scanner knowingly differs from the tree (see
// stream.go): an <a> the tree builder re-creates after a block closed it.
func TestScannerDiffers(t *testing.T) {
	pageURL := mustURL(t, "http://example.com/")
	for _, doc := range []string{`<p><a href=/p>one<p>two</a>`, `<div><a href=/p>one</div>two`, `<ul><li><a href=/p>one<li>two</ul>`} {
		tree, err := extractString(doc, pageURL)
		if err != nil {
			t.Fatal(err)
		}
		scanned, err := scanPage(Extractor{}, []byte(doc), "text/html", pageURL)
		if err != nil {
			t.Fatal(err)
		}
		want := []wantLink{{"http://example.com/p", crawl.KindLink, "", "one", 1}}
		checkLinks(t, scanned.Links, want)
		want[0].count = 2 // the copy holding "two"
		checkLinks(t, tree.Links, want)
	}
}

// extractString is Extractor{}.Extract of a string.
func extractString(doc string, pageURL *url.URL) (*Page, error) {
	return Extractor{}.Extract([]byte(doc), "text/html", pageURL)
}

// docGen writes an HTML document whose markup nests as written, choosing by the bytes it
// reads: the documents on which the token scanner and the tree must agree. Its text is
// valid UTF-8, text in tables is in cells, block elements are never inside a <p> or a
// formatting element, and an <a> is inside another only in foreign content or a table cell.
type docGen struct {
	in      []byte
	b       strings.Builder
	anchor  bool // an HTML <a> is open, with no table cell or template since
	foreign int  // <svg> and <math> elements open
}

const maxGenDepth = 8

func (g *docGen) pick(n int) int {
	if len(g.in) == 0 {
		return 0
	}
	c := g.in[0]
	g.in = g.in[1:]
	return int(c) % n
}

func (g *docGen) coin() bool { return g.pick(2) == 1 }

func (g *docGen) w(s ...string) {
	for _, x := range s {
		g.b.WriteString(x)
	}
}

// genDocument is the document in's bytes choose.
func genDocument(in []byte) string {
	g := &docGen{in: in}
	if g.coin() {
		g.w("<!DOCTYPE html>")
	}
	explicit := g.coin()
	if explicit {
		g.w("<html")
		if g.coin() {
			g.attr("lang", []string{"en", " de-CH ", ""}[g.pick(3)])
		}
		g.w("><head>")
	}
	for n := g.pick(4); n > 0; n-- {
		g.headItem()
	}
	if explicit {
		g.w("</head><body>")
	}
	for n := 2 + g.pick(8); n > 0; n-- {
		g.flow(0)
	}
	if explicit {
		g.w("</body></html>")
	}
	return g.b.String()
}

var genTexts = []string{"word", " ", "  spaced   out ", "\n\t", "&amp;", "&lt;b&gt;", "&#233;&#x41;", "&nbsp;", "caf\u00e9",
	"日本語", "\u00a0", "\u3000", strings.Repeat("long text ", 30), "x\x00y", "&quot;", "a & b", "\r\n", "\ufffd", "tab\tend"}

var genHrefs = []string{"/a", "b.html", "../c?x=1", "http://Example.COM:80/d#frag", "//other.test/e", "?q=2", "#top", "",
	"mailto:me@x.test", "javascript:void(0)", "/sp ace", "/caf\u00e9", "/%7euser", "http://[::1", "HTTPS://X.test/./y/../z",
	"/q?a=1&amp;b=2", "/a#sec", "b.html#x%20y", "#", "#s1", "/a#", "  /a#sec  "}

var genSrcsets = []string{"a.png 1x, b.png 2x", "  c.png  ,d.png,,e.png 300w", "f.png, g(1,2).png 2x", "", "h.png,", " , i.png x(1, 2), j.png"}

func (g *docGen) text() {
	for n := 1 + g.pick(3); n > 0; n-- {
		g.w(genTexts[g.pick(len(genTexts))])
	}
}

func (g *docGen) href() string {
	if g.pick(3) == 0 {
		return fmt.Sprintf("/p%d", g.pick(12))
	}
	return genHrefs[g.pick(len(genHrefs))]
}

// attr writes ` name="value"` in one of its spellings.
func (g *docGen) attr(name, value string) {
	if g.pick(4) == 0 {
		name = strings.ToUpper(name)
	}
	switch {
	case g.coin():
		g.w(" ", name, `="`, value, `"`)
	case !strings.ContainsAny(value, " '\"=<>`") && value != "" && g.coin():
		g.w(" ", name, "=", value)
	default:
		g.w(" ", name, "='", value, "'")
	}
}

func (g *docGen) rel() {
	if rels := []string{"", "nofollow", "noopener", "NoFollow  Sponsored", "ugc"}; g.coin() {
		g.attr("rel", rels[g.pick(len(rels))])
	}
}

func (g *docGen) headItem() {
	switch g.pick(5) {
	case 0:
		g.w("<title>")
		g.text()
		g.w("</title>")
	case 1:
		g.w("<base")
		g.attr("href", []string{"/base/", "http://other.test/root/", "javascript:x", "sub/"}[g.pick(4)])
		g.w(">")
	case 2:
		g.w("<meta")
		g.attr("name", []string{"robots", "CrawlBot", "description", " Robots "}[g.pick(4)])
		g.attr("content", []string{"nofollow", "noindex, nofollow", "none", "all"}[g.pick(4)])
		g.w(">")
	default:
		g.w("<link")
		g.attr("rel", []string{"canonical", "alternate", "stylesheet", "Alternate Canonical", "shortcut icon", "preload",
			"modulepreload", "manifest", "apple-touch-icon", "alternate stylesheet"}[g.pick(10)])
		if g.coin() {
			g.attr("hreflang", []string{"de", " fr-CA ", ""}[g.pick(3)])
		}
		g.attr("href", g.href())
		g.w(">")
	}
}

// flow writes an item of flow content (where blocks may go).
func (g *docGen) flow(depth int) {
	if depth >= maxGenDepth {
		g.text()
		return
	}
	d := depth + 1
	switch g.pick(22) {
	case 0:
		tag := []string{"div", "section", "DIV", "blockquote", "my-box"}[g.pick(5)]
		g.w("<", tag)
		g.id()
		g.w(">")
		g.flows(d)
		g.w("</", tag, ">")
	case 16:
		g.w("<h1")
		g.id()
		g.w(">")
		g.phrasings(d)
		g.w("</h1>")
	case 17:
		g.w("<script")
		g.attr("src", g.href())
		g.w("></script><iframe")
		g.attr("src", g.href())
		g.w(">fallback <a href=/if>text</a></iframe>")
	case 18:
		g.w("<video")
		if g.coin() {
			g.attr("src", g.href())
		}
		if g.coin() {
			g.attr("poster", g.href())
		}
		g.w("><source")
		g.attr("src", g.href())
		g.w("><track")
		g.attr("src", "/subs.vtt")
		g.w("></video><audio src=/a.mp3></audio>")
	case 19:
		g.w("<picture><source")
		g.attr("srcset", genSrcsets[g.pick(len(genSrcsets))])
		g.w("><img")
		g.attr("src", g.href())
		g.attr("srcset", genSrcsets[g.pick(len(genSrcsets))])
		if g.coin() {
			g.attr("alt", "a picture")
		}
		g.w("></picture>")
	case 20:
		g.w("<object")
		g.attr("data", g.href())
		g.w("><embed")
		g.attr("src", g.href())
		g.w("></object>")
	case 21:
		g.w("<h2 id=s1>Section</h2><p id=\"x y\">one two</p><span id=''>e</span>")
	case 1:
		g.w("<p>")
		g.phrasings(d)
		if g.coin() {
			g.w("</p>")
		} else {
			g.w("<div></div>") // a block closes the <p>
		}
	case 2:
		g.w("<ul>")
		for n := 1 + g.pick(3); n > 0; n-- {
			g.w("<li>")
			g.flows(d)
			g.w("</li>")
		}
		g.w("</ul>")
	case 3:
		g.w("<table>\n<tbody>")
		for n := 1 + g.pick(2); n > 0; n-- {
			g.w("<tr> ")
			for m := 1 + g.pick(2); m > 0; m-- {
				g.w("<td>")
				outer := g.anchor
				g.anchor = false // a cell is a marker: an <a> inside leaves one outside open
				g.flows(d)
				g.anchor = outer
				g.w("</td>")
			}
			g.w("</tr>\n")
		}
		g.w("</tbody></table>")
	case 4:
		tag := []string{"pre", "textarea", "listing"}[g.pick(3)]
		g.w("<", tag, ">")
		if g.coin() {
			g.w("\n")
		}
		if tag == "textarea" {
			g.text()
		} else {
			g.phrasings(d)
		}
		g.w("</", tag, ">")
	case 5:
		g.w("<script>if (a<b) document.write('<a href=/js>js</a>')</script>")
	case 6:
		g.w("<noscript><a href=/ns>ns</a></noscript>")
	case 7:
		if !g.anchor {
			g.anchorElem(d, true)
		} else {
			g.text()
		}
	case 8:
		g.w("<map name=m><area")
		g.attr("href", g.href())
		if g.coin() {
			g.attr("alt", []string{"  Area  alt ", "", "é"}[g.pick(3)])
		}
		g.w("></map>")
	case 9:
		if g.foreign > 0 {
			g.text() // x/net/html drops a <template> in an integration point, and more (see stream.go)
			return
		}
		g.w("<template>")
		outer := g.anchor
		g.anchor = false
		g.flows(d)
		g.anchor = outer
		g.w("</template>")
	case 10:
		g.w("<hr>")
	default:
		g.phrasing(depth)
	}
}

func (g *docGen) flows(depth int) {
	for n := g.pick(5); n > 0; n-- {
		g.flow(depth)
	}
}

// phrasing writes an item of phrasing content (text level: no blocks).
func (g *docGen) phrasing(depth int) {
	if depth >= maxGenDepth {
		g.text()
		return
	}
	d := depth + 1
	switch g.pick(12) {
	case 0, 1, 2:
		g.text()
	case 3:
		g.w("<!-- c <a href=/comment> -->")
	case 4:
		tag := []string{"b", "i", "em", "strong", "span", "code", "SPAN"}[g.pick(7)]
		g.w("<", tag, ">")
		g.phrasings(d)
		g.w("</", tag, ">")
	case 5:
		if !g.anchor {
			g.anchorElem(d, false)
		}
	case 6:
		g.w([]string{"<img", "<IMAGE", "<img src=x.png", "<img src=' '", "<IMG SRCSET='a.png 2x, b.png'"}[g.pick(5)])
		if g.coin() {
			g.attr("alt", []string{"  Logo  text ", "", "é", "second"}[g.pick(4)])
		}
		g.w(">")
	case 7:
		g.w("<br>")
	case 8:
		g.w("<svg>")
		g.foreign++
		g.svgs(d)
		g.foreign--
		g.w("</svg>")
	case 9:
		g.math(d)
	default:
		g.text()
	}
}

func (g *docGen) phrasings(depth int) {
	for n := g.pick(5); n > 0; n-- {
		g.phrasing(depth)
	}
}

// id writes an id attribute, sometimes.
func (g *docGen) id() {
	if g.pick(3) == 0 {
		g.attr("id", []string{"s1", "top", "x y", "caf\u00e9", "intro"}[g.pick(5)])
	}
}

// anchorElem writes an HTML <a>, holding flow or phrasing content.
func (g *docGen) anchorElem(depth int, flow bool) {
	g.w("<a")
	if g.pick(5) != 0 {
		g.attr("href", g.href())
	}
	if g.pick(4) == 0 {
		g.attr("name", []string{"sec", "s2", ""}[g.pick(3)])
	}
	g.id()
	g.rel()
	g.w(">")
	g.anchor = true
	if flow {
		g.flows(depth)
	} else {
		g.phrasings(depth)
	}
	g.anchor = false
	g.w("</a>")
}

// svg writes an item of SVG content.
func (g *docGen) svg(depth int) {
	if depth >= maxGenDepth {
		g.text()
		return
	}
	d := depth + 1
	switch g.pick(12) {
	case 0, 1:
		g.text()
	case 2:
		g.w("<g>")
		g.svgs(d)
		g.w("</g>")
	case 3, 4:
		g.w("<a")
		switch g.pick(3) {
		case 0:
			g.attr("href", g.href())
		case 1:
			g.attr("xlink:href", g.href())
		default:
			g.attr("xlink:href", g.href())
			g.attr("href", g.href())
		}
		if g.coin() {
			g.w("/>")
			return
		}
		g.w(">")
		g.svgs(d)
		g.w("</a>")
	case 5:
		g.w(`<path d="M0 0"/><image xlink:href="/i.png"/>`)
	case 6:
		g.w("<text>")
		g.text()
		g.w("</text>")
	case 7:
		tag := []string{"title", "desc"}[g.pick(2)]
		g.w("<", tag, ">")
		g.phrasings(d) // HTML: an integration point
		g.w("</", tag, ">")
	case 8:
		g.w("<foreignObject>")
		g.flows(d)
		g.w("</foreignObject>")
	case 9:
		g.w("<![CDATA[ x < y & z ]]>")
	default:
		g.w("<style>a{}</style>")
	}
}

func (g *docGen) svgs(depth int) {
	for n := g.pick(4); n > 0; n-- {
		g.svg(depth)
	}
}

func (g *docGen) math(depth int) {
	g.w("<math>")
	g.foreign++
	defer func() { g.foreign-- }()
	for n := g.pick(3); n > 0; n-- {
		switch g.pick(4) {
		case 0:
			g.w("<mi>")
			g.text()
			g.w("</mi>")
		case 1:
			g.w("<mtext>")
			g.phrasings(depth + 1)
			g.w("</mtext>")
		case 2:
			g.w(`<annotation-xml encoding="text/html">`)
			g.flows(depth + 1)
			g.w("</annotation-xml>")
		default:
			g.w("<mrow><mn>1</mn></mrow>")
		}
	}
	g.w("</math>")
}

// TestScannerOnGeneratedDocuments holds the token scanner to the tree on documents whose
// markup nests as written.
func TestScannerOnGeneratedDocuments(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	r := rand.New(rand.NewChaCha8([32]byte{'c', 'r', 'a', 'w', 'l'}))
	in := make([]byte, 2000)
	for range n {
		for i := range in {
			in[i] = byte(r.Uint32())
		}
		doc := genDocument(in)
		for _, x := range []Extractor{{}, {MaxLinks: 3, RobotsToken: "crawlbot"}, {Requisites: true}, {Requisites: true, MaxLinks: 4}} {
			checkScanMatchesTree(t, x, doc)
		}
	}
}

// FuzzExtractStreaming reads its input with the token scanner: it must not fail or panic,
// and its page must be well formed and within its bounds; the document the input chooses
// (genDocument) must read the same through the token scanner and the tree.
func FuzzExtractStreaming(f *testing.F) {
	f.Add([]byte(`<svg><a href=/1>x<a xlink:href=/2><![CDATA[y]]></a></a></svg><a href=/3><img alt=z></a>`))
	f.Add([]byte(strings.Repeat("<div>", 600) + `<a href=/deep>deep</a>`))
	f.Add([]byte("<p><a href=/p>one<p>two<table><tr><td><a href=x>in cell</table><base href=/b/>"))
	f.Add([]byte("<math><mtext><a href=/m>\x00</a></mtext></math><pre>\n<a href=/pre>\xff\xfe</a></pre>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		x := Extractor{MaxLinks: 50}
		pageURL := mustURL(t, "http://example.com/dir/page.html")
		s := scratchPool.Get().(*scratch)
		p, err := x.scan(data, "text/html", pageURL, s, false, "scanned")
		if err != nil {
			s.release()
			// Only what the tree path refuses too: a body that cannot be decoded.
			if _, terr := x.Extract(data, "text/html", pageURL); terr == nil {
				t.Fatalf("token scanner: %v; Extract succeeds", err)
			}
			return
		}
		// What the scanner kept in working memory for the text of anchors: at most what
		// its open anchors need, which the body bounds.
		if c := cap(s.anchors.buf); c > 3*len(data)+4*s.anchors.enough() {
			t.Errorf("anchor text buffer grew to %d bytes for a %d-byte page", c, len(data))
		}
		s.release()
		checkPage(t, p)
		if len(p.Title) > maxTitle {
			t.Errorf("title of %d bytes", len(p.Title))
		}

		doc := genDocument(data)
		for _, x := range []Extractor{{}, {MaxLinks: 3, RobotsToken: "crawlbot"}, {Requisites: true}, {Requisites: true, MaxLinks: 4}} {
			checkScanMatchesTree(t, x, doc)
		}
	})
}

// TestExtractFallsBack checks when Extract reads a page with the token scanner, and that it
// says so.
func TestExtractFallsBack(t *testing.T) {
	pageURL := mustURL(t, "http://example.com/")
	deep := `<title>Deep</title><a href=/before>before</a>` + strings.Repeat("<div>", 600) + `<a href=/inside>inside</a>` +
		strings.Repeat("</div>", 600) + `<a href=/after>after</a><a href=/before>again</a>`
	tags := strings.Repeat("<b></b>", maxTreeTags/2) + `<a href=/many>many</a>`
	tests := []struct {
		name, doc, partial string
		links              []wantLink
	}{
		{"ordinary", `<a href=/x>x</a>`, "", []wantLink{{"http://example.com/x", crawl.KindLink, "", "x", 1}}},
		{"deep", deep, "nested deeper than 512 elements: links read by the token scanner", []wantLink{
			{"http://example.com/before", crawl.KindLink, "", "before", 2},
			{"http://example.com/inside", crawl.KindLink, "", "inside", 1},
			{"http://example.com/after", crawl.KindLink, "", "after", 1},
		}},
		{"many tags", tags, fmt.Sprintf("%d tags, over %d for a tree: links read by the token scanner", maxTreeTags+2, maxTreeTags),
			[]wantLink{{"http://example.com/many", crawl.KindLink, "", "many", 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := extractString(tt.doc, pageURL)
			if err != nil {
				t.Fatal(err)
			}
			if p.Partial != tt.partial {
				t.Errorf("Partial = %q, want %q", p.Partial, tt.partial)
			}
			checkLinks(t, p.Links, tt.links)
		})
	}
}
