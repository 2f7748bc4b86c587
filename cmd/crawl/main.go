// Command crawl crawls web sites into a bbolt database and exports the link graph.
//
//	crawl --seeds urls.txt --workers 16          crawl (or resume) into crawl.db
//	crawl export --db crawl.db --format graphml  write the link graph
//	crawl report --db crawl.db                   list broken links, redirect chains, ...
//	crawl status --db crawl.db                   show how far the crawl has got
//	crawl help                                   list the commands
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Exit codes.
const (
	exitOK          = 0
	exitError       = 1 // the crawl or command failed, or a running crawl holds the database
	exitUsage       = 2 // bad flags or bad input
	exitInterrupted = 130
)

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

// command is a subcommand of crawl.
type command struct {
	name, summary string
	run           func(ctx context.Context, env *env, args []string) int
}

// env is what a command may touch of the process: its streams and its signals.
type env struct {
	stdout, stderr io.Writer
	// signals delivers SIGINT and SIGTERM.
	signals <-chan os.Signal
	// crawlDone, when set, is called once a crawl has stopped, before its metrics endpoint
	// closes: tests read the final metrics there.
	crawlDone func()
	// setMemoryLimit sets the runtime's soft memory limit (debug.SetMemoryLimit); nil when
	// commands run inside a test binary, whose runtime is the test's.
	setMemoryLimit func(int64) int64
}

func commands() []command {
	return []command{
		{"crawl", "crawl from seed URLs into a database, or resume a crawl (the default command)", runCrawl},
		{"export", "write the link graph as csv, tsv, jsonl, graphml, gexf or dot", runExport},
		{"report", "summarise a crawl: broken links, redirect chains, deep pages, errors", runReport},
		{"status", "show how far the crawl in a database has got", runStatus},
		{"version", "print the version", runVersion},
		{"help", "show this help", nil},
	}
}

func run(args []string, stdout, stderr io.Writer) int { return runProcess(args, stdout, stderr, nil) }

// runProcess is run for the process itself, with the hooks that change its runtime.
func runProcess(args []string, stdout, stderr io.Writer, setMemoryLimit func(int64) int64) int {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	e := &env{stdout: stdout, stderr: stderr, signals: sig, setMemoryLimit: setMemoryLimit}
	return dispatch(context.Background(), e, args)
}

// dispatch runs the command named by args[0] (crawl when args start with a flag).
func dispatch(ctx context.Context, e *env, args []string) int {
	stdout, stderr := e.stdout, e.stderr
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help", "-help":
		if len(args) > 1 {
			for _, c := range commands() {
				if c.name == args[1] && c.run != nil {
					return c.run(ctx, e, []string{"--help"})
				}
			}
		}
		usage(stdout)
		return exitOK
	case "--version", "-version":
		return runVersion(ctx, e, nil)
	}
	if len(name) > 0 && name[0] == '-' {
		// Flags first: the default command.
		return runCrawl(ctx, e, args)
	}
	for _, c := range commands() {
		if c.name == name && c.run != nil {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(stderr, "crawl: unknown command %q\n", name)
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: crawl [command] [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'crawl <command> --help' for a command's flags.\n")
}

func runVersion(_ context.Context, e *env, args []string) int {
	fs := newFlagSet("crawl version", func(w io.Writer) {
		fmt.Fprintf(w, "Usage: crawl version\n\nPrint the version of crawl.\n")
	})
	if code, ok := parseFlags(fs, args, e); !ok {
		return code
	}
	fmt.Fprintf(e.stdout, "crawl %s\n", version)
	return exitOK
}
