package store

import (
	"net/url"
	"strings"
)

// HostName returns the lower-cased host name of an absolute URL, without port, user info or
// IPv6 brackets, or "" when the URL has no authority. It is what reports and exports group
// pages by. It reads only the authority (see hostKey), so that it stays cheap over every node
// of a crawl; the URLs in a crawl database are normalised, so it agrees there with
// url.URL.Hostname.
func HostName(rawURL string) string {
	h := hostKey(rawURL)
	if strings.HasPrefix(h, "[") {
		if j := strings.IndexByte(h, ']'); j >= 0 {
			h = h[1:j]
		}
	} else if j := strings.LastIndexByte(h, ':'); j >= 0 {
		h = h[:j]
	}
	return strings.ToLower(h)
}

// hostKey returns the host[:port] of an absolute URL as url.URL.Host holds it, or "" when the
// URL has no authority: the frontier's host key and what the per-host counts are kept under.
// It reads only the authority, because the writer derives it for URLs it queues and
// unqueues; an authority with percent-escapes (a non-ASCII host, as url.URL.String writes
// it) goes through url.Parse, which unescapes it as the crawl's host keys are.
func hostKey(rawURL string) string {
	i := strings.Index(rawURL, "://")
	if i <= 0 || strings.ContainsAny(rawURL[:i], "/?#") {
		return ""
	}
	h := rawURL[i+3:]
	if j := strings.IndexAny(h, "/?#"); j >= 0 {
		h = h[:j]
	}
	if j := strings.LastIndexByte(h, '@'); j >= 0 {
		h = h[j+1:]
	}
	if strings.IndexByte(h, '%') >= 0 {
		if u, err := url.Parse(rawURL); err == nil {
			return u.Host
		}
	}
	return h
}
