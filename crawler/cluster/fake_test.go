package cluster

import (
	"context"
	"fmt"
	vocab "github.com/crawl-project/crawl"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// fakeNode is an in-memory stand-in for a node's store and crawler, implementing every seam:
// a "database" of URL states, an outbox, record rows and a frontier over a synthetic site.
// Its crawl loop "fetches" a pending URL of a shard it owns by recording it done with the
// site's links, all in one step under its lock: one commit, as the store's writer makes.
// It survives its Node: a restart builds a new Node on the same fakeNode (same database).
type fakeNode struct {
	shards int
	site   *fakeSite

	mu        sync.Mutex
	urls      map[string]*fakeURL
	outbox    []OutboxRow
	records   []Record
	seq       uint64
	owned     map[int]time.Time // shard -> not before
	fetches   map[string]int
	commits   uint64
	inFlight  int
	inserted  []URL // every URL InsertURLs was given, in order
	applied   int   // records applied
	dropped   [][]int
	droppedAt map[int]time.Time // when DropShards returned, by shard
	gained    [][]int
	gainedAt  map[int]time.Time // not-before of the last GainShards, by shard
	wake      chan struct{}
	insertErr func(urls []URL) error // called after an insert is committed; may fail the call
	// beforeDelete is called with the seqs of outbox rows about to be deleted.
	beforeDelete func(seqs []uint64)
	// events, if set, gets "gain" and "drop" after GainShards and DropShards (never blocking).
	events chan string
	// beforeInsert is called before an insert is committed.
	beforeInsert func(urls []URL)
}

type fakeURL struct {
	state string // "pending" or "done"
	depth int
}

func newFakeNode(shards int, site *fakeSite) *fakeNode {
	return &fakeNode{
		shards: shards, site: site,
		urls: map[string]*fakeURL{}, owned: map[int]time.Time{}, fetches: map[string]int{},
		droppedAt: map[int]time.Time{}, gainedAt: map[int]time.Time{},
		wake: make(chan struct{}, 1),
	}
}

// addOutbox adds rows as a commit would.
func (f *fakeNode) addOutbox(urls ...URL) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range urls {
		f.seq++
		f.outbox = append(f.outbox, OutboxRow{Seq: f.seq, Shard: f.shardOf(u.URL), URL: u})
	}
	f.commits++
}

// with changes the fake's hooks (or other fields) under its lock, while its node runs.
func (f *fakeNode) with(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

func (f *fakeNode) outboxLen() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.outbox)
}

func (f *fakeNode) local() Local { return Local{Outbox: f, Records: f, Inbox: f, Frontier: f} }

func (f *fakeNode) shardOf(u string) int { return vocab.ShardOf(hostOf(u), f.shards) }

func hostOf(u string) string {
	h := u[strings.Index(u, "://")+3:]
	if i := strings.IndexByte(h, '/'); i >= 0 {
		h = h[:i]
	}
	return h
}

func (f *fakeNode) poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *fakeNode) PendingOutbox(_ context.Context, max int) ([]OutboxRow, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.outbox[:min(max, len(f.outbox))]), nil
}

func (f *fakeNode) DeleteOutbox(_ context.Context, seqs []uint64) error {
	f.mu.Lock()
	hook := f.beforeDelete
	f.mu.Unlock()
	if hook != nil {
		hook(seqs)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.outbox = slices.DeleteFunc(f.outbox, func(r OutboxRow) bool { return slices.Contains(seqs, r.Seq) })
	return nil
}

func (f *fakeNode) PendingRecords(_ context.Context, max int) ([]Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.records[:min(max, len(f.records))]), nil
}

func (f *fakeNode) DeleteRecords(_ context.Context, seqs []uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.records = slices.DeleteFunc(f.records, func(r Record) bool { return slices.Contains(seqs, r.Seq) })
	return nil
}

func (f *fakeNode) InsertURLs(_ context.Context, urls []URL) error {
	f.mu.Lock()
	before := f.beforeInsert
	f.mu.Unlock()
	if before != nil {
		before(urls)
	}
	f.mu.Lock()
	for _, u := range urls {
		f.insertLocked(u.URL, u.Depth)
	}
	f.inserted = append(f.inserted, urls...)
	f.commits++
	hook := f.insertErr
	f.mu.Unlock()
	f.poke()
	if hook != nil {
		return hook(urls)
	}
	return nil
}

// insertLocked records an unseen URL as pending; a known one keeps its state (a smaller depth
// lowers it).
func (f *fakeNode) insertLocked(u string, depth int) {
	if cur, ok := f.urls[u]; ok {
		cur.depth = min(cur.depth, depth)
		return
	}
	f.urls[u] = &fakeURL{state: "pending", depth: depth}
}

func (f *fakeNode) ApplyRecords(_ context.Context, recs []PageRecord) error {
	f.mu.Lock()
	for _, r := range recs {
		cur, ok := f.urls[r.URL]
		if ok && cur.state == "done" {
			continue
		}
		depth := 0
		if ok {
			depth = cur.depth
		}
		f.urls[r.URL] = &fakeURL{state: "done", depth: depth}
		f.linksLocked(r.URL, depth, strings.Fields(string(r.Body)))
		f.applied++
	}
	f.commits++
	f.mu.Unlock()
	f.poke()
	return nil
}

// linksLocked commits a page's links: same-shard targets enter the frontier, the others get
// outbox rows.
func (f *fakeNode) linksLocked(page string, depth int, links []string) {
	shard := f.shardOf(page)
	for _, l := range links {
		if s := f.shardOf(l); s != shard {
			f.seq++
			f.outbox = append(f.outbox, OutboxRow{Seq: f.seq, Shard: s, URL: URL{URL: l, Depth: depth + 1}})
			continue
		}
		f.insertLocked(l, depth+1)
	}
}

func (f *fakeNode) GainShards(shards []int, notBefore time.Time) {
	f.mu.Lock()
	for _, s := range shards {
		f.owned[s] = notBefore
		f.gainedAt[s] = notBefore
	}
	f.gained = append(f.gained, slices.Clone(shards))
	f.eventLocked("gain")
	f.mu.Unlock()
	f.poke()
}

func (f *fakeNode) DropShards(_ context.Context, shards []int) (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	for _, s := range shards {
		delete(f.owned, s)
		f.droppedAt[s] = now
	}
	f.dropped = append(f.dropped, slices.Clone(shards))
	f.eventLocked("drop")
	return 50 * time.Millisecond, nil
}

func (f *fakeNode) eventLocked(e string) {
	if f.events != nil {
		select {
		case f.events <- e:
		default:
		}
	}
}

func (f *fakeNode) Progress() Progress {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := Progress{InFlight: f.inFlight, Commits: f.commits}
	for u, s := range f.urls {
		if _, ok := f.owned[f.shardOf(u)]; ok && s.state == "pending" {
			p.Pending++
		}
	}
	for _, n := range f.fetches {
		p.Fetched += uint64(n)
	}
	return p
}

// step fetches one pending URL of an owned shard whose hold is over; it returns false when
// there is none, and when the next hold ends.
func (f *fakeNode) step(now time.Time) (bool, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var next time.Time
	for _, u := range slices.Sorted(maps.Keys(f.urls)) {
		st := f.urls[u]
		if st.state != "pending" {
			continue
		}
		nb, ok := f.owned[f.shardOf(u)]
		if !ok {
			continue
		}
		if nb.After(now) {
			if next.IsZero() || nb.Before(next) {
				next = nb
			}
			continue
		}
		st.state = "done"
		f.fetches[u]++
		links := f.site.links(u)
		f.linksLocked(u, st.depth, links)
		f.seq++
		f.records = append(f.records, Record{Seq: f.seq, Shard: f.shardOf(u), PageRecord: PageRecord{URL: u, Body: []byte(strings.Join(links, " "))}})
		f.commits++
		return true, time.Time{}
	}
	return false, next
}

// crawl runs the crawl loop until ctx ends, telling notify after each commit.
func (f *fakeNode) crawl(ctx context.Context, notify func()) {
	for {
		ok, next := f.step(time.Now())
		if ok {
			notify()
			continue
		}
		var timer <-chan time.Time
		if !next.IsZero() {
			t := time.NewTimer(time.Until(next))
			defer t.Stop()
			timer = t.C
		}
		select {
		case <-f.wake:
		case <-timer:
		case <-ctx.Done():
			return
		}
	}
}

func (f *fakeNode) done() map[string]bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := map[string]bool{}
	for u, s := range f.urls {
		if s.state == "done" {
			d[u] = true
		}
	}
	return d
}

func (f *fakeNode) fetchCounts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.fetches)
}

// fakeSite is a deterministic link graph over hosts h0.test ... h(H-1).test with P pages each.
type fakeSite struct{ hosts, pages int }

func (s *fakeSite) url(h, p int) string { return fmt.Sprintf("http://h%d.test/p%d", h, p) }

func (s *fakeSite) links(u string) []string {
	var h, p int
	if _, err := fmt.Sscanf(u, "http://h%d.test/p%d", &h, &p); err != nil {
		return nil
	}
	return []string{
		s.url(h, (p+1)%s.pages),
		s.url(h, (2*p+1)%s.pages),
		s.url((h+1)%s.hosts, p),
		s.url((h+5)%s.hosts, (p*7+3)%s.pages),
	}
}

// reachable is every URL reachable from the seeds.
func (s *fakeSite) reachable(seeds ...string) map[string]bool {
	seen := map[string]bool{}
	queue := slices.Clone(seeds)
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		if seen[u] {
			continue
		}
		seen[u] = true
		queue = append(queue, s.links(u)...)
	}
	return seen
}
