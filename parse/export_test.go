package parse

import "net/url"

// ExtractGeneral is Extract without its fast paths, for the tests of package parse_test.
func (x Extractor) ExtractGeneral(body []byte, contentType string, pageURL *url.URL) (*Page, error) {
	return x.extract(body, contentType, pageURL, true)
}

// ExtractStreaming is Extract through the token scanner, whatever the page.
func (x Extractor) ExtractStreaming(body []byte, contentType string, pageURL *url.URL) (*Page, error) {
	s := scratchPool.Get().(*scratch)
	defer s.release()
	return x.scan(body, contentType, pageURL, s, false, "test")
}
