package store

import (
	"testing"
	"time"

	"github.com/crawl-project/crawl"
)

func TestPeekStateDepthMatchesDecode(t *testing.T) {
	for _, n := range []crawl.Node{
		{ID: 1, URL: "http://a.test/", State: crawl.StatePending},
		{ID: 2, URL: "http://a.test/x", State: crawl.StateDone, Depth: 3, Status: 200, Title: "t", FetchedAt: time.Unix(1, 0)},
		{ID: 3, URL: "http://a.test/y", State: crawl.StateSkipped, Depth: 200, Error: crawl.ReasonMaxDepth, Truncated: true},
		{ID: 4, URL: "http://b.test/", State: crawl.StateExternal, Depth: 1 << 20},
	} {
		b := encodeNode(&n)
		state, depth, ok := peekStateDepth(b)
		if !ok || state != n.State || depth != n.Depth {
			t.Errorf("node %d: peek %v %d %v, want %v %d", n.ID, state, depth, ok, n.State, n.Depth)
		}
	}
	for _, b := range [][]byte{nil, {nodeCodecVersion}, {nodeCodecVersion + 1, 0, 0, 0}, {nodeCodecVersion, 0, 0, 0x80}} {
		if _, _, ok := peekStateDepth(b); ok {
			t.Errorf("peek %x: ok, want not", b)
		}
	}
}
