package crawler

import (
	"net/url"

	"github.com/crawl-project/crawl/parse"
)

// classify decides for a link target found on a page whether the crawl may fetch it: in scope,
// and if so whether a trap rule rejects it (the reason, or ""). An out-of-scope URL is never
// fetched anyway, so the trap rules do not count it.
func (c *Config) classify(u *url.URL) (inScope bool, reject string) {
	if !c.Scope.Contains(u) {
		return false, ""
	}
	return true, c.Filter.Check(u)
}

// classifyLink is classify for a link the extractor found, judged on the URL string it holds.
func (c *Config) classifyLink(l parse.Link) (inScope bool, reject string) {
	if !c.Scope.ContainsLink(l) {
		return false, ""
	}
	return true, c.Filter.CheckLink(l)
}

// followRedirect decides whether a fetch follows a redirect to u: only to a URL it could fetch.
// A refused target is recorded as the redirect's destination, with its reason.
func (c *Config) followRedirect(u *url.URL) bool {
	in, reject := c.classify(u)
	return in && reject == ""
}
