package main

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/store/report"
)

func TestHumanFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{report.HumanBytes(0), "0 B"},
		{report.HumanBytes(1023), "1023 B"},
		{report.HumanBytes(1536), "1.5 KiB"},
		{report.HumanBytes(5 << 30), "5.0 GiB"},
		{humanCount(0), "0"},
		{humanCount(999), "999"},
		{humanCount(1000), "1,000"},
		{humanCount(1234567), "1,234,567"},
		{humanCount(-1234), "-1,234"},
		{humanDuration(0), "0.0s"},
		{humanDuration(4240 * time.Millisecond), "4.2s"},
		{humanDuration(59960 * time.Millisecond), "1m00s"},
		{humanDuration(3*time.Minute + 7*time.Second), "3m07s"},
		{humanDuration(2*time.Hour + 5*time.Minute + 9*time.Second), "2h05m09s"},
		{formatRate(38.04), "38.0/s"},
		{truncateRunes("héllo", 3), "hél"},
		{truncateRunes("héllo", 9), "héllo"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestProgressFormats(t *testing.T) {
	s := crawler.Summary{Committed: 12345, Pending: 678, InFlight: 16, Failed: 3, ActiveHosts: 12, Bytes: 45 << 20, Elapsed: 83 * time.Second}
	f := progressFields(s, 42.1)
	if got, want := statusLine(f), "done 12,345  pending 678  in flight 16  now 42.1/s  avg 148.7/s  errors 3  hosts 12  bytes 45.0 MiB  elapsed 1m23s"; got != want {
		t.Errorf("status line\n got %q\nwant %q", got, want)
	}
	if got, want := progressLine(f), "crawl: progress: done 12,345, pending 678, in flight 16, now 42.1/s, avg 148.7/s, errors 3, hosts 12, bytes 45.0 MiB, elapsed 1m23s"; got != want {
		t.Errorf("progress line\n got %q\nwant %q", got, want)
	}
}

// TestStatusWriterKeepsLogLinesApart checks that a line written while the status line is
// shown replaces it, and the status line comes back below.
func TestStatusWriterKeepsLogLinesApart(t *testing.T) {
	var term bytes.Buffer
	w := &statusWriter{w: &term, fd: -1}
	fmt.Fprintln(w, "before")
	w.show("done 1")
	fmt.Fprintln(w, "a log line")
	w.show("done 2")
	w.clear()
	w.clear()
	fmt.Fprintln(w, "after")
	want := "before\n" + "\rdone 1\x1b[K" + "\r\x1b[Ka log line\ndone 1" + "\rdone 2\x1b[K" + "\r\x1b[K" + "after\n"
	if got := term.String(); got != want {
		t.Errorf("terminal got\n%q\nwant\n%q", got, want)
	}
}
