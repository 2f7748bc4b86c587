package crawltest

import (
	"bytes"
	"fmt"
	"html"
	"math/rand/v2"
	"strconv"
)

// render produces the HTML of page i of host h, with absolute links formed
// from origin. The size is drawn from [MinBytes, MaxBytes] and met exactly
// unless the links alone need more room.
func (s *Site) render(h, i int, origin func(int) string) []byte {
	specs := s.specs(h, i)
	r := s.rng(h, i, streamText)
	target := s.cfg.MinBytes + r.IntN(s.cfg.MaxBytes-s.cfg.MinBytes+1)

	var b bytes.Buffer
	b.Grow(target + 256)
	title := titleWords(r, 2+r.IntN(4)) + " - Page " + strconv.Itoa(i)
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
	b.WriteString(html.EscapeString(title))
	b.WriteString("</title>\n<meta name=\"description\" content=\"")
	b.WriteString(html.EscapeString(titleWords(r, 8+r.IntN(8))))
	b.WriteString("\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n</head>\n")
	b.WriteString("<body id=\"top\">\n<header>\n<h1>")
	b.WriteString(html.EscapeString(title))
	b.WriteString("</h1>\n<nav>\n<ul>\n")
	nav := min(len(specs), 2+r.IntN(5))
	for k := range nav {
		b.WriteString("<li>")
		s.writeAnchor(&b, &specs[k], i, origin)
		b.WriteString("</li>\n")
	}
	b.WriteString("</ul>\n</nav>\n</header>\n<main>\n<article>\n")

	const tail = "</article>\n</main>\n<footer>\n<p>Copyright &copy; 2025 Example Publishing. All rights reserved.</p>\n" +
		"</footer>\n</body>\n</html>\n"
	rest := specs[nav:]
	start := b.Len()
	budget := target - start - len(tail)
	for sec := 1; sec <= 4; sec++ {
		b.WriteString("<h2 id=\"s")
		b.WriteString(strconv.Itoa(sec))
		b.WriteString("\">")
		b.WriteString(html.EscapeString(titleWords(r, 2+r.IntN(5))))
		b.WriteString("</h2>\n")
		links := rest[len(rest)*(sec-1)/4 : len(rest)*sec/4]
		end := start + budget*sec/4
		if sec == 4 {
			end -= 64
		}
		for len(links) > 0 || b.Len() < end {
			words := 10 + r.IntN(50)
			if len(links) == 0 {
				words = max(1, min(words, (end-b.Len())/8))
			} else if b.Len() >= end {
				words = 2
			}
			k := min(len(links), 1+r.IntN(3))
			s.writeParagraph(&b, r, words, links[:k], i, origin)
			links = links[k:]
		}
	}
	if fill := target - b.Len() - len(tail); fill >= 9 {
		b.WriteString("<p>")
		writeExactText(&b, r, fill-8)
		b.WriteString("</p>\n")
	} else if fill > 0 {
		b.Write(bytes.Repeat([]byte{'\n'}, fill))
	}
	b.WriteString(tail)
	if s.cfg.Assets > 0 {
		return withAssets(b.Bytes(), i, s.cfg.Assets)
	}
	return b.Bytes()
}

// withAssets adds n requisites to page i: the first three every page shares (a stylesheet, a
// script and an icon) at the end of its head, the others images of its own at the start of
// its article. The page is otherwise the same, text and links, as without them.
func withAssets(page []byte, i, n int) []byte {
	shared := []string{
		"<link rel=\"stylesheet\" href=\"/static/site.css\">\n",
		"<script src=\"/static/app.js\"></script>\n",
		"<link rel=\"icon\" href=\"/static/logo.png\">\n",
	}
	var head, images bytes.Buffer
	for _, tag := range shared[:min(n, len(shared))] {
		head.WriteString(tag)
	}
	for k := len(shared); k < n; k++ {
		fmt.Fprintf(&images, "<img src=\"/img/%d-%d.jpg\" alt=\"\">\n", i, k)
	}
	const headEnd, article = "</head>\n", "<article>\n"
	h := bytes.Index(page, []byte(headEnd))
	a := bytes.Index(page, []byte(article)) + len(article)
	out := make([]byte, 0, len(page)+head.Len()+images.Len())
	out = append(out, page[:h]...)
	out = append(out, head.Bytes()...)
	out = append(out, page[h:a]...)
	out = append(out, images.Bytes()...)
	return append(out, page[a:]...)
}

// writeParagraph writes a paragraph of words with the links spread among them.
func (s *Site) writeParagraph(b *bytes.Buffer, r *rand.Rand, words int, links []spec, i int, origin func(int) string) {
	b.WriteString("<p>")
	left := len(links)
	for w := range words {
		if w > 0 {
			b.WriteByte(' ')
		}
		word := wordList[r.IntN(len(wordList))]
		if w == 0 {
			word = titleWords(r, 1)
		}
		b.WriteString(word)
		for left > 0 && (w == words-1 || r.IntN(words-w) < left) {
			b.WriteByte(' ')
			s.writeAnchor(b, &links[len(links)-left], i, origin)
			left--
		}
		if w == words-1 {
			b.WriteByte('.')
		} else if r.IntN(30) == 0 {
			b.WriteString(" &amp;")
		}
	}
	b.WriteString("</p>\n")
}

// writeExactText writes exactly n bytes of words, padded with spaces.
func writeExactText(b *bytes.Buffer, r *rand.Rand, n int) {
	written := 0
	for {
		word := wordList[r.IntN(len(wordList))]
		need := len(word)
		if written > 0 {
			need++
		}
		if written+need > n {
			break
		}
		if written > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(word)
		written += need
	}
	for ; written < n; written++ {
		b.WriteByte(' ')
	}
}

// writeAnchor writes the <a> element of a link.
func (s *Site) writeAnchor(b *bytes.Buffer, sp *spec, i int, origin func(int) string) {
	href, _ := s.href(sp, i, origin)
	tag, hrefAttr, relAttr := "a", "href", "rel"
	if sp.upper {
		tag, hrefAttr, relAttr = "A", "HREF", "REL"
	}
	q := byte('"')
	if sp.quote != 0 {
		q = sp.quote
	}
	b.WriteByte('<')
	b.WriteString(tag)
	b.WriteByte(' ')
	b.WriteString(hrefAttr)
	b.WriteByte('=')
	b.WriteByte(q)
	b.WriteString(html.EscapeString(href))
	b.WriteByte(q)
	if sp.rel != "" {
		b.WriteByte(' ')
		b.WriteString(relAttr)
		b.WriteByte('=')
		b.WriteByte(q)
		b.WriteString(sp.rel)
		b.WriteByte(q)
	}
	b.WriteByte('>')
	b.WriteString(html.EscapeString(sp.text))
	b.WriteString("</")
	b.WriteString(tag)
	b.WriteByte('>')
}
