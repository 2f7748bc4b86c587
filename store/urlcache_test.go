package store

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"
)

// A commit that fails after applying its batch must not leave the URL cache describing what
// it did: retried, the same results must record the same new URLs as on a fresh database.
func TestFailedCommitLeavesNothingInTheURLCache(t *testing.T) {
	errDisk := errors.New("no space left on device")
	db, err := Open(filepath.Join(t.TempDir(), "crawl.db"), Options{FailCommit: func(n int) error {
		if n == 2 {
			return errDisk
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mustSeed(t, db, "http://a.test/")
	w := db.Writer(-1)
	root := node(t, db, "http://a.test/")
	if _, err := w.Commit([]Result{done(root.ID, "a.test", link("http://a.test/1", true))}); err != nil {
		t.Fatal(err)
	}
	one := node(t, db, "http://a.test/1")
	batch := []Result{done(one.ID, "a.test", link("http://a.test/2", true), link("http://a.test/", true))}
	if _, err := w.Commit(batch); !errors.Is(err, errDisk) {
		t.Fatalf("second commit: err = %v, want %v", err, errDisk)
	}
	st, err := w.Commit(batch)
	if err != nil {
		t.Fatalf("retried commit: %v", err)
	}
	if st.NewURLs != 1 || st.Queued != 1 {
		t.Errorf("retried commit: %d new URLs, %d queued; want 1 and 1", st.NewURLs, st.Queued)
	}
	two := node(t, db, "http://a.test/2")
	if two.State != StatePending || two.Depth != 2 {
		t.Errorf("a.test/2 = %v at depth %d, want pending at 2", two.State, two.Depth)
	}
	if got := frontier(t, db); len(got) != 1 || got["http://a.test/2"] != 2 {
		t.Errorf("frontier = %v, want only a.test/2 at depth 2", got)
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
	c.put("x", cachedURL{id: 7, state: StateDone, depth: 3})
	if e, ok := c.get("x"); !ok || e != (cachedURL{id: 7, state: StateDone, depth: 3}) {
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
	for k := range c.entries {
		if unsafe.StringData(k) == unsafe.StringData(u) {
			t.Errorf("key %q shares the page's memory", k)
		}
	}
}
