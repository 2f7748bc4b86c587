package store

import (
	"testing"
	"time"

	"github.com/crawl-project/crawl"
)

func TestPeekNodeMatchesDecode(t *testing.T) {
	for _, n := range []crawl.Node{
		{ID: 1, URL: "http://a.test/", State: crawl.StatePending},
		{ID: 2, URL: "http://a.test/x", State: crawl.StateDone, Depth: 3, Status: 200, Title: "t", FetchedAt: time.Unix(1, 0)},
		{ID: 3, URL: "http://a.test/y", State: crawl.StateSkipped, Depth: 200, Error: crawl.ReasonMaxDepth, Truncated: true},
		{ID: 4, URL: "http://b.test/", State: crawl.StateExternal, Depth: 1 << 20},
		{ID: 5, URL: "http://b.test/i.png", State: crawl.StatePending, Depth: 4, Check: true, External: true},
		{ID: 6, URL: "http://a.test/z", State: crawl.StateDone, Depth: 1, InSitemap: true, Facts: &crawl.PageFacts{Words: 3}},
	} {
		b := encodeNode(&n)
		c, ok := peekNode(b)
		if !ok || c.state != n.State || c.depth != n.Depth || c.check != n.Check {
			t.Errorf("node %d: peek %+v %v, want %v %d check %v", n.ID, c, ok, n.State, n.Depth, n.Check)
		}
	}
	for _, b := range [][]byte{nil, {nodeCodecVersion}, {nodeCodecVersion + 1, 0, 0, 0}, {nodeCodecVersion, 0, 0, 0x80}} {
		if _, ok := peekNode(b); ok {
			t.Errorf("peek %x: ok, want not", b)
		}
	}
}
