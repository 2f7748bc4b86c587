package crawl

import "time"

// Node is one URL of the crawl: a fetched page, or a link target that was not (yet) fetched.
type Node struct {
	ID          uint64
	URL         string
	State       State
	Depth       int       // link hops from the nearest seed
	Status      int       // HTTP status; 0 when not fetched
	ContentType string    // media type without parameters
	Size        int64     // body bytes read
	Title       string    // <title>, trimmed
	FetchedAt   time.Time // zero when not fetched
	Duration    time.Duration
	Error       string // why the fetch failed or the URL was skipped
	Truncated   bool   // the body was cut at the size limit
	// NoIndex: the page asked search engines not to index it (<meta name=robots
	// content=noindex> or an X-Robots-Tag header).
	NoIndex    bool
	OutLinks   int // edges stored from this page
	DroppedOut int // links found but not stored: beyond the per-page cap, or too long to store

	// Check: the URL is checked, not crawled (a page requisite, or a link out of the crawl's
	// scope with --check-external, or where a check's redirect leads): its response's
	// status, type, size and time are recorded, its body is neither kept nor parsed.
	Check bool
	// External: a checked URL outside the crawl's scope. (A URL in StateExternal is outside
	// the scope too, and never fetched.)
	External bool
	// InSitemap: the URL is listed in a sitemap of the crawl's sites (read with --sitemaps).
	InSitemap bool
	// Facts are what the page's HTML says about it, for an audit; nil for a URL that is not
	// an HTML page the crawl parsed (and for pages recorded before facts were kept).
	Facts *PageFacts
}

// OutOfScope reports whether the URL is outside the crawl's scope: never fetched
// (StateExternal), or checked with --check-external.
func (n Node) OutOfScope() bool { return n.State == StateExternal || n.External }

// PartialParse reports a page whose response was recorded but whose HTML could be read only
// in part: a done page with an error note. The note says what was lost, e.g. the parser's
// error, or that links were read by a fallback scanner past a nesting limit. Every other
// done page has no error; failed and skipped pages use Error for why they were not fetched.
func (n Node) PartialParse() bool { return n.State == StateDone && n.Error != "" }
