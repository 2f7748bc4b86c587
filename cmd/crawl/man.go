package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The man page, written from the same command and flag definitions as the help:
// `crawl man > crawl.1` (make man).

func newManCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "man",
		Short: "print the manual page (roff), e.g. crawl man > crawl.1; man ./crawl.1",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			writeMan(e.stdout, cmd.Root())
			return nil
		},
	}
}

// roff escapes text for a man page: backslashes, and a leading dot or quote.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, ".") || strings.HasPrefix(line, "'") {
			line = `\&` + line
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// manFlags writes a list of flags, each as a tagged paragraph.
func manFlags(w io.Writer, flags []*pflag.Flag) {
	for _, f := range flags {
		name, usage := pflag.UnquoteUsage(f)
		tag := `\fB\-\-` + roff(f.Name) + `\fR`
		if f.Shorthand != "" {
			tag = `\fB\-` + f.Shorthand + `\fR, ` + tag
		}
		if name != "" && name != "bool" {
			tag += ` \fI` + roff(name) + `\fR`
		}
		fmt.Fprintf(w, ".TP\n%s\n%s", tag, roff(usage))
		if d := shownDefault(f); d != "" && d != "off" {
			fmt.Fprintf(w, " (default: %s)", roff(d))
		}
		fmt.Fprintln(w)
	}
}

// paragraphs writes text with blank lines as paragraph breaks and indented lines as
// literal examples.
func paragraphs(w io.Writer, text string) {
	for _, p := range strings.Split(strings.TrimSpace(text), "\n\n") {
		if strings.HasPrefix(p, "  ") {
			fmt.Fprintf(w, ".PP\n.nf\n%s\n.fi\n", roff(p))
			continue
		}
		fmt.Fprintf(w, ".PP\n%s\n", roff(p))
	}
}

func writeMan(w io.Writer, root *cobra.Command) {
	fmt.Fprintf(w, ".TH CRAWL 1 \"\" \"crawl %s\" \"User Commands\"\n", roff(version))
	fmt.Fprintf(w, ".SH NAME\ncrawl \\- %s\n", roff("a polite, resumable web crawler that records every page and link, and exports the link graph"))
	fmt.Fprintf(w, ".SH SYNOPSIS\n.B crawl\n[\\fIflags\\fR] [\\fIURL\\fR...]\n.br\n.B crawl\n\\fIcommand\\fR [\\fIflags\\fR]\n")
	fmt.Fprintf(w, ".SH DESCRIPTION\n")
	paragraphs(w, rootLong)
	fmt.Fprintf(w, ".SH OPTIONS\n")
	for _, g := range flagGroups(root.LocalFlags()) {
		fmt.Fprintf(w, ".SS %s\n", roff(g.topic))
		manFlags(w, g.flags)
	}
	var global []*pflag.Flag
	root.PersistentFlags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			global = append(global, f)
		}
	})
	fmt.Fprintf(w, ".SS Every command\n")
	manFlags(w, global)
	fmt.Fprintf(w, ".SH COMMANDS\n")
	for _, c := range root.Commands() {
		if !c.IsAvailableCommand() {
			continue
		}
		fmt.Fprintf(w, ".SS \"crawl %s\"\n", roff(c.Use))
		if c.Long != "" {
			paragraphs(w, c.Long)
		} else {
			fmt.Fprintf(w, ".PP\n%s.\n", roff(strings.ToUpper(c.Short[:1])+c.Short[1:]))
		}
		var flags []*pflag.Flag
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && f.Name != "help" {
				flags = append(flags, f)
			}
		})
		manFlags(w, flags)
	}
	fmt.Fprintf(w, ".SH ENVIRONMENT\n")
	fmt.Fprintf(w, ".TP\n.B CRAWL_\\fIFLAG\\fR\n%s\n", roff("Every flag, named in upper case with _ for -: CRAWL_MAX_DEPTH=3 is --max-depth 3. A repeatable flag takes one value per line. A flag on the command line wins over the variable, the variable over the config file."))
	fmt.Fprintf(w, ".TP\n.B %s\n%s\n", configEnv, roff("The config file, when --config is not given."))
	fmt.Fprintf(w, ".TP\n.B TERM\n%s\n", roff("When it is unset or dumb, no status line is drawn: progress lines are written instead, without carriage returns or escape codes."))
	fmt.Fprintf(w, ".TP\n.B NO_COLOR\n%s\n", roff("crawl writes no colour, with or without it."))
	fmt.Fprintf(w, ".TP\n.B HTTP_PROXY, HTTPS_PROXY, NO_PROXY\n%s\n", roff("The proxy to fetch through."))
	fmt.Fprintf(w, ".SH FILES\n.TP\n.I crawl.db\n%s\n", roff("The default crawl database (--db)."))
	fmt.Fprintf(w, ".TP\n.I config.toml\n%s\n", roff("A config file (--config): one key per flag, named as the flag, e.g. max-depth = 3, include = [\"^https://example\\.org/\"], timeout = \"30s\". 'crawl config --show' prints one."))
	fmt.Fprintf(w, ".SH \"EXIT STATUS\"\n")
	for _, c := range exitCodes {
		fmt.Fprintf(w, ".TP\n.B %d\n%s\n", c.code, roff(c.meaning))
	}
	fmt.Fprintf(w, ".SH EXAMPLES\n.nf\n%s\n.fi\n", roff(crawlExample))
	fmt.Fprintf(w, ".SH \"SEE ALSO\"\n%s\n", roff("The README of crawl, for the database, resuming, the export formats and how graph tools load them."))
}
