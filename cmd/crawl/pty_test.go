//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/crawl-project/crawl/crawler/crawltest"
)

// statusRedraw matches one redraw of the status line: carriage return, the line, clear to
// the end of the row.
var statusRedraw = regexp.MustCompile(`\r(done ([0-9,]+) [^\r]*?)\x1b\[K`)

// ptyOutput collects what a program writes to its terminal and reports each new value of
// "done" shown on the status line.
type ptyOutput struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	seen  int        // redraws already reported
	dones chan int64 // the done count of each redraw, in order
}

func (o *ptyOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	all := statusRedraw.FindAllStringSubmatch(o.buf.String(), -1)
	for _, m := range all[o.seen:] {
		n, _ := strconv.ParseInt(strings.ReplaceAll(m[2], ",", ""), 10, 64)
		select {
		case o.dones <- n:
		default: // nobody is waiting for this many: the test only needs the latest ones
		}
	}
	o.seen = len(all)
	return len(p), nil
}

func (o *ptyOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// TestStatusLineOnTerminal runs the binary on a pseudo-terminal: the status line is redrawn
// in place while the crawl runs, with the count of pages done rising, and gives way to the
// summary at the end. The site holds its requests twice, so the line is seen at two known
// counts whatever the speed of the machine.
func TestStatusLineOnTerminal(t *testing.T) {
	bin := crawlBinary(t)
	g := newGatedSite(t, crawltest.SiteConfig{Pages: 80, Seed: 9, Latency: 3 * time.Millisecond})
	holds := []*hold{g.holdAfter(15), g.holdAfter(40)}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--seeds", seedsFor(t, g.srv.URL+"/"), "--db", filepath.Join(dir, "c.db"),
		"--host-rate", "0", "--workers", "2")
	cmd.Env = append(os.Environ(), "TERM=xterm") // a capable terminal, whatever runs the tests
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 200})
	if err != nil {
		t.Fatal(err)
	}
	// A test that stops early (t.Fatal) kills the crawl (the deferred cancel) and reaps it here.
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	defer tty.Close()
	out := &ptyOutput{dones: make(chan int64, 1024)}
	copied := make(chan error, 1)
	go func() {
		_, err := io.Copy(out, tty)
		copied <- err
	}()

	for _, h := range holds {
		// With requests held after h.after, the pages done settle at exactly h.after.
		for done := int64(-1); done != int64(h.after); {
			select {
			case done = <-out.dones:
			case <-ctx.Done():
				t.Fatalf("status line never showed done %d; output:\n%q", h.after, out.String())
			}
		}
		h.Release()
	}
	err = cmd.Wait()
	if err != nil {
		t.Fatalf("crawl: %v; output:\n%q", err, out.String())
	}
	// Reading the terminal ends with EIO once the program has exited and closed it.
	if err := <-copied; err != nil && !errors.Is(err, os.ErrClosed) && !strings.Contains(err.Error(), "input/output error") {
		t.Fatal(err)
	}

	text := out.String()
	redraws := statusRedraw.FindAllStringSubmatch(text, -1)
	var last int64 = -1
	for _, m := range redraws {
		n, _ := strconv.ParseInt(strings.ReplaceAll(m[2], ",", ""), 10, 64)
		if n < last {
			t.Errorf("pages done went down: %d after %d", n, last)
		}
		last = n
	}
	if len(redraws) < 2 {
		t.Fatalf("%d redraws of the status line; output:\n%q", len(redraws), text) // the checks below read them
	}
	t.Logf("last status line: %s", redraws[len(redraws)-1][1])
	summary := strings.Index(text, "Crawl summary")
	if summary < 0 {
		t.Fatalf("no summary; output:\n%q", text)
	}
	if !strings.Contains(text[:summary], "\r\x1b[K\r\n") {
		t.Errorf("the status line is not cleared before the summary; output:\n%q", text)
	}
	if strings.Contains(text[summary:], "\x1b[K") {
		t.Errorf("status line drawn after the summary; output:\n%q", text[summary:])
	}
	for _, want := range []string{"pending ", "in flight ", "now ", "avg ", "errors ", "hosts ", "bytes ", "elapsed "} {
		if !strings.Contains(redraws[0][1], want) {
			t.Errorf("status line lacks %q: %q", want, redraws[0][1])
		}
	}
	t.Logf("summary:\n%s", strings.ReplaceAll(text[summary:], "\r\n", "\n"))
}
