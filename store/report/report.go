// Package report summarises a crawl for a site owner: broken links and who links to them,
// redirect chains and loops, pages far from every seed, the most linked pages, hosts with
// errors, noindex pages and pages read only in part. It reads a store.Snapshot through its
// public methods, as the exporters do, and holds counters, never the graph.
package report

// Options choose how much a Report lists.
type Options struct {
	// Depth is the number of link hops within which a page counts as easy to reach: fetched
	// pages deeper than this are listed in DeepPages.
	Depth int `json:"depth"`
	// Limit caps the items of each list section; 0 lists everything. Totals always count
	// everything.
	Limit int `json:"limit"`
	// Referrers caps the linking pages listed per broken link; 0 lists them all.
	Referrers int `json:"referrers"`
}

// Report is what a crawl found that a site owner can act on. It is also the JSON document
// printed by `crawl report --json`: field names and meanings are stable, new fields may be
// added. Lists are sorted as each field says; ties are broken by URL unless noted.
type Report struct {
	Options Options `json:"options"`
	Totals  Totals  `json:"totals"`
	// States counts URLs by state, every state listed in a fixed order, zeros included.
	States []StateCount `json:"states"`
	// Statuses counts fetched pages by HTTP status code, ascending.
	Statuses []StatusCount `json:"statuses"`
	// SkippedReasons counts skipped URLs by reason (max-depth, nofollow, ...), most first.
	SkippedReasons []ReasonCount `json:"skipped_reasons"`
	// BrokenLinks are link targets that answered 4xx or 5xx or could not be fetched, the
	// most linked-to first.
	BrokenLinks Section[BrokenLink] `json:"broken_links"`
	// RedirectChains are chains of more than one redirect hop, the longest first.
	RedirectChains Section[RedirectChain] `json:"redirect_chains"`
	// DeepPages are fetched 2xx pages more than Options.Depth link hops from every seed, the
	// deepest first.
	DeepPages Section[DeepPage] `json:"deep_pages"`
	// MostLinked are the URLs that the most pages link to (<a>/<area> links, not
	// self-links), the most first; ties in the order the URLs were discovered.
	MostLinked Section[LinkedPage] `json:"most_linked"`
	// ErrorHosts are the hosts with the most error responses and failed fetches, the most
	// first; hosts without errors are left out.
	ErrorHosts Section[HostErrors] `json:"error_hosts"`
	// NoIndex are the fetched pages that ask not to be indexed (meta robots or X-Robots-Tag
	// noindex), the most linked-to first (as MostLinked counts), ties in discovery order:
	// links to them lead readers and crawlers to pages kept out of search results.
	NoIndex Section[LinkedPage] `json:"noindex"`
	// Incomplete are the fetched pages the crawl read only in part, whose links past the
	// loss are missing from the graph: bodies cut at the size limit (--max-body) and pages
	// whose HTML could be parsed only in part (Node.PartialParse). The most linked-to first
	// (as MostLinked counts), ties in discovery order.
	Incomplete IncompleteSection `json:"incomplete"`
}

// IncompleteSection is the Incomplete list of a Report: Total pages read only in part, of
// which Truncated were cut at the size limit and PartialParses parsed in part (a page can
// be both); the first Limit are in Items.
type IncompleteSection struct {
	Total         int              `json:"total"`
	Truncated     int              `json:"truncated"`
	PartialParses int              `json:"partial_parses"`
	Items         []IncompletePage `json:"items"`
}

// IncompletePage is a fetched page that was read only in part.
type IncompletePage struct {
	URL        string `json:"url"`
	Status     int    `json:"status"`
	Bytes      int64  `json:"bytes"`           // body bytes kept
	Truncated  bool   `json:"truncated"`       // the body was cut at the size limit
	Error      string `json:"error,omitempty"` // what a partial parse lost; empty if parsed whole
	LinkedFrom int    `json:"linked_from"`
}

// Section is one list of a Report: Total items exist, the first Limit are in Items.
type Section[T any] struct {
	Total int `json:"total"`
	Items []T `json:"items"`
}

// Totals sizes the crawl.
type Totals struct {
	URLs    int `json:"urls"`    // every URL recorded, whatever its state
	Edges   int `json:"edges"`   // links, redirects, canonical and alternate references
	Fetched int `json:"fetched"` // URLs fetched or tried: done plus failed
	Hosts   int `json:"hosts"`   // distinct hosts of the fetched URLs
}

// StateCount is the number of URLs in one state.
type StateCount struct {
	State string `json:"state"`
	Count int    `json:"count"`
}

// StatusCount is the number of fetched pages that answered one HTTP status.
type StatusCount struct {
	Status int `json:"status"`
	Count  int `json:"count"`
}

// ReasonCount is the number of skipped URLs with one reason.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// BrokenLink is a link target that answered an error status or could not be fetched.
type BrokenLink struct {
	URL    string `json:"url"`
	State  string `json:"state"`           // done (with an error status) or failed
	Status int    `json:"status"`          // 0 when the fetch failed
	Error  string `json:"error,omitempty"` // why the fetch failed
	// LinkedFrom counts the references to the target: one per referring page and kind.
	LinkedFrom int `json:"linked_from"`
	// Referrers lists the first Options.Referrers references, by referring URL.
	Referrers []Referrer `json:"referrers"`
	// MoreReferrers counts the references left out of Referrers.
	MoreReferrers int `json:"more_referrers"`
}

// Referrer is a page that refers to a URL.
type Referrer struct {
	URL    string `json:"url"`
	Kind   string `json:"kind"` // link, redirect, canonical or alternate
	Anchor string `json:"anchor,omitempty"`
}

// RedirectChain is a URL that redirects, hop after hop, to a final URL.
type RedirectChain struct {
	Hops int `json:"hops"` // redirects followed: len(Steps)-1
	// Loop reports a chain that comes back to one of its own URLs; its last step repeats
	// the URL where the loop closes.
	Loop bool `json:"loop"`
	// Steps are the URLs from the start of the chain to its end.
	Steps []ChainStep `json:"steps"`
	// LinkedFrom counts the pages that link to the start of the chain: the links to update.
	LinkedFrom int `json:"linked_from"`
}

// ChainStep is one URL of a redirect chain.
type ChainStep struct {
	URL    string `json:"url"`
	State  string `json:"state"`
	Status int    `json:"status"`
}

// DeepPage is a page that is far from every seed.
type DeepPage struct {
	URL   string `json:"url"`
	Depth int    `json:"depth"`
}

// LinkedPage is a URL with its number of linking pages.
type LinkedPage struct {
	URL        string `json:"url"`
	State      string `json:"state"`
	Status     int    `json:"status"`
	LinkedFrom int    `json:"linked_from"`
}

// HostErrors counts the fetches and the errors of one host.
type HostErrors struct {
	Host        string `json:"host"`
	Fetched     int    `json:"fetched"`
	Errors      int    `json:"errors"` // ClientErrors + ServerErrors + Failed
	ClientError int    `json:"4xx"`
	ServerError int    `json:"5xx"`
	Failed      int    `json:"failed"`
}
