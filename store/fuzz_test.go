package store

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/crawl-project/crawl"
)

// hostile reads the fuzzer's bytes as the parts of a batch of results: small numbers, and
// strings from empty to far longer than MaxURLLength, of any bytes.
type hostile struct{ b []byte }

func (h *hostile) byte() byte {
	if len(h.b) == 0 {
		return 0
	}
	c := h.b[0]
	h.b = h.b[1:]
	return c
}

// str is one of: empty; up to 200 of the input's bytes as they are; a run of one byte of
// 10,000 to 60,000 bytes; or a normal URL with an odd, possibly huge, path.
func (h *hostile) str() string {
	switch n := h.byte(); {
	case n == 0:
		return ""
	case n <= 200:
		s := h.b[:min(int(n), len(h.b))]
		h.b = h.b[len(s):]
		return string(s)
	case n <= 230:
		return strings.Repeat(string(rune('a'+n%26)), int(n-200)*2000)
	default:
		return "http://" + h.host() + "/" + h.str()
	}
}

func (h *hostile) host() string {
	if n := h.byte(); n > 240 {
		return strings.Repeat("h", int(n-240)*3000) + ".test"
	} else if n > 200 {
		return h.str()
	}
	return fmt.Sprintf("h%d.test", h.byte()%4)
}

func (h *hostile) link() crawl.Link {
	l := crawl.Link{URL: h.str(), Host: h.host(), Kind: crawl.EdgeKind(h.byte() % 15), Rel: h.str(), Anchor: h.str(),
		Count: int(int8(h.byte()))}
	flags := h.byte()
	l.InScope, l.Follow, l.Check = flags&1 != 0, flags&2 != 0, flags&8 != 0
	if flags&4 != 0 {
		l.Reject = h.str()
	}
	for range flags >> 5 {
		l.Fragments = append(l.Fragments, h.str())
	}
	return l
}

var fuzzStates = []crawl.State{crawl.StateDone, crawl.StateFailed, crawl.StateBlocked, crawl.StateSkipped}

// FuzzCommit feeds the writer hostile results (URLs, hosts, origins, anchors, titles and
// errors from empty to 60 KB, redirect chains through them) and checks that the commit never
// fails because of the data, that every result is recorded (its lease ended) and every
// link stored or counted, that no key the store wrote is longer than its bound, and that
// every record written reads back.
func FuzzCommit(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x03\x01\x05\x00\xff\x02\x10\xf5\x01\x07"))
	f.Add([]byte("\x02\x00\x03\xe6\x01\x03\xc8\x00\x00\x03\x00\xe0\x00\x00\x05"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h := &hostile{b: data}
		path := filepath.Join(t.TempDir(), "crawl.db")
		db, err := Open(path, Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		pages := 1 + int(h.byte()%4)
		var seeds []Seed
		for i := range pages {
			seeds = append(seeds, Seed{URL: fmt.Sprintf("http://h%d.test/p%d", i%2, i), Host: fmt.Sprintf("h%d.test", i%2)})
		}
		if _, err := db.AddSeeds(seeds); err != nil {
			t.Fatal(err)
		}
		var batch []crawl.Result
		for i := range pages {
			r := crawl.Result{ID: uint64(i + 1), Host: seeds[i].Host}
			r.Page = crawl.Node{State: fuzzStates[h.byte()%4], Status: int(h.byte()), Title: h.str(), Error: h.str(),
				ContentType: h.str(), FetchedAt: time.Unix(1700000000, 0), DroppedOut: int(h.byte() % 3)}
			if c := h.byte(); c%5 == 0 {
				r.HostInfo = &crawl.HostRecord{Origin: h.str(), RobotsStatus: 200, RobotsFetchedAt: time.Unix(1, 0), Robots: []byte(h.str())}
			} else if c%5 == 1 {
				// A redirect: its status and one link of kind redirect, to a fuzzed URL.
				r.Page.Status, r.Redirects = 301, int(h.byte()%12)
				l := h.link()
				l.Kind = crawl.KindRedirect
				r.Links = append(r.Links, l)
			}
			for range h.byte() % 5 {
				r.Links = append(r.Links, h.link())
			}
			if a := h.byte(); a%3 == 0 {
				r.Page.Facts = &crawl.PageFacts{Description: h.str(), H1: h.str(), Canonical: h.str(), Hreflang: h.str(),
					Lang: h.str(), Words: int(h.byte()), H1Count: int(h.byte()), HasTitle: a&4 != 0}
				r.Targets = &crawl.Targets{Truncated: a&8 != 0}
				for range h.byte() {
					r.Targets.Hashes = append(r.Targets.Hashes, uint32(h.byte())<<8|uint32(h.byte()))
				}
				slices.Sort(r.Targets.Hashes)
				r.Targets.Hashes = slices.Compact(r.Targets.Hashes)
			} else if a%3 == 1 {
				r.Check = true
			}
			batch = append(batch, r)
		}
		if h.byte()%2 == 1 {
			batch = append(batch, crawl.Result{HostInfo: &crawl.HostRecord{Origin: h.str(), SitemapsReadAt: time.Unix(2, 0)}})
		}
		w := db.Writer(int(h.byte()%4) - 1).WithHostBudget(int(h.byte() % 3))

		stats, err := w.Commit(batch)
		if err != nil {
			t.Fatalf("commit: %v", err)
		}
		checkFuzzedCommit(t, db, batch, stats)
	})
}

func checkFuzzedCommit(t *testing.T, db *DB, batch []crawl.Result, stats crawl.CommitStats) {
	t.Helper()
	wantTooLong, exact := 0, true
	for _, r := range batch {
		if r.HostInfo != nil && len(r.HostInfo.Origin) > MaxURLLength {
			wantTooLong++
		}
		if r.ID == 0 {
			continue
		}
		var n crawl.Node
		if err := db.View(func(s *Snapshot) (err error) { n, err = s.Node(r.ID); return err }); err != nil {
			t.Fatalf("leased node %d: %v", r.ID, err)
		}
		if r.Check && !strings.HasPrefix(n.Error, "not stored: ") {
			// The seeds are pages: a check's result for one sends it back to the frontier.
			if n.State != crawl.StatePending {
				t.Fatalf("check result %d recorded for a page: %+v", r.ID, n)
			}
			continue
		}
		if n.State == crawl.StatePending {
			t.Fatalf("result %d neither recorded nor counted: %+v", r.ID, n)
		}
		if strings.HasPrefix(n.Error, "not stored: ") {
			exact = false // the result was counted as unstorable
			continue
		}
		tooLong := 0
		for i := range r.Links {
			if !storableLink(&r.Links[i]) {
				tooLong++
			}
		}
		wantTooLong += tooLong
		if n.OutLinks != len(r.Links)-tooLong || n.DroppedOut != r.Page.DroppedOut+tooLong {
			t.Fatalf("page %d: %d links stored and %d dropped, of %d links (%d too long) and %d dropped by the parser",
				r.ID, n.OutLinks, n.DroppedOut, len(r.Links), tooLong, r.Page.DroppedOut)
		}
		if len(n.Title) > maxText || len(n.Error) > maxText || len(n.ContentType) > maxText {
			t.Fatalf("page %d keeps %d, %d, %d bytes of title, error, content type", r.ID, len(n.Title), len(n.Error), len(n.ContentType))
		}
		if f := n.Facts; f != nil && (len(f.Description) > maxText || len(f.H1) > maxText || len(f.Canonical) > MaxURLLength ||
			len(f.Hreflang) > maxText || len(f.Lang) > maxReason) {
			t.Fatalf("page %d keeps facts of %d, %d, %d, %d, %d bytes", r.ID, len(f.Description), len(f.H1), len(f.Canonical), len(f.Hreflang), len(f.Lang))
		}
	}
	if got := stats.Rejected[crawl.ReasonURLTooLong]; got < wantTooLong || (exact && got != wantTooLong) {
		t.Fatalf("%d counted as too long to store, want %d (exact: %v)", got, wantTooLong, exact)
	}
	// Every key is within its bound, and every record reads back.
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, _ []byte) error {
				if len(k) > MaxURLLength+9 {
					return fmt.Errorf("bucket %s: a key of %d bytes", name, len(k))
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(s *Snapshot) error {
		if _, err := s.Status(); err != nil {
			return err
		}
		if err := s.EachEdge(func(crawl.Edge) error { return nil }); err != nil {
			return err
		}
		if err := s.EachFragmentRef(func(r FragmentRef) error {
			if len(r.Fragment) > maxFragment {
				return fmt.Errorf("fragment of %d bytes", len(r.Fragment))
			}
			return nil
		}); err != nil {
			return err
		}
		return s.EachNode(func(n crawl.Node) error {
			_, _, err := s.Targets(n.ID)
			return err
		})
	})
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	if _, err := db.FrontierHosts("", 100); err != nil {
		t.Fatal(err)
	}
}
