package crawl

// Entry is one queued URL of the frontier.
type Entry struct {
	ID    uint64
	Host  string // frontier host key: host[:port] as url.URL.Host holds it
	URL   string
	Depth int
	// Redirects is how many redirects in a row led to URL (0 for a link, a seed, ...).
	Redirects int
	// Check: URL is to be checked, not crawled (see Node.Check).
	Check bool
}

// Link is one outgoing reference of a page, as the writer records it.
type Link struct {
	URL     string // normalised
	Host    string // frontier host key of URL
	Kind    EdgeKind
	Rel     string
	Anchor  string
	Count   int
	InScope bool // the crawl's scope contains URL
	Follow  bool // in scope and followable (not nofollow): the crawl should fetch it
	// Reject, when set, is why the crawl refuses to fetch URL although it is in scope (a trap
	// rule's reason): a new URL is recorded as skipped with it and counted as a rejection.
	Reject string
	// Check: the crawl checks URL rather than crawls it (see Node.Check): a page requisite,
	// a link out of the scope with --check-external, the target of a check's redirect. A
	// link that is followable (Follow) is crawled whatever Check says.
	Check bool
	// Fragments are the distinct fragments the page refers to at URL (href="page#part"),
	// as written, in document order: checked against the ids and names of URL's page.
	Fragments []string
}

// Result is everything the crawl learnt from one leased URL. The writer commits it in one
// atomic step: the page, its edges, the new frontier entries, and the end of the lease.
// A Result with ID 0 ends no lease and records only its HostInfo.
//
// A redirect is a page like any other: its status, and one link of kind KindRedirect to its
// target. The target is queued as a link is, so that it is fetched in its own turn, under its
// host's robots.txt and rate, and only if it was never seen; but it keeps the redirect's depth
// (a redirect moves a page, it does not link to another), up to a chain of the writer's
// longest (see store.DefaultMaxRedirects).
type Result struct {
	ID   uint64 // the leased node
	Host string // frontier host key of the leased URL
	// Redirects is how many redirects in a row led to the leased URL (Entry.Redirects).
	Redirects int
	// HostInfo, if set, is merged into what the crawl keeps about the host (a robots.txt
	// just fetched).
	HostInfo *HostRecord

	// Check: the leased URL was checked, not crawled (Entry.Check): it has no links but
	// where a redirect leads, and no facts.
	Check bool

	// Page holds the fetch outcome: State (Done, Failed, Blocked or Skipped), Status,
	// ContentType, Size, Title, FetchedAt, Duration, Error, Truncated, DroppedOut, NoIndex,
	// Facts.
	Page  Node
	Links []Link
	// Targets are the fragment identifiers the page defines; nil when it is not HTML.
	Targets *Targets
}

// CommitStats says what a committed batch of results changed.
type CommitStats struct {
	Pages        int            // results recorded (duplicates excluded), unstorable ones included
	Attempts     int            // of those, fetch attempts (done or failed): what --max-pages counts
	Checks       int            // of those, checks that got an answer or failed: not counted in Attempts
	Edges        int            // edges stored
	NewURLs      int            // URLs seen for the first time
	Queued       int            // frontier entries added
	Unqueued     int            // frontier entries removed (leases ended, redirect targets recorded)
	HostsWithNew map[string]int // frontier entries added, by host
	// HostsRequeued are hosts that got back URLs seen before; their frontier entries sort
	// before entries already read, so a reader must start the host's queue from the beginning.
	HostsRequeued map[string]bool
	// Rejected counts URLs refused by reason (trap rules, host budget, ReasonURLTooLong),
	// links beyond a page's cap, and results recorded as failed because their data could not
	// be stored (ReasonUnstorable); nil when there were none.
	Rejected map[string]int
	// Redirected are the frontier entries added for redirect targets: a reader hands them out
	// before the other URLs of their host, so that a redirect chain is followed promptly.
	Redirected []Entry
	// Outbox counts the links to hosts of other shards written for another node to crawl, and
	// Records the page records written for the cluster to keep (cluster crawls only).
	Outbox, Records int
}
