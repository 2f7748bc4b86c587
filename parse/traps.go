package parse

import (
	"net/url"
	"strings"

	"github.com/crawl-project/crawl"
)

// Defaults of the trap rules, learnt from Heritrix, Nutch and StormCrawler.
const (
	DefaultMaxURLLength    = 2083 // the longest URL Internet Explorer accepted; Heritrix and StormCrawler use it too
	DefaultMaxPathSegments = 20   // Heritrix TooManyPathSegmentsDecideRule
	// DefaultMaxSegmentRepeats rejects a path with one segment three times, which catches
	// relative-link loops such as /a/a/a/ (Heritrix PathologicalPathDecideRule, Nutch's
	// default regex-urlfilter) while a real site rarely names a directory three times.
	DefaultMaxSegmentRepeats = 3
)

// Filter rejects URLs that look like crawler traps: pages that generate an endless supply of
// new URLs for the same content. A rejected link is still recorded, but never fetched.
// A zero field disables its rule; the zero Filter accepts everything.
type Filter struct {
	// MaxURLLength rejects URLs longer than this many bytes in their normalised form.
	MaxURLLength int
	// MaxPathSegments rejects paths with more segments than this. Segments are what the
	// slashes of the path start: "/a/b/" has three (a, b and an empty last one), as Heritrix counts.
	MaxPathSegments int
	// MaxSegmentRepeats rejects paths in which one non-empty segment occurs this many times or more.
	MaxSegmentRepeats int
}

// DefaultFilter returns the trap rules a crawl uses unless told otherwise.
func DefaultFilter() Filter {
	return Filter{
		MaxURLLength:      DefaultMaxURLLength,
		MaxPathSegments:   DefaultMaxPathSegments,
		MaxSegmentRepeats: DefaultMaxSegmentRepeats,
	}
}

// Check decides for a normalised URL: "" accepts it, anything else is the reason for rejecting it.
func (f Filter) Check(u *url.URL) string {
	if f.MaxURLLength > 0 && len(u.String()) > f.MaxURLLength {
		return crawl.ReasonTooLong
	}
	return f.checkPath(u.EscapedPath())
}

// CheckLink is Check for a link's URL, judged on its string.
func (f Filter) CheckLink(l Link) string {
	if f.MaxURLLength > 0 && len(l.URL) > f.MaxURLLength {
		return crawl.ReasonTooLong
	}
	return f.checkPath(escapedPath(l.URL))
}

// checkPath applies the rules on the escaped path of a URL.
func (f Filter) checkPath(path string) string {
	if f.MaxPathSegments > 0 && strings.Count(path, "/") > f.MaxPathSegments {
		return crawl.ReasonTooManySegments
	}
	if f.MaxSegmentRepeats > 0 && repeatsSegment(path, f.MaxSegmentRepeats) {
		return crawl.ReasonRepeatedSegment
	}
	return ""
}

// escapedPath returns the path of a normalised URL string, as url.URL.EscapedPath gives it:
// what follows the authority, up to the query. The authority, escaped as url.URL.String
// writes it, holds no '/' and no '?'.
func escapedPath(normalized string) string {
	_, rest, _ := strings.Cut(normalized, "://")
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return ""
	}
	path, _, _ := strings.Cut(rest[i:], "?")
	return path
}

// repeatsSegment reports whether a non-empty segment of path occurs n times or more.
func repeatsSegment(path string, n int) bool {
	if n <= 1 {
		return strings.Trim(path, "/") != "" // any non-empty segment occurs once
	}
	// Split into an array on the stack: strings.Split would allocate for every link.
	var buf [33]string
	segs := buf[:0]
	for rest, more := path, true; more; {
		var seg string
		seg, rest, more = strings.Cut(rest, "/")
		segs = append(segs, seg)
	}
	if len(segs) < n {
		return false
	}
	if len(segs) > 32 {
		counts := make(map[string]int, len(segs))
		for _, s := range segs {
			if s != "" {
				if counts[s]++; counts[s] >= n {
					return true
				}
			}
		}
		return false
	}
	// Paths are short: comparing pairs is cheaper than a map for every link of every page.
	for i, s := range segs {
		if s == "" {
			continue
		}
		c := 1
		for _, t := range segs[i+1:] {
			if t == s {
				if c++; c >= n {
					return true
				}
			}
		}
	}
	return false
}

// Session ids make a new URL for the same page on every visit, so a crawl that keeps them
// never ends. These are the names Heritrix, Nutch and StormCrawler strip, compared without case.
var sessionParams = []string{"jsessionid", "phpsessid", "sid", "sessionid"}

// sessionParamPrefix names ASP's session parameters, ASPSESSIONID followed by a random suffix.
const sessionParamPrefix = "aspsessionid"

// isSessionParam reports whether a query parameter's name (escapes already normalised) is a session id.
func isSessionParam(name string) bool {
	for _, p := range sessionParams {
		if strings.EqualFold(name, p) {
			return true
		}
	}
	return len(name) >= len(sessionParamPrefix) && strings.EqualFold(name[:len(sessionParamPrefix)], sessionParamPrefix)
}

// stripQuerySessionIDs drops session-id parameters from a query and keeps the others in order.
func stripQuerySessionIDs(q string) string {
	// Every session parameter name contains "sid" or "sess": most queries need no splitting.
	if !containsFold(q, "sid") && !containsFold(q, "sess") {
		return q
	}
	params := strings.Split(q, "&")
	kept := params[:0:0]
	for _, p := range params {
		name, _, _ := strings.Cut(p, "=")
		if !isSessionParam(name) {
			kept = append(kept, p)
		}
	}
	if len(kept) == len(params) {
		return q
	}
	return strings.Join(kept, "&")
}

// pathSessionParam is the Java servlet session id carried as a path parameter: /page;jsessionid=ABC.
const pathSessionParam = ";jsessionid="

// stripPathSessionIDs removes ";jsessionid=value" path parameters from an escaped path, the value
// running to the next ';' or '/'. Other path parameters stay. It runs before dot segments are
// removed: a segment such as "..;jsessionid=x" must become ".." first, or normalising the result
// again would resolve it and give another URL.
func stripPathSessionIDs(p string) string {
	if !strings.Contains(p, ";") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); {
		if p[i] == ';' && len(p)-i >= len(pathSessionParam) && strings.EqualFold(p[i:i+len(pathSessionParam)], pathSessionParam) {
			i += len(pathSessionParam)
			for i < len(p) && p[i] != ';' && p[i] != '/' {
				i++
			}
			continue
		}
		b.WriteByte(p[i])
		i++
	}
	return b.String()
}

// containsFold reports whether s contains the lower-case ASCII sub, ignoring ASCII case.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}
