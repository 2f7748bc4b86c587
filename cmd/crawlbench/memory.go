package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
)

// The memory scenario: every worker meets a page of the largest size the crawl keeps at once.
const (
	bigPage  = 10 << 20 // bytes of each large page: --max-body's default
	bombSize = 50 << 20 // bytes a gzip bomb expands to
)

// memorySite serves n pages of bigPage bytes (half of them paragraphs with a link to another
// of them each, half nothing but anchors to "/x") and n gzip bombs, all linked from "/".
type memorySite struct {
	n     int
	plain []byte // a large page of paragraphs
	dense []byte // a large page of anchors only
	bomb  []byte // gzip of bombSize bytes of markup
}

func newMemorySite(n int) *memorySite {
	s := &memorySite{n: n}
	var b bytes.Buffer
	b.WriteString("<!doctype html><title>plain</title>\n")
	for i := 0; b.Len() < bigPage-200; i++ {
		fmt.Fprintf(&b, "<p>Paragraph %d of a very long page, with words enough to fill a line of text and more. <a href=\"/big/%d\">more</a></p>\n", i, i%n)
	}
	s.plain = padTo(bytes.Clone(b.Bytes()), bigPage)
	b.Reset()
	b.WriteString("<!doctype html><title>dense</title>\n")
	for b.Len() < bigPage-20 {
		b.WriteString("<a href=/x>x</a>")
	}
	s.dense = padTo(bytes.Clone(b.Bytes()), bigPage)
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	chunk := bytes.Repeat([]byte("<p>aaaa</p>"), 1<<16)
	for sent := 0; sent < bombSize; sent += len(chunk) {
		zw.Write(chunk)
	}
	zw.Close()
	s.bomb = z.Bytes()
	return s
}

func padTo(b []byte, n int) []byte {
	if len(b) < n {
		b = append(b, bytes.Repeat([]byte(" "), n-len(b))...)
	}
	return b[:n]
}

func (s *memorySite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.URL.Path == "/":
		var b strings.Builder
		b.WriteString("<title>home</title>")
		for i := range s.n {
			fmt.Fprintf(&b, "<a href=/big/%d>big %d</a> <a href=/bomb/%d>bomb %d</a>\n", i, i, i, i)
		}
		io.WriteString(w, b.String())
	case len(parts) == 2 && parts[0] == "big":
		body := s.plain
		if i, _ := strconv.Atoi(parts[1]); i%2 == 1 {
			body = s.dense
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	case len(parts) == 2 && parts[0] == "bomb":
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.Itoa(len(s.bomb)))
		w.Write(s.bomb)
	default:
		http.NotFound(w, r)
	}
}

// memory crawls a site where every worker meets a 10 MiB page or a gzip bomb at once and
// reports the crawl's peak resident set (VmHWM), with the default memory settings.
func memory(o *options, w io.Writer) (int64, error) {
	srv, err := listen(newMemorySite(o.workers))
	if err != nil {
		return 0, err
	}
	defer srv.close()
	fmt.Fprintf(w, "\n== memory: %d pages of %d MiB (half of them anchors only) and %d gzip bombs of %d MiB, --workers %d\n",
		o.workers, bigPage>>20, o.workers, bombSize>>20, o.workers)
	w16 := strconv.Itoa(o.workers)
	flags := append([]string{"--workers", w16, "--host-concurrency", w16, "--host-rate", "0", "--ignore-robots"}, o.extraFlags()...)
	cr, err := runCrawl(o.crawlBin, filepath.Join(o.dir, "memory"), []string{srv.base + "/"}, flags)
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(w, "  fetched %d in %.2fs; crawl peak RSS %.1f MiB (target < 128 MiB), Go heap peak %.1f MiB, CPU %.2fs\n",
		cr.stats.Fetched, cr.wall.Seconds(), mib(float64(cr.maxRSS)), mib(float64(cr.stats.HeapInusePeak)), cr.childCPU.Seconds())
	if want := int64(2*o.workers + 2); cr.stats.Fetched != want { // "/", the pages, the bombs and "/x"
		return cr.maxRSS, fmt.Errorf("fetched %d pages, want %d", cr.stats.Fetched, want)
	}
	return cr.maxRSS, nil
}
