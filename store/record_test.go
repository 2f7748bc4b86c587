package store

import (
	"path/filepath"
	"reflect"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/crawl-project/crawl"
)

// recordedBodies commits results of every kind with a writer of a cluster of 16 shards and
// returns the record rows it wrote.
func recordedBodies(t testing.TB) []RecordRow {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "crawl.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w := db.Writer(-1).WithShards(16)
	urls := []InboundURL{{URL: "http://a.test/"}, {URL: "http://b.test:81/x", Depth: 2}, {URL: "http://a.test/r"}, {URL: "http://a.test/audit"}}
	if _, err := w.InsertURLs(urls); err != nil {
		t.Fatal(err)
	}
	id := func(u string) uint64 {
		var n crawl.Node
		if err := db.View(func(s *Snapshot) (err error) { n, _, err = s.Lookup(u); return err }); err != nil {
			t.Fatal(err)
		}
		return n.ID
	}
	done := crawl.Result{ID: id(urls[0].URL), Host: "a.test", Page: crawl.Node{State: crawl.StateDone, Status: 200,
		ContentType: "text/html", Size: 1234, Title: "Ünïcode title", Duration: 7, Truncated: true, NoIndex: true, DroppedOut: 4},
		Links: []crawl.Link{
			{URL: "http://a.test/1", Host: "a.test", Kind: crawl.KindLink, Anchor: "one", Count: 3, InScope: true, Follow: true},
			{URL: "http://c.test/2", Host: "c.test", Kind: crawl.KindAlternate, Rel: "alternate", InScope: true},
			{URL: "http://a.test/t/t/t", Host: "a.test", Kind: crawl.KindLink, InScope: true, Follow: true, Reject: "repeated-segment"},
			{URL: "http://x.example/", Host: "X.example", Kind: crawl.KindCanonical},
			{URL: "http://a.test/" + string(make([]byte, MaxURLLength)), Host: "a.test", Kind: crawl.KindLink},
		}}
	failed := crawl.Result{ID: id(urls[1].URL), Host: "b.test:81", Page: crawl.Node{State: crawl.StateFailed, Error: "timeout"}}
	redirect := crawl.Result{ID: id(urls[2].URL), Host: "a.test", Redirects: 3, Page: crawl.Node{State: crawl.StateDone, Status: 301},
		Links: []crawl.Link{{URL: "http://b.test:81/y", Host: "b.test:81", Kind: crawl.KindRedirect, InScope: true, Follow: true}}}
	audit := crawl.Result{ID: id(urls[3].URL), Host: "a.test", Page: crawl.Node{State: crawl.StateDone, Status: 200,
		ContentType: "text/html", Title: "Audit", Facts: auditFacts},
		Links: []crawl.Link{
			{URL: "http://a.test/", Host: "a.test", Kind: crawl.KindLink, Count: 1, InScope: true, Follow: true, Fragments: []string{"top", "s%C3%A9"}},
			{URL: "http://b.test:81/logo.png", Host: "b.test:81", Kind: crawl.KindImage, Count: 2, InScope: true, Check: true},
			{URL: "http://ext.example/", Host: "ext.example", Kind: crawl.KindLink, Count: 1, Check: true, Fragments: []string{"part"}},
			{URL: "http://a.test/plain", Host: "a.test", Kind: crawl.KindLink, Count: 1, InScope: true, Follow: true},
		},
		Targets: &crawl.Targets{Hashes: []uint32{3, 70000, 1 << 31}}}
	if _, err := w.Commit([]crawl.Result{done, failed, redirect, audit}); err != nil {
		t.Fatal(err)
	}
	rows, err := db.PendingRecords(100)
	if err != nil || len(rows) != 4 {
		t.Fatalf("%d record rows, %v; want 4", len(rows), err)
	}
	return rows
}

// TestRecordRoundTrip: a record decodes to what was recorded, and encodes back to itself.
func TestRecordRoundTrip(t *testing.T) {
	rows := recordedBodies(t)
	r, err := decodeRecord(rows[0].URL, rows[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	if r.page.Title != "Ünïcode title" || !r.page.Truncated || !r.page.NoIndex || r.dropped != 4 || r.tooLong != 1 || len(r.links) != 4 {
		t.Errorf("decoded %+v", r)
	}
	if l := r.links[3]; l.Host != "X.example" || l.InScope || l.Kind != crawl.KindCanonical {
		t.Errorf("a link whose host key is not the URL's: %+v", l)
	}
	if l := r.links[2]; l.Reject != "repeated-segment" || !l.Follow {
		t.Errorf("a refused link: %+v", l)
	}
	if r, err := decodeRecord(rows[2].URL, rows[2].Body); err != nil || r.redirects != 3 {
		t.Errorf("redirect record: %+v, %v", r, err)
	}
	a, err := decodeRecord(rows[3].URL, rows[3].Body)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.page.Facts, auditFacts) || !reflect.DeepEqual(a.targets, &crawl.Targets{Hashes: []uint32{3, 70000, 1 << 31}}) {
		t.Errorf("audit record: facts %+v, targets %+v", a.page.Facts, a.targets)
	}
	if len(a.links) != 4 || !reflect.DeepEqual(a.links[0].Fragments, []string{"top", "s%C3%A9"}) || a.links[0].Check ||
		!a.links[1].Check || a.links[1].Kind != crawl.KindImage || a.links[1].Count != 2 ||
		!a.links[2].Check || a.links[2].InScope || !reflect.DeepEqual(a.links[2].Fragments, []string{"part"}) ||
		a.links[3].Check || a.links[3].Fragments != nil {
		t.Errorf("audit record links: %+v", a.links)
	}
	for _, row := range rows {
		checkRoundTrip(t, row.URL, row.Body)
	}
}

var auditFacts = &crawl.PageFacts{HasTitle: true, Description: "About ünïcode", HasDescription: true, H1: "Audit",
	H1Count: 2, Canonical: "http://a.test/audit", Hreflang: "en fr", Lang: "en", Words: 321}

// TestVersion1RecordsStillDecode: a record of the first version, as the writer wrote it
// before records carried the audit's data, reads as a page without facts, targets, checks
// or fragments; one of a version to come is refused.
func TestVersion1RecordsStillDecode(t *testing.T) {
	// The body of a version 1 record of a done page with four links (testdata's seed).
	v1 := []byte("\x01\x02\x03\x00\x00\xc8\x01\xa4\x13\x00\x0e\x04\x01\ttext/html\x0fÜnïcode title\x00\x04" +
		"\x0fhttp://a.test/1\x01\x03\x03\x00\x03one\x0fhttp://c.test/2\x04\x02\x01\talternate\x00" +
		"\x13http://a.test/t/t/t\x01\a\x01\x00\x00\x10repeated-segment\x11http://x.example/\x03\b\x01\x00\x00\tX.example")
	r, err := decodeRecord("http://a.test/", v1)
	if err != nil {
		t.Fatal(err)
	}
	if r.page.Title != "Ünïcode title" || len(r.links) != 4 || r.page.Facts != nil || r.targets != nil || r.page.Check {
		t.Errorf("version 1 record: %+v", r)
	}
	for _, l := range r.links {
		if l.Check || l.Fragments != nil {
			t.Errorf("version 1 link with a check or fragments: %+v", l)
		}
	}
	checkRoundTrip(t, "http://a.test/", v1)
	future := append([]byte{3}, v1[1:]...)
	if _, err := decodeRecord("http://a.test/", future); err == nil {
		t.Error("a record of version 3 decoded")
	}
}

func checkRoundTrip(t *testing.T, u string, body []byte) {
	r, err := decodeRecord(u, body)
	if err != nil {
		return
	}
	again := appendRecord(nil, &r.page, distance{r.page.Depth, r.redirects}, r.dropped, r.tooLong, r.links, r.targets)
	r2, err := decodeRecord(u, again)
	if err != nil {
		t.Fatalf("re-encoded record does not decode: %v", err)
	}
	if !reflect.DeepEqual(r, r2) {
		t.Fatalf("record changed in a round trip:\n  %+v\n  %+v", r, r2)
	}
}

// FuzzDecodeRecord feeds the record decoder any bytes: it never panics, refuses what the
// writer does not write, and what it accepts encodes back to the same record and applies
// to a database without error.
func FuzzDecodeRecord(f *testing.F) {
	for _, row := range recordedBodies(f) {
		f.Add(row.URL, row.Body)
	}
	f.Add("http://a.test/", []byte{2})
	f.Add("", []byte{1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, u string, body []byte) {
		checkRoundTrip(t, u, body)
		if _, err := decodeRecord(u, body); err != nil {
			return
		}
		db, err := Open(filepath.Join(t.TempDir(), "crawl.db"), Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		st, err := db.Writer(2).WithShards(4).ApplyRecords([]PageRecord{{URL: u, Body: body}})
		if err != nil {
			t.Fatalf("apply a readable record: %v", err)
		}
		if st.Pages != 1 {
			t.Errorf("a readable record applied as %d pages", st.Pages)
		}
	})
}

// TestOneNodeWritesNoClusterData: a crawl of one node writes no outbox, no records and no
// database id: its file is what it was before clusters (the audit's fragment buckets aside).
func TestOneNodeWritesNoClusterData(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	w := db.Writer(-1)
	res := crawl.Result{ID: node(t, db, "http://a.test/").ID, Host: "a.test", Page: crawl.Node{State: crawl.StateDone, Status: 200},
		Links: []crawl.Link{{URL: "http://b.test/", Host: "b.test", Kind: crawl.KindLink, InScope: true, Follow: true}}}
	st, err := w.Commit([]crawl.Result{res})
	if err != nil || st.Outbox != 0 || st.Records != 0 {
		t.Fatalf("commit: %+v, %v", st, err)
	}
	err = db.bolt.View(func(tx *bolt.Tx) error {
		var names []string
		_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			names = append(names, string(name))
			return nil
		})
		want := []string{"edges", "fragments", "frontier", "hostpages", "hosts", "meta", "nodes", "rejects", "targets", "urls"}
		if !reflect.DeepEqual(names, want) {
			t.Errorf("buckets %v, want %v", names, want)
		}
		if id := tx.Bucket(bucketMeta).Get(keyDatabaseID); id != nil {
			t.Errorf("database id %q", id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := node(t, db, "http://b.test/"); n.State != crawl.StatePending {
		t.Errorf("b.test is %v, want pending", n.State)
	}
}
