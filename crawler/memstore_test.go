package crawler

import (
	"net/url"
	"reflect"
	"slices"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
	"github.com/crawl-project/crawl/store/storetest"
)

// memStore is a FrontierStore and a Committer in memory: the frontier's queue by host, and
// the state of every URL. It keeps what the frontier and the writer stage act on and no
// more: no edges, no depth limit, no host budget, no redirect chains.
type memStore struct {
	mu     sync.Mutex
	lastID uint64
	ids    map[string]uint64      // URL -> id
	state  map[uint64]crawl.State // id -> state
	queue  map[string][]crawl.Entry
}

func newMemStore() *memStore {
	return &memStore{ids: map[string]uint64{}, state: map[uint64]crawl.State{}, queue: map[string][]crawl.Entry{}}
}

// add queues a URL never seen, as a seed or a link found on a page at depth-1 is, and
// reports whether it was new.
func (m *memStore) add(u, host string, depth int) bool {
	if _, seen := m.ids[u]; seen {
		return false
	}
	m.lastID++
	m.ids[u] = m.lastID
	m.state[m.lastID] = crawl.StatePending
	m.queue[host] = append(m.queue[host], crawl.Entry{ID: m.lastID, Host: host, URL: u, Depth: depth})
	return true
}

func (m *memStore) FrontierHosts(after string, limit int) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var hosts []string
	for h, q := range m.queue {
		if len(q) > 0 && h > after {
			hosts = append(hosts, h)
		}
	}
	slices.Sort(hosts)
	return hosts[:min(len(hosts), max(limit, 0))], nil
}

func (m *memStore) FrontierNext(host string, afterID uint64, limit int, skip func(uint64) bool) ([]crawl.Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []crawl.Entry
	for _, e := range m.queue[host] { // ascending ids: add appends ids in order
		if len(out) == limit {
			break
		}
		if e.ID > afterID && (skip == nil || !skip(e.ID)) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (m *memStore) FrontierEmpty() (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, q := range m.queue {
		if len(q) > 0 {
			return false, nil
		}
	}
	return true, nil
}

// Commit records every result of the batch at once, under one lock: a reader sees all of
// it or none.
func (m *memStore) Commit(batch []crawl.Result) (crawl.CommitStats, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cs := crawl.CommitStats{HostsWithNew: map[string]int{}, HostsRequeued: map[string]bool{}}
	for _, r := range batch {
		if r.ID == 0 {
			continue // host information only
		}
		q := m.queue[r.Host]
		if i := slices.IndexFunc(q, func(e crawl.Entry) bool { return e.ID == r.ID }); i >= 0 {
			m.queue[r.Host] = slices.Delete(q, i, i+1)
			cs.Unqueued++
		}
		if m.state[r.ID] != crawl.StatePending {
			continue // recorded already: the first record stays
		}
		m.state[r.ID] = r.Page.State
		cs.Pages++
		if r.Page.State == crawl.StateDone || r.Page.State == crawl.StateFailed {
			cs.Attempts++
		}
		for _, l := range r.Links {
			cs.Edges++
			if l.Follow && l.Reject == "" && m.add(l.URL, l.Host, 0) {
				cs.NewURLs++
				cs.Queued++
				cs.HostsWithNew[l.Host]++
			}
		}
	}
	return cs, nil
}

// pipelineStore is what the tests of the frontier and the writer stage run on: the
// crawl's bbolt store, or memStore.
type pipelineStore interface {
	FrontierStore
	// seed queues URLs never seen, at depth 0.
	seed(t *testing.T, urls ...string)
	// writer returns a Committer for the store.
	writer() Committer
}

type boltStore struct{ *store.DB }

func (b boltStore) writer() Committer { return b.Writer(-1) }

func (b boltStore) seed(t *testing.T, urls ...string) {
	t.Helper()
	var seeds []store.Seed
	for _, s := range urls {
		seeds = append(seeds, store.Seed{URL: s, Host: hostOf(t, s)})
	}
	if _, err := b.AddSeeds(seeds); err != nil {
		t.Fatal(err)
	}
}

func (m *memStore) writer() Committer { return m }

func (m *memStore) seed(t *testing.T, urls ...string) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range urls {
		m.add(s, hostOf(t, s), 0)
	}
}

func hostOf(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Host
}

// testStores are the stores the tests of the frontier and the writer stage run on: the
// crawl's bbolt database and memStore. Running on both shows that the two stages need
// nothing of bbolt, and that memStore answers as the crawl's store does where they look.
var testStores = []struct {
	name string
	open func(t *testing.T) pipelineStore
}{
	{"bbolt", func(t *testing.T) pipelineStore { return boltStore{storetest.Open(t)} }},
	{"memory", func(*testing.T) pipelineStore { return newMemStore() }},
}

// eachStore runs test on each of testStores.
func eachStore(t *testing.T, test func(t *testing.T, db pipelineStore)) {
	for _, st := range testStores {
		t.Run(st.name, func(t *testing.T) { test(t, st.open(t)) })
	}
}

// eachStoreInBubble runs test on each of testStores, in a synctest bubble made for it.
func eachStoreInBubble(t *testing.T, test func(t *testing.T, db pipelineStore)) {
	for _, st := range testStores {
		t.Run(st.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { test(t, st.open(t)) })
		})
	}
}

// TestMemStoreAnswersAsTheStoreDoes holds the fake to the contract of FrontierStore and
// Committer where the crawl's store can be compared with it: the same seeds and the same
// commits give the same hosts, entries, emptiness and stats.
func TestMemStoreAnswersAsTheStoreDoes(t *testing.T) {
	type answers struct {
		hosts, afterA []string
		entries       []crawl.Entry
		empty         []bool
		stats         []crawl.CommitStats
	}
	run := func(t *testing.T, s pipelineStore) answers {
		var a answers
		check := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		empty, err := s.FrontierEmpty()
		check(err)
		a.empty = append(a.empty, empty)
		s.seed(t, "http://b.test/1", "http://a.test/1", "http://a.test/2", "http://c.test/1", "http://a.test/3")
		a.hosts, err = s.FrontierHosts("", 10)
		check(err)
		a.afterA, err = s.FrontierHosts("a.test", 1)
		check(err)
		// Both number URLs from 1 in the order they are first seen: id 2 is http://a.test/1.
		a.entries, err = s.FrontierNext("a.test", 0, 2, func(id uint64) bool { return id == 2 })
		check(err)
		w := s.writer()
		for _, e := range a.entries {
			cs, err := w.Commit([]crawl.Result{{ID: e.ID, Host: e.Host, Page: crawl.Node{State: crawl.StateDone, Status: 200},
				Links: []crawl.Link{
					{URL: "http://d.test/new", Host: "d.test", Kind: crawl.KindLink, Count: 1, InScope: true, Follow: true},
					{URL: "http://a.test/1", Host: "a.test", Kind: crawl.KindLink, Count: 1, InScope: true, Follow: true},
				}}})
			check(err)
			a.stats = append(a.stats, cs)
		}
		for _, h := range []string{"a.test", "b.test", "c.test", "d.test"} {
			es, err := s.FrontierNext(h, 0, 10, nil)
			check(err)
			for _, e := range es {
				cs, err := w.Commit([]crawl.Result{{ID: e.ID, Host: e.Host, Page: crawl.Node{State: crawl.StateFailed}}})
				check(err)
				a.stats = append(a.stats, cs)
			}
		}
		empty, err = s.FrontierEmpty()
		check(err)
		a.empty = append(a.empty, empty)
		return a
	}
	want := run(t, boltStore{storetest.Open(t)})
	got := run(t, newMemStore())
	if !reflect.DeepEqual(got, want) {
		t.Errorf("memStore:\n%+v\nbbolt store:\n%+v", got, want)
	}
}
