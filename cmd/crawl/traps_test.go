package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestTrapFlagErrors(t *testing.T) {
	checkCrawlFlagErrors(t, []flagError{
		{[]string{"--max-url-length", "-1"}, "--max-url-length -1: must not be negative"},
		{[]string{"--max-path-segments", "-5"}, "--max-path-segments -5: must not be negative"},
		{[]string{"--max-segment-repeats", "-1"}, "--max-segment-repeats -1: must not be negative"},
		{[]string{"--max-segment-repeats", "1"}, "--max-segment-repeats 1: would reject every path"},
		{[]string{"--max-links-per-page", "-1"}, "--max-links-per-page -1: must not be negative"},
		{[]string{"--max-pages-per-host", "-2"}, "--max-pages-per-host -2: must not be negative"},
		{[]string{"--max-pages-per-host", "many"}, `invalid argument "many" for "--max-pages-per-host" flag`},
	})
}

func TestSummaryCountsRejections(t *testing.T) {
	srv := smallSite(t)
	dir := t.TempDir()
	seeds := writeFile(t, dir, "seeds.txt", srv.URL+"/\n")
	tests := []struct {
		name  string
		flags []string
		want  []string
	}{
		// "/" links /a and /b: the budget of 2 queues "/" and /a.
		{"host budget", []string{"--max-pages-per-host", "2"}, []string{"pages fetched   2 ", "rejected        1 host-budget\n"}},
		// One link per page kept: "/" keeps /a (drops /b), /a keeps "/" (drops /b).
		{"link cap", []string{"--max-links-per-page", "1"}, []string{"pages fetched   2 ", "rejected        2 too-many-links\n"}},
		// srv.URL plus "/a" or "/b" fits; plus "/missing" does not.
		{"URL length", []string{"--max-url-length", strconv.Itoa(len(srv.URL) + 2)}, []string{"pages fetched   3 ", "rejected        1 too-long\n"}},
		{"nothing rejected", nil, []string{"pages fetched   4 ", "rejected        none\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "c.db")
			args := append([]string{"--seeds", seeds, "--db", db, "--host-rate", "0"}, tt.flags...)
			code, stdout, stderr := runCmd(t, args...)
			if code != exitOK {
				t.Fatalf("exit %d; stderr:\n%s", code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("summary lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
}

func TestStatusShowsRejections(t *testing.T) {
	srv := smallSite(t)
	dir := t.TempDir()
	seeds := writeFile(t, dir, "seeds.txt", srv.URL+"/\n")
	db := filepath.Join(dir, "c.db")
	if code, _, stderr := runCmd(t, "--seeds", seeds, "--db", db, "--host-rate", "0", "--max-pages-per-host", "1", "--max-links-per-page", "1"); code != exitOK {
		t.Fatalf("crawl: exit %d\n%s", code, stderr)
	}
	code, out, stderr := runCmd(t, "status", "--db", db)
	if code != exitOK {
		t.Fatalf("status: exit %d\n%s", code, stderr)
	}
	// "/" keeps /a, which the budget of 1 (spent on "/") refuses, and drops /b.
	for _, want := range []string{"Rejected        1 host-budget, 1 too-many-links\n", "(host-budget 1)"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCmd(t, "status", "--db", db, "--json")
	if code != exitOK || !strings.Contains(out, `"rejected": {`) || !strings.Contains(out, `"too-many-links": 1`) || !strings.Contains(out, `"host-budget": 1`) {
		t.Errorf("status --json: exit %d\n%s", code, out)
	}
}
