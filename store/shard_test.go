package store_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
	"github.com/crawl-project/crawl/store/storetest"
)

// queuedByShard counts the frontier's entries by shard, reading them all.
func queuedByShard(t *testing.T, db *store.DB, shards int) []int {
	t.Helper()
	counts := make([]int, shards)
	for _, e := range leaseAll(t, db, nil) {
		counts[crawl.ShardOf(e.Host, shards)]++
	}
	return counts
}

func checkPendingIn(t *testing.T, db *store.DB, shards int, when string) {
	t.Helper()
	want := queuedByShard(t, db, shards)
	for sh := range shards {
		got, err := db.PendingIn([]int{sh})
		if err != nil || got != want[sh] {
			t.Errorf("%s: PendingIn(%d) = %d, %v; the frontier holds %d", when, sh, got, err, want[sh])
		}
	}
	all := make([]int, shards)
	for i := range all {
		all[i] = i
	}
	var total int
	for _, n := range want {
		total += n
	}
	if got, err := db.PendingIn(all); got != total || err != nil {
		t.Errorf("%s: PendingIn(all) = %d, %v; want %d", when, got, err, total)
	}
}

// TestPendingInCountsQueuedURLsByShard holds PendingIn to a count of the frontier through
// every way URLs enter and leave it: inserts, commits, seeds, failed URLs queued again, a
// changed depth limit, and a commit that fails.
func TestPendingInCountsQueuedURLsByShard(t *testing.T) {
	const shards = 8
	failNext := false
	db, err := store.Open(t.TempDir()+"/crawl.db", store.Options{FailCommit: func(int) error {
		if failNext {
			failNext = false
			return errors.New("disk on fire")
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.PendingIn([]int{0}); !errors.Is(err, store.ErrNotSharded) {
		t.Errorf("PendingIn before WithShards: %v, want ErrNotSharded", err)
	}
	// URLs queued before the database knew its shards are counted too.
	storetest.Seed(t, db, testSite.url(0, 40), testSite.url(1, 40))
	w := db.Writer(3).WithShards(shards)
	checkPendingIn(t, db, shards, "seeds")
	var urls []store.InboundURL
	for h := range testSite.hosts {
		for _, p := range []int{0, 1, 2, 3, 12, 25} { // 12 and 25 fail
			urls = append(urls, store.InboundURL{URL: testSite.url(h, p), Depth: p % 4})
		}
	}
	insert(t, w, urls...)
	checkPendingIn(t, db, shards, "inserted")
	for round := range 6 {
		entries := leaseAll(t, db, func(sh int) bool { return sh%2 == round%2 })
		commitAll(t, w, testSite, entries[:(len(entries)+1)/2])
		checkPendingIn(t, db, shards, fmt.Sprintf("round %d", round))
	}
	failNext = true
	if _, err := w.Commit([]crawl.Result{testSite.result(leaseAll(t, db, nil)[0])}); err == nil {
		t.Fatal("the commit did not fail")
	}
	checkPendingIn(t, db, shards, "a failed commit")
	if n, err := db.RequeueFailed(); err != nil || n == 0 {
		t.Fatalf("RequeueFailed: %d, %v; the test wants some", n, err)
	}
	checkPendingIn(t, db, shards, "failed URLs queued again")
	if _, err := db.Rescope(1, 0, func(string) bool { return true }); err != nil {
		t.Fatal(err)
	}
	checkPendingIn(t, db, shards, "a lower depth limit")
	storetest.Seed(t, db, testSite.url(2, 47))
	checkPendingIn(t, db, shards, "a new seed")
}

// TestFrontierHostsInSkipsOtherShards: FrontierHostsIn returns the queued hosts of the
// shards asked for, in key order, a window at a time.
func TestFrontierHostsInSkipsOtherShards(t *testing.T) {
	db := storetest.Open(t)
	w := db.Writer(-1).WithShards(4)
	var all []string
	for i := range 40 {
		host := fmt.Sprintf("h%02d.test", i)
		all = append(all, host)
		insert(t, w, store.InboundURL{URL: "http://" + host + "/"})
	}
	for _, mine := range [][]int{{0}, {1, 3}, {0, 1, 2, 3}, {}} {
		owns := func(sh int) bool { return slices.Contains(mine, sh) }
		var want, got []string
		for _, h := range all {
			if owns(crawl.ShardOf(h, 4)) {
				want = append(want, h)
			}
		}
		for after := ""; ; {
			hosts, err := db.FrontierHostsIn(after, 3, owns)
			if err != nil {
				t.Fatal(err)
			}
			if len(hosts) == 0 {
				break
			}
			got = append(got, hosts...)
			after = hosts[len(hosts)-1]
		}
		if !slices.Equal(got, want) {
			t.Errorf("shards %v: hosts %v, want %v", mine, got, want)
		}
	}
}

// TestDatabaseID: a database gets a random id the first time it is asked, and keeps it.
func TestDatabaseID(t *testing.T) {
	dir := t.TempDir()
	ids := map[string]bool{}
	for _, name := range []string{"a.db", "b.db"} {
		path := dir + "/" + name
		db, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		id, err := db.DatabaseID()
		if err != nil || len(id) != 32 {
			t.Fatalf("DatabaseID = %q, %v; want 32 hex digits", id, err)
		}
		ids[id] = true
		db.Close()
		db, err = store.Open(path, store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if again, err := db.DatabaseID(); again != id || err != nil {
			t.Errorf("reopened: DatabaseID = %q, %v; want %q", again, err, id)
		}
		db.Close()
	}
	if len(ids) != 2 {
		t.Error("two databases got the same id")
	}
	created, path := storetest.Create(t, "never.db")
	created.Close()
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if id, err := db.DatabaseID(); err == nil {
		t.Errorf("a read-only database without an id: %q", id)
	}
}
