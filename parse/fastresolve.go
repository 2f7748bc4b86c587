package parse

import (
	"net/url"
	"strings"
)

// A page's links are mostly plain paths ("/docs/a.html", "b.html"). For those, Resolve's
// parse, reference resolution and normalisation come to joining the path to the base's
// scheme and host: quickResolver does that directly and leaves every other href to Resolve.

// quickResolver resolves plain-path hrefs against one base URL.
type quickResolver struct {
	base   *url.URL // the normalised base, or nil: no quick path
	dir    string   // the base's path up to its last '/'
	relDir bool     // dir is plain, so relative paths can be joined to it
}

func newQuickResolver(base *url.URL) quickResolver {
	nb, err := normalizeURL(base)
	if err != nil {
		return quickResolver{}
	}
	q := quickResolver{base: nb}
	if i := strings.LastIndexByte(nb.Path, '/'); i >= 0 && nb.RawPath == "" && plainPath(nb.Path) {
		q.dir, q.relDir = nb.Path[:i+1], true
	}
	return q
}

// resolve returns href resolved against the base as Resolve would, or nil when href is
// not a plain path (and Resolve must decide).
func (q quickResolver) resolve(href string) *url.URL {
	if q.base == nil || href == "" {
		return nil
	}
	if i := strings.IndexByte(href, '#'); i >= 0 {
		if !plainPath(href[i+1:]) {
			return nil
		}
		href = href[:i]
		if href == "" {
			return nil
		}
	}
	if !plainPath(href) {
		return nil
	}
	var path string
	switch {
	case strings.HasPrefix(href, "//"):
		return nil // scheme-relative: names a host
	case href[0] == '/':
		path = href
	case q.relDir:
		path = q.dir + href
	default:
		return nil
	}
	return &url.URL{Scheme: q.base.Scheme, Host: q.base.Host, Path: path}
}

// plainPath reports whether s holds only unreserved characters and '/', with no segment
// that starts with a dot: such a path is its own escaped, normalised form.
func plainPath(s string) bool {
	if strings.HasPrefix(s, ".") || strings.Contains(s, "/.") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '/' && !isUnreserved(c) {
			return false
		}
	}
	return true
}
