package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/store/report"
)

// Formatting shared by everything that shows a crawl's numbers to a person: the live status
// line, the periodic progress line and the summary printed when a crawl ends.

// printSummary writes the end-of-crawl report.
func printSummary(w io.Writer, s crawler.Summary, dbPath string) {
	fmt.Fprintf(w, "\nCrawl summary\n")
	fmt.Fprintf(w, "  pages fetched   %d (2xx %d, 3xx %d, 4xx %d, 5xx %d, other %d)\n",
		s.Responses, s.ByClass[2], s.ByClass[3], s.ByClass[4], s.ByClass[5], s.ByClass[0]+s.ByClass[1])
	fmt.Fprintf(w, "  fetch errors    %s\n", formatFailures(s.Failed, s.FailedBy))
	fmt.Fprintf(w, "  robots blocked  %d\n", s.RobotsBlocked)
	if s.Checks > 0 {
		fmt.Fprintf(w, "  checks          %d (%d failed or answered 4xx/5xx; crawl report lists them)\n", s.Checks, s.CheckErrors)
	}
	printPoliteness(w, s)
	fmt.Fprintf(w, "  rejected        %s\n", formatRejected(s.Rejected))
	fmt.Fprintf(w, "  read in part    %s\n", report.IncompleteSummary(int(s.Truncated), int(s.PartialParses)))
	fmt.Fprintf(w, "  links found     %d (%d new URLs)\n", s.Links, s.NewURLs)
	fmt.Fprintf(w, "  hosts           %d\n", s.Hosts)
	fmt.Fprintf(w, "  bytes           %s\n", report.HumanBytes(s.Bytes))
	fmt.Fprintf(w, "  elapsed         %s (%.1f pages/s)\n", s.Elapsed.Round(time.Millisecond), s.PagesPerSecond())
	if s.Pending > 0 {
		fmt.Fprintf(w, "  still queued    %d (run the same command again to continue)\n", s.Pending)
	}
	fmt.Fprintf(w, "  database        %s\n", dbPath)
}

// formatFailures is the failed fetches, robots.txt included, with their causes, the most
// frequent first: "3 (2 connection refused, 1 timeout)".
func formatFailures(n int64, byCause map[string]int64) string {
	if n == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%s)", n, formatRejected(byCause))
}

// progressField is one labelled number of the progress line.
type progressField struct {
	label, value string
}

// progressFields are the numbers of the live status line and of the periodic progress line:
// pages done (results recorded), pending, in flight, pages per second over the last few
// seconds and over the run, fetch errors, hosts with a fetch in flight, bytes and elapsed time.
func progressFields(s crawler.Summary, rateNow float64) []progressField {
	return []progressField{
		{"done", humanCount(s.Committed)},
		{"pending", humanCount(s.Pending)},
		{"in flight", humanCount(s.InFlight)},
		{"now", formatRate(rateNow)},
		{"avg", formatRate(averageRate(s))},
		{"errors", humanCount(s.Failed)},
		{"hosts", humanCount(s.ActiveHosts)},
		{"bytes", report.HumanBytes(s.Bytes)},
		{"elapsed", humanDuration(s.Elapsed)},
	}
}

// averageRate is the rate of recorded results over the run.
func averageRate(s crawler.Summary) float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Committed) / s.Elapsed.Seconds()
}

// statusLine renders the fields for a terminal: "done 1,234  pending 56  ...".
func statusLine(fields []progressField) string {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteString("  ")
		}
		b.WriteString(f.label)
		b.WriteByte(' ')
		b.WriteString(f.value)
	}
	return b.String()
}

// progressLine renders the fields as one plain log-friendly line.
func progressLine(fields []progressField) string {
	var b strings.Builder
	b.WriteString("crawl: progress:")
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte(' ')
		b.WriteString(f.label)
		b.WriteByte(' ')
		b.WriteString(f.value)
	}
	return b.String()
}

// humanCount formats an integer with thousands separators: 1234567 -> "1,234,567".
func humanCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// humanDuration formats an elapsed time: "4.2s" under a minute, then to the second:
// "3m07s", "2h05m09s".
func humanDuration(d time.Duration) string {
	if d < time.Minute-50*time.Millisecond {
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	}
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm%02ds", h, m, s)
	default:
		return fmt.Sprintf("%dm%02ds", m, s)
	}
}

// formatRate formats pages per second.
func formatRate(r float64) string {
	return strconv.FormatFloat(r, 'f', 1, 64) + "/s"
}

// plural is "1 noun" or "n nouns".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
