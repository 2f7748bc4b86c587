package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The cluster tests run a nats-server in the test process (natstest); the crawl binary
// itself is a client only and must not carry the server.
func TestBinaryCarriesNoServer(t *testing.T) {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	out, err := exec.Command(gocmd, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/nats-io/nats-server") || strings.HasSuffix(pkg, "/natstest") {
			t.Errorf("the crawl binary imports %s", pkg)
		}
	}
}
