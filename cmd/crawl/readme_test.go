package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The README's flag tables and exit-code table are made from the command definitions, so
// that they cannot drift: each sits between markers, and this test checks that each is what
// the definitions make. `go test ./cmd/crawl -run TestREADME -update` rewrites them.
//
//	<!-- flags:crawl:Politeness -->     the flags of a topic of a command
//	<!-- flags:crawl:log-level,log-file -->   named flags
//	<!-- flags:export -->               every flag of a command
//	...
//	<!-- end -->
//	<!-- exit-codes --> ... <!-- end -->

var update = flag.Bool("update", false, "rewrite the generated tables of README.md")

const readmePath = "../../README.md"

var readmeBlock = regexp.MustCompile(`(?s)<!-- (flags:[^>]*|exit-codes) -->\n.*?<!-- end -->`)

// flagCell is the flag column of a table: short form, long form and argument name.
func flagCell(f *pflag.Flag) string {
	name, _ := pflag.UnquoteUsage(f)
	cell := "--" + f.Name
	if f.Shorthand != "" {
		cell = "-" + f.Shorthand + ", " + cell
	}
	switch name {
	case "", "bool":
	case "int", "int64", "float", "float64":
		cell += " N"
	case "duration":
		cell += " D"
	case "string", "stringArray":
		cell += " S"
	default:
		cell += " " + name
	}
	return "`" + cell + "`"
}

func tableCell(s string) string {
	return strings.NewReplacer("|", `\|`, "`", "").Replace(s)
}

func flagTable(flags []*pflag.Flag) string {
	var b strings.Builder
	b.WriteString("| flag | default | meaning |\n|---|---|---|\n")
	for _, f := range flags {
		_, usage := pflag.UnquoteUsage(f)
		d := shownDefault(f)
		if d != "" && d != "off" {
			d = "`" + d + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", flagCell(f), d, tableCell(usage))
	}
	return b.String()
}

// readmeTable makes the table a marker names.
func readmeTable(root *cobra.Command, marker string) (string, []*pflag.Flag, error) {
	if marker == "exit-codes" {
		var b strings.Builder
		b.WriteString("| code | meaning |\n|---|---|\n")
		for _, c := range exitCodes {
			fmt.Fprintf(&b, "| %d | %s |\n", c.code, tableCell(c.meaning))
		}
		return b.String(), nil, nil
	}
	parts := strings.SplitN(strings.TrimPrefix(marker, "flags:"), ":", 2)
	cmd := root
	if parts[0] != "crawl" {
		c, _, err := root.Find(strings.Fields(parts[0])) // "export", "cluster status"
		if err != nil || c == root {
			return "", nil, fmt.Errorf("marker %q: no command %s", marker, parts[0])
		}
		cmd = c
	}
	var flags []*pflag.Flag
	switch {
	case len(parts) == 1:
		cmd.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && f.Name != "help" && f.Name != "version" {
				flags = append(flags, f)
			}
		})
	case strings.Contains(parts[1], ",") || cmd.Flags().Lookup(parts[1]) != nil:
		for _, name := range strings.Split(parts[1], ",") {
			f := cmd.Flags().Lookup(name)
			if f == nil {
				return "", nil, fmt.Errorf("marker %q: no flag --%s", marker, name)
			}
			flags = append(flags, f)
		}
	default:
		for _, g := range flagGroups(cmd.LocalFlags()) {
			if g.topic == parts[1] {
				flags = g.flags
			}
		}
		if flags == nil {
			return "", nil, fmt.Errorf("marker %q: no topic %q", marker, parts[1])
		}
	}
	return flagTable(flags), flags, nil
}

func TestREADMEIsCurrent(t *testing.T) {
	data, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	root := newRootCommand(&env{stdout: io.Discard, stderr: io.Discard, getenv: noEnv})
	documented := map[string]map[string]bool{}
	var errs []string
	out := readmeBlock.ReplaceAllStringFunc(string(data), func(block string) string {
		marker := readmeBlock.FindStringSubmatch(block)[1]
		table, flags, err := readmeTable(root, marker)
		if err != nil {
			errs = append(errs, err.Error())
			return block
		}
		cmd, _, _ := strings.Cut(strings.TrimPrefix(marker, "flags:"), ":")
		for _, f := range flags {
			if documented[cmd] == nil {
				documented[cmd] = map[string]bool{}
			}
			documented[cmd][f.Name] = true
		}
		return "<!-- " + marker + " -->\n" + table + "<!-- end -->"
	})
	if len(errs) > 0 {
		t.Fatal(strings.Join(errs, "\n"))
	}
	if !strings.Contains(out, "<!-- exit-codes -->") {
		t.Error("README.md has no exit-code table")
	}
	// Every flag of crawl and crawl export is in a table.
	for name, cmd := range map[string]*cobra.Command{"crawl": root, "export": findCommand(root, "export")} {
		cmd.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && !slices.Contains([]string{"help", "version", configFlag}, f.Name) && !documented[name][f.Name] {
				t.Errorf("README.md has no table row for --%s of %s", f.Name, name)
			}
		})
	}
	if out == string(data) {
		return
	}
	if *update {
		if err := os.WriteFile(readmePath, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's generated tables differ from the command definitions; run go test ./cmd/crawl -run TestREADME -update")
}

func findCommand(root *cobra.Command, name string) *cobra.Command {
	c, _, _ := root.Find([]string{name})
	return c
}

// TestREADMEFirstScreen checks that the first screen of the README shows a crawl from a URL
// beside one from a seeds file.
func TestREADMEFirstScreen(t *testing.T) {
	data, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(data), "\n", 25)
	first := strings.Join(lines[:min(24, len(lines))], "\n")
	for _, want := range []string{"crawl https://example.org/", "crawl --seeds urls.txt"} {
		if !strings.Contains(first, want) {
			t.Errorf("the README's first 24 lines lack %q", want)
		}
	}
}
