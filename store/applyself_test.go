package store_test

import (
	"testing"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
	"github.com/crawl-project/crawl/store/storetest"
)

// TestAppliedRecordOfAPageLinkingToItself: a node that takes a shard over knows a page of it
// as remote (its own pages link there) and applies the page's record, whose links include
// the page itself (a "home" link on a home page). The page is recorded, and its link to
// itself does not queue it again: it is not fetched a second time.
func TestAppliedRecordOfAPageLinkingToItself(t *testing.T) {
	a, b := hostsOfTwoShards(16)
	home, other := "http://"+a+"/", "http://"+a+"/1"

	owner := storetest.Open(t)
	ow := owner.Writer(-1).WithShards(16)
	insert(t, ow, store.InboundURL{URL: home})
	commitPage(t, owner, ow, home, storetest.Link(home, true), storetest.Link(other, true))
	rows, err := owner.PendingRecords(10)
	if err != nil || len(rows) != 1 {
		t.Fatalf("records of the owner: %v, %v", rows, err)
	}

	taker := storetest.Open(t)
	tw := taker.Writer(-1).WithShards(16)
	insert(t, tw, store.InboundURL{URL: "http://" + b + "/"})
	commitPage(t, taker, tw, "http://"+b+"/", storetest.Link(home, true))
	if n := storetest.Node(t, taker, home); n.State != crawl.StateRemote {
		t.Fatalf("%s is %v before the record, want remote", home, n.State)
	}
	if _, err := tw.ApplyRecords([]store.PageRecord{rows[0].PageRecord}); err != nil {
		t.Fatal(err)
	}
	if n := storetest.Node(t, taker, home); n.State != crawl.StateDone {
		t.Errorf("%s is %v after its record, want done", home, n.State)
	}
	queued, err := taker.FrontierNext(a, 0, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(queued) != 1 || queued[0].URL != other {
		t.Errorf("queued under %s: %v, want only %s", a, queued, other)
	}
}
