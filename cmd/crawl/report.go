package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
	"github.com/crawl-project/crawl/store/report"
)

type reportFlags struct {
	db                      string
	asJSON                  bool
	limit, depth, referrers int
}

const reportLong = `Summarise a crawl database: pages by state and status, broken links and the pages that
link to them, redirect chains of more than one hop, pages far from the seeds, the most
linked-to pages, the hosts with the most errors, the pages marked noindex and the pages
read only in part (body cut at --max-body, or HTML parsed in part).`

func newReportCommand(e *env) *cobra.Command {
	f := &reportFlags{}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "summarise a crawl: broken links, redirect chains, deep pages, errors",
		Long:  reportLong,
		Example: `  crawl report --db crawl.db --limit 0
  crawl report --json | jq '.broken_links.items[].url'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return status(runReport(cmd.Context(), e, f))
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false // the help lists flags by topic, in the order defined
	fs.StringVarP(&f.db, "db", "d", "crawl.db", "the crawl database to read")
	fs.BoolVar(&f.asJSON, "json", false, "print the report as one JSON document (the fields of report.Report)")
	fs.IntVarP(&f.limit, "limit", "n", 20, "items listed per section (0: all); totals always count everything")
	fs.IntVar(&f.depth, "depth", 3, "list fetched pages more than this many link hops from every seed")
	fs.IntVar(&f.referrers, "referrers", 5, "linking pages listed per broken link (0: all)")
	return cmd
}

func runReport(ctx context.Context, e *env, f *reportFlags) int {
	switch {
	case f.limit < 0:
		fmt.Fprintf(e.stderr, "crawl report: --limit %d: must not be negative\n", f.limit)
		return exitUsage
	case f.depth < 0:
		fmt.Fprintf(e.stderr, "crawl report: --depth %d: must not be negative\n", f.depth)
		return exitUsage
	case f.referrers < 0:
		fmt.Fprintf(e.stderr, "crawl report: --referrers %d: must not be negative\n", f.referrers)
		return exitUsage
	}
	db, code := openForReading(e.stderr, "crawl report", f.db)
	if db == nil {
		return code
	}
	defer db.Close()

	ctx, cancel := interruptible(ctx, e)
	defer cancel()
	var rep *report.Report
	err := db.View(func(s *store.Snapshot) error {
		var err error
		rep, err = report.Build(ctx, s, report.Options{Depth: f.depth, Limit: f.limit, Referrers: f.referrers})
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
	w := bufio.NewWriter(e.stdout)
	if f.asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		printReport(w, rep, db.Path())
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "crawl report: %v\n", err)
		return exitError
	}
	return exitOK
}

// printReport writes the text form of a report: one section per finding, each with its
// total, then its items, sorted as report.Report describes.
func printReport(w io.Writer, r *report.Report, dbPath string) {
	t := r.Totals
	fmt.Fprintf(w, "Crawl report for %s\n", dbPath)
	fmt.Fprintf(w, "  %d URLs, %d links; %d fetched on %s\n", t.URLs, t.Edges, t.Fetched, plural(t.Hosts, "host"))

	fmt.Fprintf(w, "\nURLs by state\n")
	reasons := make([]string, 0, len(r.SkippedReasons))
	for _, rc := range r.SkippedReasons {
		reasons = append(reasons, fmt.Sprintf("%s %d", oneLine(rc.Reason), rc.Count))
	}
	for _, s := range r.States {
		fmt.Fprintf(w, "  %-15s %7d", s.State, s.Count)
		if s.State == crawl.StateSkipped.String() && len(reasons) > 0 {
			fmt.Fprintf(w, "  (%s)", strings.Join(reasons, ", "))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  %-15s %7d\n", "total", t.URLs)

	fmt.Fprintf(w, "\nFetched pages by HTTP status\n")
	done := 0
	for _, s := range r.Statuses {
		fmt.Fprintf(w, "  %-15d %7d\n", s.Status, s.Count)
		done += s.Count
	}
	fmt.Fprintf(w, "  %-15s %7d\n", "total", done)

	section(w, "Broken links", r.BrokenLinks.Total, len(r.BrokenLinks.Items))
	for _, b := range r.BrokenLinks.Items {
		fmt.Fprintf(w, "  %s  %s  (linked from %d)\n", outcome(b.State, b.Status), b.URL, b.LinkedFrom)
		if b.Error != "" {
			fmt.Fprintf(w, "      error: %s\n", oneLine(b.Error))
		}
		for _, ref := range b.Referrers {
			fmt.Fprintf(w, "      <- %s", ref.URL)
			if ref.Kind != crawl.KindLink.String() {
				fmt.Fprintf(w, " [%s]", ref.Kind)
			}
			if ref.Anchor != "" {
				fmt.Fprintf(w, " %q", ref.Anchor)
			}
			fmt.Fprintln(w)
		}
		if b.MoreReferrers > 0 {
			fmt.Fprintf(w, "      ... and %d more\n", b.MoreReferrers)
		}
	}

	section(w, "Redirect chains longer than one hop", r.RedirectChains.Total, len(r.RedirectChains.Items))
	for _, c := range r.RedirectChains.Items {
		kind := ""
		if c.Loop {
			kind = ", a loop"
		}
		fmt.Fprintf(w, "  %s%s (linked from %d)\n", plural(c.Hops, "hop"), kind, c.LinkedFrom)
		for _, s := range c.Steps {
			fmt.Fprintf(w, "      %s  %s\n", outcome(s.State, s.Status), s.URL)
		}
	}

	section(w, fmt.Sprintf("Pages more than %s from the seeds", plural(r.Options.Depth, "link hop")), r.DeepPages.Total, len(r.DeepPages.Items))
	for _, p := range r.DeepPages.Items {
		fmt.Fprintf(w, "  depth %-3d %s\n", p.Depth, p.URL)
	}

	section(w, "Most linked-to pages", r.MostLinked.Total, len(r.MostLinked.Items))
	linkedPages(w, r.MostLinked.Items)

	section(w, "Hosts with the most errors", r.ErrorHosts.Total, len(r.ErrorHosts.Items))
	for _, h := range r.ErrorHosts.Items {
		fmt.Fprintf(w, "  %s  %d of %d fetched (4xx %d, 5xx %d, failed %d)\n",
			h.Host, h.Errors, h.Fetched, h.ClientError, h.ServerError, h.Failed)
	}

	section(w, "Pages marked noindex, the most linked-to first", r.NoIndex.Total, len(r.NoIndex.Items))
	linkedPages(w, r.NoIndex.Items)

	in := r.Incomplete
	section(w, "Pages read only in part, the most linked-to first", in.Total, len(in.Items))
	if in.Total > 0 {
		fmt.Fprintf(w, "  %s\n", formatIncomplete(in.Truncated, in.PartialParses))
	}
	for _, p := range in.Items {
		var loss []string
		if p.Truncated {
			loss = append(loss, "truncated at "+humanBytes(p.Bytes))
		}
		if p.Error != "" {
			loss = append(loss, "parsed in part: "+oneLine(p.Error))
		}
		fmt.Fprintf(w, "  %7d  %s  (%s)\n", p.LinkedFrom, p.URL, strings.Join(loss, "; "))
	}
}

// linkedPages prints pages with the number of pages linking to them, and the outcome of any
// fetch that did not answer 2xx.
func linkedPages(w io.Writer, pages []report.LinkedPage) {
	for _, p := range pages {
		fmt.Fprintf(w, "  %7d  %s", p.LinkedFrom, p.URL)
		if p.State != crawl.StateDone.String() || p.Status < 200 || p.Status > 299 {
			fmt.Fprintf(w, "  (%s)", outcome(p.State, p.Status))
		}
		fmt.Fprintln(w)
	}
}

// section starts a section: its title, its total, how many items are shown, or "none".
func section(w io.Writer, title string, total, shown int) {
	fmt.Fprintf(w, "\n%s", title)
	switch {
	case total == 0:
		fmt.Fprintf(w, ": none\n")
	case shown < total:
		fmt.Fprintf(w, ": %d (first %d shown)\n", total, shown)
	default:
		fmt.Fprintf(w, ": %d\n", total)
	}
}

// outcome is a URL's status code, or its state when it has none.
func outcome(state string, status int) string {
	if status != 0 {
		return fmt.Sprint(status)
	}
	return state
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// oneLine replaces line breaks and other control characters, which would break the layout
// of the text report, with spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
