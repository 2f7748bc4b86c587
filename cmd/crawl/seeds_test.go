package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A seeds file of 100,000 bad lines, one of them a URL of 40,000 bytes, costs a screenful of
// stderr: the first ten lines, each cut, then a count of the rest.
func TestManyBadSeedLinesCostLittleOutput(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("http://127.0.0.1:1/" + strings.Repeat("a", 40_000) + "\n")
	for i := range 99_999 {
		fmt.Fprintf(&b, "not a url %d %s\n", i, strings.Repeat("x", 90))
	}
	seeds := writeFile(t, dir, "seeds.txt", b.String())
	db := filepath.Join(dir, "c.db")
	code, stdout, stderr := runCmd(t, "--seeds", seeds, "--db", db)
	if code != exitUsage || stdout != "" {
		t.Fatalf("exit %d, stdout %q; want %d", code, stdout, exitUsage)
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(stderr) > 4096 || len(lines) != 12 {
		t.Fatalf("%d bytes, %d lines of stderr:\n%s", len(stderr), len(lines), stderr)
	}
	if want := "crawl: bad seed: " + seeds + ":1: "; !strings.HasPrefix(lines[0], want) ||
		!strings.Contains(lines[0], "(40019 bytes): longer than the 16384 bytes the crawl stores") {
		t.Errorf("first line %q; want %q, the length and why", lines[0], want)
	}
	if lines[10] != "crawl: bad seed: ... and 99990 more bad lines" || !strings.Contains(lines[11], "100000 bad line(s)") {
		t.Errorf("last lines:\n%s\n%s", lines[10], lines[11])
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("database created although the crawl refused to start")
	}
}
