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
	urls := []InboundURL{{URL: "http://a.test/"}, {URL: "http://b.test:81/x", Depth: 2}, {URL: "http://a.test/r"}}
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
	if _, err := w.Commit([]crawl.Result{done, failed, redirect}); err != nil {
		t.Fatal(err)
	}
	rows, err := db.PendingRecords(100)
	if err != nil || len(rows) != 3 {
		t.Fatalf("%d record rows, %v; want 3", len(rows), err)
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
	for _, row := range rows {
		checkRoundTrip(t, row.URL, row.Body)
	}
}

func checkRoundTrip(t *testing.T, u string, body []byte) {
	r, err := decodeRecord(u, body)
	if err != nil {
		return
	}
	again := appendRecord(nil, &r.page, distance{r.page.Depth, r.redirects}, r.dropped, r.tooLong, r.links)
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
