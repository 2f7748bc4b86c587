// Package fileset writes a set of files that must appear together, such as the nodes and
// edges files of a csv export, so that no kill or crash at any moment leaves files of two
// different writes side by side, and no killed write leaves its temporary files for good.
//
// # Writing
//
// Each file is written under a temporary name beside its final path,
// ".<name>.tmp-<random>", and stays locked (flock) as long as its writer holds it. Commit
// syncs the temporaries, then switches them in:
//
//  1. it writes a journal, ".<name of the first file>.switch", that lists each temporary
//     and its final name; the journal is itself written under a temporary name, synced and
//     renamed, so it exists whole or not at all;
//  2. it removes every final file that has a temporary to take its place;
//  3. it renames each temporary to its final name;
//  4. it removes the journal.
//
// A set of one file needs no journal: one rename replaces it at once.
//
// # What a reader sees
//
// At any moment, and after a kill or crash at any moment, the final names hold the files of
// the previous write, those of the new write or, only while a journal exists, some of the
// files of one of them with the others missing: never files of two writes. So when every
// file of the set is present, they were written together.
//
// # Recovery
//
// Create first completes every switch that a journal in the directory records (its
// temporaries were complete and synced before the journal was written), then removes the
// temporaries of writers that died: those no process holds locked. It does both, and
// creates its own temporaries, under a lock on the directory, so that two writers never
// switch at once and a writer still writing keeps its temporaries.
package fileset

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Options adjust a Set.
type Options struct {
	// Step, when set, is called with a short description of each step of writing and
	// switching the files once it is done ("created temporaries", "wrote PATH", "removed
	// PATH", ...). Tests use it to stop or kill the process at a known point.
	Step func(step string)
}

// Set is a set of files being written. One goroutine uses it: Create, a Writer per file,
// then Commit, or Discard to give up.
type Set struct {
	dir   string
	files []*file
	step  func(string)
	// journaled is set once the journal of the switch is in place: from then on the
	// temporaries belong to the switch and Discard leaves them to the next Create.
	journaled bool
	done      bool // committed or discarded
}

type file struct {
	final  string
	tmp    *os.File
	synced bool
}

// Suffixes of the names the package gives its own files.
const (
	tempMark      = ".tmp-"
	journalSuffix = ".switch"
	journalMagic  = "crawl fileset switch"
)

// tempPrefix is the start of the name of every temporary file of final.
func tempPrefix(final string) string { return "." + filepath.Base(final) + tempMark }

// journalName is the name of the journal of a set whose first file is first.
func journalName(first string) string { return "." + filepath.Base(first) + journalSuffix }

// Create completes any interrupted switch in the directory of the files, removes the
// temporaries that killed writers left there, and creates a locked temporary file for each
// final path. The paths must be in one directory. Its errors name the final path concerned.
func Create(finals []string, opt Options) (*Set, error) {
	if len(finals) == 0 {
		return nil, errors.New("fileset: no files")
	}
	s := &Set{dir: filepath.Dir(finals[0]), step: opt.Step}
	if s.step == nil {
		s.step = func(string) {}
	}
	seen := map[string]bool{}
	for _, f := range finals {
		if filepath.Dir(f) != s.dir || seen[filepath.Base(f)] {
			return nil, fmt.Errorf("fileset: %q: want distinct files in one directory", finals)
		}
		seen[filepath.Base(f)] = true
	}
	if err := s.create(finals); err != nil {
		s.Discard()
		return nil, err
	}
	s.step("created temporaries")
	return s, nil
}

// create does the work of Create under the directory lock.
func (s *Set) create(finals []string) error {
	d, err := lockDir(s.dir)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", finals[0], err)
	}
	defer d.unlock()
	if err := cleanDir(d, finals); err != nil {
		return fmt.Errorf("cannot write %s: %w", finals[0], err)
	}
	for _, final := range finals {
		tmp, err := os.CreateTemp(s.dir, tempPrefix(final)+"*")
		if err != nil {
			return fmt.Errorf("cannot write %s: %w", final, innerError(err))
		}
		s.files = append(s.files, &file{final: final, tmp: tmp})
		if err := lockFile(tmp); err != nil {
			return fmt.Errorf("cannot write %s: lock: %w", final, err)
		}
	}
	return nil
}

// innerError drops the temporary file's name from an error about it (*os.PathError,
// *os.LinkError): messages name the final path instead.
func innerError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// Paths lists the final paths, in the order given to Create.
func (s *Set) Paths() []string {
	out := make([]string, len(s.files))
	for i, f := range s.files {
		out[i] = f.final
	}
	return out
}

// Writer returns the writer of the i-th file. Closing it syncs what was written to disk;
// the file stays open, and locked, until Commit or Discard.
func (s *Set) Writer(i int) io.WriteCloser { return writer{s, s.files[i]} }

type writer struct {
	s *Set
	f *file
}

func (w writer) Write(p []byte) (int, error) { return w.f.tmp.Write(p) }

func (w writer) Close() error {
	if w.f.synced {
		return nil
	}
	if err := w.f.tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", w.f.final, innerError(err))
	}
	w.f.synced = true
	w.s.step("wrote " + w.f.final)
	return nil
}

// Commit syncs the files not synced yet and switches them all into place, replacing the
// files of an earlier write, as the package documentation describes. Files are made
// readable by all (0644), as ordinary output files are.
func (s *Set) Commit() error {
	if s.done {
		return errors.New("fileset: commit after commit or discard")
	}
	for _, f := range s.files {
		if err := (writer{s, f}).Close(); err != nil {
			return err
		}
		if err := f.tmp.Chmod(0o644); err != nil {
			return fmt.Errorf("write %s: %w", f.final, innerError(err))
		}
	}
	if len(s.files) == 1 {
		f := s.files[0]
		if err := os.Rename(f.tmp.Name(), f.final); err != nil {
			return fmt.Errorf("write %s: %w", f.final, innerError(err))
		}
		s.step("renamed " + f.final)
		s.close()
		if err := syncDir(s.dir); err != nil {
			return fmt.Errorf("write %s: %w", f.final, err)
		}
		return nil
	}

	d, err := lockDir(s.dir)
	if err != nil {
		return fmt.Errorf("write %s: %w", s.files[0].final, err)
	}
	defer d.unlock()
	j := journal{Magic: journalMagic}
	for _, f := range s.files {
		j.Files = append(j.Files, journalEntry{Temp: filepath.Base(f.tmp.Name()), Final: filepath.Base(f.final)})
	}
	if err := writeJournal(d, j); err != nil {
		return fmt.Errorf("write %s: %w", s.files[0].final, err)
	}
	s.journaled = true
	s.step("wrote the journal")
	err = complete(d, j, s.step)
	s.close()
	if err != nil {
		return fmt.Errorf("write %s: %w", s.files[0].final, err)
	}
	return nil
}

// Discard closes and removes the temporary files, unless Commit got as far as recording
// its switch: that switch is completed by the next Create. It does nothing after Commit.
func (s *Set) Discard() {
	if s.done {
		return
	}
	for _, f := range s.files {
		f.tmp.Close()
		if !s.journaled {
			os.Remove(f.tmp.Name())
		}
	}
	s.done = true
}

// close closes the temporary files, which releases their locks.
func (s *Set) close() {
	for _, f := range s.files {
		f.tmp.Close()
	}
	s.done = true
}

// journal records a switch: the temporaries to rename and their final names, all in the
// journal's directory. Its first final name names the journal.
type journal struct {
	Magic string         `json:"magic"`
	Files []journalEntry `json:"files"`
}

type journalEntry struct {
	Temp  string `json:"temp"`
	Final string `json:"final"`
}

// parseJournal reads the journal called name. It accepts only what writeJournal writes:
// base names, each temporary named as Create names the temporaries of its final file.
func parseJournal(name string, data []byte) (journal, error) {
	var j journal
	if err := json.Unmarshal(data, &j); err != nil {
		return j, err
	}
	if j.Magic != journalMagic || len(j.Files) == 0 || journalName(j.Files[0].Final) != name {
		return j, errors.New("not a journal of this set")
	}
	for _, e := range j.Files {
		if !plainName(e.Final) || !plainName(e.Temp) || !strings.HasPrefix(e.Temp, tempPrefix(e.Final)) {
			return j, fmt.Errorf("bad entry %q -> %q", e.Temp, e.Final)
		}
	}
	return j, nil
}

// plainName reports a file name without a directory part.
func plainName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, `/\`) && filepath.Base(name) == name
}

// writeJournal puts the journal in place at once: written under a temporary name, synced,
// renamed, and the directory synced.
func writeJournal(d *dirLock, j journal) error {
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	name := journalName(j.Files[0].Final)
	tmp, err := os.CreateTemp(d.path, name+tempMark+"*")
	if err != nil {
		return fmt.Errorf("journal: %w", innerError(err))
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(d.path, name))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("journal: %w", innerError(err))
	}
	return d.sync()
}

// complete carries out the switch j records, from wherever it stopped: the entries whose
// temporary still exists have not been renamed yet; their final files are all removed
// before any of them is renamed, so that the old and new files are never side by side.
// It then removes the journal. It reports each step to step.
func complete(d *dirLock, j journal, step func(string)) error {
	var pending []journalEntry
	for _, e := range j.Files {
		_, err := os.Lstat(filepath.Join(d.path, e.Temp))
		switch {
		case err == nil:
			pending = append(pending, e)
		case !errors.Is(err, fs.ErrNotExist):
			return err
		}
	}
	for _, e := range pending {
		final := filepath.Join(d.path, e.Final)
		if err := os.Remove(final); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		step("removed " + final)
	}
	if err := d.sync(); err != nil {
		return err
	}
	for _, e := range pending {
		final := filepath.Join(d.path, e.Final)
		if err := os.Rename(filepath.Join(d.path, e.Temp), final); err != nil {
			return fmt.Errorf("rename to %s: %w", final, innerError(err))
		}
		step("renamed " + final)
	}
	if err := d.sync(); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(d.path, journalName(j.Files[0].Final))); err != nil {
		return fmt.Errorf("journal: %w", innerError(err))
	}
	step("removed the journal")
	return d.sync()
}

// cleanDir completes the switches that journals in the directory record, then removes the
// temporaries of finals, and of journals, that no live writer holds. The caller holds the
// directory lock, under which every temporary is created and locked, so an unlocked one is
// a dead writer's.
func cleanDir(d *dirLock, finals []string) error {
	ents, err := os.ReadDir(d.path)
	if err != nil {
		return innerError(err)
	}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, ".") || !strings.HasSuffix(name, journalSuffix) || !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(d.path, name))
		if err != nil {
			return fmt.Errorf("journal %s: %w", name, innerError(err))
		}
		j, err := parseJournal(name, data)
		if err != nil {
			continue // not one of ours, or not one we can act on safely: leave it alone
		}
		if err := complete(d, j, func(string) {}); err != nil {
			return fmt.Errorf("complete the interrupted switch %s: %w", name, err)
		}
	}
	if ents, err = os.ReadDir(d.path); err != nil {
		return innerError(err)
	}
	stale := func(name string) bool {
		if strings.HasPrefix(name, ".") && strings.Contains(name, journalSuffix+tempMark) {
			return true // a journal being written holds the directory lock: none is now
		}
		for _, f := range finals {
			if strings.HasPrefix(name, tempPrefix(f)) {
				return true
			}
		}
		return false
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || !stale(e.Name()) {
			continue
		}
		removeIfUnlocked(filepath.Join(d.path, e.Name()))
	}
	return nil
}

// removeIfUnlocked removes the file at path if no process holds a lock on it. It is best
// effort: a file it cannot open or lock stays.
func removeIfUnlocked(path string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	if ok, err := tryLockFile(f); err == nil && ok {
		os.Remove(path)
	}
}
