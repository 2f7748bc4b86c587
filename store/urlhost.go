package store

import "strings"

// HostName returns the lower-cased host name of an absolute URL, without port, user info or
// IPv6 brackets, or "" when the URL has no authority. It is what reports and exports group
// pages by. It reads only the authority, so that it stays cheap over every node of a crawl;
// the URLs in a crawl database are normalised, so it agrees there with url.URL.Hostname.
func HostName(rawURL string) string {
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
	if strings.HasPrefix(h, "[") {
		if j := strings.IndexByte(h, ']'); j >= 0 {
			h = h[1:j]
		}
	} else if j := strings.LastIndexByte(h, ':'); j >= 0 {
		h = h[:j]
	}
	return strings.ToLower(h)
}
