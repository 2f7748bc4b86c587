//go:build unix

package main

import (
	"bytes"
	endian "encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// badDB is a --db that every command must refuse with one line, leaving it as it was.
type badDB struct {
	name string
	path string
	code int    // exit status
	want string // in the message, after the file's name
}

// TestDamagedOrForeignDatabaseIsOneLine runs the real binary, every command, on a crawl
// database truncated at page boundaries and inside pages, one with a page of garbage, an
// empty file, bbolt files of another program, random bytes and a directory: each gets one
// line on stderr naming the file and the problem, the exit status the README documents
// (1 for a damaged crawl database, 2 for what is not one), never a stack dump, and the file
// keeps its bytes and modification time.
func TestDamagedOrForeignDatabaseIsOneLine(t *testing.T) {
	ref := crawlReference(t, 150)
	ref.site.stop() // nothing may be fetched: every command must stop at the database
	full, err := os.ReadFile(ref.db)
	if err != nil {
		t.Fatal(err)
	}
	pageSize := int(endian.NativeEndian.Uint32(full[16+8:]))
	used := int(endian.NativeEndian.Uint64(full[16+40:])) * pageSize // the high water mark
	if pageSize < 1024 || used > len(full) || used < 8*pageSize {
		t.Fatalf("meta page of the crawl: page size %d, %d bytes used of %d", pageSize, used, len(full))
	}
	dir := t.TempDir()
	var cases []badDB
	add := func(name string, data []byte, code int, want string) {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".db")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, badDB{name, path, code, want})
	}
	for _, size := range []int{100, pageSize, 2 * pageSize, 3*pageSize + pageSize/2, used / 2,
		used/2 + 100, used - pageSize, used - 1} {
		add(fmt.Sprintf("cut at %d", size), full[:size], exitError,
			fmt.Sprintf("database is damaged: truncated to %d bytes", size))
	}
	// The page of the root bucket, named by the newer of the two meta pages, is in use
	// whatever the layout of the crawl's pages: garbage there is damage every command meets.
	meta := full[16:]
	if other := full[pageSize+16:]; endian.NativeEndian.Uint64(other[48:]) > endian.NativeEndian.Uint64(meta[48:]) {
		meta = other
	}
	root := int(endian.NativeEndian.Uint64(meta[16:]))
	garbage := bytes.Clone(full)
	copy(garbage[root*pageSize:], bytes.Repeat([]byte{0xA5}, pageSize))
	add("garbage page", garbage, exitError, "database is damaged (")
	add("empty", nil, exitUsage, "the file is empty: not a crawl database")
	random := make([]byte, 64<<10)
	for i := range random {
		random[i] = byte(i*7919 + i>>7)
	}
	add("random bytes", random, exitUsage, "it is not a bbolt file: not a crawl database")
	for _, c := range []struct {
		name    string
		buckets []string
		want    string
	}{
		{"foreign bbolt", []string{"sessions"}, `a bbolt database of another program (it has a bucket "sessions"): not a crawl database`},
		{"empty bbolt", nil, "an empty bbolt database: not a crawl database"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".db")
		b, err := bolt.Open(path, 0o644, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range c.buckets {
			if err := b.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte(name)); return err }); err != nil {
				t.Fatal(err)
			}
		}
		b.Close()
		cases = append(cases, badDB{c.name, path, exitUsage, c.want})
	}
	dbDir := filepath.Join(dir, "a-directory")
	if err := os.Mkdir(dbDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cases = append(cases, badDB{"directory", dbDir, exitUsage, "it is a directory: not a crawl database"})

	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	out := t.TempDir()
	for _, c := range cases {
		if err := os.Chtimes(c.path, old, old); err != nil {
			t.Fatal(err)
		}
		before, _ := os.ReadFile(c.path) // nil for the directory
		for _, cmd := range []struct {
			name   string
			args   []string
			prefix string
		}{
			{"crawl", crawlArgs(ref.seeds, c.path), "crawl: "},
			{"status", []string{"status", "--db", c.path}, "crawl status: "},
			{"export", []string{"export", "--db", c.path, "--out", filepath.Join(out, "g.graphml")}, "crawl export: "},
			{"report", []string{"report", "--db", c.path}, "crawl report: "},
		} {
			t.Run(c.name+"/"+cmd.name, func(t *testing.T) {
				code, stdout, stderr := runBinary(t, cmd.args...)
				if code != c.code || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, cmd.prefix) ||
					!strings.Contains(stderr, c.path+": "+c.want) || stdout != "" {
					t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and one line naming %s: %s",
						code, stdout, stderr, c.code, c.path, c.want)
				}
				if c.code == exitError && !strings.Contains(stderr, "restore the last good copy") {
					t.Errorf("the message does not say how to recover: %q", stderr)
				}
				info, err := os.Stat(c.path)
				if err != nil {
					t.Fatal(err)
				}
				now, _ := os.ReadFile(c.path)
				if !bytes.Equal(now, before) || !info.ModTime().Equal(old) {
					t.Errorf("the file changed: %d bytes (was %d), mtime %v (was %v)", len(now), len(before), info.ModTime(), old)
				}
			})
		}
	}
	if names := dirNames(t, dir); len(names) != len(cases) {
		t.Errorf("files left next to the databases: %q", names)
	}
	if names := dirNames(t, out); len(names) > 0 {
		t.Errorf("export left %q", names)
	}
}
