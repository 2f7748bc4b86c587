package main

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// natsServer is a real nats-server with JetStream in the test process, on 127.0.0.1, its
// store in a temporary directory: what `crawl --cluster` talks to in the tests. (Imported
// from test files only, so the crawl binary does not carry a server.)
type natsServer struct {
	t    *testing.T
	dir  string
	port int
	s    *server.Server
}

// startNATS starts a server, stopped when the test ends.
func startNATS(t *testing.T) *natsServer {
	t.Helper()
	ns := &natsServer{t: t, dir: t.TempDir(), port: -1}
	ns.start(true)
	t.Cleanup(ns.stop)
	return ns
}

// start starts the server on its port (a free one the first time), with JetStream on or off.
func (ns *natsServer) start(jetStream bool) {
	ns.t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: ns.port, JetStream: jetStream,
		StoreDir: ns.dir, NoLog: true, NoSigs: true})
	if err != nil {
		ns.t.Fatalf("nats-server: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		ns.t.Fatal("nats-server did not start")
	}
	ns.s, ns.port = s, s.Addr().(*net.TCPAddr).Port
}

func (ns *natsServer) stop() {
	if ns.s != nil {
		ns.s.Shutdown()
		ns.s.WaitForShutdown()
		ns.s = nil
	}
}

func (ns *natsServer) url() string { return "nats://127.0.0.1:" + strconv.Itoa(ns.port) }
