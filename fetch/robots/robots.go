// Package robots parses robots.txt files and answers whether a crawler may
// fetch a path, following RFC 9309 (Robots Exclusion Protocol).
//
// A parsed *Rules value and the *Group values it hands out are immutable and
// safe for concurrent use. Parsing never fails: lines that cannot be
// understood are ignored, as RFC 9309 requires.
//
// Decisions beyond the RFC text:
//   - Allow/Disallow values that start with neither '/' nor '*' are ignored,
//     as are empty values (an empty Disallow therefore disallows nothing).
//   - Crawl-delay (non-standard) is part of the group it appears in: like an
//     Allow or Disallow line, it ends a run of User-agent lines. Sitemap and
//     unknown lines do not affect grouping.
//   - When several groups name the same agent their rules are merged and the
//     first valid Crawl-delay wins.
//   - Paths and patterns are normalised identically before comparison (see
//     normalize): non-printable and non-ASCII bytes are percent-encoded,
//     %XX of unreserved characters is decoded, other %XX keeps its encoding
//     with upper-case hex digits.
package robots

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"time"
)

// MaxBodySize is the number of leading bytes of a robots.txt body that Parse
// reads; RFC 9309 lets crawlers stop parsing after at least 500 KiB. A line cut
// by the limit is dropped so that a truncated pattern is never applied.
const MaxBodySize = 500 << 10

// Rules is a parsed robots.txt file. The zero value, like AllowAll, allows
// everything.
type Rules struct {
	groups   map[string]*Group // keyed by lower-case product token, "*" included
	sitemaps []string
}

// Group is the set of rules that applies to one crawler: the merged groups
// naming its product token, or the "*" groups when none does.
type Group struct {
	rules      []rule // sorted: longest pattern first, Allow before Disallow on ties
	crawlDelay time.Duration
	hasDelay   bool
}

// emptyGroup is returned when no group applies; it allows everything.
var emptyGroup = &Group{}

// AllowAll returns rules that allow every path, for a robots.txt that does not
// exist or is otherwise unavailable (HTTP 4xx).
func AllowAll() *Rules { return &Rules{} }

// DisallowAll returns rules that disallow every path except /robots.txt, for
// a robots.txt that is unreachable (HTTP 5xx or network error), where RFC 9309
// says to assume complete disallow.
func DisallowAll() *Rules {
	g := &Group{rules: []rule{compile("/", false)}}
	return &Rules{groups: map[string]*Group{"*": g}}
}

// Parse parses a robots.txt body. It never fails: unparseable lines are
// ignored, as RFC 9309 says. Only the first MaxBodySize bytes are read.
func Parse(body []byte) *Rules {
	if len(body) > MaxBodySize {
		body = body[:MaxBodySize]
		if i := bytes.LastIndexAny(body, "\r\n"); i >= 0 {
			body = body[:i]
		} else {
			body = nil
		}
	}
	body = bytes.TrimPrefix(body, []byte("\xEF\xBB\xBF"))

	p := parser{}
	for len(body) > 0 {
		i := bytes.IndexAny(body, "\r\n")
		var line []byte
		if i < 0 {
			line, body = body, nil
		} else {
			line, body = body[:i], body[i+1:]
		}
		p.line(string(line))
	}
	return p.finish()
}

// rawGroup is one group as written in the file, before merging.
type rawGroup struct {
	agents     []string
	rules      []rule
	crawlDelay time.Duration
	hasDelay   bool
}

type parser struct {
	groups   []*rawGroup
	cur      *rawGroup // group receiving rule lines; nil before any user-agent
	inAgents bool      // the last group line was a user-agent line
	sitemaps []string
}

// line handles one line of the file, without its terminator.
func (p *parser) line(s string) {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	key, value, ok := strings.Cut(s, ":")
	if !ok {
		return
	}
	value = strings.TrimSpace(value)
	switch fieldName(key) {
	case "user-agent":
		if p.cur == nil || !p.inAgents {
			p.cur = &rawGroup{}
			p.groups = append(p.groups, p.cur)
			p.inAgents = true
		}
		if tok := productToken(value); tok != "" {
			p.cur.agents = append(p.cur.agents, tok)
		}
	case "allow", "disallow":
		if p.cur == nil {
			return // rules before any user-agent line belong to no group
		}
		p.inAgents = false
		if value == "" || (value[0] != '/' && value[0] != '*') {
			return
		}
		p.cur.rules = append(p.cur.rules, compile(value, fieldName(key) == "allow"))
	case "crawl-delay":
		if p.cur == nil {
			return
		}
		p.inAgents = false
		if d, ok := parseDelay(value); ok && !p.cur.hasDelay {
			p.cur.crawlDelay, p.cur.hasDelay = d, true
		}
	case "sitemap":
		if value != "" {
			p.sitemaps = append(p.sitemaps, value)
		}
	}
}

// fieldName canonicalises a field name, accepting common misspellings.
func fieldName(key string) string {
	k := strings.ToLower(strings.TrimSpace(key))
	switch k {
	case "user-agent", "useragent", "user agent", "user_agent":
		return "user-agent"
	case "allow":
		return "allow"
	case "disallow", "dissallow", "dissalow", "disalow":
		return "disallow"
	case "crawl-delay", "crawldelay", "crawl delay", "crawl_delay":
		return "crawl-delay"
	case "sitemap", "site-map":
		return "sitemap"
	}
	return ""
}

// productToken extracts the lower-cased product token from a user-agent value:
// the text before the first '/' or whitespace, so "Crawl/1.0 (+url)" names
// "crawl".
func productToken(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexAny(v, "/ \t"); i >= 0 {
		v = v[:i]
	}
	return strings.ToLower(v)
}

// parseDelay accepts a non-negative decimal number of seconds ("10", "0.5",
// ".5", "2."). Values beyond the range of time.Duration are clamped.
func parseDelay(v string) (time.Duration, bool) {
	digits, dot := 0, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dot++
		default:
			return 0, false
		}
	}
	if digits == 0 || dot > 1 {
		return 0, false
	}
	// The grammar above is a subset of ParseFloat's; the only possible error
	// is overflow, which yields +Inf and is clamped below.
	secs, _ := strconv.ParseFloat(v, 64)
	ns := secs * float64(time.Second)
	if ns >= math.MaxInt64 {
		return time.Duration(math.MaxInt64), true
	}
	return time.Duration(ns), true
}

// finish merges the groups naming the same agent and orders their rules for
// matching.
func (p *parser) finish() *Rules {
	r := &Rules{sitemaps: dedupe(p.sitemaps)}
	for _, rg := range p.groups {
		seen := map[string]bool{}
		for _, a := range rg.agents {
			if seen[a] {
				continue
			}
			seen[a] = true
			if r.groups == nil {
				r.groups = map[string]*Group{}
			}
			g := r.groups[a]
			if g == nil {
				g = &Group{}
				r.groups[a] = g
			}
			g.rules = append(g.rules, rg.rules...)
			if rg.hasDelay && !g.hasDelay {
				g.crawlDelay, g.hasDelay = rg.crawlDelay, true
			}
		}
	}
	for _, g := range r.groups {
		sortRules(g.rules)
	}
	return r
}

func dedupe(list []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Group selects the rule group for a product token such as "crawl". The token
// is compared case-insensitively and exactly with the product token of each
// User-agent line (the text before any '/' or whitespace), so "crawler" does
// not match "crawl"; a token passed as "crawl/1.0" is reduced the same way.
// When no group names the token, the "*" group applies; when there is none
// either, the returned Group allows everything. The result is never nil and
// is safe for concurrent use.
func (r *Rules) Group(productToken string) *Group {
	if r == nil {
		return emptyGroup
	}
	if g := r.groups[productTokenOf(productToken)]; g != nil {
		return g
	}
	if g := r.groups["*"]; g != nil {
		return g
	}
	return emptyGroup
}

func productTokenOf(s string) string {
	if t := productToken(s); t != "" {
		return t
	}
	return "*"
}

// Sitemaps returns the values of all Sitemap lines, wherever they appear in
// the file, in order and without duplicates. The slice is a copy.
func (r *Rules) Sitemaps() []string {
	if r == nil || len(r.sitemaps) == 0 {
		return nil
	}
	return append([]string(nil), r.sitemaps...)
}

// Allowed reports whether the group permits fetching pathAndQuery, given as
// url.URL.RequestURI() returns it (e.g. "/a/b?x=1"; "" means "/"). The
// longest matching pattern decides, Allow winning a tie; no match allows.
// "/robots.txt" is always allowed. A nil Group allows everything.
func (g *Group) Allowed(pathAndQuery string) bool {
	if g == nil || len(g.rules) == 0 {
		return true
	}
	if pathAndQuery == "" {
		pathAndQuery = "/"
	}
	p := normalize(pathAndQuery)
	if path, _, _ := strings.Cut(p, "?"); path == "/robots.txt" {
		return true
	}
	for i := range g.rules {
		if g.rules[i].match(p) {
			return g.rules[i].allow
		}
	}
	return true
}

// CrawlDelay returns the group's Crawl-delay (a non-standard directive, in
// possibly fractional seconds) and whether a valid one was present.
func (g *Group) CrawlDelay() (time.Duration, bool) {
	if g == nil {
		return 0, false
	}
	return g.crawlDelay, g.hasDelay
}
