package cluster

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/crawl-project/crawl/crawler/cluster/natstest"
)

// testServer is a real nats-server with JetStream, in this process (see natstest). restart
// stops it and starts it again on the same store and port, as an operator's restart would.
type testServer struct {
	t *testing.T
	*natstest.Server
}

func startServer(t *testing.T) *testServer { return &testServer{t, natstest.Run(t)} }

func (ts *testServer) start(jetStream bool) {
	ts.t.Helper()
	if err := ts.Start(jetStream); err != nil {
		ts.t.Fatal(err)
	}
}

func (ts *testServer) stop() { ts.Stop() }

func (ts *testServer) restart() {
	ts.t.Helper()
	ts.stop()
	ts.start(true)
}

func (ts *testServer) url() string { return ts.URL() }

func dial(t *testing.T, ts *testServer) *Conn {
	t.Helper()
	c, err := Dial(context.Background(), ts.url(), DialOptions{Name: t.Name(), Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func testLogger() *slog.Logger {
	if os.Getenv("CLUSTER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// testConfig is a node configuration with short timings: heartbeats every 100ms, a 1s TTL
// (the server's smallest), a 300ms lease.
func testConfig(crawl, node string) Config {
	return Config{
		CrawlID: crawl, NodeID: node, Shards: 16, Settings: []byte("scope=host"),
		DatabaseID:   "db-" + node,
		Heartbeat:    100 * time.Millisecond,
		HeartbeatTTL: time.Second,
		Lease:        300 * time.Millisecond,
		MaxHostDelay: 200 * time.Millisecond,
		AckWait:      time.Second,
		PollEvery:    100 * time.Millisecond,
		Batch:        64,
		Logger:       testLogger(),
	}
}

// within fails the test if ch does not deliver within d: a failure bound, not a wait.
func within[T any](t *testing.T, d time.Duration, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("timed out after %s waiting for %s", d, what)
		panic("unreachable")
	}
}
