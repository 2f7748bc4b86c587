package robots

import (
	"sort"
	"strings"
)

// rule is an Allow or Disallow pattern compiled for matching.
//
// A pattern is split at '*' into literal segments, so matching needs no
// backtracking: the first segment must be a prefix of the path, each middle
// segment is found at its leftmost position after the previous one, and the
// last segment is searched for (or, when the pattern ends in '$', must be a
// suffix). Leftmost placement is always safe because '*' can absorb whatever
// lies between segments, so a match costs O(len(path) * len(pattern)) at
// worst and usually far less.
type rule struct {
	allow    bool
	length   int      // octets of the normalised pattern, '*' and '$' included
	anchored bool     // pattern ended in '$'
	segs     []string // literal parts between '*'; len(segs) == 1 when there is no '*'
}

// compile normalises a pattern and splits it for matching.
func compile(pattern string, allow bool) rule {
	p := normalize(pattern)
	r := rule{allow: allow, length: len(p)}
	if strings.HasSuffix(p, "$") {
		r.anchored = true
		p = p[:len(p)-1]
	}
	r.segs = strings.Split(p, "*")
	// Adjacent '*' produce empty middle segments, which match trivially;
	// drop them (keeping the first and last) so they cost nothing.
	if len(r.segs) > 2 {
		out := r.segs[:1]
		for _, s := range r.segs[1 : len(r.segs)-1] {
			if s != "" {
				out = append(out, s)
			}
		}
		r.segs = append(out, r.segs[len(r.segs)-1])
	}
	return r
}

// match reports whether the normalised path matches the rule's pattern.
func (r *rule) match(path string) bool {
	first := r.segs[0]
	if len(r.segs) == 1 {
		if r.anchored {
			return path == first
		}
		return strings.HasPrefix(path, first)
	}
	if !strings.HasPrefix(path, first) {
		return false
	}
	pos := len(first)
	last := r.segs[len(r.segs)-1]
	for _, s := range r.segs[1 : len(r.segs)-1] {
		i := strings.Index(path[pos:], s)
		if i < 0 {
			return false
		}
		pos += i + len(s)
	}
	if r.anchored {
		return len(path)-pos >= len(last) && strings.HasSuffix(path, last)
	}
	return strings.Contains(path[pos:], last)
}

// sortRules orders rules so that the first match is the decisive one: longest
// pattern first and, between equally long patterns, Allow first.
func sortRules(rules []rule) {
	sort.SliceStable(rules, func(i, j int) bool {
		if rules[i].length != rules[j].length {
			return rules[i].length > rules[j].length
		}
		return rules[i].allow && !rules[j].allow
	})
}

const upperHex = "0123456789ABCDEF"

// normalize brings a path or a pattern to the form in which the two are
// compared, so that both spellings of the same URL compare equal:
//   - bytes outside printable ASCII (controls, space, DEL, and every byte of
//     non-ASCII UTF-8) are percent-encoded, so a raw UTF-8 pattern matches the
//     encoded URL;
//   - %XX naming an unreserved character (RFC 3986: letters, digits, "-._~")
//     is decoded, as RFC 9309 section 2.2.2 requires;
//   - any other %XX keeps its encoding with upper-case hex digits, so %2f and
//     %2F are the same and neither equals '/';
//   - a '%' not followed by two hex digits is encoded as %25 (so a pattern
//     "/100%" matches the URL "/100%25", and normalising twice changes
//     nothing).
//
// '*' and '$' are untouched, so "%2A" and "%24" in a pattern stay literal.
func normalize(s string) string {
	i := 0
	for ; i < len(s); i++ {
		if c := s[i]; c == '%' || c <= ' ' || c >= 0x7f {
			break
		}
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			v := unhex(s[i+1])<<4 | unhex(s[i+2])
			if isUnreserved(v) {
				b.WriteByte(v)
			} else {
				b.WriteByte('%')
				b.WriteByte(upperHex[v>>4])
				b.WriteByte(upperHex[v&15])
			}
			i += 2
		case c <= ' ' || c >= 0x7f || c == '%':
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
