package store

import (
	"fmt"
	"strconv"
	"time"

	"github.com/crawl-project/crawl"
)

// Status summarises a crawl database: what `crawl status` shows.
type Status struct {
	Schema  int
	URLs    int                 // every URL recorded, fetched or not
	ByState map[crawl.State]int // URLs by state
	// Skipped counts the skipped URLs by reason (Node.Error: max-depth, nofollow, ...).
	Skipped map[string]int
	// Rejected counts the URLs refused by trap rules or the host budget, and the links beyond
	// a page's cap, by reason, over all runs (see Snapshot.Rejections).
	Rejected map[string]int
	Frontier int // queued URLs
	// Truncated counts the fetched pages whose body was cut at the size limit (--max-body);
	// PartialParses the fetched pages whose HTML could be read only in part (see
	// Node.PartialParse). A page can be both. Links past the cut or the unread part are lost.
	Truncated, PartialParses int
	// Fetched counts the leases that ended in a fetch attempt (done or failed), over all
	// runs: what --max-pages limits. A URL retried with --retry-failed counts once per attempt.
	Fetched int
	Edges   int
	// Hosts is the number of distinct hosts (host:port) with a recorded page (done, failed
	// or robots-blocked); QueuedHosts the number with URLs in the frontier.
	Hosts, QueuedHosts int
	Updated            time.Time // the last commit; zero before the first
	Config             []byte    // as recorded by SetConfig; nil before the first run
}

// Finished reports whether the crawl has nothing left to fetch.
func (s Status) Finished() bool { return s.Frontier == 0 }

// Status counts the database's URLs by state with one scan of the nodes, and reads the
// crawl's bookkeeping. The cost grows with the number of URLs: fine for a command run by
// hand, not for a progress display.
func (s *Snapshot) Status() (_ Status, err error) {
	g := s.guard()
	defer g.catch(&err)
	st := Status{ByState: map[crawl.State]int{}, Skipped: map[string]int{}}
	meta := s.tx.Bucket(bucketMeta)
	st.Schema, _ = strconv.Atoi(string(meta.Get(keySchema)))
	st.Fetched = int(counter(meta.Get(keyFetched)))
	if v := meta.Get(keyUpdated); v != nil {
		t, err := time.Parse(time.RFC3339Nano, string(v))
		if err != nil {
			return Status{}, fmt.Errorf("status: last update %q: %w", v, errCorrupt)
		}
		st.Updated = t
	}
	if v := meta.Get(keyConfig); v != nil {
		st.Config = append([]byte(nil), v...)
	}

	hosts := map[string]struct{}{}
	err = s.EachNode(func(n crawl.Node) error {
		st.URLs++
		st.ByState[n.State]++
		switch n.State {
		case crawl.StateSkipped:
			st.Skipped[n.Error]++
		case crawl.StateDone, crawl.StateFailed, crawl.StateBlocked:
			hosts[hostKey(n.URL)] = struct{}{}
		}
		if n.Truncated {
			st.Truncated++
		}
		if n.PartialParse() {
			st.PartialParses++
		}
		return nil
	})
	if err != nil {
		return Status{}, fmt.Errorf("status: %w", err)
	}
	st.Hosts = len(hosts)
	if st.Rejected, err = s.Rejections(); err != nil {
		return Status{}, fmt.Errorf("status: %w", err)
	}
	// Each value starts with its page's edge count.
	ec := s.tx.Bucket(bucketEdges).Cursor()
	for k, v := ec.First(); k != nil; k, v = ec.Next() {
		n, ok := encodedEdgeCount(v)
		if !ok {
			return Status{}, fmt.Errorf("status: edges of %x: %w", k, errCorrupt)
		}
		st.Edges += n
	}
	st.Frontier = s.Frontier()

	err = eachFrontierHost(s.tx, "", func(string) bool {
		st.QueuedHosts++
		return true
	})
	if err != nil {
		return Status{}, fmt.Errorf("status: %w", err)
	}
	return st, nil
}
