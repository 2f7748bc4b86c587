package report

import (
	"fmt"
	"slices"
	"strings"
)

// A category is a kind of finding a CI job can fail on (crawl report --fail-on), and one
// test suite of the JUnit file.
type category struct {
	name, doc string
	count     func(r *Report) int
}

var categories = []category{
	{"broken-links", "broken links in the crawl's scope", func(r *Report) int { return r.BrokenLinks.Total }},
	{"broken-external", "broken links out of the scope (checked with --check-external)", func(r *Report) int { return r.BrokenExternal.Total }},
	{"broken-assets", "broken page requisites", func(r *Report) int { return r.BrokenAssets.Total }},
	{"fragments", "links to a part a page does not have", func(r *Report) int { return r.BrokenFragments.Total }},
	{"redirects", "links to URLs that redirect", func(r *Report) int { return r.RedirectedLinks.Total }},
	{"redirect-chains", "redirect chains of more than one hop, and loops", func(r *Report) int { return r.RedirectChains.Total }},
	{"titles", "titles missing, empty, too long or shared", func(r *Report) int { return textTotal(r.Titles) }},
	{"descriptions", "descriptions missing, empty, too long or shared", func(r *Report) int { return textTotal(r.Descriptions) }},
	{"h1", "pages without an h1, or with several", func(r *Report) int { return r.H1.Missing.Total + r.H1.Several.Total }},
	{"canonical", "canonical conflicts", func(r *Report) int { return r.CanonicalConflicts.Total }},
	{"hreflang", "hreflang alternates without a link back", func(r *Report) int { return r.HreflangWithoutReturn.Total }},
	{"orphans", "pages in a sitemap that no page links to", func(r *Report) int { return r.Orphans.Total }},
}

// aliases name several categories at once.
var aliases = map[string][]string{
	"broken": {"broken-links", "broken-external", "broken-assets"},
	"seo":    {"titles", "descriptions", "h1", "canonical", "hreflang"},
}

func textTotal(f TextFindings) int {
	return f.Missing.Total + f.Empty.Total + f.TooLong.Total + f.Duplicate.Total
}

// Categories lists the names of the kinds of finding, then the names that stand for
// several: broken (broken-links, broken-external, broken-assets), seo (titles,
// descriptions, h1, canonical, hreflang) and all.
func Categories() []string {
	var names []string
	for _, c := range categories {
		names = append(names, c.name)
	}
	return append(names, "broken", "seo", "all")
}

// CategoryHelp is one line per category name: the name and what it counts.
func CategoryHelp() string {
	var b strings.Builder
	for _, c := range categories {
		fmt.Fprintf(&b, "%s (%s), ", c.name, c.doc)
	}
	b.WriteString("broken (the three broken-), seo (titles, descriptions, h1, canonical, hreflang), all")
	return b.String()
}

// ParseCategories reads a comma-separated list of category names, with their aliases, and
// returns the categories named, in the order of Categories.
func ParseCategories(list string) ([]string, error) {
	want := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
		case name == "all":
			for _, c := range categories {
				want[c.name] = true
			}
		case aliases[name] != nil:
			for _, n := range aliases[name] {
				want[n] = true
			}
		case slices.ContainsFunc(categories, func(c category) bool { return c.name == name }):
			want[name] = true
		default:
			return nil, fmt.Errorf("unknown finding %q (want %s)", name, strings.Join(Categories(), ", "))
		}
	}
	var out []string
	for _, c := range categories {
		if want[c.name] {
			out = append(out, c.name)
		}
	}
	return out, nil
}

// Findings returns how many findings of a category (a name of Categories, not an alias)
// the report holds.
func (r *Report) Findings(name string) int {
	for _, c := range categories {
		if c.name == name {
			return c.count(r)
		}
	}
	return 0
}
