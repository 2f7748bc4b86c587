package main

import (
	"github.com/crawl-project/crawl/crawler/cluster/natstest"
	"testing"
)

// natsServer is a real nats-server with JetStream in the test process, on 127.0.0.1, its
// store in a temporary directory (see natstest): what `crawl --cluster` talks to in the tests.
type natsServer struct {
	t *testing.T
	*natstest.Server
}

// startNATS starts a server, stopped when the test ends.
func startNATS(t *testing.T) *natsServer { return &natsServer{t, natstest.Run(t)} }

// start starts the server again on its port and store, with JetStream on or off.
func (ns *natsServer) start(jetStream bool) {
	ns.t.Helper()
	if err := ns.Start(jetStream); err != nil {
		ns.t.Fatal(err)
	}
}

func (ns *natsServer) stop() { ns.Stop() }

func (ns *natsServer) url() string { return ns.URL() }
