package fileset

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// pair is the nodes and edges files of a csv export to dir.
func pair(dir string) []string {
	return []string{filepath.Join(dir, "g.nodes.csv"), filepath.Join(dir, "g.edges.csv")}
}

// content is what write number gen puts in the file at path: each file names its write.
func content(path string, gen int) string {
	return fmt.Sprintf("%s of write %d\n", filepath.Base(path), gen)
}

// writeOld puts a complete set of write gen in place, as an earlier export left it.
func writeOld(t *testing.T, finals []string, gen int) {
	t.Helper()
	for _, f := range finals {
		if err := os.WriteFile(f, []byte(content(f, gen)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// write fills every file of s with write gen's content, closing each writer.
func write(t *testing.T, s *Set, gen int) {
	t.Helper()
	for i, f := range s.Paths() {
		w := s.Writer(i)
		if _, err := w.Write([]byte(content(f, gen))); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// names lists the directory.
func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// observe describes what a reader finds at the final paths: the write each present file
// comes from (0: absent), and whether a switch journal is in the directory. It fails the
// test on a file that is not one write's whole content.
func observe(t *testing.T, finals []string, gens ...int) (from []int, journal bool) {
	t.Helper()
	for _, f := range finals {
		b, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			from = append(from, 0)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		g := slices.IndexFunc(gens, func(g int) bool { return string(b) == content(f, g) })
		if g < 0 {
			t.Fatalf("%s holds %q, no write's whole content", f, b)
		}
		from = append(from, gens[g])
	}
	_, err := os.Stat(filepath.Join(filepath.Dir(finals[0]), journalName(finals[0])))
	return from, err == nil
}

// checkOneWrite fails the test if the present files come from different writes, or if
// some are missing while no journal says a switch is under way.
func checkOneWrite(t *testing.T, where string, from []int, journal bool) {
	t.Helper()
	present := 0
	for _, g := range from {
		if g != 0 {
			present++
			if g != from[slices.IndexFunc(from, func(g int) bool { return g != 0 })] {
				t.Errorf("%s: files of writes %v side by side", where, from)
			}
		}
	}
	if present < len(from) && present > 0 && !journal {
		t.Errorf("%s: files of writes %v, some missing, and no journal", where, from)
	}
}

func TestCommitReplacesTheSet(t *testing.T) {
	dir := t.TempDir()
	finals := pair(dir)
	writeOld(t, finals, 1)
	s, err := Create(finals, Options{})
	if err != nil {
		t.Fatal(err)
	}
	write(t, s, 2)
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Discard() // after Commit: does nothing
	if from, journal := observe(t, finals, 1, 2); !slices.Equal(from, []int{2, 2}) || journal {
		t.Errorf("after commit: writes %v, journal %v", from, journal)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"g.edges.csv", "g.nodes.csv"}) {
		t.Errorf("files %q", got)
	}
	for _, f := range finals {
		if info, err := os.Stat(f); err != nil || info.Mode().Perm() != 0o644 {
			t.Errorf("%s: %v, %v", f, info.Mode(), err)
		}
	}
	if err := s.Commit(); err == nil {
		t.Error("a second commit succeeded")
	}
}

// TestEveryStepShowsOneWrite looks at the files after each step of a commit, as a reader
// could at any moment: never files of two writes side by side.
func TestEveryStepShowsOneWrite(t *testing.T) {
	dir := t.TempDir()
	finals := pair(dir)
	writeOld(t, finals, 1)
	var steps []string
	sawJournal := false
	s, err := Create(finals, Options{Step: func(step string) {
		steps = append(steps, step)
		from, journal := observe(t, finals, 1, 2)
		checkOneWrite(t, step, from, journal)
		sawJournal = sawJournal || journal
	}})
	if err != nil {
		t.Fatal(err)
	}
	write(t, s, 2)
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	want := []string{"created temporaries", "wrote " + finals[0], "wrote " + finals[1], "wrote the journal",
		"removed " + finals[0], "removed " + finals[1], "renamed " + finals[0], "renamed " + finals[1], "removed the journal"}
	if !slices.Equal(steps, want) || !sawJournal {
		t.Errorf("steps %q (journal seen %v), want %q", steps, sawJournal, want)
	}
}

// killed stands for the death of the process at a step.
type killed struct{}

// TestInterruptedSwitchIsCompleted stops a write at each of its steps after Create as a kill
// would (the process's files are closed, nothing else happens), checks what is on disk, then
// checks that the next Create completes the switch and removes every temporary file. (The
// subprocess test of crawl export kills the real process at every step, the first included.)
func TestInterruptedSwitchIsCompleted(t *testing.T) {
	for stop := 2; ; stop++ {
		dir := t.TempDir()
		finals := pair(dir)
		writeOld(t, finals, 1)
		n := 0
		s, err := Create(finals, Options{Step: func(string) {
			if n++; n == stop {
				panic(killed{})
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		died := func() (died bool) {
			defer func() {
				if r := recover(); r != nil {
					if _, ok := r.(killed); !ok {
						panic(r)
					}
					died = true
				}
			}()
			write(t, s, 2)
			if err := s.Commit(); err != nil {
				t.Fatal(err)
			}
			return false
		}()
		if !died {
			if stop < 9 {
				t.Fatalf("the commit ended after %d steps", stop-1)
			}
			return
		}
		for _, f := range s.files {
			f.tmp.Close() // what the death of the process does, releasing the locks
		}
		where := fmt.Sprintf("killed at step %d", stop)
		from, journal := observe(t, finals, 1, 2)
		checkOneWrite(t, where, from, journal)

		// The next export completes the switch when the journal is there: its files were
		// complete. Otherwise the files stay as they are: the old ones before the journal
		// was written, the new ones once it was removed.
		want := from
		if journal {
			want = []int{2, 2}
		}
		next, err := Create(finals, Options{})
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if got, j := observe(t, finals, 1, 2); !slices.Equal(got, want) || j {
			t.Errorf("%s: next export found writes %v, journal %v; want %v", where, got, j, want)
		}
		next.Discard()
		if got := names(t, dir); !slices.Equal(got, []string{"g.edges.csv", "g.nodes.csv"}) {
			t.Errorf("%s: files left %q", where, got)
		}
	}
}

// TestStaleTemporariesRemoved checks that Create removes the temporaries of dead writers,
// of these files only, and leaves those of a writer still at work.
func TestStaleTemporariesRemoved(t *testing.T) {
	dir := t.TempDir()
	finals := pair(dir)
	live, err := Create(finals, Options{})
	if err != nil {
		t.Fatal(err)
	}
	write(t, live, 3)
	var liveTemps []string
	for _, f := range live.files {
		liveTemps = append(liveTemps, filepath.Base(f.tmp.Name()))
	}
	dead := []string{".g.nodes.csv.tmp-123", ".g.edges.csv.tmp-456", ".g.nodes.csv.switch.tmp-789"}
	others := []string{".other.csv.tmp-1", "g.nodes.csv.tmp-1", ".g.nodes.csv.tmp-dir"}
	for _, name := range append(dead, others[:2]...) {
		writeFile(t, dir, name, "left by a killed export")
	}
	if err := os.Mkdir(filepath.Join(dir, others[2]), 0o755); err != nil {
		t.Fatal(err)
	}

	next, err := Create(finals, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := names(t, dir)
	for _, name := range dead {
		if slices.Contains(got, name) {
			t.Errorf("stale %s kept", name)
		}
	}
	for _, name := range append(liveTemps, others...) {
		if !slices.Contains(got, name) {
			t.Errorf("%s removed", name)
		}
	}
	if err := live.Commit(); err != nil {
		t.Fatalf("the live export's commit: %v", err)
	}
	if from, _ := observe(t, finals, 3); !slices.Equal(from, []int{3, 3}) {
		t.Errorf("live export wrote %v", from)
	}
	next.Discard()
	if got := names(t, dir); !slices.Equal(got, []string{".g.nodes.csv.tmp-dir", ".other.csv.tmp-1", "g.edges.csv", "g.nodes.csv", "g.nodes.csv.tmp-1"}) {
		t.Errorf("files %q", got)
	}
}

func writeFile(t *testing.T, dir, name, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestForeignJournalIgnored checks that a journal Create cannot trust is never acted on:
// it renames nothing outside the set's own temporaries.
func TestForeignJournalIgnored(t *testing.T) {
	for name, data := range map[string]string{
		"garbage":      "not json",
		"other magic":  `{"magic":"something else","files":[{"temp":".g.nodes.csv.tmp-1","final":"g.nodes.csv"}]}`,
		"path":         `{"magic":"crawl fileset switch","files":[{"temp":".g.nodes.csv.tmp-1","final":"g.nodes.csv"},{"temp":"../.x.tmp-1","final":"../x"}]}`,
		"foreign temp": `{"magic":"crawl fileset switch","files":[{"temp":"notes.txt","final":"g.nodes.csv"}]}`,
		"other set":    `{"magic":"crawl fileset switch","files":[{"temp":".h.nodes.csv.tmp-1","final":"h.nodes.csv"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			finals := pair(dir)
			writeOld(t, finals, 1)
			writeFile(t, dir, "notes.txt", "notes")
			writeFile(t, dir, ".h.nodes.csv.tmp-1", "h")
			writeFile(t, dir, ".g.nodes.csv.switch", data)
			s, err := Create(finals, Options{})
			if err != nil {
				t.Fatal(err)
			}
			s.Discard()
			if from, _ := observe(t, finals, 1); !slices.Equal(from, []int{1, 1}) {
				t.Errorf("files from writes %v", from)
			}
			if got := names(t, dir); !slices.Contains(got, "notes.txt") || !slices.Contains(got, ".g.nodes.csv.switch") {
				t.Errorf("files %q", got)
			}
		})
	}
}

// TestOneFile checks a set of one file: renamed in place, no journal.
func TestOneFile(t *testing.T) {
	dir := t.TempDir()
	final := filepath.Join(dir, "g.graphml")
	writeOld(t, []string{final}, 1)
	var steps []string
	s, err := Create([]string{final}, Options{Step: func(step string) { steps = append(steps, step) }})
	if err != nil {
		t.Fatal(err)
	}
	write(t, s, 2)
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if from, _ := observe(t, []string{final}, 1, 2); !slices.Equal(from, []int{2}) {
		t.Errorf("writes %v", from)
	}
	if want := []string{"created temporaries", "wrote " + final, "renamed " + final}; !slices.Equal(steps, want) {
		t.Errorf("steps %q, want %q", steps, want)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"g.graphml"}) {
		t.Errorf("files %q", got)
	}
}

// TestDiscardRemovesTemporaries checks that a set given up leaves no file.
func TestDiscardRemovesTemporaries(t *testing.T) {
	dir := t.TempDir()
	s, err := Create(pair(dir), Options{})
	if err != nil {
		t.Fatal(err)
	}
	write(t, s, 1)
	s.Discard()
	if got := names(t, dir); len(got) != 0 {
		t.Errorf("files %q", got)
	}
}

// TestCreateErrorsNameTheFinalPath checks that errors name the file asked for, never a
// temporary.
func TestCreateErrorsNameTheFinalPath(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "file", "x")
	for _, finals := range [][]string{
		{filepath.Join(dir, "missing", "g.graphml")},
		{filepath.Join(dir, "file", "g.nodes.csv"), filepath.Join(dir, "file", "g.edges.csv")},
	} {
		_, err := Create(finals, Options{})
		if err == nil || !strings.HasPrefix(err.Error(), "cannot write "+finals[0]+": ") || strings.Contains(err.Error(), tempMark) {
			t.Errorf("%q: %v", finals, err)
		}
	}
	if _, err := Create([]string{filepath.Join(dir, "a"), filepath.Join(dir, "sub", "b")}, Options{}); err == nil {
		t.Error("files in two directories accepted")
	}
	if _, err := Create([]string{filepath.Join(dir, "a"), filepath.Join(dir, "a")}, Options{}); err == nil {
		t.Error("one file twice accepted")
	}
}
