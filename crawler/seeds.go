package crawler

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/crawl-project/crawl/parse"
)

// SeedError is a line of a seeds file that is not an absolute http(s) URL.
type SeedError struct {
	File string
	Line int
	Text string
	Err  error
}

func (e *SeedError) Error() string {
	return fmt.Sprintf("%s:%d: %q: %v", e.File, e.Line, e.Text, e.Err)
}

func (e *SeedError) Unwrap() error { return e.Err }

// ReadSeedsFile reads seed URLs from a file: one URL per line, blank lines and lines starting
// with '#' skipped. It returns the normalised, de-duplicated seeds and every bad line.
func ReadSeedsFile(path string) ([]string, []*SeedError, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("seeds: %w", err)
	}
	defer f.Close()
	return ReadSeeds(f, path)
}

// ReadSeeds is ReadSeedsFile on a reader; name labels errors.
func ReadSeeds(r io.Reader, name string) ([]string, []*SeedError, error) {
	var seeds []string
	var bad []*SeedError
	seen := make(map[string]bool)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if line == 1 {
			text = strings.TrimPrefix(text, "\uFEFF")
		}
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		u, err := parse.Normalize(text)
		if err != nil {
			bad = append(bad, &SeedError{File: name, Line: line, Text: text, Err: err})
			continue
		}
		if s := u.String(); !seen[s] {
			seen[s] = true
			seeds = append(seeds, s)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("seeds %s: line %d: %w", name, line+1, err)
	}
	return seeds, bad, nil
}
