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

// classifyRequisite is classify for a page requisite, and whether it is checked: a requisite
// on the crawl's hosts is in scope, whatever the --include patterns (they choose the pages to
// crawl, not what those pages load), unless an --exclude pattern matches it; with AssetsAll
// every requisite not excluded is checked, in scope or not.
func (c *Config) classifyRequisite(l parse.Link) (inScope, check bool, reject string) {
	excluded := c.Scope.Excluded(l.URL)
	inScope = !excluded && c.Scope.ContainsHost(l.Host)
	if inScope {
		reject = c.Filter.CheckLink(l)
	}
	return inScope, !excluded && (inScope || c.Assets == AssetsAll), reject
}

// checksExternal reports whether a link out of the scope is checked.
func (c *Config) checksExternal(l parse.Link) bool {
	return c.CheckExternal && !c.Scope.Excluded(l.URL)
}

// noRedirects makes a fetch return a redirect as its answer: every hop is recorded as a page
// of its own and its target queued as a link is, so that a hop is checked exactly as a link is
// (scope, trap rules, robots.txt, the seen set) and waits for its host's turn.
func noRedirects(*url.URL) bool { return false }
