// Package storetest helps the tests of what is built on the store: a crawl database in a
// test's temporary directory, results made as the pipeline makes them, and a reader that
// loads a stored crawl whole, for a test to compare with what it expects.
package storetest

import (
	"errors"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
)

// Open creates a crawl database in t's temporary directory, closed when t ends.
func Open(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "crawl.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Create makes a crawl database named name in t's temporary directory, with seeds queued,
// and returns it and its path. The caller closes it: a command under test opens the file
// after.
func Create(t testing.TB, name string, seeds ...string) (*store.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	Seed(t, db, seeds...)
	return db, path
}

// Seed queues URLs as seeds.
func Seed(t testing.TB, db *store.DB, urls ...string) {
	t.Helper()
	var seeds []store.Seed
	for _, u := range urls {
		seeds = append(seeds, store.Seed{URL: u, Host: host(u)})
	}
	if _, err := db.AddSeeds(seeds); err != nil {
		t.Fatal(err)
	}
}

// Node returns the node of a URL, or fails t.
func Node(t testing.TB, db *store.DB, u string) crawl.Node {
	t.Helper()
	var n crawl.Node
	err := db.View(func(s *store.Snapshot) error {
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

// FetchedAt is the fetch time of the results made here.
var FetchedAt = time.Unix(1700000000, 0).UTC()

// Link is a link in the crawl's scope, followed or not.
func Link(u string, follow bool) crawl.Link {
	return crawl.Link{URL: u, Host: host(u), Kind: crawl.KindLink, Count: 1, InScope: true, Follow: follow}
}

// Done is the result of a lease that answered 200 with an HTML page holding links.
func Done(id uint64, host string, links ...crawl.Link) crawl.Result {
	return crawl.Result{ID: id, Host: host, Links: links,
		Page: crawl.Node{State: crawl.StateDone, Status: 200, ContentType: "text/html", FetchedAt: FetchedAt}}
}

// Failed is the result of a lease that got no answer.
func Failed(id uint64, host string) crawl.Result {
	return crawl.Result{ID: id, Host: host, Page: crawl.Node{State: crawl.StateFailed, Error: "connection reset", FetchedAt: FetchedAt}}
}

// Redirect is the result of a lease that answered a redirect to target.
func Redirect(id uint64, host string, status int, target string) crawl.Result {
	l := Link(target, true)
	l.Kind = crawl.KindRedirect
	r := Done(id, host, l)
	r.Page.Status, r.Page.ContentType = status, ""
	return r
}

// host is the frontier host key of a URL of a test.
func host(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Host
}
