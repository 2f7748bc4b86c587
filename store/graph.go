package store

import (
	"fmt"
	"time"
)

// State is where a URL is in its lifecycle. Only the writer changes it.
type State uint8

// The states a node can be in. Values are stored on disk: append, never renumber.
const (
	StatePending  State = 1 // in the frontier, waiting to be fetched (or in flight)
	StateDone     State = 2 // fetched: an HTTP response was recorded, whatever its status
	StateFailed   State = 3 // no usable response after the retries (network error, timeout, ...)
	StateBlocked  State = 4 // disallowed by robots.txt, never fetched
	StateExternal State = 5 // outside the crawl's scope: recorded as a link target, never fetched
	StateSkipped  State = 6 // in scope but not fetched; Node.Error says why (max-depth, trap, ...)
)

var stateNames = map[State]string{
	StatePending:  "pending",
	StateDone:     "done",
	StateFailed:   "failed",
	StateBlocked:  "robots-blocked",
	StateExternal: "external",
	StateSkipped:  "skipped",
}

func (s State) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// ParseState is the inverse of State.String.
func ParseState(name string) (State, error) {
	for s, n := range stateNames {
		if n == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("unknown state %q (want pending, done, failed, robots-blocked, external or skipped)", name)
}

// EdgeKind says how a page refers to another URL.
type EdgeKind uint8

// The kinds of edge. Values are stored on disk: append, never renumber.
const (
	KindLink      EdgeKind = 1 // <a href>, <area href>
	KindRedirect  EdgeKind = 2 // an HTTP redirect hop
	KindCanonical EdgeKind = 3 // <link rel=canonical>
	KindAlternate EdgeKind = 4 // <link rel=alternate hreflang=...>
)

var kindNames = map[EdgeKind]string{
	KindLink:      "link",
	KindRedirect:  "redirect",
	KindCanonical: "canonical",
	KindAlternate: "alternate",
}

func (k EdgeKind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

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
}

// Edge is one reference from a page to a URL. Repeated identical references on a page are
// folded into one edge with a Count.
type Edge struct {
	Src, Dst uint64
	Kind     EdgeKind
	Rel      string // the rel attribute, as written (e.g. "nofollow")
	Anchor   string // anchor text of the first occurrence, whitespace-collapsed
	Count    int    // how many times the page refers to Dst with this kind
}

// Nofollow reports whether the edge's rel contains the nofollow token.
func (e Edge) Nofollow() bool { return hasToken(e.Rel, "nofollow") }

func hasToken(list, token string) bool {
	for i := 0; i < len(list); {
		for i < len(list) && list[i] == ' ' {
			i++
		}
		j := i
		for j < len(list) && list[j] != ' ' {
			j++
		}
		if j-i == len(token) && equalFoldASCII(list[i:j], token) {
			return true
		}
		i = j
	}
	return false
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}
