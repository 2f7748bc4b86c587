package parse

import (
	"bytes"
	"net/url"
	"strings"
)

// Most hrefs are plain paths ("/docs/a.html", "b.html", "../c/"), fragments ("#top") or
// absolute URLs whose host is already in normal form ("http://example.com/x"). For those,
// Resolve's parse, reference resolution, normalisation and String come to joining strings:
// quickResolver writes the normalised URL straight into the page's arena (see arena.go) and
// leaves every other href to Resolve. FuzzQuickResolve holds the two to the same answers.

// quickResolver resolves the common forms of href against one base URL.
type quickResolver struct {
	ok     bool   // the base's scheme and host are normal and simple: absolute paths resolve
	scheme string // "http" or "https"
	host   string // host[:port], as url.URL.Host and url.URL.String both write it
	dir    string // the base's path up to its last '/'
	path   string // the base's path
	query  string // the base's query
	plain  bool   // path and query are their own normal forms: relative paths and fragments resolve
}

func newQuickResolver(base *url.URL) quickResolver {
	if quickBase(base) {
		return quickResolver{ok: true, scheme: base.Scheme, host: base.Host, path: base.Path, query: base.RawQuery,
			dir: base.Path[:strings.LastIndexByte(base.Path, '/')+1], plain: true}
	}
	// Resolve joins a relative href to the base's path as written, escapes and dot segments
	// included, and normalises after: only the normalised scheme and host may be used.
	nb, err := normalizeURL(base)
	if err != nil || !simpleHost(nb.Scheme, nb.Host) {
		return quickResolver{}
	}
	return quickResolver{ok: true, scheme: nb.Scheme, host: nb.Host}
}

// quickBase reports whether base is already what normalizeURL would make of it, as far as
// quickResolver reads it, with a path and query that are their own escaped forms.
func quickBase(b *url.URL) bool {
	return (b.Scheme == "http" || b.Scheme == "https") && b.Opaque == "" && b.User == nil &&
		simpleHost(b.Scheme, b.Host) && b.RawPath == "" && strings.HasPrefix(b.Path, "/") &&
		plainPath(b.Path) && quickQuery(b.RawQuery)
}

// resolve appends href resolved against the base to dst, as Resolve(base, href).String()
// would write it, and returns the host of the result as url.URL.Host holds it. ok is false
// when href is not one of the forms handled here; dst is then returned unchanged. tmp is
// working memory for relative paths with dot segments.
func (q *quickResolver) resolve(dst []byte, href string, tmp *[]byte) (out []byte, host string, ok bool) {
	r, ok := q.split(href)
	if !ok || !plainChars(r.path) {
		return dst, "", false
	}
	switch {
	case r.ownHost:
		// An absolute or scheme-relative URL: a host of its own, and a path resolved alone.
		dst = appendAuthority(dst, r.scheme, r.host)
		if r.path == "" {
			dst = append(dst, '/') // normalizeURL gives an empty path as "/"
		} else {
			dst = appendResolvedPath(dst, r.path)
		}
	case r.path == "":
		// Only a query, a fragment or nothing: the base's path, and without a query of the
		// href's own (not even an empty one), the base's query.
		if !q.plain {
			return dst, "", false
		}
		dst = append(appendAuthority(dst, r.scheme, r.host), q.path...)
		if !r.hasQuery {
			return appendQuery(dst, q.query, true), r.host, true
		}
	case r.path[0] == '/':
		dst = appendResolvedPath(appendAuthority(dst, r.scheme, r.host), r.path)
	case !q.plain:
		return dst, "", false
	case !hasDotSegment(r.path):
		dst = append(append(appendAuthority(dst, r.scheme, r.host), q.dir...), r.path...)
	default:
		*tmp = append(append((*tmp)[:0], q.dir...), r.path...)
		dst = appendResolvedPath(appendAuthority(dst, r.scheme, r.host), *tmp)
	}
	return appendQuery(dst, r.query, r.hasQuery), r.host, true
}

// resolveURL resolves an href that names its path in full (an absolute path, or an absolute
// or scheme-relative URL) with no dot segment, as Resolve would, but with the href's own
// strings: for a <base href>, which is then a base like any other, without allocating.
func (q *quickResolver) resolveURL(href string) (u url.URL, ok bool) {
	r, ok := q.split(href)
	if !ok {
		return u, false
	}
	if r.ownHost && r.path == "" {
		r.path = "/" // normalizeURL gives an empty path as "/"
	}
	if !strings.HasPrefix(r.path, "/") || !plainPath(r.path) {
		return u, false
	}
	return url.URL{Scheme: r.scheme, Host: r.host, Path: r.path, RawQuery: r.query}, true
}

// quickRef is an href as quickResolver reads it.
type quickRef struct {
	scheme, host string // the href's own (ownHost) or else the base's
	ownHost      bool   // the href is an absolute or scheme-relative URL
	path         string // as written, possibly empty or relative
	query        string
	hasQuery     bool // the href has a '?', even with an empty query
}

// split cuts href into its parts, dropping its fragment. ok is false when the base is not
// one quickResolver handles, or href's fragment, query or own host is not one it writes as is.
func (q *quickResolver) split(href string) (r quickRef, ok bool) {
	if !q.ok {
		return r, false
	}
	ref, frag, _ := strings.Cut(href, "#")
	r.path, r.query, r.hasQuery = strings.Cut(ref, "?")
	if !quickFragment(frag) || r.hasQuery && !quickQuery(r.query) {
		return r, false
	}
	r.scheme, r.host = q.scheme, q.host
	rest, scheme, abs := cutHTTPScheme(r.path)
	if !abs && !strings.HasPrefix(r.path, "//") {
		return r, true
	}
	if abs {
		r.scheme, r.path = scheme, rest
	}
	r.ownHost = true
	r.host, r.path = r.path[2:], ""
	if i := strings.IndexByte(r.host, '/'); i >= 0 {
		r.host, r.path = r.host[:i], r.host[i:]
	}
	return r, simpleHost(r.scheme, r.host)
}

// otherScheme reports whether href starts with a scheme other than http and https (mailto:,
// javascript:, tel:, ...). Resolve rejects such an href whether or not it parses, so it need
// not be parsed. The scan is url.Parse's own reading of a scheme.
func otherScheme(href string) bool {
	for i := 0; i < len(href); i++ {
		switch c := href[i]; {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.':
			if i == 0 {
				return false
			}
		case c == ':':
			return i > 0 && !strings.EqualFold(href[:i], "http") && !strings.EqualFold(href[:i], "https")
		default:
			return false
		}
	}
	return false
}

// cutHTTPScheme splits an "http://" or "https://" prefix (any case) off s and returns what
// follows from the "//" on, with the scheme in lower case.
func cutHTTPScheme(s string) (rest, scheme string, ok bool) {
	switch {
	case len(s) >= 7 && strings.EqualFold(s[:7], "http://"):
		return s[5:], "http", true
	case len(s) >= 8 && strings.EqualFold(s[:8], "https://"):
		return s[6:], "https", true
	}
	return s, "", false
}

func appendAuthority(dst []byte, scheme, host string) []byte {
	return append(append(append(dst, scheme...), "://"...), host...)
}

func appendQuery(dst []byte, query string, has bool) []byte {
	if !has || query == "" {
		return dst // normalizeURL drops an empty query's '?'
	}
	return append(append(dst, '?'), query...)
}

// simpleHost reports whether host is a lower-case name or IPv4 address with an optional port
// that is not the scheme's default: its own normal form, which url.URL.String writes unescaped.
func simpleHost(scheme, host string) bool {
	name, port, hasPort := strings.Cut(host, ":")
	if name == "" || name[len(name)-1] == '.' {
		return false // an empty host is an error, a trailing dot is dropped
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	if !hasPort {
		return true
	}
	if port == "" || scheme == "http" && port == "80" || scheme == "https" && port == "443" {
		return false
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return false
		}
	}
	return true
}

// quickQuery reports whether a query is its own normal form: no escapes to change and no
// session id to strip.
func quickQuery(q string) bool {
	return !needsEscapeNormalizing(q, true) && !containsFold(q, "sid") && !containsFold(q, "sess")
}

// quickFragment reports whether a fragment certainly parses: printable ASCII without the
// escapes url.Parse checks. The fragment itself is dropped.
func quickFragment(f string) bool {
	for i := 0; i < len(f); i++ {
		if c := f[i]; c <= ' ' || c >= 0x7f || c == '%' {
			return false
		}
	}
	return true
}

// plainChars reports whether s holds only unreserved characters and '/': a path that is its
// own escaped form.
func plainChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '/' && !isUnreserved(c) {
			return false
		}
	}
	return true
}

// plainPath reports whether s is plainChars with no dot segment: its own normalised form.
func plainPath(s string) bool {
	return plainChars(s) && !hasDotSegment(s)
}

// appendResolvedPath appends the path url.URL.ResolveReference makes of the merged path full,
// dot segments removed, as net/url's resolvePath does; normalizeURL leaves the result as it is.
func appendResolvedPath[S string | []byte](dst []byte, full S) []byte {
	if len(full) == 0 {
		return dst
	}
	if full[0] == '/' && !hasDotSegment(full) {
		return append(dst, full...)
	}
	// net/url writes a '/' first and drops it at the end if the path brought its own.
	start := len(dst)
	dst = append(dst, '/')
	first := true
	var elem S
	for rest, more := full, true; more; {
		elem, rest, more = cutSlash(rest)
		switch dots(elem) {
		case 1:
			first = false
			continue
		case 2:
			i := bytes.LastIndexByte(dst[start+1:], '/')
			if i >= 0 {
				dst = dst[:start+1+i]
			} else {
				dst = dst[:start+1]
			}
			first = len(dst) == start+1
		default:
			if !first {
				dst = append(dst, '/')
			}
			dst = append(dst, elem...)
			first = false
		}
	}
	if dots(elem) > 0 {
		dst = append(dst, '/')
	}
	if len(dst) > start+1 && dst[start+1] == '/' {
		dst = append(dst[:start], dst[start+1:]...)
	}
	return dst
}

// hasDotSegment reports whether a segment of s may be "." or "..": whether it starts with a dot.
func hasDotSegment[S string | []byte](s S) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' && (i == 0 || s[i-1] == '/') {
			return true
		}
	}
	return false
}

// dots returns 1 for the segment ".", 2 for "..", and 0 for any other.
func dots[S string | []byte](seg S) int {
	switch {
	case len(seg) == 1 && seg[0] == '.':
		return 1
	case len(seg) == 2 && seg[0] == '.' && seg[1] == '.':
		return 2
	}
	return 0
}

func cutSlash[S string | []byte](s S) (before, after S, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return s, s[len(s):], false
}
