package fetch

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/crawl-project/crawl/parse"
)

// Sitemap is what a sitemap file lists (https://www.sitemaps.org/protocol.html): page URLs
// for a <urlset> or a plain-text sitemap, other sitemap files for a <sitemapindex>.
type Sitemap struct {
	URLs     []string
	Sitemaps []string
	// Truncated is set when the file was longer than the byte or URL limit; what was read
	// before the limit is kept.
	Truncated bool
}

// ParseSitemap reads a sitemap file: XML (a urlset or a sitemap index) or plain text (one URL
// a line), gzipped or not. At most maxBytes of decompressed content and maxURLs locations
// (page URLs and sitemap URLs together) are read. Locations are returned as written.
func ParseSitemap(body []byte, maxBytes int64, maxURLs int) (*Sitemap, error) {
	return ReadSitemap(bytes.NewReader(body), maxBytes, maxURLs)
}

// ReadSitemap is ParseSitemap on a stream, read as it comes: what it holds is the locations
// it keeps, whatever the size of the file.
func ReadSitemap(r io.Reader, maxBytes int64, maxURLs int) (*Sitemap, error) {
	in := bufio.NewReader(r)
	if head, _ := in.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(in)
		if err != nil {
			return nil, fmt.Errorf("sitemap: %w", err)
		}
		defer zr.Close()
		r = zr
	} else {
		r = in
	}
	lr := &io.LimitedReader{R: r, N: maxBytes + 1} // one byte more tells a cut from an exact fit
	br := bufio.NewReader(lr)
	sm := &Sitemap{}
	var err error
	text := !isXML(br)
	if text {
		err = parseSitemapText(br, maxURLs, sm)
	} else {
		err = parseSitemapXML(br, maxURLs, sm)
	}
	if lr.N <= 0 {
		// Cut at the byte limit: the decoder's complaint about the cut is expected.
		sm.Truncated, err = true, nil
		if n := len(sm.URLs); text && n > 0 {
			// The last line may have been cut mid-way; a partial URL is worse than none.
			sm.URLs = sm.URLs[:n-1]
		}
	}
	if err != nil {
		return sm, fmt.Errorf("sitemap: %w", err)
	}
	return sm, nil
}

// isXML peeks past a byte order mark and white space for '<'.
func isXML(br *bufio.Reader) bool {
	head, _ := br.Peek(512)
	head = bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF"))
	head = bytes.TrimLeft(head, " \t\r\n")
	return len(head) > 0 && head[0] == '<'
}

func (sm *Sitemap) add(list *[]string, loc string, maxURLs int) bool {
	if len(sm.URLs)+len(sm.Sitemaps) >= maxURLs {
		sm.Truncated = true
		return false
	}
	*list = append(*list, loc)
	return true
}

// maxSitemapDepth bounds the nesting of a sitemap's elements (a urlset is three deep): the
// XML decoder keeps a record of every open element, which a file of nothing but start tags
// would grow to hundreds of megabytes.
const maxSitemapDepth = 32

// errSitemapDepth stops a sitemap nested deeper than any sitemap is.
var errSitemapDepth = fmt.Errorf("elements nested deeper than %d", maxSitemapDepth)

func parseSitemapXML(r io.Reader, maxURLs int, sm *Sitemap) error {
	dec := xml.NewDecoder(r)
	dec.Strict = false
	// Sitemaps are UTF-8 by the protocol; a declared other charset is read as is.
	dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	var stack []string
	var loc strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == maxSitemapDepth {
				return errSitemapDepth
			}
			stack = append(stack, strings.ToLower(t.Name.Local))
			loc.Reset()
		case xml.CharData:
			if n := len(stack); n > 0 && stack[n-1] == "loc" && loc.Len() < 8192 {
				loc.Write(t)
			}
		case xml.EndElement:
			n := len(stack)
			if n == 0 {
				continue
			}
			if stack[n-1] == "loc" && n >= 2 {
				v := strings.TrimSpace(loc.String())
				ok := true
				switch {
				case v == "":
				case stack[n-2] == "url":
					ok = sm.add(&sm.URLs, v, maxURLs)
				case stack[n-2] == "sitemap":
					ok = sm.add(&sm.Sitemaps, v, maxURLs)
				}
				if !ok {
					return nil
				}
			}
			stack = stack[:n-1]
		}
	}
}

func parseSitemapText(r io.Reader, maxURLs int, sm *Sitemap) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		v := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\uFEFF"))
		if v == "" {
			continue
		}
		if !sm.add(&sm.URLs, v, maxURLs) {
			return nil
		}
	}
	return sc.Err()
}

// ErrOutOfScope reports a sitemap file outside the crawl's scope (Config.InScope), which is
// not fetched: a robots.txt Sitemap line or a sitemap index may name any host.
var ErrOutOfScope = errors.New("outside the crawl's scope")

// GetSitemap fetches a sitemap file of at most maxBytes and parses it with ParseSitemap.
// Like robots.txt, a sitemap is fetched wherever its redirects lead (at most 5) within the
// crawl's scope. The sitemap files an index lists outside the scope are left out.
func (c *Client) GetSitemap(ctx context.Context, u *url.URL, maxBytes int64, maxURLs int) (*Sitemap, error) {
	if c.cfg.InScope != nil && !c.cfg.InScope(u) {
		return nil, fmt.Errorf("sitemap %s: %w", u, ErrOutOfScope)
	}
	// The file is parsed as it arrives: a sitemap of maxBytes (or a gzip bomb cut there)
	// costs the locations kept, not its size.
	var sm *Sitemap
	var perr error
	resp, err := c.getStream(ctx, u, maxBytes, 5, func(body io.Reader) error {
		sm, perr = ReadSitemap(body, maxBytes, maxURLs)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return nil, fmt.Errorf("sitemap %s: status %d", u, resp.Status)
	}
	err = perr
	if sm != nil {
		sm.Sitemaps = c.inScope(resp.URL, sm.Sitemaps)
	}
	if err != nil {
		return sm, fmt.Errorf("%s: %w", u, err)
	}
	return sm, nil
}

// inScope returns the locations of list, relative to base, that are within the crawl's
// scope; list itself when there is no scope.
func (c *Client) inScope(base *url.URL, list []string) []string {
	if c.cfg.InScope == nil {
		return list
	}
	kept := list[:0]
	for _, loc := range list {
		if u, err := parse.Resolve(base, loc); err == nil && c.cfg.InScope(u) {
			kept = append(kept, loc)
		}
	}
	return kept
}
