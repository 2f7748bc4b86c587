package cluster

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crawl-project/crawl/crawler/cluster/natstest"
)

func TestShardsHaveOneOwnerAndMoveAfterTheLease(t *testing.T) {
	ts := startServer(t)
	site := &fakeSite{hosts: 16, pages: 4}
	nodes := map[string]*running{}
	for _, id := range []string{"a", "b", "c"} {
		nodes[id] = startNode(t, ts, testConfig("own", id), newFakeNode(16, site), false)
	}
	obs := dial(t, ts)
	v := watchView(t, obs, "own", 20*time.Second, "3 nodes sharing 16 shards", balanced("a", "b", "c"))
	for id, r := range nodes {
		r.fake.mu.Lock()
		owned := slices.Sorted(mapsKeys(r.fake.owned))
		r.fake.mu.Unlock()
		if want := v.ownedBy(id); !slices.Equal(owned, want) {
			t.Errorf("%s's frontier owns %v, the KV gives it %v", id, owned, want)
		}
	}
	cShards := v.ownedBy("c")

	// c dies without a word; after its heartbeat's TTL and the lease, a and b take its shards.
	nodes["c"].kill()
	v = watchView(t, obs, "own", 20*time.Second, "c's shards to move to a and b", balanced("a", "b"))
	for _, s := range cShards {
		a := v.assign[s]
		if a.Owner != "a" && a.Owner != "b" {
			t.Errorf("shard %d of c went to %q", s, a.Owner)
		}
	}
	// The move came after c's heartbeat expired: its shards were freed as lost, with the hold.
	moved := 0
	for _, s := range cShards {
		if a := v.assign[s]; a.From == "c" && a.Lost {
			moved++
		}
	}
	if moved == 0 {
		t.Errorf("no shard of c was freed as lost: %+v", v.assign)
	}
}

func mapsKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Two nodes claim the same free shards at the same moment: each shard gets exactly one owner,
// and exactly one node believes it won.
func TestClaimRaceHasOneWinner(t *testing.T) {
	ts := startServer(t)
	site := &fakeSite{hosts: 4, pages: 4}
	ctx := context.Background()
	var ns []*Node
	var cs []*controller
	for _, id := range []string{"a", "b"} {
		conn := dial(t, ts)
		n, err := conn.Join(ctx, testConfig("race", id), newFakeNode(16, site).local())
		if err != nil {
			t.Fatal(err)
		}
		ns = append(ns, n)
		cs = append(cs, &controller{v: newView(16, nil), notBefore: map[int]time.Time{}})
	}
	all := make([]int, 16)
	for i := range all {
		all[i] = i
	}
	for round := range 3 {
		// Both see every shard free (round 0: no keys; later: released with a revision).
		if round > 0 {
			for s := range 16 {
				e, err := ns[0].cr.kv.Get(ctx, shardKey(s))
				if err != nil {
					t.Fatal(err)
				}
				var a assignment
				if err := decodeValue(e.Key(), e.Value(), &a); err != nil {
					t.Fatal(err)
				}
				free := assignment{V: valueVersion, Epoch: a.Epoch}
				rev, err := ns[0].cr.kv.Update(ctx, shardKey(s), encodeValue(free), e.Revision())
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range cs {
					c.v.assign[s] = assigned{free, rev}
				}
			}
		}
		for _, c := range cs {
			clear(c.notBefore)
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range ns {
			wg.Go(func() {
				<-start
				if err := ns[i].claim(ctx, cs[i], all); err != nil {
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()
		for s := range 16 {
			_, wonA := cs[0].notBefore[s]
			_, wonB := cs[1].notBefore[s]
			if wonA == wonB {
				t.Fatalf("round %d shard %d: a won %v, b won %v", round, s, wonA, wonB)
			}
			e, err := ns[0].cr.kv.Get(ctx, shardKey(s))
			if err != nil {
				t.Fatal(err)
			}
			var a assignment
			if err := decodeValue(e.Key(), e.Value(), &a); err != nil {
				t.Fatal(err)
			}
			winner := map[bool]string{true: "a", false: "b"}[wonA]
			if a.Owner != winner || a.Epoch != uint64(round+1) {
				t.Fatalf("round %d shard %d: KV says %q epoch %d, the winner is %s", round, s, a.Owner, a.Epoch, winner)
			}
		}
	}
}

func TestNodeIDAlreadyRunningIsRefused(t *testing.T) {
	ts := startServer(t)
	site := &fakeSite{hosts: 4, pages: 4}
	first := startNode(t, ts, testConfig("dup", "a"), newFakeNode(16, site), false)

	conn := dial(t, ts)
	_, err := conn.Join(context.Background(), testConfig("dup", "a"), newFakeNode(16, site).local())
	if !errors.Is(err, ErrNodeRunning) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("second process with node id a: %v, want one line with ErrNodeRunning", err)
	}

	// After a kill, the same id is free once the heartbeat expires: Join waits for that.
	first.kill()
	second := startNode(t, ts, testConfig("dup", "a"), newFakeNode(16, site), false)

	// After Close, at once.
	second.stop()
	third, err := dial(t, ts).Join(context.Background(), testConfig("dup", "a"), newFakeNode(16, site).local())
	if err != nil {
		t.Fatalf("join after close: %v", err)
	}
	_ = third
}

func TestJoinRefusesOtherSettings(t *testing.T) {
	ts := startServer(t)
	site := &fakeSite{hosts: 4, pages: 4}
	startNode(t, ts, testConfig("cfg", "a"), newFakeNode(16, site), false)

	conn := dial(t, ts)
	cfg := testConfig("cfg", "b")
	cfg.Settings = []byte("scope=domain")
	_, err := conn.Join(context.Background(), cfg, newFakeNode(16, site).local())
	if !errors.Is(err, ErrSettingsMismatch) {
		t.Fatalf("other settings: %v", err)
	}
	cfg.CompareSettings = func(recorded, mine []byte) error {
		return errors.New("--scope: crawl has " + string(recorded) + ", this node " + string(mine))
	}
	_, err = conn.Join(context.Background(), cfg, newFakeNode(16, site).local())
	if !errors.Is(err, ErrSettingsMismatch) || !strings.Contains(err.Error(), "--scope: crawl has scope=host, this node scope=domain") {
		t.Fatalf("other settings, explained: %v", err)
	}
	cfg = testConfig("cfg", "b")
	cfg.Shards = 32
	if _, err := conn.Join(context.Background(), cfg, newFakeNode(32, site).local()); !errors.Is(err, ErrSettingsMismatch) {
		t.Fatalf("other shard count: %v", err)
	}
	cfg.Shards = 0 // whatever the crawl has
	if _, err := conn.Join(context.Background(), cfg, newFakeNode(16, site).local()); err != nil {
		t.Fatalf("shard count left to the crawl: %v", err)
	}
	cfg = testConfig("cfg", "bad.id")
	if _, err := conn.Join(context.Background(), cfg, newFakeNode(16, site).local()); !errors.Is(err, ErrBadID) {
		t.Fatalf("node id with a dot: %v", err)
	}
}

func TestDialErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	_, err = Dial(context.Background(), "nats://"+addr, DialOptions{Timeout: time.Second})
	if !errors.Is(err, ErrUnreachable) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("closed port: %v", err)
	}

	ts := &testServer{t, natstest.New(t.TempDir())}
	ts.start(false)
	t.Cleanup(ts.stop)
	_, err = Dial(context.Background(), ts.url(), DialOptions{Timeout: 2 * time.Second})
	if !errors.Is(err, ErrNoJetStream) {
		t.Fatalf("server without JetStream: %v", err)
	}
	if _, err := dial(t, startServer(t)).Status(context.Background(), "nothing"); !errors.Is(err, ErrNoCrawl) {
		t.Fatalf("status of an unknown crawl: %v", err)
	}
}

// A killed node restarted while the server restarts: its new process waits for the old
// heartbeat to expire across the server's restart, and takes the id once it has.
func TestNodeIDFreedAcrossServerRestart(t *testing.T) {
	ts := startServer(t)
	site := &fakeSite{hosts: 4, pages: 4}
	first := startNode(t, ts, testConfig("dupre", "a"), newFakeNode(16, site), false)
	first.kill()
	conn := dial(t, ts)
	cfg := testConfig("dupre", "a")
	waiting := make(chan struct{})
	cfg.Logger = slog.New(&onMessage{Handler: cfg.Logger.Handler(), msg: msgIDHeld, ch: waiting, once: new(sync.Once)})
	joined := make(chan error, 1)
	go func() {
		n, err := conn.Join(context.Background(), cfg, newFakeNode(16, site).local())
		if err == nil {
			err = n.Close(context.Background())
		}
		joined <- err
	}()
	within(t, 20*time.Second, waiting, "the new process to wait for the old heartbeat")
	ts.restart()
	if err := within(t, 30*time.Second, joined, "the restarted node to join"); err != nil {
		t.Fatalf("join while the server restarts: %v", err)
	}
}
