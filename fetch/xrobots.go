package fetch

import (
	"net/http"
	"strings"
)

// Directives are the robots directives of a page that a crawler acts on.
type Directives struct {
	NoIndex  bool // the page asks not to be indexed
	NoFollow bool // the page asks that its links not be followed
}

// xRobotsRuleNames are X-Robots-Tag directives that take a value after a colon, so that
// "unavailable_after: ..." is not mistaken for a user agent named unavailable_after.
var xRobotsRuleNames = map[string]bool{
	"unavailable_after": true,
	"max-snippet":       true,
	"max-image-preview": true,
	"max-video-preview": true,
}

// XRobotsTag reads the X-Robots-Tag headers of a response for the crawler whose robots
// product token is token (e.g. "crawl"). A header value may start with a user agent and a
// colon ("crawl: nofollow"), and then applies only to that agent; without one it applies to
// every crawler. "none" means noindex and nofollow.
func XRobotsTag(h http.Header, token string) Directives {
	var d Directives
	for _, v := range h.Values("X-Robots-Tag") {
		v = strings.TrimSpace(v)
		if name, rest, ok := strings.Cut(v, ":"); ok {
			name = strings.ToLower(strings.TrimSpace(name))
			if !xRobotsRuleNames[name] && !strings.ContainsAny(name, ", \t") {
				if !strings.EqualFold(name, token) {
					continue // for another crawler
				}
				v = rest
			}
		}
		for _, dir := range strings.Split(v, ",") {
			switch strings.ToLower(strings.TrimSpace(dir)) {
			case "noindex":
				d.NoIndex = true
			case "nofollow":
				d.NoFollow = true
			case "none":
				d.NoIndex, d.NoFollow = true, true
			}
		}
	}
	return d
}
