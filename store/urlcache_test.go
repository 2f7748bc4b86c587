package store

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/crawl-project/crawl"
)

// A commit that fails after applying its batch must not leave the URL cache describing what
// it did: here it lowered a cached URL's depth, and the retried commit must lower it again.
func TestFailedCommitLeavesNothingInTheURLCache(t *testing.T) {
	errDisk := errors.New("no space left on device")
	failAt := 0
	db, err := Open(filepath.Join(t.TempDir(), "crawl.db"), Options{FailCommit: func(n int) error {
		if n == failAt {
			return errDisk
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mustSeed(t, db, "http://a.test/r", "http://a.test/s")
	w := db.Writer(-1)
	commit := func(src string, links ...crawl.Link) error {
		_, err := w.Commit([]crawl.Result{done(node(t, db, src).ID, "a.test", links...)})
		return err
	}
	for _, c := range []struct {
		src   string
		links []crawl.Link
	}{
		{"http://a.test/r", []crawl.Link{link("http://a.test/p1", true)}},
		{"http://a.test/p1", []crawl.Link{link("http://a.test/p2", true), link("http://a.test/x", true)}},
		{"http://a.test/p2", []crawl.Link{link("http://a.test/x", true)}}, // x seen again: cached, pending at 2
	} {
		if err := commit(c.src, c.links...); err != nil {
			t.Fatal(err)
		}
	}
	failAt = 4 // the next commit finds a shorter path to x, then fails
	if err := commit("http://a.test/s", link("http://a.test/x", true)); !errors.Is(err, errDisk) {
		t.Fatalf("commit 4: err = %v, want %v", err, errDisk)
	}
	if err := commit("http://a.test/s", link("http://a.test/x", true)); err != nil {
		t.Fatalf("retried commit: %v", err)
	}
	if x := node(t, db, "http://a.test/x"); x.Depth != 1 {
		t.Errorf("a.test/x at depth %d, want 1", x.Depth)
	}
	if got := frontier(t, db)["http://a.test/x"]; got != 1 {
		t.Errorf("a.test/x queued at depth %d, want 1", got)
	}
}

// A cached URL whose record another transaction changes (here Rescope makes it external)
// must be seen as changed: a followable link then brings it back into the crawl.
func TestURLCacheFollowsChangesOutsideTheWriter(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/0", "http://a.test/1", "http://a.test/2")
	w := db.Writer(-1)
	commit := func(src string, links ...crawl.Link) {
		t.Helper()
		if _, err := w.Commit([]crawl.Result{done(node(t, db, src).ID, "a.test", links...)}); err != nil {
			t.Fatal(err)
		}
	}
	commit("http://a.test/0", link("http://b.test/x", true))
	commit("http://a.test/1", link("http://b.test/x", true)) // seen again: cached, pending at 1
	if _, err := db.Rescope(-1, 0, func(u string) bool { return !strings.Contains(u, "b.test") }); err != nil {
		t.Fatal(err)
	}
	if n := node(t, db, "http://b.test/x"); n.State != crawl.StateExternal {
		t.Fatalf("after Rescope: b.test/x = %v, want external", n.State)
	}
	commit("http://a.test/2", link("http://b.test/x", true)) // the scope has grown back
	if n := node(t, db, "http://b.test/x"); n.State != crawl.StatePending {
		t.Errorf("b.test/x = %v, want pending", n.State)
	}
}

func TestURLCacheStaysWithinItsLimit(t *testing.T) {
	c := newURLCache(16)
	for i := range 1000 {
		c.put(string(rune('a'+i%26))+string(rune(i)), cachedURL{id: uint64(i + 1)})
		if len(c.entries) > 16 {
			t.Fatalf("after %d puts: %d entries, limit 16", i+1, len(c.entries))
		}
	}
	c.update("x", cachedURL{id: 1})
	if _, ok := c.get("x"); ok {
		t.Error("update added an entry")
	}
	c.put("x", cachedURL{id: 7, state: crawl.StateDone, depth: 3})
	if e, ok := c.get("x"); !ok || e != (cachedURL{id: 7, state: crawl.StateDone, depth: 3}) {
		t.Errorf("get(x) = %+v, %v", e, ok)
	}
	c.reset()
	if _, ok := c.get("x"); ok {
		t.Error("entry kept after reset")
	}
}

// A link's URL is part of one string holding all of its page's links: a cached key must be a
// copy, or each entry keeps a whole page's strings alive.
func TestURLCacheKeysAreCopies(t *testing.T) {
	page := strings.Repeat("x", 1<<16) + "http://a.test/x"
	u := page[1<<16:]
	c := newURLCache(4)
	c.put(u, cachedURL{id: 1})
	c.put(u, cachedURL{id: 1, state: crawl.StateDone})
	c.update(u, cachedURL{id: 1, state: crawl.StateFailed})
	if e, _ := c.get(u); e.state != crawl.StateFailed {
		t.Errorf("entry %+v, want the update's", e)
	}
	for k := range c.entries {
		if unsafe.StringData(k) == unsafe.StringData(u) {
			t.Errorf("key %q shares the page's memory", k)
		}
	}
}
