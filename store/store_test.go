package store

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/crawl-project/crawl"
)

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "crawl.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustSeed(t *testing.T, db *DB, urls ...string) {
	t.Helper()
	var seeds []Seed
	for _, u := range urls {
		seeds = append(seeds, Seed{URL: u, Host: hostKey(u)})
	}
	if _, err := db.AddSeeds(seeds); err != nil {
		t.Fatal(err)
	}
}

func node(t *testing.T, db *DB, u string) crawl.Node {
	t.Helper()
	var n crawl.Node
	err := db.View(func(s *Snapshot) error {
		var ok bool
		var err error
		n, ok, err = s.Lookup(u)
		if err == nil && !ok {
			err = errors.New("not found")
		}
		return err
	})
	if err != nil {
		t.Fatalf("lookup %s: %v", u, err)
	}
	return n
}

func frontier(t *testing.T, db *DB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for u, e := range frontierEntries(t, db) {
		out[u] = e.Depth
	}
	return out
}

func edges(t *testing.T, db *DB, src string) []crawl.Edge {
	t.Helper()
	id := node(t, db, src).ID
	var out []crawl.Edge
	err := db.View(func(s *Snapshot) error {
		return s.EachEdge(func(e crawl.Edge) error {
			if e.Src == id {
				out = append(out, e)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func link(u string, follow bool) crawl.Link {
	return crawl.Link{URL: u, Host: hostKey(u), Kind: crawl.KindLink, Count: 1, InScope: true, Follow: follow}
}

// redirect is the result of a lease that answered a redirect to target.
func redirect(id uint64, host string, status int, target string) crawl.Result {
	l := link(target, true)
	l.Kind = crawl.KindRedirect
	r := done(id, host, l)
	r.Page.Status, r.Page.ContentType = status, ""
	return r
}

func done(id uint64, host string, links ...crawl.Link) crawl.Result {
	return crawl.Result{ID: id, Host: host, Page: crawl.Node{State: crawl.StateDone, Status: 200, ContentType: "text/html", FetchedAt: time.Unix(1700000000, 0).UTC()}, Links: links}
}

func TestCommitRecordsPageEdgesAndFrontierTogether(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	if got := frontier(t, db); !reflect.DeepEqual(got, map[string]int{"http://a.test/": 0}) {
		t.Fatalf("frontier after seeding = %v", got)
	}
	root := node(t, db, "http://a.test/")
	ext := link("http://b.test/x", false)
	ext.InScope = false
	nofollow := link("http://a.test/nf", false)
	nofollow.Rel = "nofollow"
	w := db.Writer(-1)
	stats, err := w.Commit([]crawl.Result{done(root.ID, "a.test",
		link("http://a.test/1", true), link("http://a.test/2", true), ext, nofollow)})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Pages != 1 || stats.Edges != 4 || stats.NewURLs != 4 || stats.Attempts != 1 || stats.HostsWithNew["a.test"] != 2 {
		t.Errorf("stats = %+v", stats)
	}
	want := map[string]int{"http://a.test/1": 1, "http://a.test/2": 1}
	if got := frontier(t, db); !reflect.DeepEqual(got, want) {
		t.Errorf("frontier = %v, want %v", got, want)
	}
	if n := node(t, db, "http://a.test/"); n.State != crawl.StateDone || n.Status != 200 || n.OutLinks != 4 {
		t.Errorf("root = %+v", n)
	}
	if n := node(t, db, "http://b.test/x"); n.State != crawl.StateExternal {
		t.Errorf("external = %v", n.State)
	}
	if n := node(t, db, "http://a.test/nf"); n.State != crawl.StateSkipped || n.Error != crawl.ReasonNofollow {
		t.Errorf("nofollow target = %v %q", n.State, n.Error)
	}
	es := edges(t, db, "http://a.test/")
	if len(es) != 4 || !es[3].Nofollow() {
		t.Errorf("edges = %+v", es)
	}
	if c, _ := db.FetchedCount(); c != 1 {
		t.Errorf("FetchedCount = %d", c)
	}
}

func TestCommitIsIdempotentForRecordedLeases(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	id := node(t, db, "http://a.test/").ID
	w := db.Writer(-1)
	if _, err := w.Commit([]crawl.Result{done(id, "a.test", link("http://a.test/1", true))}); err != nil {
		t.Fatal(err)
	}
	// A second result for the same lease (a duplicate fetch) must not change the record.
	stats, err := w.Commit([]crawl.Result{done(id, "a.test", link("http://a.test/other", true))})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Pages != 0 || stats.Attempts != 0 {
		t.Errorf("duplicate counted: %+v", stats)
	}
	if es := edges(t, db, "http://a.test/"); len(es) != 1 {
		t.Errorf("edges = %+v", es)
	}
}

func TestMaxDepthSkipsThenShorterPathRequeues(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/", "http://a.test/b")
	w := db.Writer(1)
	root := node(t, db, "http://a.test/")
	if _, err := w.Commit([]crawl.Result{done(root.ID, "a.test", link("http://a.test/1", true))}); err != nil {
		t.Fatal(err)
	}
	one := node(t, db, "http://a.test/1")
	if _, err := w.Commit([]crawl.Result{done(one.ID, "a.test", link("http://a.test/deep", true))}); err != nil {
		t.Fatal(err)
	}
	if n := node(t, db, "http://a.test/deep"); n.State != crawl.StateSkipped || n.Error != crawl.ReasonMaxDepth || n.Depth != 2 {
		t.Fatalf("deep = %+v", n)
	}
	// The second seed links to it at depth 1: within the limit, so it is queued.
	b := node(t, db, "http://a.test/b")
	if _, err := w.Commit([]crawl.Result{done(b.ID, "a.test", link("http://a.test/deep", true))}); err != nil {
		t.Fatal(err)
	}
	if n := node(t, db, "http://a.test/deep"); n.State != crawl.StatePending || n.Depth != 1 {
		t.Fatalf("deep after shorter path = %+v", n)
	}
	if got := frontier(t, db); got["http://a.test/deep"] != 1 {
		t.Fatalf("frontier = %v", got)
	}
}

func TestShorterPathPropagatesThroughFetchedPages(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	w := db.Writer(3)
	commit := func(u string, links ...crawl.Link) {
		t.Helper()
		n := node(t, db, u)
		if _, err := w.Commit([]crawl.Result{done(n.ID, "a.test", links...)}); err != nil {
			t.Fatal(err)
		}
	}
	// Long chain first: / -> 1 -> 2 -> 3 -> 4(skipped at depth 4).
	commit("http://a.test/", link("http://a.test/1", true), link("http://a.test/short", true))
	commit("http://a.test/1", link("http://a.test/2", true))
	commit("http://a.test/2", link("http://a.test/3", true))
	commit("http://a.test/3", link("http://a.test/4", true))
	if n := node(t, db, "http://a.test/4"); n.State != crawl.StateSkipped {
		t.Fatalf("4 = %+v", n)
	}
	// Then a shortcut: /short (depth 1) -> 2, so 2 is at depth 2, 3 at 3... no change for 3
	// but /short -> 3 makes 3 depth 2 and 4 depth 3: within the limit.
	commit("http://a.test/short", link("http://a.test/3", true))
	if n := node(t, db, "http://a.test/3"); n.Depth != 2 {
		t.Errorf("3 depth = %d, want 2", n.Depth)
	}
	if n := node(t, db, "http://a.test/4"); n.State != crawl.StatePending || n.Depth != 3 {
		t.Errorf("4 = %v depth %d, want pending at 3", n.State, n.Depth)
	}
}

func TestFrontierHostsAndNext(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://b.test/1", "http://a.test/1", "http://a.test:8080/1", "http://a.test/2", "http://c.test/1")
	hosts, err := db.FrontierHosts("", 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.test", "a.test:8080", "b.test", "c.test"}; !reflect.DeepEqual(hosts, want) {
		t.Errorf("hosts = %v, want %v", hosts, want)
	}
	if hosts, _ := db.FrontierHosts("a.test:8080", 1); !reflect.DeepEqual(hosts, []string{"b.test"}) {
		t.Errorf("hosts after a.test:8080 = %v", hosts)
	}
	es, err := db.FrontierNext("a.test", 0, 10, nil)
	if err != nil || len(es) != 2 || es[0].URL != "http://a.test/1" || es[1].URL != "http://a.test/2" {
		t.Fatalf("FrontierNext = %+v, %v", es, err)
	}
	es, _ = db.FrontierNext("a.test", 0, 10, func(id uint64) bool { return id == es[0].ID })
	if len(es) != 1 || es[0].URL != "http://a.test/2" {
		t.Errorf("FrontierNext with skip = %+v", es)
	}
	es, _ = db.FrontierNext("a.test", es[0].ID, 10, nil)
	if len(es) != 0 {
		t.Errorf("FrontierNext after last = %+v", es)
	}
}

func TestNodeCodecRoundTrip(t *testing.T) {
	n := crawl.Node{ID: 7, URL: "http://a.test/ü?x=1", State: crawl.StateDone, Depth: 3, Status: 404,
		ContentType: "text/html", Size: 12345, Title: "T\x00<&>\"", FetchedAt: time.Unix(1, 2).UTC(),
		Duration: time.Second, Error: "boom", Truncated: true, NoIndex: true, OutLinks: 9, DroppedOut: 2}
	for _, flags := range []struct{ truncated, noindex bool }{{true, true}, {true, false}, {false, true}, {false, false}} {
		n.Truncated, n.NoIndex = flags.truncated, flags.noindex
		got, err := decodeNode(7, encodeNode(&n))
		if err != nil || !reflect.DeepEqual(got, n) {
			t.Errorf("round trip = %+v, %v; want %+v", got, err, n)
		}
	}
	if _, err := decodeNode(1, encodeNode(&n)[:10]); !errors.Is(err, errCorrupt) {
		t.Errorf("truncated record: err = %v", err)
	}
}

func TestOpenRefusesForeignAndNewerDatabases(t *testing.T) {
	dir := t.TempDir()
	foreign := filepath.Join(dir, "foreign.db")
	b, err := bolt.Open(foreign, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("users")); return err })
	b.Close()
	if _, err := Open(foreign, Options{}); !errors.Is(err, ErrNotCrawl) {
		t.Errorf("foreign bbolt file: err = %v", err)
	}

	newer := filepath.Join(dir, "newer.db")
	db, err := Open(newer, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.bolt.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, []byte("99")) })
	db.Close()
	if _, err := Open(newer, Options{}); !errors.Is(err, ErrNewSchema) {
		t.Errorf("newer schema: err = %v", err)
	}
	if _, err := Open(newer, Options{ReadOnly: true}); !errors.Is(err, ErrNewSchema) {
		t.Errorf("newer schema, read-only: err = %v", err)
	}

	if _, err := Open(filepath.Join(dir, "missing.db"), Options{ReadOnly: true}); !errors.Is(err, ErrNotExist) {
		t.Errorf("missing read-only: err = %v", err)
	}
}

func TestOpenFailsFastWhenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crawl.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = Open(path, Options{LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: err = %v, want ErrLocked", err)
	}
}
