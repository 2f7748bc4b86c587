// Command crawl crawls web sites into a bbolt database and exports the link graph.
//
//	crawl https://example.org/                   crawl (or resume) into crawl.db
//	crawl --seeds urls.txt --workers 16          the same, seeds from a file
//	crawl export --db crawl.db --format graphml  write the link graph
//	crawl report --db crawl.db                   list broken links, redirect chains, ...
//	crawl status --db crawl.db                   show how far the crawl has got
//	crawl help                                   list the commands and flags
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// gcPercent is the GOGC the crawl runs with unless the environment sets one. A crawl's live
// heap is small (the frontier is on disk) but it allocates fast (an HTML tree per page):
// at the default of 100 it collects tens of times a second and spends about a third of its
// CPU on it; 400 trades a few tens of MiB of heap for most of that CPU.
const gcPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	os.Exit(runProcess(os.Args[1:], os.Stdout, os.Stderr, debug.SetMemoryLimit))
}

// env is what a command may touch of the process: its streams, environment and signals.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// getenv reads the environment: CRAWL_ variables, TERM, NO_COLOR.
	getenv func(string) (string, bool)
	// signals delivers SIGINT and SIGTERM.
	signals <-chan os.Signal
	// crawlDone, when set, is called once a crawl has stopped, before its metrics endpoint
	// closes: tests read the final metrics there.
	crawlDone func()
	// setMemoryLimit sets the runtime's soft memory limit (debug.SetMemoryLimit); nil when
	// commands run inside a test binary, whose runtime is the test's.
	setMemoryLimit func(int64) int64
}

func run(args []string, stdout, stderr io.Writer) int { return runProcess(args, stdout, stderr, nil) }

// runProcess is run for the process itself, with the hooks that change its runtime.
func runProcess(args []string, stdout, stderr io.Writer, setMemoryLimit func(int64) int64) int {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	e := &env{stdin: os.Stdin, stdout: stdout, stderr: stderr, getenv: os.LookupEnv, signals: sig, setMemoryLimit: setMemoryLimit}
	return dispatch(context.Background(), e, args)
}

// dispatch runs the command line args.
func dispatch(ctx context.Context, e *env, args []string) int {
	if e.getenv == nil { // an env made by a test: no variables
		e.getenv = func(string) (string, bool) { return "", false }
	}
	if e.stdin == nil {
		e.stdin = strings.NewReader("")
	}
	root := newRootCommand(e)
	if len(args) == 0 {
		printHelp(root, e.stderr)
		return exitUsage
	}
	root.SetArgs(normalizeArgs(args, longFlags(root)))
	if err := root.ExecuteContext(ctx); err != nil {
		return reportError(e.stderr, root, err)
	}
	return exitOK
}

const rootLong = crawlLong + `

Commands read and export what a crawl recorded; 'crawl help <command>' shows each one's
flags. Every flag can also be set in a TOML config file (--config FILE or CRAWL_CONFIG) and
in a CRAWL_<FLAG> variable (CRAWL_MAX_DEPTH=3); a flag on the command line wins over the
variable, the variable over the file, the file over the default ('crawl config --show').`

// newRootCommand returns the crawl command line: the crawl itself and its subcommands.
func newRootCommand(e *env) *cobra.Command {
	root := newCrawlCommand(e, "crawl [URL]...")
	root.Long = rootLong + "\n\n" + exitCodeHelp()
	root.Version = version
	root.SetVersionTemplate("crawl {{.Version}}\n")
	root.Flags().BoolP("version", "V", false, "print the version")
	root.PersistentFlags().String(configFlag, "", "read settings from this TOML `FILE` (also CRAWL_CONFIG); flags and CRAWL_ variables win over it")
	root.SilenceErrors, root.SilenceUsage = true, true
	root.SuggestionsMinimumDistance = 2
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetIn(e.stdin)
	root.SetHelpFunc(func(c *cobra.Command, _ []string) { printHelp(c, c.OutOrStdout()) })
	root.SetUsageFunc(func(c *cobra.Command) error { printHelp(c, c.ErrOrStderr()); return nil })
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageErr{cmd: c.CommandPath(), err: err} })
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error { return applySettings(c, e) }
	alias := newCrawlCommand(e, "crawl [URL]...")
	alias.Hidden = true
	root.AddCommand(alias, newExportCommand(e), newReportCommand(e), newStatusCommand(e),
		newMergeCommand(e), newClusterCommand(e), newConfigCommand(e), newVersionCommand(e), newManCommand(e))
	return root
}

// exitCodeHelp is the exit status section of the help.
func exitCodeHelp() string {
	var b strings.Builder
	b.WriteString("Exit status:\n")
	for _, c := range exitCodes {
		fmt.Fprintf(&b, "  %3d  %s\n", c.code, wrap(c.meaning, 84, "       "))
	}
	return strings.TrimRight(b.String(), "\n")
}

func newVersionCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the version",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(e.stdout, "crawl %s\n", version)
			return nil
		},
	}
}

// wrap breaks text into lines of at most width bytes, the lines after the first indented.
func wrap(text string, width int, indent string) string {
	var b strings.Builder
	n := 0
	for i, word := range strings.Fields(text) {
		switch {
		case i == 0:
		case n+1+len(word) > width:
			b.WriteString("\n" + indent)
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}
