package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The command line is built with cobra and pflag: GNU long flags (--db FILE, --db=FILE),
// short forms for the common ones, `crawl help <command>`, shell completion and a man page
// from the same definitions. cobra was chosen over kong for its built-in completion scripts
// for bash, zsh and fish, which kong leaves to other modules, and because pflag's FlagSet is
// close enough to the flag package's that every flag kept its definition.

// exitStatus is the error a command returns to end the process with its code, after it has
// said why on stderr itself.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// status turns a command's exit code into the error cobra passes up: nil for success.
func status(code int) error {
	if code == exitOK {
		return nil
	}
	return exitStatus(code)
}

// usageErr is a bad command line: reported on one line with a hint, exit 2.
type usageErr struct {
	cmd string // "crawl export"
	err error
}

func (e *usageErr) Error() string { return e.err.Error() }

func badUsage(cmd *cobra.Command, format string, args ...any) error {
	return &usageErr{cmd: cmd.CommandPath(), err: fmt.Errorf(format, args...)}
}

// groupAnnotation names the topic a flag is listed under in the help, the man page and the
// README.
const (
	groupAnnotation   = "crawl_group"
	defaultAnnotation = "crawl_default" // the default as documented, where the value depends on the machine
)

// group puts the named flags of fs under a topic.
func group(fs *pflag.FlagSet, topic string, names ...string) {
	for _, n := range names {
		if fs.Lookup(n) == nil {
			panic("group: no flag " + n)
		}
		_ = fs.SetAnnotation(n, groupAnnotation, []string{topic})
	}
}

// documentDefault sets the default shown for a flag whose real default depends on the
// machine or the version.
func documentDefault(fs *pflag.FlagSet, name, text string) {
	_ = fs.SetAnnotation(name, defaultAnnotation, []string{text})
}

// flagGroup is a topic and its flags, in the order they were defined.
type flagGroup struct {
	topic string
	flags []*pflag.Flag
}

// flagGroups returns the visible flags of fs by topic, topics in the order of their first
// flag; flags without a topic come last under "Flags".
func flagGroups(fs *pflag.FlagSet) []flagGroup {
	var groups []flagGroup
	index := map[string]int{}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		topic := "Flags"
		if t := f.Annotations[groupAnnotation]; len(t) > 0 {
			topic = t[0]
		}
		i, ok := index[topic]
		if !ok {
			i = len(groups)
			index[topic] = i
			groups = append(groups, flagGroup{topic: topic})
		}
		groups[i].flags = append(groups[i].flags, f)
	})
	if i, ok := index["Flags"]; ok && i != len(groups)-1 {
		g := groups[i]
		groups = append(append(groups[:i:i], groups[i+1:]...), g)
	}
	return groups
}

// shownDefault is the default of f as documented: the annotation when there is one, "off"
// for a false switch, "" when there is none.
func shownDefault(f *pflag.Flag) string {
	if t := f.Annotations[defaultAnnotation]; len(t) > 0 {
		return t[0]
	}
	switch {
	case f.Value.Type() == "bool" && f.DefValue == "false":
		return "off"
	case f.DefValue == "[]":
		return ""
	}
	return f.DefValue
}

// flagUsages formats flags as pflag does, with the documented defaults.
func flagUsages(flags []*pflag.Flag) string {
	fs := pflag.NewFlagSet("", pflag.ContinueOnError)
	fs.SortFlags = false
	for _, f := range flags {
		c := *f
		if d := shownDefault(f); d != "" && d != "off" && d != "0" {
			c.DefValue = d
		} else {
			c.DefValue = zeroOf(f)
		}
		fs.AddFlag(&c)
	}
	return fs.FlagUsagesWrapped(100)
}

// zeroOf is a default pflag does not print.
func zeroOf(f *pflag.Flag) string {
	switch f.Value.Type() {
	case "bool":
		return "false"
	case "stringArray":
		return "[]"
	case "string":
		return ""
	case "duration":
		return "0s"
	}
	return "0"
}

// printHelp writes a command's help: usage, description, subcommands, flags by topic.
func printHelp(cmd *cobra.Command, w io.Writer) {
	fmt.Fprintf(w, "Usage:\n  %s\n", cmd.UseLine())
	if cmd.HasAvailableSubCommands() {
		fmt.Fprintf(w, "  %s [command]\n", cmd.CommandPath())
	}
	if cmd.Long != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(cmd.Long, "\n"))
	} else if cmd.Short != "" {
		fmt.Fprintf(w, "\n%s.\n", cmd.Short)
	}
	if cmd.Example != "" {
		fmt.Fprintf(w, "\nExamples:\n%s\n", strings.TrimRight(cmd.Example, "\n"))
	}
	if cmd.HasAvailableSubCommands() {
		fmt.Fprintf(w, "\nCommands:\n")
		for _, c := range cmd.Commands() {
			if c.IsAvailableCommand() || c.Name() == "help" {
				fmt.Fprintf(w, "  %-11s %s\n", c.Name(), c.Short)
			}
		}
	}
	for _, g := range flagGroups(cmd.LocalFlags()) {
		fmt.Fprintf(w, "\n%s:\n%s", g.topic, flagUsages(g.flags))
	}
	if inherited := cmd.InheritedFlags(); inherited.HasAvailableFlags() {
		var flags []*pflag.Flag
		inherited.VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				flags = append(flags, f)
			}
		})
		fmt.Fprintf(w, "\nGlobal flags:\n%s", flagUsages(flags))
	}
	if cmd.HasAvailableSubCommands() {
		fmt.Fprintf(w, "\nRun '%s help <command>' for a command's flags.\n", cmd.CommandPath())
	}
}

// normalizeArgs rewrites what the flag package of Go accepted and pflag reads otherwise, so
// that command lines written for earlier versions keep working: a long flag with one dash
// (-db FILE, -max-depth=3) gets its second dash, and a switch followed by a separate true or
// false (--quiet false) takes it as its value. longs maps every long flag name of every
// command to whether it is a switch. Nothing after "--" is touched.
func normalizeArgs(args []string, longs map[string]bool) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name, _, _ := strings.Cut(a[1:], "=")
			if _, ok := longs[name]; ok && len(name) > 1 {
				a = "-" + a
			}
		}
		if name, ok := strings.CutPrefix(a, "--"); ok && !strings.Contains(name, "=") && longs[name] &&
			i+1 < len(args) && (args[i+1] == "true" || args[i+1] == "false") {
			a += "=" + args[i+1]
			i++
		}
		out = append(out, a)
	}
	return out
}

// longFlags collects the long flag names of cmd and its subcommands, true for switches.
func longFlags(cmd *cobra.Command) map[string]bool {
	m := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { m[f.Name] = f.Value.Type() == "bool" })
		c.PersistentFlags().VisitAll(func(f *pflag.Flag) { m[f.Name] = f.Value.Type() == "bool" })
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(cmd)
	m["help"] = true
	return m
}

// reportError prints an error cobra returned for a bad command line: one line naming the
// problem, one line saying where help is.
func reportError(stderr io.Writer, root *cobra.Command, err error) int {
	var code exitStatus
	if errors.As(err, &code) {
		return int(code)
	}
	path := root.Name()
	var u *usageErr
	if errors.As(err, &u) {
		path = u.cmd
	}
	fmt.Fprintf(stderr, "%s: %v\n", path, err)
	help := "crawl --help"
	if path != root.Name() {
		help = "crawl help " + strings.TrimPrefix(path, root.Name()+" ")
	}
	fmt.Fprintf(stderr, "Run '%s' for usage.\n", help)
	return exitUsage
}

// noArgs is cobra.NoArgs with the error of this command line.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return badUsage(cmd, "unexpected argument %q", args[0])
	}
	return nil
}

// enumCompletion completes a flag with fixed values.
func enumCompletion(cmd *cobra.Command, flag string, values ...string) {
	_ = cmd.RegisterFlagCompletionFunc(flag, func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return slices.Clone(values), cobra.ShellCompDirectiveNoFileComp
	})
}
