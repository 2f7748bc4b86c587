package main

import (
	"bufio"
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		line string
		want time.Duration
		ok   bool
	}{
		{"1234 (crawl) S 1 1234 1234 0 -1 4194304 500 0 0 0 150 25 0 0 20 0 9 0 100 0 0", 175 * clockTick, true},
		// A command name with spaces and a parenthesis of its own.
		{"99 (a b) c)) R 1 99 99 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 5 0 0", 10 * clockTick, true},
		{"99 (short) R 1 2 3", 0, false},
		{"no parenthesis at all", 0, false},
		{"1 (x) S 1 1 1 0 -1 0 0 0 0 0 utime 3 0", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseProcStat(tt.line)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseProcStat(%q) = %v, %v; want %v, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	if _, ok := parseProcStat(string(b)); !ok {
		t.Errorf("parseProcStat(/proc/self/stat) failed on %q", b)
	}
}

// TestSampleCPU samples a child that spins until its own account shows 200 ms of CPU, then
// says so and waits: the sampler's last sample, taken then, holds at least that much.
func TestSampleCPU(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skipf("no /proc: %v", err)
	}
	// Builtins only, so that the CPU is the shell's own, not its children's.
	cmd := exec.Command("sh", "-c", `while read -r s </proc/$$/stat && set -- $s && [ "${14}" -lt 20 ]; do :; done; echo spun; read s`)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	start := time.Now()
	s := sampleCPU([]int{cmd.Process.Pid}, 5*time.Millisecond)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "spun\n" {
		t.Fatalf("child said %q, %v", line, err)
	}
	s.finish()
	u := s.over(start, time.Now())
	if u.children < 20*clockTick {
		t.Errorf("children's CPU %v, want at least %v", u.children, 20*clockTick)
	}
	if u.window <= 0 || u.busy(1) <= 0 {
		t.Errorf("window %v, busy %.2f: want both positive", u.window, u.busy(1))
	}
}
