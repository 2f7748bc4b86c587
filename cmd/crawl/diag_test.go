package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crawl-project/crawl/cmd/internal/statsfile"
)

func TestStatsFileAndCPUProfile(t *testing.T) {
	srv := smallSite(t)
	dir := t.TempDir()
	seeds := writeFile(t, dir, "seeds.txt", srv.URL+"/\n")
	statsPath := filepath.Join(dir, "stats.json")
	profPath := filepath.Join(dir, "cpu.pprof")
	code, _, stderr := runCmd(t, "--seeds", seeds, "--db", filepath.Join(dir, "crawl.db"), "--host-rate", "0",
		"--ignore-robots", "--quiet", "--stats-file", statsPath, "--cpuprofile", profPath)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(statsPath)
	if err != nil {
		t.Fatal(err)
	}
	var r statsfile.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	// /, /a, /b and /missing: four fetches, each parsed and committed.
	if r.Fetched != 4 || r.Committed != 4 || r.Commits < 1 || r.HeapInusePeak == 0 || r.ElapsedSeconds <= 0 {
		t.Errorf("report %+v", r)
	}
	want := []string{"frontier", "fetch", "parse", "write"}
	if len(r.Stages) != len(want) {
		t.Fatalf("stages %+v, want %v", r.Stages, want)
	}
	for i, s := range r.Stages {
		if s.Name != want[i] || s.Items != 4 || s.Width < 1 || s.BusySeconds <= 0 {
			t.Errorf("stage %d: %+v, want %s with 4 items", i, s, want[i])
		}
	}
	if fi, err := os.Stat(profPath); err != nil || fi.Size() == 0 {
		t.Errorf("cpu profile: %v, %v", fi, err)
	}
}

func TestDiagnosticFlagsAreHidden(t *testing.T) {
	_, help, _ := runCmd(t, "crawl", "--log-level", "debug", "--help")
	for _, name := range []string{"stats-file", "cpuprofile"} {
		if strings.Contains(help, name) {
			t.Errorf("--help lists --%s", name)
		}
	}
	if !strings.Contains(help, "host-rate") || !strings.Contains(help, `(default "warn")`) {
		t.Errorf("--help lost the other flags:\n%s", help)
	}
}

func TestBadProfilePathIsAUsageError(t *testing.T) {
	srv := smallSite(t)
	dir := t.TempDir()
	seeds := writeFile(t, dir, "seeds.txt", srv.URL+"/\n")
	code, _, stderr := runCmd(t, "--seeds", seeds, "--db", filepath.Join(dir, "crawl.db"),
		"--cpuprofile", filepath.Join(dir, "no", "such", "dir", "cpu.pprof"))
	if code != exitUsage || !strings.Contains(stderr, "--cpuprofile") {
		t.Errorf("exit %d, stderr %q; want %d and a --cpuprofile error", code, stderr, exitUsage)
	}
	if _, err := os.Stat(filepath.Join(dir, "crawl.db")); err == nil {
		t.Error("database created although the crawl refused to start")
	}
}
