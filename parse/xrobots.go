package parse

import "strings"

// robotsDirectives reads a comma-separated robots directive list, as in <meta name=robots
// content=...> and X-Robots-Tag, and reports the two directives a crawler acts on.
func robotsDirectives(list string) (nofollow, noindex bool) {
	for _, d := range strings.Split(strings.ToLower(list), ",") {
		switch strings.TrimSpace(d) {
		case "nofollow":
			nofollow = true
		case "noindex":
			noindex = true
		case "none":
			nofollow, noindex = true, true
		}
	}
	return nofollow, noindex
}

// RobotsHeader reads the X-Robots-Tag header values of a response. A value may start with a
// user agent ("googlebot: nofollow"); such a value applies only if the agent is token
// (compared without case). Values without an agent apply to every crawler.
func RobotsHeader(values []string, token string) (nofollow, noindex bool) {
	for _, v := range values {
		if agent, rest, ok := strings.Cut(v, ":"); ok && isAgentName(agent) {
			if token == "" || !strings.EqualFold(strings.TrimSpace(agent), token) {
				continue
			}
			v = rest
		}
		nf, ni := robotsDirectives(v)
		nofollow = nofollow || nf
		noindex = noindex || ni
	}
	return nofollow, noindex
}

// isAgentName tells the user agent before a colon from a directive that takes a value after
// one ("unavailable_after: 2026-01-01", "max-snippet: 20").
func isAgentName(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, " ,\t") {
		return false
	}
	switch strings.ToLower(s) {
	case "unavailable_after", "max-snippet", "max-image-preview", "max-video-preview":
		return false
	}
	return true
}
