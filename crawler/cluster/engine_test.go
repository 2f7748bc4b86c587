package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// subjectCounts returns how many messages each subject of the URL stream holds.
func subjectCounts(t *testing.T, n *Node) map[string]uint64 {
	t.Helper()
	info, err := n.cr.urls.Info(context.Background(), jetstream.WithSubjectFilter(n.cr.urlSubjects()))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects
}

// Rows are published with message ids: a repeat of the same URL and depth is dropped by the
// server. Each row is deleted only once the server holds its message.
func TestOutboxPublishesWithIDsAndDeletesAfterAck(t *testing.T) {
	ts := startServer(t)
	f := newFakeNode(16, &fakeSite{hosts: 1, pages: 1})
	r := startNode(t, ts, testConfig("out", "a"), f, false)
	var checked []uint64
	var mu sync.Mutex
	rows := map[uint64]OutboxRow{}
	f.beforeDelete = func(seqs []uint64) {
		for _, seq := range seqs {
			row := rows[seq]
			m, err := r.node.cr.urls.GetLastMsgForSubject(context.Background(), r.node.cr.urlSubject(row.Shard))
			if err != nil {
				t.Errorf("row %d (%s) deleted, its subject has no message: %v", seq, row.URL.URL, err)
				continue
			}
			if u, err := decodeURL(m.Data); err != nil || u != row.URL {
				t.Errorf("row %d deleted; its subject's last message is %+v, %v", seq, u, err)
			}
		}
		mu.Lock()
		checked = append(checked, seqs...)
		mu.Unlock()
	}
	// One URL per shard, each sent twice (the second from another "page"), and one at a
	// smaller depth, which must pass.
	var urls []URL
	seen := map[int]bool{}
	for i := 0; len(seen) < 16; i++ {
		u := URL{URL: fmt.Sprintf("http://h%d.test/", i), Depth: 3}
		if s := f.shardOf(u.URL); !seen[s] {
			seen[s] = true
			urls = append(urls, u)
		}
	}
	f.addOutbox(urls...)
	f.mu.Lock()
	for _, row := range f.outbox {
		rows[row.Seq] = row
	}
	f.mu.Unlock()
	r.node.Notify()
	if err := r.node.flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.with(func() { f.beforeDelete = nil })
	f.addOutbox(urls...) // the same again: dropped within the duplicate window
	r.node.Notify()
	if err := r.node.flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	counts := subjectCounts(t, r.node)
	for _, u := range urls {
		if c := counts[r.node.cr.urlSubject(f.shardOf(u.URL))]; c != 1 {
			t.Errorf("%s: %d messages, want 1 (the repeat dropped by its id)", u.URL, c)
		}
	}
	lower := URL{URL: urls[0].URL, Depth: 1}
	f.addOutbox(lower)
	r.node.Notify()
	if err := r.node.flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := subjectCounts(t, r.node)[r.node.cr.urlSubject(f.shardOf(lower.URL))]; c != 2 {
		t.Errorf("a smaller depth for %s: %d messages, want 2", lower.URL, c)
	}
	if f.outboxLen() != 0 {
		t.Errorf("%d rows left in the outbox", f.outboxLen())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(checked) != 16 {
		t.Errorf("%d deletions checked, want the 16 first rows", len(checked))
	}
}

// The server restarts (same store, same port) while the publisher is half-way through the
// outbox: it reconnects and sends the rest; nothing is lost, and rows are deleted only once
// acknowledged.
func TestOutboxSurvivesServerRestartMidPublish(t *testing.T) {
	ts := startServer(t)
	f := newFakeNode(16, &fakeSite{hosts: 1, pages: 1})
	cfg := testConfig("restart-pub", "a")
	r := startNode(t, ts, cfg, f, false)
	var once sync.Once
	restarted := make(chan struct{})
	f.beforeDelete = func([]uint64) {
		once.Do(func() {
			ts.restart()
			close(restarted)
		})
	}
	const rows = 300
	var urls []URL
	for i := range rows {
		urls = append(urls, URL{URL: fmt.Sprintf("http://h%d.test/p%d", i%40, i), Depth: 1})
	}
	f.addOutbox(urls...)
	r.node.Notify()
	within(t, 20*time.Second, restarted, "the first batch to be acknowledged")
	if err := r.node.flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := f.outboxLen(); n != 0 {
		t.Fatalf("%d rows left after the flush", n)
	}
	var total uint64
	for _, c := range subjectCounts(t, r.node) {
		total += c
	}
	if total != rows {
		t.Fatalf("the stream holds %d URL messages, want %d", total, rows)
	}
}

// The server restarts in the middle of a three-node crawl: the nodes reconnect and finish it,
// every URL fetched once.
func TestServerRestartMidCrawl(t *testing.T) {
	ts := startServer(t)
	site := &fakeSite{hosts: 16, pages: 12}
	seeds := []string{site.url(0, 0)}
	var nodes []*running
	var fakes []*fakeNode
	var once sync.Once
	restarted := make(chan struct{})
	for _, id := range []string{"a", "b", "c"} {
		f := newFakeNode(16, site)
		fakes = append(fakes, f)
		// The first outbox deletion anywhere restarts the server, mid-crawl.
		f.beforeDelete = func([]uint64) {
			once.Do(func() {
				ts.restart()
				close(restarted)
			})
		}
		nodes = append(nodes, startNode(t, ts, testConfig("srv", id), f, true))
	}
	if err := nodes[0].node.PublishSeeds(context.Background(), seeds); err != nil {
		t.Fatal(err)
	}
	within(t, 20*time.Second, restarted, "the server restart")
	for _, r := range nodes {
		if err := r.wait(60 * time.Second); err != nil {
			t.Fatalf("%s: %v", r.node.cfg.NodeID, err)
		}
	}
	checkCrawl(t, site, seeds, fakes, nil)
}

// The server goes away while a node starts the consumers of its shards and comes back once
// the start has failed half-way, the heartbeat never lost (no fence). The shards whose
// consumers started must reach the frontier all the same, or their URLs are consumed and
// never fetched while the node reports idle, and the crawl ends without them.
func TestServerRestartWhileShardsStart(t *testing.T) {
	ts := startServer(t)
	site := &fakeSite{hosts: 16, pages: 4}
	var seeds []string
	for h := range site.hosts {
		seeds = append(seeds, site.url(h, 0))
	}
	f := newFakeNode(16, site)
	cfg := testConfig("start", "a")
	// Longer than a call's wait for the server (5s): the node is not fenced meanwhile.
	cfg.HeartbeatTTL = 10 * time.Second
	failed := make(chan struct{})
	cfg.Logger = slog.New(&onMessage{Handler: cfg.Logger.Handler(), msg: "cluster: reconcile", ch: failed, once: new(sync.Once)})
	starts := 0
	stopped := make(chan struct{})
	r := startNodeWith(t, ts, cfg, f, true, func(n *Node) {
		n.beforeStart = func(int) { // called by the control goroutine only
			if starts++; starts == 8 {
				ts.stop()
				close(stopped)
			}
		}
		if err := n.PublishSeeds(context.Background(), seeds); err != nil {
			t.Fatal(err)
		}
	})
	within(t, 20*time.Second, stopped, "the server to stop while shards start")
	within(t, 20*time.Second, failed, "the start to fail")
	ts.start(true)
	if err := r.wait(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	checkCrawl(t, site, seeds, []*fakeNode{f}, nil)
}

// onMessage is a log handler that closes ch at the first record with message msg.
type onMessage struct {
	slog.Handler
	msg  string
	ch   chan struct{}
	once *sync.Once
}

func (h *onMessage) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.once.Do(func() { close(h.ch) })
	}
	return h.Handler.Handle(ctx, r)
}

func (h *onMessage) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.Handler = h.Handler.WithAttrs(as)
	return &c
}

func (h *onMessage) WithGroup(name string) slog.Handler {
	c := *h
	c.Handler = h.Handler.WithGroup(name)
	return &c
}

func (h *onMessage) Enabled(context.Context, slog.Level) bool { return true }

// waitHeartbeats returns once node has renewed its heartbeat k more times: enough for the
// done check to have run its two observations several times over.
func waitHeartbeats(t *testing.T, c *Conn, crawlID, node string, k int) *view {
	t.Helper()
	var start uint64
	seen := 0
	return watchView(t, c, crawlID, 20*time.Second, fmt.Sprintf("%d heartbeats of %s", k, node), func(v *view) bool {
		e, ok := v.alive[node]
		if !ok {
			return false
		}
		if start == 0 {
			start = e.rev
		}
		if e.rev != start {
			start = e.rev
			seen++
		}
		return seen >= k
	})
}

// Done detection waits for what is on its way: an outbox row not published, an inbound
// message in hand (in the Inbox, not acknowledged), an outbox row published and not yet
// deleted, a fetch in flight. Once each is through, the crawl ends. The message is
// acknowledged only after the Inbox returned.
func TestDoneWaitsForWorkInFlight(t *testing.T) {
	ts := startServer(t)
	site := &fakeSite{hosts: 2, pages: 2}
	seed := site.url(0, 0)
	f := newFakeNode(16, site)
	hold := make(chan struct{})
	inInsert := make(chan struct{})
	var once sync.Once
	f.beforeInsert = func([]URL) {
		once.Do(func() {
			close(inInsert)
			<-hold
		})
	}
	cfg := testConfig("early", "a")
	cfg.PollEvery = time.Hour // the publisher sends only when notified
	r := startNode(t, ts, cfg, f, true)
	obs := dial(t, ts)
	watchView(t, obs, "early", 20*time.Second, "a to own every shard", balanced("a"))

	// An empty crawl would be done at once; an outbox row not published holds it.
	f.addOutbox(URL{URL: seed, Depth: 0})
	if v := waitHeartbeats(t, obs, "early", "a", 8); v.done {
		t.Fatal("done with an outbox row not published")
	}
	r.node.Notify()

	// The row's URL is delivered to the Inbox, which holds it: not acknowledged, not done.
	within(t, 20*time.Second, inInsert, "the URL to reach the Inbox")
	var unacked int
	list := r.node.cr.urls.ListConsumers(context.Background())
	for ci := range list.Info() {
		unacked += ci.NumAckPending
	}
	if unacked != 1 {
		t.Errorf("%d messages unacknowledged while the Inbox holds the URL, want 1", unacked)
	}
	if v := waitHeartbeats(t, obs, "early", "a", 8); v.done {
		t.Fatal("done while a message was in the Inbox")
	}

	// The crawl's first outbox row published and its deletion held.
	holdDelete := make(chan struct{})
	inDelete := make(chan struct{})
	var delOnce sync.Once
	f.with(func() {
		f.beforeDelete = func([]uint64) {
			delOnce.Do(func() {
				close(inDelete)
				<-holdDelete
			})
		}
	})
	close(hold)
	within(t, 20*time.Second, inDelete, "an outbox row to be published")
	if v := waitHeartbeats(t, obs, "early", "a", 8); v.done {
		t.Fatal("done with an outbox row not deleted")
	}
	// A fetch in flight.
	f.with(func() { f.inFlight = 1 })
	close(holdDelete)
	if v := waitHeartbeats(t, obs, "early", "a", 8); v.done {
		t.Fatal("done with a fetch in flight")
	}
	f.with(func() { f.inFlight = 0 })
	if err := r.wait(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	checkCrawl(t, site, []string{seed}, []*fakeNode{f}, nil)
}

// A crash between the Inbox's commit and the acknowledgement: the message is delivered again
// to the restarted node, and the insert's idempotence makes it harmless.
func TestCrashBetweenCommitAndAck(t *testing.T) {
	ts := startServer(t)
	site := &fakeSite{hosts: 16, pages: 6}
	seeds := []string{site.url(0, 0)}
	f := newFakeNode(16, site)
	var once sync.Once
	f.insertErr = func(urls []URL) error {
		var err error
		once.Do(func() { err = fmt.Errorf("crash after committing %d URLs", len(urls)) })
		return err
	}
	cfg := testConfig("ack", "a")
	r := startNode(t, ts, cfg, f, true)
	if err := r.node.PublishSeeds(context.Background(), seeds); err != nil {
		t.Fatal(err)
	}
	err := within(t, 20*time.Second, r.result, "the node to fail")
	if err == nil || !strings.Contains(err.Error(), "crash after committing") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Run: %v, want the Inbox's error on one line", err)
	}
	r.result <- err // for the cleanup
	r.kill()
	f.mu.Lock()
	firstInserts := len(f.inserted)
	f.mu.Unlock()

	r = startNode(t, ts, cfg, f, true)
	if err := r.wait(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	again := 0
	for _, u := range f.inserted[firstInserts:] {
		if u.URL == seeds[0] {
			again++
		}
	}
	f.mu.Unlock()
	if again == 0 {
		t.Error("the unacknowledged seed was not delivered again")
	}
	checkCrawl(t, site, seeds, []*fakeNode{f}, nil)
}

// The server is away longer than the heartbeat TTL: the node fences itself (drops its shards:
// no fetching, no consuming), and when the server is back it renews its heartbeat and resumes
// its shards as they are, without a rebuild; the crawl then completes.
func TestFencedWhileTheServerIsAway(t *testing.T) {
	ts := startServer(t)
	site := &fakeSite{hosts: 4, pages: 4}
	f := newFakeNode(16, site)
	events := make(chan string, 16)
	f.with(func() { f.events = events })
	r := startNode(t, ts, testConfig("fence", "a"), f, true)
	for e := ""; e != "gain"; {
		e = within(t, 20*time.Second, events, "a to serve its shards")
	}
	watchView(t, dial(t, ts), "fence", 20*time.Second, "a to own every shard", balanced("a"))
	ts.stop()
	for e := ""; e != "drop"; {
		e = within(t, 20*time.Second, events, "a to fence itself")
	}
	f.mu.Lock()
	owned, applied := len(f.owned), f.applied
	f.mu.Unlock()
	if owned != 0 {
		t.Fatalf("fenced, the frontier still owns %d shards", owned)
	}
	ts.start(true)
	for e := ""; e != "gain"; {
		e = within(t, 20*time.Second, events, "a to resume its shards")
	}
	if err := r.node.PublishSeeds(context.Background(), []string{site.url(0, 0)}); err != nil {
		t.Fatal(err)
	}
	if err := r.wait(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	replayed := f.applied - applied
	f.mu.Unlock()
	if replayed != 0 {
		t.Errorf("%d records replayed after the fence: the shards should resume as they were", replayed)
	}
	checkCrawl(t, site, []string{site.url(0, 0)}, []*fakeNode{f}, nil)
}
