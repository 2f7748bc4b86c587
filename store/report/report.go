// Package report summarises a crawl for a site owner: broken links, page requisites and
// fragments and who refers to them, links to redirects, redirect chains and loops, the
// titles, descriptions, headings, canonical and hreflang links search engines read, pages in
// a sitemap that nothing links to, the slowest pages, pages far from every seed, the most
// linked pages, hosts with errors, noindex pages and pages read only in part. It reads a
// store.Snapshot through its public methods, as the exporters do, and holds counters, never
// the graph. Text, Markdown and JUnit XML forms are written by WriteText, WriteMarkdown and
// WriteJUnit; the Report itself is the JSON form.
package report

// Options choose how much a Report lists, and what counts as a finding.
type Options struct {
	// Depth is the number of link hops within which a page counts as easy to reach: fetched
	// pages deeper than this are listed in DeepPages.
	Depth int `json:"depth"`
	// Limit caps the items of each list section; 0 lists everything. Totals always count
	// everything.
	Limit int `json:"limit"`
	// Referrers caps the linking pages listed per broken link; 0 lists them all.
	Referrers int `json:"referrers"`
	// Accept lists HTTP statuses that are not errors: a URL that answered one of them is not
	// broken (429 for a rate-limited host, 403 for a site that refuses crawlers...). Every
	// status under 400 is accepted anyway.
	Accept []int `json:"accept,omitempty"`
	// Exclude lists regular expressions: a finding about a URL that matches one (its target:
	// a broken link's, a page's) is left out of the report, counts included.
	Exclude []string `json:"exclude,omitempty"`
}

// Report is what a crawl found that a site owner can act on. It is also the JSON document
// printed by `crawl report --json`: field names and meanings are stable, new fields may be
// added. Lists are sorted as each field says; ties are broken by URL unless noted.
type Report struct {
	Options Options `json:"options"`
	Totals  Totals  `json:"totals"`
	// States counts URLs by state, every state listed in a fixed order, zeros included.
	States []StateCount `json:"states"`
	// Statuses counts fetched pages by HTTP status code, ascending; checks are counted in
	// Checks.
	Statuses []StatusCount `json:"statuses"`
	// SkippedReasons counts skipped URLs by reason (max-depth, nofollow, ...), most first.
	SkippedReasons []ReasonCount `json:"skipped_reasons"`
	// Checks counts the URLs checked rather than crawled: page requisites and, with
	// --check-external, links out of the scope.
	Checks CheckTotals `json:"checks"`
	// BrokenLinks are the URLs in the crawl's scope that links, redirects, canonical or
	// alternate references lead to and that answered 4xx or 5xx (not in Options.Accept) or
	// could not be fetched, the most linked-to first. Referrers are those references.
	BrokenLinks Section[BrokenLink] `json:"broken_links"`
	// BrokenExternal are the links out of the crawl's scope that were checked and are broken,
	// as BrokenLinks.
	BrokenExternal Section[BrokenLink] `json:"broken_external"`
	// BrokenAssets are the page requisites (images, scripts, stylesheets...) that are broken,
	// as BrokenLinks; Referrers are the pages that load them.
	BrokenAssets Section[BrokenLink] `json:"broken_assets"`
	// BrokenFragments are the links to a part of a crawled page (page#part) that the page
	// does not define (no element with that id, no <a> with that name), the most linked-to
	// first.
	BrokenFragments Section[BrokenFragment] `json:"broken_fragments"`
	// RedirectedLinks are the URLs that links and page requisites lead to and that answered
	// a redirect, the most linked-to first: each link could point at the final URL.
	RedirectedLinks Section[RedirectedLink] `json:"redirected_links"`
	// RedirectChains are chains of more than one redirect hop, the longest first.
	RedirectChains Section[RedirectChain] `json:"redirect_chains"`
	// DeepPages are fetched 2xx pages more than Options.Depth link hops from every seed, the
	// deepest first.
	DeepPages Section[DeepPage] `json:"deep_pages"`
	// MostLinked are the URLs that the most pages link to (<a>/<area> links, not
	// self-links), the most first; ties in the order the URLs were discovered.
	MostLinked Section[LinkedPage] `json:"most_linked"`
	// ErrorHosts are the hosts with the most error responses and failed fetches, pages and
	// checks alike, the most first; hosts without errors are left out.
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

	// The sections below look at indexable pages only: HTML pages crawled, answered 2xx,
	// not noindex, and without a canonical link to another URL (their duplicates are meant).

	// Titles are the pages with no <title>, an empty one, one longer than TitleMaxLength
	// characters, or one other pages have too.
	Titles TextFindings `json:"titles"`
	// Descriptions are the same for <meta name=description>, longer than
	// DescriptionMaxLength characters.
	Descriptions TextFindings `json:"descriptions"`
	// H1 are the pages with no <h1>, and those with several.
	H1 H1Findings `json:"h1"`
	// CanonicalConflicts are the crawled pages whose canonical link goes wrong (see
	// CanonicalConflict), by URL.
	CanonicalConflicts Section[CanonicalConflict] `json:"canonical_conflicts"`
	// HreflangWithoutReturn are the hreflang alternates that do not link back: page A names
	// page B as an alternate, B is crawled, and B names no alternate A. By URL.
	HreflangWithoutReturn Section[HreflangLink] `json:"hreflang_without_return"`
	// Orphans are the URLs listed in a sitemap that no page links to, by URL.
	Orphans OrphanSection `json:"orphans"`
	// SlowestPages are the crawled pages that took the longest to fetch, the slowest first.
	SlowestPages Section[SlowPage] `json:"slowest_pages"`
}

// TitleMaxLength and DescriptionMaxLength are the lengths, in characters, past which search
// results cut a title or a description (about 600 pixels and two lines).
const (
	TitleMaxLength       = 60
	DescriptionMaxLength = 160
)

// CheckTotals counts the checked URLs.
type CheckTotals struct {
	Total    int `json:"total"`    // URLs checked or queued to be
	Answered int `json:"answered"` // checked, with an HTTP answer
	Failed   int `json:"failed"`   // checked, no answer
	External int `json:"external"` // of Total, out of the crawl's scope
}

// BrokenFragment is a fragment of a crawled page that links refer to and the page does not define.
type BrokenFragment struct {
	URL        string     `json:"url"`      // page#fragment
	Page       string     `json:"page"`     // the page
	Fragment   string     `json:"fragment"` // as written in the links
	LinkedFrom int        `json:"linked_from"`
	Referrers  []Referrer `json:"referrers"`
	// MoreReferrers counts the references left out of Referrers.
	MoreReferrers int `json:"more_referrers"`
}

// RedirectedLink is a URL that links lead to and that answered a redirect.
type RedirectedLink struct {
	URL    string `json:"url"`
	Status int    `json:"status"`
	// Target is where the redirects lead, followed hop by hop (at most 20), and Hops how
	// many there are; "" when the target is not recorded.
	Target        string     `json:"target"`
	Hops          int        `json:"hops"`
	LinkedFrom    int        `json:"linked_from"`
	Referrers     []Referrer `json:"referrers"`
	MoreReferrers int        `json:"more_referrers"`
}

// TextFindings are the pages whose title (or description) is missing, empty, too long, or
// the same as other pages'.
type TextFindings struct {
	Missing   Section[PageRef]   `json:"missing"`
	Empty     Section[PageRef]   `json:"empty"`
	TooLong   Section[LongText]  `json:"too_long"`
	Duplicate Section[Duplicate] `json:"duplicate"` // Total counts the groups
}

// PageRef is a page a finding is about.
type PageRef struct {
	URL string `json:"url"`
}

// LongText is a title or description longer than search results show.
type LongText struct {
	URL    string `json:"url"`
	Text   string `json:"text"`
	Length int    `json:"length"` // in characters
}

// Duplicate is a title or description that several pages have, the most first.
type Duplicate struct {
	Text  string   `json:"text"`
	Pages int      `json:"pages"`
	URLs  []string `json:"urls"` // the first Options.Referrers of them, by URL
}

// H1Findings are the pages with no <h1> and those with several.
type H1Findings struct {
	Missing Section[PageRef]   `json:"missing"`
	Several Section[H1Several] `json:"several"`
}

// H1Several is a page with more than one <h1>.
type H1Several struct {
	URL   string `json:"url"`
	Count int    `json:"count"`
	First string `json:"first"` // the first one's text
}

// The kinds of CanonicalConflict.
const (
	// CanonicalNotOK: the canonical URL did not answer 200 (a redirect, an error, no answer,
	// disallowed by robots.txt).
	CanonicalNotOK = "not-ok"
	// CanonicalChain: the canonical page names another canonical URL in turn.
	CanonicalChain = "chain"
	// CanonicalLoop: the canonical page names the page back as its canonical.
	CanonicalLoop = "loop"
	// CanonicalUnlinked: no page links to the canonical URL; found only through canonical
	// links, it was not crawled.
	CanonicalUnlinked = "unlinked"
	// CanonicalMultiple: the page has canonical links to more than one URL.
	CanonicalMultiple = "multiple"
)

// CanonicalConflict is a page whose canonical link goes wrong.
type CanonicalConflict struct {
	URL       string `json:"url"`
	Canonical string `json:"canonical"` // its (first) canonical URL
	Kind      string `json:"kind"`      // CanonicalNotOK, CanonicalChain...
	// State and Status are the canonical URL's; Next is its own canonical, for a chain or loop.
	State  string `json:"state"`
	Status int    `json:"status"`
	Next   string `json:"next,omitempty"`
}

// HreflangLink is an alternate of a page that does not name the page back.
type HreflangLink struct {
	URL       string `json:"url"`
	Alternate string `json:"alternate"`
	Hreflang  string `json:"hreflang"`
}

// OrphanSection is the Orphans list of a Report. SitemapsRead says whether the crawl read
// any sitemap (crawl --sitemaps): without, orphans cannot be told.
type OrphanSection struct {
	SitemapsRead bool         `json:"sitemaps_read"`
	Total        int          `json:"total"`
	Items        []LinkedPage `json:"items"`
}

// SlowPage is a crawled page and how long its fetch took.
type SlowPage struct {
	URL          string  `json:"url"`
	Status       int     `json:"status"`
	Milliseconds float64 `json:"milliseconds"`
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
	Fetched int `json:"fetched"` // pages fetched or tried: done plus failed, checks left out
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
	Kind   string `json:"kind"`             // the edge's: link, redirect, canonical, alternate, image, script...
	Anchor string `json:"anchor,omitempty"` // a link's text, an image's alt text
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
