package store

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
)

func TestHostRecordCodecRoundTrip(t *testing.T) {
	tests := []crawl.HostRecord{
		{Origin: "http://a.test"},
		{
			Origin: "https://b.test:8443", RobotsStatus: 200, Robots: []byte("User-agent: *\nDisallow: /x\n"),
			RobotsFetchedAt: time.Unix(1700000000, 123).UTC(), CrawlDelay: 1500 * time.Millisecond,
			Sitemaps: []string{"https://b.test/s1.xml", "https://b.test/s2.xml"}, SitemapsReadAt: time.Unix(1700000100, 0).UTC(),
		},
		{Origin: "http://c.test", RobotsStatus: 404, RobotsFetchedAt: time.Unix(1, 0).UTC()},
	}
	for _, want := range tests {
		got, err := decodeHost(want.Origin, encodeHost(&want))
		if err != nil {
			t.Fatalf("%s: %v", want.Origin, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
		}
	}
	if _, err := decodeHost("x", []byte{hostCodecVersion, 1}); err == nil {
		t.Error("a cut record decoded")
	}
	if _, err := decodeHost("x", []byte{hostCodecVersion, 0, 0, 0, 0, 200, 1}); err == nil {
		t.Error("a record claiming more sitemaps than it holds decoded")
	}
}

func TestPutHostMerges(t *testing.T) {
	db := openTemp(t)
	fetched := time.Unix(1700000000, 0).UTC()
	robots := crawl.HostRecord{Origin: "http://a.test", RobotsStatus: 200, Robots: []byte("User-agent: *\n"), RobotsFetchedAt: fetched, Sitemaps: []string{"http://a.test/s.xml"}}
	if err := db.PutHost(robots); err != nil {
		t.Fatal(err)
	}
	read := fetched.Add(time.Minute)
	if err := db.PutHost(crawl.HostRecord{Origin: "http://a.test", SitemapsReadAt: read}); err != nil {
		t.Fatal(err)
	}
	want := robots
	want.SitemapsReadAt = read
	got, ok, err := db.Host("http://a.test")
	if err != nil || !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("Host = %+v, %v, %v; want %+v", got, ok, err, want)
	}
	// A robots.txt fetched again replaces the robots fields and keeps the sitemap time.
	again := crawl.HostRecord{Origin: "http://a.test", RobotsStatus: 404, RobotsFetchedAt: fetched.Add(25 * time.Hour)}
	if err := db.PutHost(again); err != nil {
		t.Fatal(err)
	}
	want = again
	want.SitemapsReadAt = read
	if got, _, _ := db.Host("http://a.test"); !reflect.DeepEqual(got, want) {
		t.Errorf("after a new fetch: %+v, want %+v", got, want)
	}
	if _, ok, err := db.Host("http://unknown.test"); ok || err != nil {
		t.Errorf("unknown origin: %v, %v", ok, err)
	}
	if err := db.PutHost(crawl.HostRecord{}); err == nil {
		t.Error("PutHost without an origin succeeded")
	}
}

func TestCommitRecordsHostInfo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crawl.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustSeed(t, db, "http://a.test/", "http://b.test/")
	at := time.Unix(1700000000, 0).UTC()
	a := crawl.HostRecord{Origin: "http://a.test", RobotsStatus: 200, Robots: []byte("User-agent: *\nAllow: /\n"), RobotsFetchedAt: at}
	b := crawl.HostRecord{Origin: "http://b.test", RobotsStatus: 404, RobotsFetchedAt: at}
	page := done(node(t, db, "http://b.test/").ID, "b.test")
	page.HostInfo = &b
	stats, err := db.Writer(-1).Commit([]crawl.Result{{Host: "a.test", HostInfo: &a}, page})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Pages != 1 || stats.Attempts != 1 {
		t.Errorf("stats = %+v; a host-only result is no page", stats)
	}
	if n := node(t, db, "http://a.test/"); n.State != crawl.StatePending {
		t.Errorf("a host-only result changed a.test/ to %v", n.State)
	}
	db.Close()

	// The records survive a reopen, in origin order.
	db, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got []crawl.HostRecord
	if err := db.Hosts(func(h crawl.HostRecord) error { got = append(got, h); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := []crawl.HostRecord{a, b}; !reflect.DeepEqual(got, want) {
		t.Errorf("Hosts = %+v, want %+v", got, want)
	}
}
