// Package natstest runs a real nats-server with JetStream in the calling process, on
// 127.0.0.1 with its store in a directory of the caller's: the server that the cluster mode's
// tests and crawlbench's cluster figure talk to. Only they import it, so the crawl binary
// carries no server.
package natstest

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is a nats-server that can be stopped and started again on the same port and store,
// as an operator's restart would.
type Server struct {
	dir  string
	port int // -1 until the first start picks a free port
	s    *server.Server
}

// New returns a server, not started, that keeps its store in dir.
func New(dir string) *Server { return &Server{dir: dir, port: -1} }

// Start starts the server, with JetStream on or off, and returns once it takes connections.
func (s *Server) Start(jetStream bool) error {
	if s.s != nil {
		return errors.New("nats-server: already running")
	}
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: s.port, JetStream: jetStream,
		StoreDir: s.dir, NoLog: true, NoSigs: true})
	if err != nil {
		return fmt.Errorf("nats-server: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return errors.New("nats-server did not start")
	}
	s.s, s.port = srv, srv.Addr().(*net.TCPAddr).Port
	return nil
}

// Stop stops the server and waits until it has; its store stays.
func (s *Server) Stop() {
	if s.s != nil {
		s.s.Shutdown()
		s.s.WaitForShutdown()
		s.s = nil
	}
}

// Restart stops the server and starts it again with JetStream, on the same store and port.
func (s *Server) Restart() error {
	s.Stop()
	return s.Start(true)
}

// URL is the server's client URL.
func (s *Server) URL() string { return "nats://127.0.0.1:" + strconv.Itoa(s.port) }

// Server is the running server, nil when stopped: for what a test reads of it (varz, jsz).
func (s *Server) Server() *server.Server { return s.s }

// Run starts a server with JetStream for test t, its store in t.TempDir(), stopped when the
// test ends; a server that does not start fails the test.
func Run(t testing.TB) *Server {
	t.Helper()
	s := New(t.TempDir())
	if err := s.Start(true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}
