package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/parse"
)

// trapFlags are the limits that keep a crawl out of crawler traps.
type trapFlags struct {
	maxURLLength, maxPathSegments, maxSegmentRepeats int
	maxLinksPerPage, maxPagesPerHost                 int
}

func (t *trapFlags) register(fs *pflag.FlagSet) {
	fs.IntVar(&t.maxURLLength, "max-url-length", parse.DefaultMaxURLLength, "links to URLs longer than this are recorded, not fetched (0: no limit)")
	fs.IntVar(&t.maxPathSegments, "max-path-segments", parse.DefaultMaxPathSegments, "links to URLs with more path segments (slashes) than this are recorded, not fetched (0: no limit)")
	fs.IntVar(&t.maxSegmentRepeats, "max-segment-repeats", parse.DefaultMaxSegmentRepeats, "links to URLs whose path has one segment this many times are recorded, not fetched (0: no limit)")
	fs.IntVar(&t.maxLinksPerPage, "max-links-per-page", 6000, "distinct links kept per page; the rest are counted (0: no limit)")
	fs.IntVar(&t.maxPagesPerHost, "max-pages-per-host", 0, "URLs of one host queued over the whole crawl, earlier runs included; the rest are recorded, not fetched (0: no limit)")
	group(fs, "Traps", "max-url-length", "max-path-segments", "max-segment-repeats", "max-links-per-page", "max-pages-per-host")
}

// apply checks the flags and sets them in cfg.
func (t *trapFlags) apply(cfg *crawler.Config) error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"--max-url-length", t.maxURLLength},
		{"--max-path-segments", t.maxPathSegments},
		{"--max-segment-repeats", t.maxSegmentRepeats},
		{"--max-links-per-page", t.maxLinksPerPage},
		{"--max-pages-per-host", t.maxPagesPerHost},
	} {
		if f.v < 0 {
			return fmt.Errorf("%s %d: must not be negative", f.name, f.v)
		}
	}
	if t.maxSegmentRepeats == 1 {
		return fmt.Errorf("--max-segment-repeats 1: would reject every path; use 2 or more, or 0 for no limit")
	}
	cfg.Filter = &parse.Filter{
		MaxURLLength:      t.maxURLLength,
		MaxPathSegments:   t.maxPathSegments,
		MaxSegmentRepeats: t.maxSegmentRepeats,
	}
	cfg.MaxLinksPerPage = t.maxLinksPerPage
	if t.maxLinksPerPage == 0 {
		cfg.MaxLinksPerPage = -1 // crawler.Config: negative for no cap
	}
	cfg.MaxPagesPerHost = t.maxPagesPerHost
	return nil
}

// formatRejected lists rejection counts, largest first: "4000 too-many-links, 12 too-long".
func formatRejected[N int | int64](m map[string]N) string {
	reasons := make([]string, 0, len(m))
	for r, n := range m {
		if n > 0 {
			reasons = append(reasons, r)
		}
	}
	if len(reasons) == 0 {
		return "none"
	}
	sort.Slice(reasons, func(i, j int) bool {
		if m[reasons[i]] != m[reasons[j]] {
			return m[reasons[i]] > m[reasons[j]]
		}
		return reasons[i] < reasons[j]
	})
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = fmt.Sprintf("%d %s", m[r], r)
	}
	return strings.Join(parts, ", ")
}
