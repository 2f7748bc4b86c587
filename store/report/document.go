package report

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/crawl-project/crawl"
)

// A report is shown as a document: a head (the totals, the tables of states and statuses)
// and sections, each a title, a count and items. WriteText and WriteMarkdown render the same
// document, so both show the same findings.

// section is one finding of the document.
type section struct {
	title        string
	category     string // the category of its findings (see categories), "" for a section of facts
	total, shown int
	// none replaces the count when the finding could not be looked for (orphans without a
	// sitemap read).
	none  string
	intro []string // lines before the items
	items []item
}

// item is one entry of a section: its line and the lines under it.
type item struct {
	text string
	sub  []string
}

// table is a head table: a title, rows of a label, a number and a note, and a total.
type table struct {
	title, label string // label names the first column
	rows         [][3]string
	total        int
}

// document is a report laid out for reading.
type document struct {
	title    string
	summary  []string
	tables   []table
	sections []section
}

// layout lays out r. Each section lists its items as r has them.
func layout(r *Report, dbPath string) *document {
	t := r.Totals
	d := &document{title: "Crawl report for " + dbPath}
	d.summary = append(d.summary, fmt.Sprintf("%d URLs, %d links; %d fetched on %s", t.URLs, t.Edges, t.Fetched, plural(t.Hosts, "host")))
	if c := r.Checks; c.Total > 0 {
		d.summary = append(d.summary, fmt.Sprintf("%d checked (page requisites and links, HEAD): %d answered, %d without an answer, %d out of the scope",
			c.Total, c.Answered, c.Failed, c.External))
	}

	reasons := make([]string, 0, len(r.SkippedReasons))
	for _, rc := range r.SkippedReasons {
		reasons = append(reasons, fmt.Sprintf("%s %d", oneLine(rc.Reason), rc.Count))
	}
	states := table{title: "URLs by state", label: "state", total: t.URLs}
	for _, s := range r.States {
		note := ""
		if s.State == crawl.StateSkipped.String() && len(reasons) > 0 {
			note = "(" + strings.Join(reasons, ", ") + ")"
		}
		states.rows = append(states.rows, [3]string{s.State, fmt.Sprint(s.Count), note})
	}
	statuses := table{title: "Fetched pages by HTTP status", label: "status"}
	for _, s := range r.Statuses {
		statuses.rows = append(statuses.rows, [3]string{fmt.Sprint(s.Status), fmt.Sprint(s.Count), ""})
		statuses.total += s.Count
	}
	d.tables = []table{states, statuses}

	d.brokenSection("Broken links", "broken-links", r.BrokenLinks)
	d.brokenSection("Broken links out of the crawl's scope", "broken-external", r.BrokenExternal)
	d.brokenSection("Broken page requisites (images, scripts, stylesheets, frames, media)", "broken-assets", r.BrokenAssets)
	s := section{title: "Broken fragments (links to a part the page does not have)", category: "fragments",
		total: r.BrokenFragments.Total, shown: len(r.BrokenFragments.Items)}
	for _, f := range r.BrokenFragments.Items {
		s.items = append(s.items, item{fmt.Sprintf("%s  (linked from %d)", f.URL, f.LinkedFrom), referrerLines(f.Referrers, f.MoreReferrers)})
	}
	d.add(s)
	s = section{title: "Links to redirects (link to the target instead)", category: "redirects", total: r.RedirectedLinks.Total, shown: len(r.RedirectedLinks.Items)}
	for _, l := range r.RedirectedLinks.Items {
		target := l.Target
		if target == "" {
			target = "?"
		}
		s.items = append(s.items, item{fmt.Sprintf("%d  %s -> %s  (%s, linked from %d)", l.Status, l.URL, target, plural(l.Hops, "hop"), l.LinkedFrom),
			referrerLines(l.Referrers, l.MoreReferrers)})
	}
	d.add(s)

	s = section{title: "Redirect chains longer than one hop", category: "redirect-chains", total: r.RedirectChains.Total, shown: len(r.RedirectChains.Items)}
	for _, c := range r.RedirectChains.Items {
		kind := ""
		if c.Loop {
			kind = ", a loop"
		}
		it := item{text: fmt.Sprintf("%s%s (linked from %d)", plural(c.Hops, "hop"), kind, c.LinkedFrom)}
		for _, st := range c.Steps {
			it.sub = append(it.sub, fmt.Sprintf("%s  %s", outcome(st.State, st.Status), st.URL))
		}
		s.items = append(s.items, it)
	}
	d.add(s)

	s = section{title: fmt.Sprintf("Pages more than %s from the seeds", plural(r.Options.Depth, "link hop")), total: r.DeepPages.Total, shown: len(r.DeepPages.Items)}
	for _, p := range r.DeepPages.Items {
		s.items = append(s.items, item{text: fmt.Sprintf("depth %-3d %s", p.Depth, p.URL)})
	}
	d.add(s)
	d.linkedSection("Most linked-to pages", r.MostLinked)
	s = section{title: "Hosts with the most errors", total: r.ErrorHosts.Total, shown: len(r.ErrorHosts.Items)}
	for _, h := range r.ErrorHosts.Items {
		s.items = append(s.items, item{text: fmt.Sprintf("%s  %d of %d fetched (4xx %d, 5xx %d, failed %d)",
			h.Host, h.Errors, h.Fetched, h.ClientError, h.ServerError, h.Failed)})
	}
	d.add(s)
	d.linkedSection("Pages marked noindex, the most linked-to first", r.NoIndex)
	in := r.Incomplete
	s = section{title: "Pages read only in part, the most linked-to first", total: in.Total, shown: len(in.Items)}
	if in.Total > 0 {
		s.intro = []string{IncompleteSummary(in.Truncated, in.PartialParses)}
	}
	for _, p := range in.Items {
		var loss []string
		if p.Truncated {
			loss = append(loss, "truncated at "+HumanBytes(p.Bytes))
		}
		if p.Error != "" {
			loss = append(loss, "parsed in part: "+oneLine(p.Error))
		}
		s.items = append(s.items, item{text: fmt.Sprintf("%7d  %s  (%s)", p.LinkedFrom, p.URL, strings.Join(loss, "; "))})
	}
	d.add(s)

	d.textSections("title", TitleMaxLength, r.Titles)
	d.textSections("description", DescriptionMaxLength, r.Descriptions)
	s = section{title: "Pages without an h1 heading", category: "h1", total: r.H1.Missing.Total, shown: len(r.H1.Missing.Items)}
	for _, p := range r.H1.Missing.Items {
		s.items = append(s.items, item{text: p.URL})
	}
	d.add(s)
	s = section{title: "Pages with several h1 headings", category: "h1", total: r.H1.Several.Total, shown: len(r.H1.Several.Items)}
	for _, p := range r.H1.Several.Items {
		s.items = append(s.items, item{text: fmt.Sprintf("%d  %s  (first: %q)", p.Count, p.URL, oneLine(p.First))})
	}
	d.add(s)
	s = section{title: "Canonical conflicts", category: "canonical", total: r.CanonicalConflicts.Total, shown: len(r.CanonicalConflicts.Items)}
	for _, c := range r.CanonicalConflicts.Items {
		s.items = append(s.items, item{text: fmt.Sprintf("%s  %s -> %s", c.Kind, c.URL, c.Canonical), sub: []string{canonicalNote(c)}})
	}
	d.add(s)
	s = section{title: "Hreflang alternates that do not link back", category: "hreflang", total: r.HreflangWithoutReturn.Total, shown: len(r.HreflangWithoutReturn.Items)}
	for _, h := range r.HreflangWithoutReturn.Items {
		s.items = append(s.items, item{text: fmt.Sprintf("%s -> %s  (hreflang %q: it names no alternate back)", h.URL, h.Alternate, oneLine(h.Hreflang))})
	}
	d.add(s)
	s = section{title: "Orphan pages (in a sitemap, linked from no page)", category: "orphans", total: r.Orphans.Total, shown: len(r.Orphans.Items)}
	if !r.Orphans.SitemapsRead {
		s.none = "no sitemap was read (crawl with --sitemaps)"
	}
	for _, p := range r.Orphans.Items {
		s.items = append(s.items, item{text: fmt.Sprintf("%s  %s", outcome(p.State, p.Status), p.URL)})
	}
	d.add(s)
	s = section{title: "Slowest pages", total: r.SlowestPages.Total, shown: len(r.SlowestPages.Items)}
	for _, p := range r.SlowestPages.Items {
		s.items = append(s.items, item{text: fmt.Sprintf("%8.0f ms  %s", p.Milliseconds, p.URL)})
	}
	d.add(s)
	return d
}

func (d *document) add(s section) { d.sections = append(d.sections, s) }

func (d *document) brokenSection(title, category string, sec Section[BrokenLink]) {
	s := section{title: title, category: category, total: sec.Total, shown: len(sec.Items)}
	for _, b := range sec.Items {
		it := item{text: fmt.Sprintf("%s  %s  (linked from %d)", outcome(b.State, b.Status), b.URL, b.LinkedFrom)}
		if b.Error != "" {
			it.sub = append(it.sub, "error: "+oneLine(b.Error))
		}
		it.sub = append(it.sub, referrerLines(b.Referrers, b.MoreReferrers)...)
		s.items = append(s.items, it)
	}
	d.add(s)
}

func (d *document) linkedSection(title string, sec Section[LinkedPage]) {
	s := section{title: title, total: sec.Total, shown: len(sec.Items)}
	for _, p := range sec.Items {
		text := fmt.Sprintf("%7d  %s", p.LinkedFrom, p.URL)
		if p.State != crawl.StateDone.String() || p.Status < 200 || p.Status > 299 {
			text += fmt.Sprintf("  (%s)", outcome(p.State, p.Status))
		}
		s.items = append(s.items, item{text: text})
	}
	d.add(s)
}

// textSections are the four sections of the titles (or descriptions) of indexable pages.
func (d *document) textSections(what string, max int, f TextFindings) {
	category := what + "s"
	s := section{title: "Indexable pages without a " + what, category: category, total: f.Missing.Total, shown: len(f.Missing.Items)}
	for _, p := range f.Missing.Items {
		s.items = append(s.items, item{text: p.URL})
	}
	d.add(s)
	s = section{title: "Indexable pages with an empty " + what, category: category, total: f.Empty.Total, shown: len(f.Empty.Items)}
	for _, p := range f.Empty.Items {
		s.items = append(s.items, item{text: p.URL})
	}
	d.add(s)
	s = section{title: fmt.Sprintf("%ss longer than %d characters", capitalize(what), max), category: category, total: f.TooLong.Total, shown: len(f.TooLong.Items)}
	for _, p := range f.TooLong.Items {
		s.items = append(s.items, item{text: fmt.Sprintf("%4d  %s", p.Length, p.URL), sub: []string{fmt.Sprintf("%q", oneLine(p.Text))}})
	}
	d.add(s)
	s = section{title: capitalize(what) + "s shared by several pages", category: category, total: f.Duplicate.Total, shown: len(f.Duplicate.Items)}
	for _, g := range f.Duplicate.Items {
		it := item{text: fmt.Sprintf("%q on %s", oneLine(g.Text), plural(g.Pages, "page"))}
		it.sub = append(it.sub, g.URLs...)
		if more := g.Pages - len(g.URLs); more > 0 {
			it.sub = append(it.sub, fmt.Sprintf("... and %d more", more))
		}
		s.items = append(s.items, it)
	}
	d.add(s)
}

func referrerLines(refs []Referrer, more int) []string {
	var out []string
	for _, ref := range refs {
		line := "<- " + ref.URL
		if ref.Kind != crawl.KindLink.String() {
			line += " [" + ref.Kind + "]"
		}
		if ref.Anchor != "" {
			line += fmt.Sprintf(" %q", ref.Anchor)
		}
		out = append(out, line)
	}
	if more > 0 {
		out = append(out, fmt.Sprintf("... and %d more", more))
	}
	return out
}

func canonicalNote(c CanonicalConflict) string {
	switch c.Kind {
	case CanonicalNotOK:
		return "the canonical URL answered " + outcome(c.State, c.Status)
	case CanonicalChain:
		return "the canonical page names another canonical URL: " + c.Next
	case CanonicalLoop:
		return "the canonical page names this page back as its canonical"
	case CanonicalUnlinked:
		return "no page links to the canonical URL (it was not crawled)"
	case CanonicalMultiple:
		return "the page has canonical links to more than one URL"
	}
	return c.Kind
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

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// oneLine replaces line breaks and other control characters, which would break the layout
// of the report, with spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// IncompleteSummary describes the fetched pages read only in part, whose links past the loss
// are missing: "none", or "2 truncated at --max-body, 1 parsed in part". crawl's summary and
// status say it in the same words.
func IncompleteSummary(truncated, partialParses int) string {
	if truncated == 0 && partialParses == 0 {
		return "none"
	}
	return fmt.Sprintf("%d truncated at --max-body, %d parsed in part", truncated, partialParses)
}

// HumanBytes formats a byte count with binary units: "512 B", "1.5 KiB", "3.2 GiB".
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
