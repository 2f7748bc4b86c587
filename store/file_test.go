package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/crawl-project/crawl"
)

// fileState is what Open must leave as it was in a file it refuses.
type fileState struct {
	data  []byte
	mtime time.Time
}

func readState(t *testing.T, path string) fileState {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.IsDir() {
		return fileState{mtime: info.ModTime()}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fileState{data: data, mtime: info.ModTime()}
}

func (s fileState) check(t *testing.T, path string) {
	t.Helper()
	now := readState(t, path)
	if !bytes.Equal(now.data, s.data) {
		t.Errorf("%s: the bytes changed", filepath.Base(path))
	}
	if !now.mtime.Equal(s.mtime) {
		t.Errorf("%s: mtime changed from %v to %v", filepath.Base(path), s.mtime, now.mtime)
	}
}

// writeBolt makes a bbolt file that is not a crawl's, with the given buckets.
func writeBolt(t *testing.T, path string, buckets ...string) {
	t.Helper()
	b, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		for _, name := range buckets {
			bk, err := tx.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			if err := bk.Put([]byte("k"), []byte("v")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

// dirNames lists a directory, to catch files left behind.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestOpenRefusesWhatIsNotACrawlDatabase(t *testing.T) {
	dir := t.TempDir()
	random := make([]byte, 50_000)
	for i := range random {
		random[i] = byte(i*7919 + i/13)
	}
	paths := map[string]string{
		"a directory":         filepath.Join(dir, "dir.db"),
		"an empty file":       filepath.Join(dir, "empty.db"),
		"a foreign bbolt":     filepath.Join(dir, "foreign.db"),
		"an empty bbolt":      filepath.Join(dir, "emptybolt.db"),
		"other bytes":         filepath.Join(dir, "random.db"),
		"a short text":        filepath.Join(dir, "notes.txt"),
		"an old bbolt format": filepath.Join(dir, "v1.db"),
	}
	if err := os.Mkdir(paths["a directory"], 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, paths["an empty file"], nil)
	writeBolt(t, paths["a foreign bbolt"], "sessions", "users")
	writeBolt(t, paths["an empty bbolt"])
	writeFile(t, paths["other bytes"], random)
	writeFile(t, paths["a short text"], []byte("not a database\n"))
	v1 := fileBytes(t, paths["an empty bbolt"])
	v1[pageHeaderSize+4] = 1 // the version field of the first meta page
	writeFile(t, paths["an old bbolt format"], v1)

	wantText := map[string]string{
		"a directory":         "it is a directory: not a crawl database",
		"an empty file":       "the file is empty: not a crawl database",
		"a foreign bbolt":     `a bbolt database of another program (it has a bucket "sessions"): not a crawl database`,
		"an empty bbolt":      "an empty bbolt database: not a crawl database",
		"other bytes":         "it is not a bbolt file: not a crawl database",
		"a short text":        "it is not a bbolt file: not a crawl database",
		"an old bbolt format": "not a crawl database",
	}
	for name, path := range paths {
		before := readState(t, path)
		for _, readOnly := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/read-only=%v", name, readOnly), func(t *testing.T) {
				db, err := Open(path, Options{ReadOnly: readOnly})
				if err == nil {
					db.Close()
					t.Fatal("opened")
				}
				if !errors.Is(err, ErrNotCrawl) || !strings.Contains(err.Error(), wantText[name]) ||
					!strings.HasPrefix(err.Error(), "open "+path+": ") {
					t.Errorf("err = %v; want ErrNotCrawl naming the file and %q", err, wantText[name])
				}
				before.check(t, path)
			})
		}
	}
	if got := len(dirNames(t, dir)); got != len(paths) {
		t.Errorf("files left behind: %q", dirNames(t, dir))
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// An mtime in the past, so that a write in the same clock tick would show.
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// crawledDB writes a crawl database of some hundreds of pages with links, closes it and
// returns its path and page size.
func crawledDB(t *testing.T) (string, int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "crawl.db")
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	var seeds []Seed
	for i := range 400 {
		u := fmt.Sprintf("http://a.test/page/%d", i)
		seeds = append(seeds, Seed{URL: u, Host: "a.test"})
	}
	if _, err := db.AddSeeds(seeds); err != nil {
		t.Fatal(err)
	}
	var batch []crawl.Result
	for i := range 400 {
		r := done(uint64(i+1), "a.test")
		r.Page.Title = strings.Repeat("title ", 20)
		for k := range 30 {
			l := link(fmt.Sprintf("http://a.test/page/%d", (i*31+k)%400), true)
			l.Anchor = strings.Repeat("anchor ", 5)
			r.Links = append(r.Links, l)
		}
		batch = append(batch, r)
	}
	if _, err := db.Writer(-1).Commit(batch); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	m, ok := readMeta(bytes.NewReader(fileBytes(t, path)), 0)
	if !ok || !m.valid() || m.pages < 20 {
		t.Fatalf("meta of the test database: %+v", m)
	}
	return path, int(m.pageSize)
}

func TestOpenRefusesATruncatedDatabase(t *testing.T) {
	src, pageSize := crawledDB(t)
	full := fileBytes(t, src)
	m, _ := readMeta(bytes.NewReader(full), 0)
	used := int(m.pages) * pageSize
	dir := t.TempDir()
	for _, size := range []int{40, 100, pageSize, pageSize + 1000, 2 * pageSize, 3 * pageSize,
		used / 2, used/2 + pageSize/2, used - pageSize, used - 1} {
		path := filepath.Join(dir, fmt.Sprintf("cut-%d.db", size))
		writeFile(t, path, full[:size])
		before := readState(t, path)
		for _, readOnly := range []bool{true, false} {
			t.Run(fmt.Sprintf("%d/read-only=%v", size, readOnly), func(t *testing.T) {
				db, err := Open(path, Options{ReadOnly: readOnly})
				if err == nil {
					db.Close()
					t.Fatal("opened")
				}
				if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "truncated to ") ||
					!strings.Contains(err.Error(), "restore the last good copy") || !strings.Contains(err.Error(), path) {
					t.Errorf("err = %v; want ErrDamaged naming the file, the truncation and the remedy", err)
				}
				before.check(t, path)
			})
		}
	}
	// What lies past the high water mark is room bbolt grew the file by, not data.
	if len(full) > used {
		path := filepath.Join(dir, "trimmed.db")
		writeFile(t, path, full[:used])
		db, err := Open(path, Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("a file cut at its high water mark: %v", err)
		}
		db.Close()
	}
}

// A page of garbage inside the file: a read-write Open finds it before bbolt's own scan
// would crash the process; a read-only Open maps the file lazily, and the read that meets
// the page fails with ErrDamaged instead of panicking.
func TestDamagedPageIsAnError(t *testing.T) {
	src, pageSize := crawledDB(t)
	full := fileBytes(t, src)
	m, _ := readMeta(bytes.NewReader(full), 0)
	for _, fill := range []byte{0x00, 0xA5} {
		for _, pg := range []int{2, 3, int(m.pages) / 2, int(m.pages) - 1} {
			t.Run(fmt.Sprintf("page %d of %#x", pg, fill), func(t *testing.T) {
				data := bytes.Clone(full)
				copy(data[pg*pageSize:(pg+1)*pageSize], bytes.Repeat([]byte{fill}, pageSize))
				path := filepath.Join(t.TempDir(), "crawl.db")
				writeFile(t, path, data)
				before := readState(t, path)
				db, err := Open(path, Options{})
				if err == nil {
					db.Close()
					t.Skip("the page was free") // pages past the last commit's tree are unused
				}
				if !errors.Is(err, ErrDamaged) || !strings.HasPrefix(err.Error(), path+": database is damaged") {
					t.Errorf("read-write open: err = %v; want ErrDamaged naming the file", err)
				}
				before.check(t, path)

				db, err = Open(path, Options{ReadOnly: true})
				if err != nil {
					if !errors.Is(err, ErrDamaged) {
						t.Fatalf("read-only open: %v", err)
					}
					return // the page holds the meta or root bucket: seen at once
				}
				defer db.Close()
				err = db.View(func(s *Snapshot) error { // every bucket the test database has
					if _, err := s.Status(); err != nil {
						return err
					}
					if err := s.EachNode(func(crawl.Node) error { return nil }); err != nil {
						return err
					}
					if err := s.EachEdge(func(crawl.Edge) error { return nil }); err != nil {
						return err
					}
					for i := range 400 {
						if _, _, err := s.Lookup(fmt.Sprintf("http://a.test/page/%d", i)); err != nil {
							return err
						}
					}
					return nil
				})
				if !errors.Is(err, ErrDamaged) {
					t.Errorf("reading it: err = %v; want ErrDamaged", err)
				}
				before.check(t, path)
			})
		}
	}
}

func TestOpenCreatesOnlyWhereNothingIs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new.db")
	if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrNotExist) {
		t.Fatalf("read-only open of a missing file: %v", err)
	}
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != "new.db" {
		t.Errorf("files after creating: %q", names)
	}
	mustSeed(t, db, "http://a.test/")
	db.Close()
	db, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	if got := node(t, db, "http://a.test/"); got.State != crawl.StatePending {
		t.Errorf("seed after reopening: %+v", got)
	}
}

// A callback's own panic is not the file's damage: it reaches the caller unchanged.
func TestGuardPassesOnCallbackPanics(t *testing.T) {
	db := openTemp(t)
	mustSeed(t, db, "http://a.test/")
	type boom struct{}
	defer func() {
		if v := recover(); v != (boom{}) {
			t.Errorf("recovered %v, want the callback's panic", v)
		}
	}()
	_ = db.View(func(s *Snapshot) error {
		return s.EachNode(func(crawl.Node) error { panic(boom{}) })
	})
	t.Error("EachNode returned")
}

// A crawl database from before some of the buckets were added gets them when opened for a
// crawl, and is read as it is by the read-only commands.
func TestOpenAddsMissingBuckets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crawl.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustSeed(t, db, "http://a.test/")
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketHostPages, bucketRejects} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only: %v", err)
	}
	if got := rejections(t, ro); len(got) != 0 {
		t.Errorf("rejections = %v", got)
	}
	ro.Close()
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("read-write: %v", err)
	}
	defer db.Close()
	id := node(t, db, "http://a.test/").ID
	stats, err := db.Writer(-1).WithHostBudget(5).Commit([]crawl.Result{done(id, "a.test", link("http://a.test/x", true))})
	if err != nil || stats.Queued != 1 || hostQueued(t, db, "a.test") != 1 {
		t.Errorf("commit after reopening: %+v, %v", stats, err)
	}
}
