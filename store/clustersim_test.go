package store_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
	"github.com/crawl-project/crawl/store/storetest"
)

// simSite is a deterministic site of several hosts whose pages answer every way a crawl
// records: pages with links of every kind (followed, nofollow, out of scope, refused by a
// trap rule, canonical, repeated, beyond the page's cap), redirects to other hosts,
// redirect loops on one host, failures, robots.txt refusals and skipped leases. The crawls of
// one node and of a cluster in these tests record the same results from it.
type simSite struct{ hosts, pages int }

func (s simSite) host(h int) string {
	if h%2 == 1 {
		return fmt.Sprintf("h%d.test:8080", h)
	}
	return fmt.Sprintf("h%d.test", h)
}

func (s simSite) url(h, p int) string { return "http://" + s.host(h%s.hosts) + "/p" + strconv.Itoa(p) }

func (s simSite) seeds() []string { return []string{s.url(0, 0), s.url(3, 0)} }

func (s simSite) parse(u string) (h, p int) {
	rest := strings.TrimPrefix(u, "http://h")
	i := strings.IndexAny(rest, ".")
	h, _ = strconv.Atoi(rest[:i])
	p, _ = strconv.Atoi(rest[strings.LastIndex(rest, "/p")+2:])
	return h, p
}

func link(u string, kind crawl.EdgeKind, follow bool) crawl.Link {
	l := storetest.Link(u, follow)
	l.Kind = kind
	return l
}

// result is the site's answer to the lease e.
func (s simSite) result(e crawl.Entry) crawl.Result {
	if e.Check {
		return s.check(e)
	}
	h, p := s.parse(e.URL)
	r := crawl.Result{ID: e.ID, Host: e.Host, Redirects: e.Redirects}
	r.Page = crawl.Node{State: crawl.StateDone, Status: 200, ContentType: "text/html", Size: int64(100 + p),
		FetchedAt: storetest.FetchedAt.Add(time.Duration(h*1000+p) * time.Second), Duration: time.Millisecond}
	redirect := func(status int, to string) {
		r.Page.Status, r.Page.ContentType = status, ""
		r.Links = []crawl.Link{link(to, crawl.KindRedirect, true)}
	}
	switch {
	case p >= s.pages:
		r.Page.Status = 404
	case p%13 == 12:
		r.Page = crawl.Node{State: crawl.StateFailed, Error: "connection reset", FetchedAt: r.Page.FetchedAt}
	case p%17 == 16:
		r.Page = crawl.Node{State: crawl.StateBlocked, Error: crawl.ReasonRobotsDisallowed}
	case p%23 == 22:
		r.Page = crawl.Node{State: crawl.StateSkipped, Error: crawl.ReasonHostUnreachable}
	case p%11 == 10:
		redirect(301, s.url(h+1, p/2))
	case p%19 == 17:
		redirect(302, s.url(h, p+1))
	case p%19 == 18:
		redirect(302, s.url(h, p-1))
	default:
		r.Page.Title = fmt.Sprintf("page %d of host %d", p, h)
		r.Page.NoIndex = p%9 == 0
		if p%10 == 0 {
			r.Page.DroppedOut = 3
		}
		next := link(s.url(h, p+1), crawl.KindLink, true)
		next.Anchor = "next"
		double := link(s.url(h, (2*p+1)%s.pages), crawl.KindLink, true)
		double.Count = 2
		side := link(s.url(h+2, (3*p+2)%s.pages), crawl.KindLink, p%3 != 0)
		if p%3 == 0 {
			side.Rel = "nofollow"
		}
		ext := link(fmt.Sprintf("http://ext.example/e%d", p%5), crawl.KindLink, false)
		ext.InScope = false
		trap := link(fmt.Sprintf("http://%s/t/t/t/t/%d", s.host((h+p%2)%s.hosts), p%4), crawl.KindLink, true)
		trap.Reject = crawl.ReasonRepeatedSegment
		r.Links = []crawl.Link{next, double, link(s.url(h+1, p), crawl.KindLink, true), side, ext, trap,
			link(e.URL, crawl.KindCanonical, false)}
		s.audit(&r, h, p)
		if p%7 == 0 {
			nf := link(s.url(h+3, p+1), crawl.KindLink, false)
			nf.Rel, nf.Anchor = "nofollow sponsored", "elsewhere"
			r.Links = append(r.Links, nf)
		}
	}
	return r
}

// audit gives a page of host h facts, fragment targets, and links an audit checks: page
// requisites on its own host and the next (another shard's, often), some missing, links
// with fragments that exist and that do not, and external links to check.
func (s simSite) audit(r *crawl.Result, h, p int) {
	r.Page.Facts = &crawl.PageFacts{HasTitle: true, Description: fmt.Sprintf("about %d", p%4), HasDescription: p%5 != 0,
		H1: "page", H1Count: p % 3, Lang: "en", Words: 10 * p, Canonical: r.Links[len(r.Links)-1].URL}
	r.Targets = &crawl.Targets{Hashes: []uint32{crawl.HashTarget("s1"), crawl.HashTarget("s2")}}
	slices.Sort(r.Targets.Hashes)
	image := func(host int, name string) crawl.Link {
		l := link(fmt.Sprintf("http://%s/img/%s", s.host(host%s.hosts), name), crawl.KindImage, false)
		l.Check = true
		return l
	}
	css := image(h, "site.css")
	css.Kind = crawl.KindStylesheet
	r.Links = append(r.Links, css, image(h+1, fmt.Sprintf("%d.png", p%4)), image(h+1, "missing.png"))
	r.Links[0].Fragments = []string{"s1", []string{"s2", "nowhere"}[p%2]}
	ext := &r.Links[4] // e0 to e4; the first three are checked
	ext.Check = p%5 < 3
	ext.Fragments = []string{"part"}
}

// check is the site's answer to a check: every image but missing.png is there, as are the
// external pages e0 and e1.
func (s simSite) check(e crawl.Entry) crawl.Result {
	r := crawl.Result{ID: e.ID, Host: e.Host, Redirects: e.Redirects, Check: true}
	r.Page = crawl.Node{State: crawl.StateDone, Status: 200, ContentType: "image/png", Size: 10,
		FetchedAt: storetest.FetchedAt.Add(time.Duration(len(e.URL)) * time.Second), Duration: time.Millisecond}
	if strings.HasSuffix(e.URL, "/missing.png") || strings.HasSuffix(e.URL, "/e2") {
		r.Page.Status, r.Page.ContentType = 404, "text/html"
	}
	return r
}

const simMaxDepth = 5

var testSite = simSite{hosts: 6, pages: 48}

// leaseAll returns every queued URL of the hosts owns accepts (nil: all), as a frontier
// would hand them out.
func leaseAll(t testing.TB, db *store.DB, owns func(int) bool) []crawl.Entry {
	t.Helper()
	var entries []crawl.Entry
	after := ""
	for {
		var hosts []string
		var err error
		if owns == nil {
			hosts, err = db.FrontierHosts(after, 3)
		} else {
			hosts, err = db.FrontierHostsIn(after, 3, owns)
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(hosts) == 0 {
			return entries
		}
		for _, h := range hosts {
			e, err := db.FrontierNext(h, 0, 1<<20, nil)
			if err != nil {
				t.Fatal(err)
			}
			entries = append(entries, e...)
		}
		after = hosts[len(hosts)-1]
	}
}

// commitAll commits the site's results for entries, in batches of a few.
func commitAll(t testing.TB, w *store.Writer, s simSite, entries []crawl.Entry) {
	t.Helper()
	for len(entries) > 0 {
		n := min(len(entries), 5)
		batch := make([]crawl.Result, n)
		for i, e := range entries[:n] {
			batch[i] = s.result(e)
		}
		if _, err := w.Commit(batch); err != nil {
			t.Fatal(err)
		}
		entries = entries[n:]
	}
}

// crawlOne crawls the site with one database, to its end, and returns the database's path.
func crawlOne(t testing.TB, s simSite) string {
	t.Helper()
	db, path := storetest.Create(t, "one.db", s.seeds()...)
	w := db.Writer(simMaxDepth)
	for {
		entries := leaseAll(t, db, nil)
		if len(entries) == 0 {
			break
		}
		commitAll(t, w, s, entries)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// simCluster is a crawl of the site by several nodes, each with its database, and a stand-in
// for the engine: every URL and record sent to a shard, in the order sent (the streams),
// and how far each shard's owner has taken the URLs (its consumer).
type simCluster struct {
	t         testing.TB
	site      simSite
	shards    int
	owner     []int // node of each shard
	nodes     []*simNode
	urls      [][]store.InboundURL
	records   [][]store.PageRecord
	delivered []int
	dead      []bool         // nodes lost for good
	fetches   map[string]int // leases of each URL, over all nodes
}

type simNode struct {
	path string
	db   *store.DB
	w    *store.Writer
}

func newSimCluster(t testing.TB, s simSite, nodes, shards int) *simCluster {
	c := &simCluster{t: t, site: s, shards: shards, owner: make([]int, shards),
		urls: make([][]store.InboundURL, shards), records: make([][]store.PageRecord, shards), delivered: make([]int, shards),
		dead: make([]bool, nodes), fetches: map[string]int{}}
	dir := t.TempDir()
	for i := range nodes {
		c.nodes = append(c.nodes, c.open(filepath.Join(dir, fmt.Sprintf("node%d.db", i))))
	}
	for sh := range shards {
		c.owner[sh] = sh % nodes
	}
	for _, u := range s.seeds() {
		sh := crawl.ShardOf(hostOf(u), shards)
		c.urls[sh] = append(c.urls[sh], store.InboundURL{URL: u})
	}
	return c
}

func (c *simCluster) open(path string) *simNode {
	c.t.Helper()
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { db.Close() })
	return &simNode{path: path, db: db, w: db.Writer(simMaxDepth).WithShards(c.shards)}
}

func (c *simCluster) owns(node int) func(int) bool {
	return func(sh int) bool { return c.owner[sh] == node }
}

// publish moves a node's outbox and records to the streams, as the engine's publisher does.
func (c *simCluster) publish(n *simNode) bool {
	c.t.Helper()
	rows, err := n.db.PendingOutbox(1000)
	if err != nil {
		c.t.Fatal(err)
	}
	var seqs []uint64
	for _, r := range rows {
		c.urls[r.Shard] = append(c.urls[r.Shard], store.InboundURL{URL: r.URL, Depth: r.Depth, Check: r.Check, External: r.External})
		seqs = append(seqs, r.Seq)
	}
	if err := n.db.DeleteOutbox(seqs); err != nil {
		c.t.Fatal(err)
	}
	recs, err := n.db.PendingRecords(1000)
	if err != nil {
		c.t.Fatal(err)
	}
	seqs = seqs[:0]
	for _, r := range recs {
		c.records[r.Shard] = append(c.records[r.Shard], r.PageRecord)
		seqs = append(seqs, r.Seq)
	}
	if err := n.db.DeleteRecords(seqs); err != nil {
		c.t.Fatal(err)
	}
	return len(rows)+len(recs) > 0
}

// deliver hands each shard's owner the URLs sent to the shard since the last delivery.
func (c *simCluster) deliver() bool {
	c.t.Helper()
	any := false
	for sh := range c.shards {
		urls := c.urls[sh][c.delivered[sh]:]
		if len(urls) == 0 {
			continue
		}
		if c.dead[c.owner[sh]] {
			continue // its shard waits for a new owner
		}
		if _, err := c.nodes[c.owner[sh]].w.InsertURLs(urls); err != nil {
			c.t.Fatal(err)
		}
		c.delivered[sh] += len(urls)
		any = true
	}
	return any
}

// run crawls until no node has anything to do and the engine nothing to deliver.
func (c *simCluster) run() {
	c.t.Helper()
	for c.round() {
	}
}

// round delivers what the engine holds, then lets each live node fetch every URL it has
// queued and publish what it committed. It reports whether anything happened.
func (c *simCluster) round() bool {
	c.t.Helper()
	busy := c.deliver()
	for i, n := range c.nodes {
		if c.dead[i] {
			continue
		}
		busy = c.fetch(i) || busy
		busy = c.publish(n) || busy
	}
	return busy
}

// fetch fetches every URL node i has queued in the shards it owns.
func (c *simCluster) fetch(i int) bool {
	entries := leaseAll(c.t, c.nodes[i].db, c.owns(i))
	for _, e := range entries {
		c.fetches[e.URL]++
	}
	commitAll(c.t, c.nodes[i].w, c.site, entries)
	return len(entries) > 0
}

// rebuild gives node the shard sh, as the engine does when the shard moves: the shard's
// records, then every URL sent to it, then its consumer from the end.
func (c *simCluster) rebuild(sh, node int) {
	c.t.Helper()
	c.owner[sh] = node
	w := c.nodes[node].w
	for recs := range slices.Chunk(c.records[sh], 7) {
		if _, err := w.ApplyRecords(recs); err != nil {
			c.t.Fatal(err)
		}
	}
	for urls := range slices.Chunk(c.urls[sh], 11) {
		if _, err := w.InsertURLs(urls); err != nil {
			c.t.Fatal(err)
		}
	}
	c.delivered[sh] = len(c.urls[sh])
}

// close closes every node's database and returns their paths.
func (c *simCluster) close() []string {
	c.t.Helper()
	var paths []string
	for i, n := range c.nodes {
		if c.dead[i] {
			continue
		}
		if err := n.db.Close(); err != nil {
			c.t.Fatal(err)
		}
		paths = append(paths, n.path)
	}
	return paths
}

func hostOf(u string) string {
	rest := u[strings.Index(u, "://")+3:]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// diffGraphs lists how got differs from want: nodes by URL (every field but the id), each
// page's edges in order, the refusal counters and the per-host queued counts.
func diffGraphs(want, got *storetest.Graph) []string {
	var diffs []string
	add := func(format string, args ...any) {
		if len(diffs) < 20 {
			diffs = append(diffs, fmt.Sprintf(format, args...))
		}
	}
	for _, u := range sortedKeys(want.ByURL) {
		w := want.ByURL[u]
		g, ok := got.ByURL[u]
		if !ok {
			add("%s: missing (want %v at %d)", u, w.State, w.Depth)
			continue
		}
		w.ID, g.ID = 0, 0
		if sameLoop(w.Error, g.Error) {
			w.Error, g.Error = "", ""
		}
		if !reflect.DeepEqual(w.Facts, g.Facts) {
			add("%s: facts\n  got  %+v\n  want %+v", u, g.Facts, w.Facts)
		}
		w.Facts, g.Facts = nil, nil
		if w != g {
			add("%s:\n  got  %+v\n  want %+v", u, g, w)
		}
	}
	for _, u := range sortedKeys(got.ByURL) {
		if _, ok := want.ByURL[u]; !ok {
			add("%s: unexpected %v", u, got.ByURL[u].State)
		}
	}
	we, ge := edgesByPage(want), edgesByPage(got)
	for _, u := range sortedKeys(we) {
		if !slices.Equal(we[u], ge[u]) {
			add("edges of %s:\n  got  %v\n  want %v", u, ge[u], we[u])
		}
	}
	if len(we) != len(ge) {
		add("%d pages with edges, want %d", len(ge), len(we))
	}
	if fmt.Sprint(want.Rejections) != fmt.Sprint(got.Rejections) {
		add("rejections %v, want %v", got.Rejections, want.Rejections)
	}
	if fmt.Sprint(want.HostQueued) != fmt.Sprint(got.HostQueued) {
		add("queued by host %v, want %v", got.HostQueued, want.HostQueued)
	}
	return diffs
}

// sameLoop reports whether two errors name the same redirect loop: which of its URLs closes
// it, and so starts the message, depends on the order the crawl recorded them in.
func sameLoop(a, b string) bool {
	const prefix = "redirect loop: "
	if !strings.HasPrefix(a, prefix) || !strings.HasPrefix(b, prefix) {
		return false
	}
	set := func(s string) []string {
		parts := strings.Split(strings.TrimPrefix(s, prefix), " -> ")
		slices.Sort(parts)
		return slices.Compact(parts)
	}
	return slices.Equal(set(a), set(b))
}

type simEdge struct {
	to, rel, anchor string
	kind            crawl.EdgeKind
	count           int
}

func edgesByPage(g *storetest.Graph) map[string][]simEdge {
	out := map[string][]simEdge{}
	for _, e := range g.Edges {
		out[e.From] = append(out[e.From], simEdge{e.To, e.Rel, e.Anchor, e.Kind, e.Count})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func checkSameGraph(t testing.TB, what string, want, got *storetest.Graph) {
	t.Helper()
	if diffs := diffGraphs(want, got); len(diffs) > 0 {
		t.Errorf("%s differs from what it should equal:\n%s", what, strings.Join(diffs, "\n"))
	}
}
