package crawler

import "testing"

// TestWireDepthKeepsTheCheckFlags: a URL to check travels in the engine's URL message with
// its flags beside its depth, and comes out as it went in; a link to crawl the same URL at
// the same depth is another message.
func TestWireDepthKeepsTheCheckFlags(t *testing.T) {
	for _, c := range []struct {
		depth           int
		check, external bool
	}{{0, false, false}, {7, true, false}, {3, true, true}, {wireDepthMask, true, true}} {
		d := wireDepth(c.depth, c.check, c.external)
		depth, check, external := fromWireDepth(d)
		if depth != c.depth || check != c.check || external != c.external {
			t.Errorf("%+v: sent as %d, read as depth %d, check %v, external %v", c, d, depth, check, external)
		}
		if c.check && d == wireDepth(c.depth, false, false) {
			t.Errorf("%+v: the same message as a link to crawl", c)
		}
	}
	if d := wireDepth(2, false, true); d != 2 {
		t.Errorf("a link to crawl marked external: %d", d)
	}
}
