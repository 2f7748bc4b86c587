package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/crawl-project/crawl/cmd/internal/statsfile"
)

// crawlRun is one run of the crawl binary.
type crawlRun struct {
	stats     statsfile.Report
	wall      time.Duration
	childCPU  time.Duration // the crawl process's user+system time
	serverCPU time.Duration // this process's CPU time over the run: the server
	// maxRSS is the crawl process's peak resident set, as it reported it (VmHWM). The rusage
	// figure is not used: on Linux it includes the memory of this process, which forked it.
	maxRSS int64
}

// runCrawl runs the crawl binary on seeds with extra flags, in a fresh directory.
func runCrawl(bin, dir string, seeds []string, extra []string) (*crawlRun, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	seedFile := filepath.Join(dir, "seeds.txt")
	if err := os.WriteFile(seedFile, []byte(strings.Join(seeds, "\n")+"\n"), 0o644); err != nil {
		return nil, err
	}
	statsFile := filepath.Join(dir, "stats.json")
	dbFile := filepath.Join(dir, "crawl.db")
	os.Remove(dbFile)
	args := append([]string{"--seeds", seedFile, "--db", dbFile, "--stats-file", statsFile, "--quiet"}, extra...)
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cpu0 := selfCPU()
	start := time.Now()
	err := cmd.Run()
	r := &crawlRun{wall: time.Since(start), serverCPU: selfCPU() - cpu0}
	if err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", bin, err, stderr.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.childCPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b, err := os.ReadFile(statsFile)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &r.stats); err != nil {
		return nil, fmt.Errorf("%s: %w", statsFile, err)
	}
	r.maxRSS = int64(r.stats.VmHWM)
	return r, nil
}

// selfCPU is this process's user+system time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAverage is the first field of /proc/loadavg, or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}
