package report

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// WriteText writes the text form of a report of the database at dbPath: the totals, then a
// section per finding, each with its total and its items, sorted as Report describes.
func WriteText(w io.Writer, r *Report, dbPath string) error {
	d := layout(r, dbPath)
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "%s\n", d.title)
	for _, line := range d.summary {
		fmt.Fprintf(b, "  %s\n", line)
	}
	for _, t := range d.tables {
		fmt.Fprintf(b, "\n%s\n", t.title)
		for _, row := range t.rows {
			fmt.Fprintf(b, "  %-15s %7s", row[0], row[1])
			if row[2] != "" {
				fmt.Fprintf(b, "  %s", row[2])
			}
			fmt.Fprintln(b)
		}
		fmt.Fprintf(b, "  %-15s %7d\n", "total", t.total)
	}
	for _, s := range d.sections {
		fmt.Fprintf(b, "\n%s: %s\n", s.title, count(s))
		for _, line := range s.intro {
			fmt.Fprintf(b, "  %s\n", line)
		}
		for _, it := range s.items {
			fmt.Fprintf(b, "  %s\n", it.text)
			for _, sub := range it.sub {
				fmt.Fprintf(b, "      %s\n", sub)
			}
		}
	}
	return b.Flush()
}

// count is how a section states its total: "none", "3", "30 (first 20 shown)".
func count(s section) string {
	switch {
	case s.none != "":
		return s.none
	case s.total == 0:
		return "none"
	case s.shown < s.total:
		return fmt.Sprintf("%d (first %d shown)", s.total, s.shown)
	}
	return fmt.Sprint(s.total)
}

// WriteMarkdown writes the report as Markdown (GitHub's flavour: a CI job's summary, a pull
// request comment, a wiki page): the same sections as WriteText, URLs as links.
func WriteMarkdown(w io.Writer, r *Report, dbPath string) error {
	d := layout(r, dbPath)
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "# %s\n\n", mdText(d.title))
	for _, line := range d.summary {
		fmt.Fprintf(b, "%s  \n", mdText(line))
	}
	for _, t := range d.tables {
		fmt.Fprintf(b, "\n## %s\n\n| %s | count | |\n|---|---:|---|\n", mdText(t.title), t.label)
		for _, row := range t.rows {
			fmt.Fprintf(b, "| %s | %s | %s |\n", mdCell(row[0]), row[1], mdCell(row[2]))
		}
		fmt.Fprintf(b, "| **total** | **%d** | |\n", t.total)
	}
	for _, s := range d.sections {
		fmt.Fprintf(b, "\n## %s: %s\n", mdText(s.title), mdText(count(s)))
		if len(s.intro) > 0 || len(s.items) > 0 {
			b.WriteString("\n")
		}
		for _, line := range s.intro {
			fmt.Fprintf(b, "%s\n\n", mdText(line))
		}
		for _, it := range s.items {
			fmt.Fprintf(b, "- %s\n", mdText(it.text))
			for _, sub := range it.sub {
				fmt.Fprintf(b, "  - %s\n", mdText(sub))
			}
		}
	}
	return b.Flush()
}

var urlInText = regexp.MustCompile(`https?://[^\s"<>]+`)

// mdText escapes text for Markdown, and makes its URLs links (<https://...>).
func mdText(s string) string {
	s = oneLine(s)
	var b strings.Builder
	last := 0
	for _, m := range urlInText.FindAllStringIndex(s, -1) {
		b.WriteString(mdEscape(s[last:m[0]]))
		b.WriteString("<" + s[m[0]:m[1]] + ">")
		last = m[1]
	}
	b.WriteString(mdEscape(s[last:]))
	return b.String()
}

// mdCell is mdText for a table cell.
func mdCell(s string) string { return strings.ReplaceAll(mdText(s), "|", `\|`) }

var mdSpecial = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "#", `\#`, "|", `\|`, "~", `\~`)

func mdEscape(s string) string { return mdSpecial.Replace(s) }
