package fetch

import (
	"testing"
)

// FuzzParseSitemap: any body parses without panicking, within the location limit.
func FuzzParseSitemap(f *testing.F) {
	f.Add([]byte(urlset), int64(1<<20), 100)
	f.Add([]byte(sitemapIndex), int64(100), 1)
	f.Add([]byte("http://a.test/\nhttp://b.test/"), int64(20), 5)
	f.Add([]byte("<urlset><url><loc>&bogus;</loc></url><url><loc><![CDATA[http://x.test/]]></loc></url>"), int64(1<<10), 10)
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}, int64(1<<10), 10)
	f.Fuzz(func(t *testing.T, body []byte, maxBytes int64, maxURLs int) {
		if maxBytes < 0 || maxBytes > 1<<20 || maxURLs < 0 || maxURLs > 1000 {
			return
		}
		sm, err := ParseSitemap(body, maxBytes, maxURLs)
		if err != nil {
			return
		}
		if n := len(sm.URLs) + len(sm.Sitemaps); n > maxURLs {
			t.Fatalf("%d locations, limit %d", n, maxURLs)
		}
	})
}
