package crawl

// Reasons are recorded in Node.Error for URLs the crawl does not fetch, and key the counts of
// refused URLs (the database's rejects bucket, the summary's "rejected" line, `crawl status`):
// they are part of the database format. Change none of them; add new ones here.

// Reasons for skipped URLs that a shorter path or a followable link may still bring into the
// crawl. They are not counted as rejections.
const (
	ReasonMaxDepth = "max-depth" // deeper than --max-depth
	ReasonNofollow = "nofollow"  // reached only through nofollow links
)

// Reasons the crawl's trap rules give for refusing a URL in scope (see parse.Filter): it is
// recorded as skipped with the reason and counted as a rejection.
const (
	ReasonTooLong         = "too-long"          // longer than --max-url-length
	ReasonTooManySegments = "too-many-segments" // more path segments than --max-path-segments
	ReasonRepeatedSegment = "repeated-segment"  // a path segment repeated --max-segment-repeats times
)

// Reasons the writer gives for what it does not fetch or record; counted as rejections.
const (
	// ReasonHostBudget: the URL's host had used its --max-pages-per-host budget.
	ReasonHostBudget = "host-budget"
	// ReasonLinkCap counts links beyond a page's link cap: they are counted, not recorded.
	ReasonLinkCap = "too-many-links"
	// ReasonURLTooLong counts the links, redirect targets and seeds the writer refused because
	// their URL (or its host) is longer than the store records. A page's DroppedOut includes them.
	ReasonURLTooLong = "url-too-long-to-store"
	// ReasonUnstorable counts the results the writer could not store because of their data (a
	// corrupt record met while applying one, a value the database refuses): the leased URL
	// is recorded as failed with the error instead, so that a resume does not fetch it again.
	ReasonUnstorable = "result-not-storable"
)

// Reasons recorded in Node.Error by the politeness rules.
const (
	// ReasonHostUnreachable: the URL was skipped because its host failed too many times in a
	// row and was parked for the rest of the run.
	ReasonHostUnreachable = "host-unreachable"
	// ReasonRobotsUnavailable: the URL failed because its host's robots.txt could not be
	// fetched (no answer, 429 or 5xx) in any of its tries, so it could not be known to be allowed.
	ReasonRobotsUnavailable = "robots.txt unavailable"
	// ReasonPrivateAddress: the URL was skipped because its host is not a seed host and
	// resolved to a loopback, private, link-local or other non-public address.
	ReasonPrivateAddress = "private-address"
	// ReasonRobotsDisallowed: the URL is disallowed by its host's robots.txt (StateBlocked).
	ReasonRobotsDisallowed = "robots.txt"
)
