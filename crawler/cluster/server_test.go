package cluster

import (
	"context"
	"log/slog"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// testServer is a real nats-server with JetStream, in this process, on 127.0.0.1 with its
// store in a temporary directory. restart stops it and starts a new one on the same store
// and port, as an operator's restart would.
type testServer struct {
	t    *testing.T
	dir  string
	port int
	s    *server.Server
}

func startServer(t *testing.T) *testServer {
	t.Helper()
	ts := &testServer{t: t, dir: t.TempDir(), port: -1}
	ts.start(true)
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) start(jetStream bool) {
	ts.t.Helper()
	s, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: ts.port, JetStream: jetStream, StoreDir: ts.dir,
		NoLog: true, NoSigs: true,
	})
	if err != nil {
		ts.t.Fatalf("nats-server: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		ts.t.Fatal("nats-server did not start")
	}
	ts.s = s
	ts.port = s.Addr().(*net.TCPAddr).Port
}

func (ts *testServer) stop() {
	if ts.s != nil {
		ts.s.Shutdown()
		ts.s.WaitForShutdown()
		ts.s = nil
	}
}

func (ts *testServer) restart() {
	ts.t.Helper()
	ts.stop()
	ts.start(true)
}

func (ts *testServer) url() string { return "nats://127.0.0.1:" + strconv.Itoa(ts.port) }

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
