package fetch

import (
	"context"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fullBacklogAddr returns the address of a listening socket whose accept queue is full, so
// that a new connection attempt gets no answer at all (the kernel drops its SYN), as with a
// host behind a firewall that drops packets.
func fullBacklogAddr(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	// Fill the queue: connect until an attempt hangs (never accepted).
	for range 8 {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return addr
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("the kernel kept accepting connections; cannot make a connect hang")
	return ""
}

func TestGetConnectTimeout(t *testing.T) {
	addr := fullBacklogAddr(t)
	c := NewClient(Config{Timeout: time.Hour, ConnectTimeout: 100 * time.Millisecond})
	_, err := c.Get(context.Background(), mustURL(t, "http://"+addr+"/"), nil)
	if err == nil || !strings.Contains(err.Error(), "i/o timeout") {
		t.Fatalf("Get: %v, want a connect timeout", err)
	}
	if !Retriable(err) {
		t.Errorf("Retriable(%v) = false", err)
	}
}
