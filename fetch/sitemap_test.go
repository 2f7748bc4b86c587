package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

const urlset = `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>http://site.test/a</loc><lastmod>2024-01-01</lastmod></url>
  <url>
    <loc>
      http://site.test/b?x=1&amp;y=2
    </loc>
  </url>
  <url><loc></loc></url>
  <url><loc>http://site.test/c</loc></url>
</urlset>`

const sitemapIndex = `<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>http://site.test/s1.xml</loc></sitemap>
  <sitemap><loc>http://site.test/s2.xml.gz</loc></sitemap>
</sitemapindex>`

func TestParseSitemap(t *testing.T) {
	tests := []struct {
		name      string
		body      []byte
		maxBytes  int64
		maxURLs   int
		urls      []string
		sitemaps  []string
		truncated bool
	}{
		{name: "urlset", body: []byte(urlset), urls: []string{"http://site.test/a", "http://site.test/b?x=1&y=2", "http://site.test/c"}},
		{name: "index", body: []byte(sitemapIndex), sitemaps: []string{"http://site.test/s1.xml", "http://site.test/s2.xml.gz"}},
		{name: "gzipped", body: gzipBytes(t, []byte(urlset)), urls: []string{"http://site.test/a", "http://site.test/b?x=1&y=2", "http://site.test/c"}},
		{name: "BOM and no declaration", body: []byte("\xEF\xBB\xBF<urlset><url><loc>http://site.test/a</loc></url></urlset>"), urls: []string{"http://site.test/a"}},
		{name: "plain text", body: []byte("http://site.test/a\r\n\nhttp://site.test/b\n"), urls: []string{"http://site.test/a", "http://site.test/b"}},
		{name: "URL limit", body: []byte(urlset), maxURLs: 2, urls: []string{"http://site.test/a", "http://site.test/b?x=1&y=2"}, truncated: true},
		{name: "byte limit, xml", body: []byte(urlset), maxBytes: int64(strings.Index(urlset, "<url>\n")), urls: []string{"http://site.test/a"}, truncated: true},
		{name: "byte limit, text", body: []byte("http://site.test/a\nhttp://site.test/bbbbbb\n"), maxBytes: 25, urls: []string{"http://site.test/a"}, truncated: true},
		{name: "byte limit, gzip bomb", body: gzipBytes(t, []byte("<urlset><url><loc>http://site.test/a</loc></url>"+strings.Repeat(" ", 10<<20)+"</urlset>")), maxBytes: 1 << 10, urls: []string{"http://site.test/a"}, truncated: true},
		{name: "loc elsewhere ignored", body: []byte("<urlset><loc>http://site.test/x</loc><url><image><loc>http://site.test/i.png</loc></image></url></urlset>")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.maxBytes == 0 {
				tt.maxBytes = 1 << 20
			}
			if tt.maxURLs == 0 {
				tt.maxURLs = 1000
			}
			sm, err := ParseSitemap(tt.body, tt.maxBytes, tt.maxURLs)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(sm.URLs, tt.urls) || !reflect.DeepEqual(sm.Sitemaps, tt.sitemaps) || sm.Truncated != tt.truncated {
				t.Errorf("got URLs %q, sitemaps %q, truncated %v; want %q, %q, %v", sm.URLs, sm.Sitemaps, sm.Truncated, tt.urls, tt.sitemaps, tt.truncated)
			}
		})
	}
}

func TestParseSitemapMalformed(t *testing.T) {
	if _, err := ParseSitemap([]byte{0x1f, 0x8b, 0, 1}, 1<<20, 10); err == nil {
		t.Error("a broken gzip stream parsed without error")
	}
}

func TestGetSitemap(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/sitemap.xml.gz":
			w.Header().Set("Content-Type", "application/x-gzip")
			w.Write(gzipBytes(t, []byte(urlset)))
		case "/moved.xml":
			http.Redirect(w, r, "/sitemap.xml.gz", http.StatusMovedPermanently)
		default:
			http.NotFound(w, r)
		}
	}))
	c := NewClient(Config{})
	sm, err := c.GetSitemap(context.Background(), mustURL(t, srv.URL+"/moved.xml"), 1<<20, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(sm.URLs) != 3 {
		t.Errorf("URLs = %q, want 3", sm.URLs)
	}
	if _, err := c.GetSitemap(context.Background(), mustURL(t, srv.URL+"/missing.xml"), 1<<20, 100); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing sitemap: %v, want a 404 error", err)
	}
}

// TestGetSitemapReadsAsItComes: a sitemap is parsed as it arrives, so a gzip bomb of 50 MiB of
// locations, cut at the byte limit, or a file of nothing but start tags, costs the locations
// kept, not the size of the file.
func TestGetSitemapReadsAsItComes(t *testing.T) {
	const maxBytes = 50 << 20
	bomb := func(chunk string) []byte {
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		block := []byte(strings.Repeat(chunk, 1<<14))
		for n := 0; n < maxBytes+len(block); n += len(block) {
			zw.Write(block)
		}
		zw.Close()
		return z.Bytes()
	}
	const loc = "<url><loc>http://site.test/a</loc>"
	entry := loc + "<x>" + strings.Repeat("y", 4000) + "</x></url>\n"
	locs := maxBytes / len(entry) // whole entries before the cut, and the loc of a cut one
	if maxBytes%len(entry) >= len(loc) {
		locs++
	}
	tests := []struct {
		name   string
		body   []byte
		urls   int
		errHas string
	}{
		{"locations", bomb(entry), locs, ""},
		{"start tags", bomb("<x>"), 0, "nested deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/xml")
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(tt.body)
			}))
			defer srv.Close()
			u, _ := url.Parse(srv.URL + "/sitemap.xml")
			c := NewClient(Config{})
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			sm, err := c.GetSitemap(context.Background(), u, maxBytes, 50_000)
			runtime.ReadMemStats(&m1)
			if tt.errHas == "" && err != nil || tt.errHas != "" && (err == nil || !strings.Contains(err.Error(), tt.errHas)) {
				t.Fatalf("err %v, want %q", err, tt.errHas)
			}
			if sm == nil || len(sm.URLs) != tt.urls || tt.urls > 0 && !sm.Truncated {
				t.Fatalf("sitemap of %d URLs (truncated %v), want %d and cut at the byte limit", len(sm.URLs), sm != nil && sm.Truncated, tt.urls)
			}
			// The decoder allocates as it goes; what matters is that nothing holds the file.
			if inUse := int64(m1.HeapInuse) - int64(m0.HeapInuse); inUse > 8<<20 {
				t.Errorf("%d MiB of heap in use after reading a %d MiB file", inUse>>20, maxBytes>>20)
			}
		})
	}
}
