package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/crawl-project/crawl/store"
	"github.com/crawl-project/crawl/store/export/fileset"
	"github.com/crawl-project/crawl/store/report"
)

type reportFlags struct {
	db, format, junit, failOn string
	asJSON                    bool
	limit, depth, referrers   int
	accept, exclude           []string
}

const reportLong = `Summarise a crawl database for the people who own the site: pages by state and status,
broken links, page requisites and fragments and the pages that refer to them, links to
redirects, redirect chains, pages far from the seeds, the most linked-to pages, the hosts
with the most errors, the pages marked noindex or read only in part, titles, descriptions
and h1 headings that are missing, empty, too long or shared, canonical conflicts, hreflang
alternates without a link back, orphan pages and the slowest pages.

With --fail-on, the exit code is 4 when a finding of the kinds named exists: a CI job can
fail on broken links.`

func newReportCommand(e *env) *cobra.Command {
	f := &reportFlags{}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "summarise a crawl: broken links and requisites, redirects, titles, canonical links, orphans",
		Long:  reportLong,
		Example: `  crawl report --db crawl.db --limit 0
  crawl report --json | jq '.broken_links.items[].url'
  crawl report --format markdown >> "$GITHUB_STEP_SUMMARY"
  crawl report --fail-on broken,fragments --junit report.xml --accept 429 --exclude '^https://legacy\.'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return status(runReport(cmd.Context(), e, f))
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false // the help lists flags by topic, in the order defined
	fs.StringVarP(&f.db, "db", "d", "crawl.db", "the crawl database to read")
	fs.StringVarP(&f.format, "format", "f", "text", "text, json (one document: the fields of report.Report) or markdown")
	fs.BoolVar(&f.asJSON, "json", false, "print the report as one JSON document, as --format json")
	fs.IntVarP(&f.limit, "limit", "n", 20, "items listed per section (0: all); totals always count everything")
	fs.IntVar(&f.depth, "depth", 3, "list fetched pages more than this many link hops from every seed")
	fs.IntVar(&f.referrers, "referrers", 5, "linking pages listed per broken link (0: all)")
	fs.StringSliceVar(&f.accept, "accept", nil, "HTTP `STATUSES` that are not errors, comma-separated, ranges allowed (e.g. 429,403,500-503); statuses under 400 always are")
	fs.StringArrayVar(&f.exclude, "exclude", nil, "leave out findings about URLs matching this `REGEXP` (repeatable)")
	fs.StringVar(&f.failOn, "fail-on", "", "exit 4 when a finding of these comma-separated `KINDS` exists: "+report.CategoryHelp())
	fs.StringVar(&f.junit, "junit", "", "also write the findings as JUnit XML to `FILE`, for a CI system's test results")
	enumCompletion(cmd, "format", "text", "json", "markdown")
	return cmd
}

func runReport(ctx context.Context, e *env, f *reportFlags) int {
	if f.asJSON {
		f.format = "json"
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(e.stderr, "crawl report: "+format+"\n", args...)
		return exitUsage
	}
	switch {
	case f.limit < 0:
		return fail("--limit %d: must not be negative", f.limit)
	case f.depth < 0:
		return fail("--depth %d: must not be negative", f.depth)
	case f.referrers < 0:
		return fail("--referrers %d: must not be negative", f.referrers)
	case f.format != "text" && f.format != "json" && f.format != "markdown":
		return fail("--format %q: want text, json or markdown", f.format)
	}
	accept, err := parseStatuses(f.accept)
	if err != nil {
		return fail("--accept: %v", err)
	}
	for _, p := range f.exclude {
		if _, err := regexp.Compile(p); err != nil {
			return fail("--exclude %q: %v", p, err)
		}
	}
	failOn, err := report.ParseCategories(f.failOn)
	if err != nil {
		return fail("--fail-on: %v", err)
	}
	db, code := openForReading(e.stderr, "crawl report", f.db)
	if db == nil {
		return code
	}
	defer db.Close()

	ctx, cancel := interruptible(ctx, e)
	defer cancel()
	var rep *report.Report
	err = db.View(func(s *store.Snapshot) error {
		var err error
		rep, err = report.Build(ctx, s, report.Options{Depth: f.depth, Limit: f.limit, Referrers: f.referrers,
			Accept: accept, Exclude: f.exclude})
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(e.stderr, "crawl report: interrupted")
			return exitInterrupted
		}
		fmt.Fprintf(e.stderr, "crawl report: %v\n", err)
		return exitError
	}
	if f.junit != "" {
		if err := writeJUnit(f.junit, rep, db.Path()); err != nil {
			fmt.Fprintf(e.stderr, "crawl report: --junit: %v\n", err)
			return exitError
		}
	}
	switch f.format {
	case "json":
		w := bufio.NewWriter(e.stdout)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err = enc.Encode(rep); err == nil {
			err = w.Flush()
		}
	case "markdown":
		err = report.WriteMarkdown(e.stdout, rep, db.Path())
	default:
		err = report.WriteText(e.stdout, rep, db.Path())
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "crawl report: %v\n", err)
		return exitError
	}
	var found []string
	for _, c := range failOn {
		if n := rep.Findings(c); n > 0 {
			found = append(found, fmt.Sprintf("%d %s", n, c))
		}
	}
	if len(found) > 0 {
		fmt.Fprintf(e.stderr, "crawl report: findings (--fail-on): %s\n", strings.Join(found, ", "))
		return exitFindings
	}
	return exitOK
}

// parseStatuses reads --accept: HTTP statuses and ranges of them (500-503).
func parseStatuses(list []string) ([]int, error) {
	var out []int
	for _, item := range list {
		item = strings.TrimSpace(item)
		lo, hi, isRange := strings.Cut(item, "-")
		from, err1 := strconv.Atoi(strings.TrimSpace(lo))
		to, err2 := from, error(nil)
		if isRange {
			to, err2 = strconv.Atoi(strings.TrimSpace(hi))
		}
		if err1 != nil || err2 != nil || from < 100 || to > 599 || from > to {
			return nil, fmt.Errorf("%q: want HTTP statuses (100-599) or ranges of them, like 429 or 500-503", item)
		}
		for c := from; c <= to; c++ {
			out = append(out, c)
		}
	}
	return out, nil
}

// writeJUnit writes the report's findings as JUnit XML to path, whole or not at all, as
// crawl export writes its files.
func writeJUnit(path string, rep *report.Report, dbPath string) error {
	set, err := fileset.Create([]string{path}, fileset.Options{})
	if err != nil {
		return err
	}
	defer set.Discard()
	if err := report.WriteJUnit(set.Writer(0), rep, dbPath); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return set.Commit()
}
