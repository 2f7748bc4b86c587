// Package parse turns fetched HTML into links and decides which URLs a crawl may follow:
// URL normalisation, link extraction and scope.
package parse

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// ErrScheme reports a URL whose scheme a crawler cannot fetch (mailto:, javascript:, data:, ...).
var ErrScheme = errors.New("not an http(s) URL")

// Normalize parses raw as an absolute http or https URL and returns its canonical form, so that
// the same resource always maps to the same key in the crawl database.
func Normalize(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, err
	}
	if !u.IsAbs() {
		return nil, fmt.Errorf("%q is not an absolute URL", raw)
	}
	return normalizeURL(u)
}

// Resolve resolves a reference found in a document with base URL base and normalises it.
func Resolve(base *url.URL, ref string) (*url.URL, error) {
	ref = strings.TrimSpace(ref)
	// Browsers strip tabs and newlines anywhere in a URL (WHATWG URL "strip tab or newline").
	if strings.ContainsAny(ref, "\t\n\r") {
		ref = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(ref)
	}
	r, err := url.Parse(ref)
	if err != nil {
		return nil, err
	}
	return normalizeURL(base.ResolveReference(r))
}

// normalizeURL applies the normalisations that do not change what a server returns:
// lower-case scheme and host, default port dropped, fragment dropped, dot segments
// resolved, empty path made "/", percent-encoding made uniform, session ids removed
// (";jsessionid=" path parameters and the query parameters isSessionParam names).
func normalizeURL(u *url.URL) (*url.URL, error) {
	n := *u
	n.Scheme = strings.ToLower(n.Scheme)
	if n.Scheme != "http" && n.Scheme != "https" {
		return nil, fmt.Errorf("%s: %w", n.Scheme, ErrScheme)
	}
	if n.Opaque != "" {
		return nil, fmt.Errorf("%q has no host", u.String())
	}
	n.User = nil
	n.Fragment, n.RawFragment = "", ""
	host := strings.ToLower(n.Hostname())
	// An IPv6 zone ("[fe80::1%25eth0]") means nothing on the web, is rejected by browsers and
	// does not always survive url.URL's escaping.
	if strings.Contains(host, ":") && strings.Contains(host, "%") {
		return nil, fmt.Errorf("%q has an IPv6 zone", u.String())
	}
	host = strings.TrimRight(host, ".")
	if host == "" {
		return nil, fmt.Errorf("%q has no host", u.String())
	}
	// url.Parse lets a stray bracket through outside an IPv6 literal ("http://]:80").
	if strings.ContainsAny(host, "[]") {
		return nil, fmt.Errorf("%q has an invalid host", u.String())
	}
	// A colon left in the host name belongs to an IPv6 literal, or the host is malformed: url.Parse
	// checks the authority of an absolute URL, not of a reference ("//0::0").
	if strings.Contains(host, ":") {
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return nil, fmt.Errorf("%q has an invalid host", u.String())
		}
	}
	port := n.Port()
	if (n.Scheme == "http" && port == "80") || (n.Scheme == "https" && port == "443") {
		port = ""
	}
	switch {
	case port != "":
		host = net.JoinHostPort(host, port) // brackets an IPv6 literal
	case strings.Contains(host, ":"): // IPv6 literal
		host = "[" + host + "]"
	}
	n.Host = host

	// Unescape first so that an escaped dot segment ("%2E%2E") is resolved like a plain one.
	path := removeDotSegments(stripPathSessionIDs(normalizeEscapes(n.EscapedPath(), false)))
	if path == "" {
		path = "/"
	}
	p, err := url.PathUnescape(path)
	if err != nil {
		return nil, err
	}
	// Keep the escaped form when it differs from the one url.URL would derive from Path:
	// without it, characters such as "(" or "!" would be sent as "%28" or "%21".
	n.Path, n.RawPath = p, path
	if (&url.URL{Path: p}).EscapedPath() == path {
		n.RawPath = ""
	}
	n.ForceQuery = false
	n.RawQuery = stripQuerySessionIDs(normalizeEscapes(n.RawQuery, true))
	return &n, nil
}

// removeDotSegments implements RFC 3986 section 5.2.4 on an escaped path.
func removeDotSegments(p string) string {
	// Only a segment that starts with a dot can be "." or ".."; "/p1.html" has none.
	if !hasDotSegment(p) {
		return p
	}
	var out []string
	segs := strings.Split(p, "/")
	for i, s := range segs {
		switch s {
		case ".":
			if i == len(segs)-1 {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if i == len(segs)-1 {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	r := strings.Join(out, "/")
	if strings.HasPrefix(p, "/") && !strings.HasPrefix(r, "/") {
		r = "/" + r
	}
	return r
}

// normalizeEscapes upper-cases percent-escapes, decodes escaped unreserved characters
// (RFC 3986 section 6.2.2.2) and escapes bytes that may not appear raw in a URL.
func normalizeEscapes(s string, query bool) string {
	if !needsEscapeNormalizing(s, query) {
		return s // the common case: nothing to change, nothing to allocate
	}
	var b strings.Builder
	changed := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			v := unhex(s[i+1])<<4 | unhex(s[i+2])
			if isUnreserved(v) {
				b.WriteByte(v)
				changed = true
			} else {
				hi, lo := upperHex(s[i+1]), upperHex(s[i+2])
				changed = changed || hi != s[i+1] || lo != s[i+2]
				b.WriteByte('%')
				b.WriteByte(hi)
				b.WriteByte(lo)
			}
			i += 2
			continue
		}
		if c == '%' || mustEscape(c, query) { // a '%' here starts no escape
			fmt.Fprintf(&b, "%%%02X", c)
			changed = true
			continue
		}
		b.WriteByte(c)
	}
	if !changed {
		return s
	}
	return b.String()
}

// needsEscapeNormalizing reports whether normalizeEscapes would change s.
func needsEscapeNormalizing(s string, query bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return true
			}
			if isUnreserved(unhex(s[i+1])<<4|unhex(s[i+2])) || upperHex(s[i+1]) != s[i+1] || upperHex(s[i+2]) != s[i+2] {
				return true
			}
			i += 2
			continue
		}
		if mustEscape(c, query) {
			return true
		}
	}
	return false
}

// mustEscape reports whether c, other than '%', may not appear raw in a URL's path (or query).
func mustEscape(c byte, query bool) bool {
	return c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}' || (!query && c == '?')
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func upperHex(c byte) byte {
	if 'a' <= c && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
