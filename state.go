package crawl

import "fmt"

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
	// StateRemote: a link target whose host belongs to a shard of another node of a cluster
	// crawl. Its record is that node's; this database keeps the node for the edges that end
	// there, and a merge of the nodes' databases replaces it with the owner's record.
	StateRemote State = 7
)

// stateNames are the states' names, as status, reports and exports print them.
var stateNames = map[State]string{
	StatePending:  "pending",
	StateDone:     "done",
	StateFailed:   "failed",
	StateBlocked:  "robots-blocked",
	StateExternal: "external",
	StateSkipped:  "skipped",
	StateRemote:   "remote",
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
	return 0, fmt.Errorf("unknown state %q (want pending, done, failed, robots-blocked, external, skipped or remote)", name)
}
