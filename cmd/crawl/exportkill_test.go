//go:build unix

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The crash tests of crawl export: the real binary is killed with SIGKILL at every step of
// writing and switching in a csv pair, and at random moments, and what a reader finds is
// checked each time: the old pair, the new pair, or (while a switch journal says a switch
// is under way) part of one of them, never a nodes file beside an edges file of another
// export; the next export completes the switch and leaves no temporary file behind.

// exportFixture is a database with two exports of it to tell apart: the old pair (internal
// URLs only) and the new pair (every URL), written by uninterrupted runs.
type exportFixture struct {
	db       string
	old, new map[string][]byte // file name (g.nodes.csv, g.edges.csv) to content
	took     time.Duration     // how long an uninterrupted run of the new export took
}

var pairNames = []string{"g.nodes.csv", "g.edges.csv"}

func newExportFixture(t *testing.T, pages int) exportFixture {
	t.Helper()
	f := exportFixture{db: filepath.Join(t.TempDir(), "crawl.db")}
	buildBenchDB(t, f.db, pages)
	read := func(args ...string) (map[string][]byte, time.Duration) {
		dir := t.TempDir()
		start := time.Now()
		args = append([]string{"export", "--db", f.db, "--format", "csv", "--out", filepath.Join(dir, "g")}, args...)
		if code, _, stderr := runBinary(t, args...); code != exitOK {
			t.Fatalf("%q: exit %d\n%s", args, code, stderr)
		}
		took := time.Since(start)
		files := map[string][]byte{}
		for _, name := range pairNames {
			files[name] = readFile(t, filepath.Join(dir, name))
		}
		return files, took
	}
	f.old, _ = read("--internal-only")
	f.new, f.took = read()
	if bytes.Equal(f.old["g.nodes.csv"], f.new["g.nodes.csv"]) || bytes.Equal(f.old["g.edges.csv"], f.new["g.edges.csv"]) {
		t.Fatal("the old and new exports do not differ: the test proves nothing")
	}
	return f
}

// outDir makes a directory holding the old pair, as an earlier export left it.
func (f exportFixture) outDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range f.old {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// exportArgs is the export the tests kill: the new pair into dir.
func (f exportFixture) exportArgs(dir string) []string {
	return []string{"export", "--db", f.db, "--format", "csv", "--out", filepath.Join(dir, "g")}
}

// pairState is what a reader finds: for each file of the pair "old", "new" or "" (absent),
// and whether the switch journal is there.
type pairState struct {
	files   [2]string
	journal bool
}

func (s pairState) String() string {
	name := func(v string) string {
		if v == "" {
			return "none"
		}
		return v
	}
	return fmt.Sprintf("nodes %s, edges %s, journal %v", name(s.files[0]), name(s.files[1]), s.journal)
}

// observe reads the pair in dir and checks what the design promises: each file is one
// export's whole file; both files, when present, are of the same export; a file is missing
// only while the journal is there (or before any pair was ever written).
func (f exportFixture) observe(t *testing.T, dir, where string) pairState {
	t.Helper()
	var st pairState
	for i, name := range pairNames {
		b, err := os.ReadFile(filepath.Join(dir, name))
		switch {
		case os.IsNotExist(err):
		case err != nil:
			t.Fatal(err)
		case bytes.Equal(b, f.old[name]):
			st.files[i] = "old"
		case bytes.Equal(b, f.new[name]):
			st.files[i] = "new"
		default:
			t.Errorf("%s: %s is neither export's whole file (%d bytes)", where, name, len(b))
			st.files[i] = "other"
		}
	}
	_, err := os.Stat(filepath.Join(dir, ".g.nodes.csv.switch"))
	st.journal = err == nil
	if st.files[0] != "" && st.files[1] != "" && st.files[0] != st.files[1] {
		t.Errorf("%s: a reader finds files of two exports side by side: %v", where, st)
	}
	if (st.files[0] == "" || st.files[1] == "") && !st.journal {
		t.Errorf("%s: a file is missing and no journal says a switch is under way: %v", where, st)
	}
	return st
}

// expectNewPairOnly checks that dir holds the new pair and nothing else: no temporary
// file, no journal.
func (f exportFixture) expectNewPairOnly(t *testing.T, dir, where string) {
	t.Helper()
	if st := f.observe(t, dir, where); st.files != [2]string{"new", "new"} || st.journal {
		t.Errorf("%s: %v, want the new pair", where, st)
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"g.edges.csv", "g.nodes.csv"}) {
		t.Errorf("%s: files %q, want the pair alone", where, names)
	}
}

// pausedExport is a crawl export run with exportPauseEnv: it stops after a given step
// until its standard input is closed.
type pausedExport struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	steps  []string      // the steps it reported, up to the pause
	paused chan bool     // receives true once it has paused, false if it ended first
	stderr *bytes.Buffer // everything it wrote to standard error
	done   chan struct{} // closed once it has exited
}

// startPaused runs the binary with args, pausing after step at.
func startPaused(t *testing.T, at int, args ...string) *pausedExport {
	t.Helper()
	p := &pausedExport{paused: make(chan bool, 1), stderr: &bytes.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(crawlBinary(t), args...)
	p.cmd.Env = append(os.Environ(), exportPauseEnv+"="+strconv.Itoa(at))
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pauseLine := fmt.Sprintf("crawl export: step %d: ", at)
	go func() {
		sc := bufio.NewScanner(stderr)
		paused := false
		for sc.Scan() {
			line := sc.Text()
			p.stderr.WriteString(line + "\n")
			if step, ok := strings.CutPrefix(line, "crawl export: step "); ok && !paused {
				_, name, _ := strings.Cut(step, ": ")
				p.steps = append(p.steps, name)
				if strings.HasPrefix(line, pauseLine) {
					paused = true
					p.paused <- true
				}
			}
		}
		if !paused {
			p.paused <- false
		}
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// kill ends the process with SIGKILL and waits for it.
func (p *pausedExport) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("export not killed: %v\n%s", p.cmd.ProcessState, p.stderr)
	}
}

// resume lets the process go on and returns its exit code.
func (p *pausedExport) resume() int {
	p.stdin.Close()
	<-p.done
	return p.cmd.ProcessState.ExitCode()
}

// TestExportKilledAtEveryStep kills a csv export at each step of writing its files and
// switching them in, from the creation of its temporaries to the removal of its journal.
func TestExportKilledAtEveryStep(t *testing.T) {
	f := newExportFixture(t, 300)
	seen := map[pairState]bool{}
	var steps []string
	for at := 1; ; at++ {
		dir := f.outDir(t)
		p := startPaused(t, at, f.exportArgs(dir)...)
		if !<-p.paused {
			if code := p.resume(); code != exitOK {
				t.Fatalf("export without a kill: exit %d\n%s", code, p.stderr)
			}
			f.expectNewPairOnly(t, dir, "unkilled export")
			break
		}
		p.kill(t)
		steps = p.steps
		where := fmt.Sprintf("killed after step %d (%s)", at, p.steps[at-1])
		st := f.observe(t, dir, where)
		seen[st] = true
		t.Logf("%s: %v", where, st)

		// The next export finishes what the killed one left and writes its own pair.
		if code, _, stderr := runBinary(t, f.exportArgs(dir)...); code != exitOK {
			t.Fatalf("%s: the next export: exit %d\n%s", where, code, stderr)
		}
		f.expectNewPairOnly(t, dir, where+", then exported again")
	}

	// Every step of the switch was a kill point, and the kills found the states the design
	// allows in the middle of a switch, not only the two ends.
	for _, want := range []string{"created temporaries", "wrote the journal", "removed the journal"} {
		if !slices.Contains(steps, want) {
			t.Errorf("no kill after %q; steps %q", want, steps)
		}
	}
	for _, want := range []pairState{
		{files: [2]string{"old", "old"}},
		{files: [2]string{"old", "old"}, journal: true},
		{journal: true},
		{files: [2]string{"new", ""}, journal: true},
		{files: [2]string{"new", "new"}, journal: true},
		{files: [2]string{"new", "new"}},
	} {
		if !seen[want] {
			t.Errorf("no kill left %v; seen %v", want, seen)
		}
	}
}

// TestExportKilledAtRandomMoments kills a csv export of a larger database at random
// moments, several times in a row on the same output, checking what a reader finds after
// each kill; then one export completes, and no temporary file of the killed ones is left.
// CRAWL_KILL_SEED replays a run; CRAWL_EXPORT_KILLS sets the number of kills.
func TestExportKilledAtRandomMoments(t *testing.T) {
	kills := envInt(t, "CRAWL_EXPORT_KILLS", 10)
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("CRAWL_KILL_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("CRAWL_KILL_SEED=%q: %v", v, err)
		}
	}
	f := newExportFixture(t, 1000)
	t.Logf("%d kills, CRAWL_KILL_SEED=%d; an uninterrupted export takes %v", kills, seed, f.took)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	dir := f.outDir(t)
	killed := 0
	for run := 1; run <= kills; run++ {
		p := startCrawl(t, f.exportArgs(dir)...)
		// The moment of the kill, not a synchronisation: anywhere in a run's life.
		timer := time.AfterFunc(time.Duration(rng.Int64N(int64(f.took))), func() { p.signal(syscall.SIGKILL) })
		code, sig := p.wait()
		timer.Stop()
		switch {
		case sig == syscall.SIGKILL:
			killed++
		case code != exitOK:
			t.Fatalf("run %d: exit %d\n%s", run, code, p.stderr.String())
		}
		st := f.observe(t, dir, fmt.Sprintf("run %d", run))
		var hidden int64
		for _, name := range dirNames(t, dir) {
			if info, err := os.Stat(filepath.Join(dir, name)); err == nil && strings.HasPrefix(name, ".") {
				hidden += info.Size()
			}
		}
		t.Logf("run %d: killed %v; %v; %d bytes of hidden files", run, sig == syscall.SIGKILL, st, hidden)
		// Each export removes what the killed ones left: what is hidden is at most the
		// temporary files of the last run, not those of every kill.
		if limit := int64(len(f.new["g.nodes.csv"])+len(f.new["g.edges.csv"])) + 4096; hidden > limit {
			t.Errorf("run %d: %d bytes of hidden files, more than one export's %d", run, hidden, limit)
		}
	}
	if killed < kills/2 {
		t.Errorf("only %d of %d runs were killed before they ended", killed, kills)
	}
	if code, _, stderr := runBinary(t, f.exportArgs(dir)...); code != exitOK {
		t.Fatalf("the export after the kills: exit %d\n%s", code, stderr)
	}
	f.expectNewPairOnly(t, dir, "after the kills, exported again")
}

// TestExportKeepsARunningExportsTemporaries runs an export while another export of the same
// output is at work and a third was killed: the killed one's temporary files are removed,
// the running one's are not, and the running one then completes.
func TestExportKeepsARunningExportsTemporaries(t *testing.T) {
	f := newExportFixture(t, 300)
	dir := f.outDir(t)
	hidden := func() []string {
		var out []string
		for _, name := range dirNames(t, dir) {
			if strings.HasPrefix(name, ".") {
				out = append(out, name)
			}
		}
		return out
	}

	// Step 2 is the nodes file written in full, the edges file not yet.
	running := startPaused(t, 2, f.exportArgs(dir)...)
	if !<-running.paused {
		t.Fatalf("the export did not pause:\n%s", running.stderr)
	}
	runningTemps := hidden()
	dead := startPaused(t, 2, f.exportArgs(dir)...)
	if !<-dead.paused {
		t.Fatalf("the export did not pause:\n%s", dead.stderr)
	}
	dead.kill(t)
	var deadTemps []string
	for _, name := range hidden() {
		if !slices.Contains(runningTemps, name) {
			deadTemps = append(deadTemps, name)
		}
	}
	if len(runningTemps) != 2 || len(deadTemps) != 2 {
		t.Fatalf("temporary files: %q of the running export, %q of the killed one; want 2 each", runningTemps, deadTemps)
	}

	if code, _, stderr := runBinary(t, f.exportArgs(dir)...); code != exitOK {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	if got := hidden(); !slices.Equal(got, runningTemps) {
		t.Errorf("hidden files %q after an export; want the running export's %q only", got, runningTemps)
	}
	if code := running.resume(); code != exitOK {
		t.Fatalf("the running export: exit %d\n%s", code, running.stderr)
	}
	f.expectNewPairOnly(t, dir, "after both exports")
}
