package store

import (
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/crawl-project/crawl"
)

// longURL is an in-scope URL of n bytes on a.test, over MaxURLLength for n > 16 KiB.
func longURL(n int) string {
	const prefix = "http://a.test/"
	return prefix + strings.Repeat("a", n-len(prefix))
}

func urlCount(t *testing.T, db *DB) int {
	t.Helper()
	n := 0
	if err := db.View(func(s *Snapshot) error { return s.EachNode(func(crawl.Node) error { n++; return nil }) }); err != nil {
		t.Fatal(err)
	}
	return n
}

// A link to a URL longer than the store records, followable, trap-rejected or external,
// is counted (in the page's DroppedOut and under crawl.ReasonURLTooLong) and never given to bbolt,
// so the commit succeeds and the rest of the page is recorded. A URL at the limit is kept.
func TestCommitCountsLinksTooLongToStore(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	root := node(t, db, "http://a.test/")
	follow := link(longURL(40_000), true)
	trapped := link(longURL(MaxURLLength+1), false)
	trapped.Reject = "too-long"
	external := link("http://b.test/"+strings.Repeat("b", 20_000), false)
	external.InScope = false
	longHost := link("http://"+strings.Repeat("h", MaxURLLength)+".test/", true)
	atLimit := link(longURL(MaxURLLength), false)
	atLimit.Reject = "too-long"
	r := done(root.ID, "a.test", follow, link("http://a.test/ok", true), trapped, external, longHost, atLimit)
	r.Page.DroppedOut = 2 // beyond the page's link cap, counted by the parser
	stats, err := db.Writer(-1).Commit([]crawl.Result{r})
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	if stats.Rejected[crawl.ReasonURLTooLong] != 4 || stats.Rejected[crawl.ReasonLinkCap] != 2 || stats.Rejected["too-long"] != 1 || stats.Edges != 2 {
		t.Errorf("stats = %+v; want 4 %s, 2 %s, 1 too-long, 2 edges", stats, crawl.ReasonURLTooLong, crawl.ReasonLinkCap)
	}
	page := node(t, db, "http://a.test/")
	if page.State != crawl.StateDone || page.OutLinks != 2 || page.DroppedOut != 6 {
		t.Errorf("page = %+v; want done, 2 out-links, 6 dropped", page)
	}
	if n := node(t, db, longURL(MaxURLLength)); n.State != crawl.StateSkipped || n.Error != "too-long" {
		t.Errorf("URL at the limit: %+v", n)
	}
	if got := urlCount(t, db); got != 3 {
		t.Errorf("%d URLs recorded, want 3", got)
	}
	if got := rejections(t, db); got[crawl.ReasonURLTooLong] != 4 {
		t.Errorf("rejects bucket = %v", got)
	}
}

// A redirect to a URL too long to store is recorded as a page with its status and an error
// that says so; the target is counted, not recorded.
func TestCommitRecordsARedirectToAURLTooLongToStore(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	root := node(t, db, "http://a.test/")
	stats, err := db.Writer(-1).Commit([]crawl.Result{redirect(root.ID, "a.test", 301, longURL(40_000))})
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	if stats.Rejected[crawl.ReasonURLTooLong] != 1 || stats.Pages != 1 || stats.Attempts != 1 || stats.Unqueued != 1 {
		t.Errorf("stats = %+v", stats)
	}
	n := node(t, db, "http://a.test/")
	if n.State != crawl.StateDone || n.Status != 301 || n.DroppedOut != 1 || !strings.Contains(n.Error, "longer than the 16384 the crawl stores") {
		t.Errorf("redirect = %+v", n)
	}
	if got := urlCount(t, db); got != 1 {
		t.Errorf("%d URLs recorded, want 1", got)
	}
	if f := frontier(t, db); len(f) != 0 {
		t.Errorf("frontier = %v", f)
	}
}

func TestSeedsAndOriginsTooLongToStoreAreCounted(t *testing.T) {
	db := openTemp(t)
	long := longURL(MaxURLLength + 1)
	n, err := db.AddSeeds([]Seed{{URL: long, Host: "a.test"}, {URL: "http://a.test/", Host: "a.test"}})
	if err != nil || n != 1 {
		t.Fatalf("AddSeeds = %d, %v; want 1 queued", n, err)
	}
	root := node(t, db, "http://a.test/")
	r := done(root.ID, "a.test")
	r.HostInfo = &crawl.HostRecord{Origin: "http://" + strings.Repeat("h", MaxURLLength), RobotsFetchedAt: time.Unix(1, 0)}
	stats, err := db.Writer(-1).Commit([]crawl.Result{r, {HostInfo: &crawl.HostRecord{Origin: "http://" + strings.Repeat("i", MaxURLLength)}}})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Rejected[crawl.ReasonURLTooLong] != 2 || stats.Pages != 1 {
		t.Errorf("stats = %+v", stats)
	}
	if got := rejections(t, db)[crawl.ReasonURLTooLong]; got != 3 {
		t.Errorf("%d rejected as too long, want 3 (a seed, two origins)", got)
	}
	if err := db.PutHost(crawl.HostRecord{Origin: r.HostInfo.Origin}); err == nil {
		t.Error("PutHost took an origin too long to store")
	}
}

// The text a record keeps is capped, at a rune boundary, whatever the writer is given.
func TestCommitCapsRecordText(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	root := node(t, db, "http://a.test/")
	huge := strings.Repeat("é", 1<<20) // 2 MiB, two bytes a rune
	l := link("http://a.test/x", false)
	l.Rel, l.Anchor, l.Reject = huge, huge, huge
	r := done(root.ID, "a.test", l)
	r.Page.Title, r.Page.Error, r.Page.ContentType = huge, huge, huge
	if _, err := db.Writer(-1).Commit([]crawl.Result{r}); err != nil {
		t.Fatal(err)
	}
	page := node(t, db, "http://a.test/")
	target := node(t, db, "http://a.test/x")
	e := edges(t, db, "http://a.test/")
	for name, s := range map[string]string{"title": page.Title, "error": page.Error, "content type": page.ContentType,
		"rel": e[0].Rel, "anchor": e[0].Anchor} {
		if len(s) > maxText || len(s) < maxText-utf8.UTFMax || !utf8.ValidString(s) {
			t.Errorf("%s: %d bytes (valid UTF-8: %v), want at most %d", name, len(s), utf8.ValidString(s), maxText)
		}
	}
	if len(target.Error) > maxReason || !utf8.ValidString(target.Error) {
		t.Errorf("skip reason: %d bytes", len(target.Error))
	}
}

// corruptNode overwrites the record of the node of u with bytes that do not decode.
func corruptNode(t *testing.T, db *DB, u string) uint64 {
	t.Helper()
	id := node(t, db, u).ID
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketNodes).Put(binary.BigEndian.AppendUint64(nil, id), []byte{nodeCodecVersion, 0xff})
	})
	if err != nil {
		t.Fatal(err)
	}
	db.urls.reset()
	return id
}

// A result that cannot be applied (here: it links to a URL whose record is corrupt) does
// not cost the batch: the others are recorded, it is recorded as failed with the error and
// leaves the frontier, so no resume fetches it again, and it is counted.
func TestCommitRecordsAnUnstorableResultAsFailedAndKeepsTheBatch(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/1", "http://a.test/2", "http://a.test/3", "http://a.test/broken")
	corruptNode(t, db, "http://a.test/broken")
	ids := []uint64{node(t, db, "http://a.test/1").ID, node(t, db, "http://a.test/2").ID, node(t, db, "http://a.test/3").ID}
	batch := []crawl.Result{
		done(ids[0], "a.test", link("http://a.test/new1", true)),
		done(ids[1], "a.test", link("http://a.test/new2", true), link("http://a.test/broken", true)),
		done(ids[2], "a.test", link("http://a.test/new3", true)),
	}
	stats, err := db.Writer(-1).Commit(batch)
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	if stats.Pages != 3 || stats.Attempts != 3 || stats.Rejected[crawl.ReasonUnstorable] != 1 || stats.NewURLs != 2 ||
		stats.Edges != 2 || stats.Queued != 2 || stats.Unqueued != 3 || stats.HostsWithNew["a.test"] != 2 {
		t.Errorf("stats = %+v", stats)
	}
	for _, u := range []string{"http://a.test/1", "http://a.test/3"} {
		if n := node(t, db, u); n.State != crawl.StateDone || n.OutLinks != 1 {
			t.Errorf("%s = %+v; want done with its link", u, n)
		}
	}
	bad := node(t, db, "http://a.test/2")
	if bad.State != crawl.StateFailed || !strings.HasPrefix(bad.Error, "not stored: ") || !strings.Contains(bad.Error, "corrupt record") || bad.OutLinks != 0 {
		t.Errorf("unstorable result's URL = %+v; want failed with the error", bad)
	}
	// The seed whose record is corrupt stays queued: its own result is the next to fail.
	want := map[string]int{"http://a.test/new1": 1, "http://a.test/new3": 1, "http://a.test/broken": 0}
	if f := frontier(t, db); !reflect.DeepEqual(f, want) {
		t.Errorf("frontier = %v, want %v", f, want)
	}
	if got := rejections(t, db)[crawl.ReasonUnstorable]; got != 1 {
		t.Errorf("rejects bucket: %d unstorable", got)
	}
}

// When the leased URL's own record is what cannot be read, it is written anew, as failed,
// from its frontier entry.
func TestCommitRewritesAnUnreadableLeasedRecordAsFailed(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/lost", "http://a.test/ok")
	id := corruptNode(t, db, "http://a.test/lost")
	ok := node(t, db, "http://a.test/ok").ID
	stats, err := db.Writer(-1).Commit([]crawl.Result{done(id, "a.test", link("http://a.test/x", true)), done(ok, "a.test")})
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	if stats.Pages != 2 || stats.Rejected[crawl.ReasonUnstorable] != 1 || stats.Unqueued != 2 {
		t.Errorf("stats = %+v", stats)
	}
	n := node(t, db, "http://a.test/lost")
	if n.ID != id || n.State != crawl.StateFailed || !strings.Contains(n.Error, "corrupt record") {
		t.Errorf("leased node = %+v", n)
	}
	if f := frontier(t, db); len(f) != 0 {
		t.Errorf("frontier = %v", f)
	}
}

// A failure of the file, not of a result, stores nothing of the batch: FailCommit stands in
// for a write error, and the results that could be applied are not stored either.
func TestCommitFileFailureStoresNothingOfTheBatch(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/1", "http://a.test/broken")
	corruptNode(t, db, "http://a.test/broken")
	db.failCommit = func(int) error { return errors.New("disk full") }
	id := node(t, db, "http://a.test/1").ID
	_, err := db.Writer(-1).Commit([]crawl.Result{done(id, "a.test", link("http://a.test/broken", true)), done(id+5, "a.test")})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("commit: %v; want the write error", err)
	}
	if n := node(t, db, "http://a.test/1"); n.State != crawl.StatePending {
		t.Errorf("after a failed commit: %+v", n)
	}
	if got := rejections(t, db); len(got) != 0 {
		t.Errorf("rejections stored: %v", got)
	}
}
