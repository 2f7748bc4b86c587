package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// newFlagSet returns a flag set that prints nothing by itself: parseFlags decides where the
// usage goes. usage writes the command's synopsis; the flag defaults follow it.
func newFlagSet(name string, usage func(w io.Writer)) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		w := fs.Output()
		usage(w)
		if hasFlags(fs) {
			fmt.Fprintf(w, "\nFlags:\n")
			printVisibleDefaults(fs)
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// printUsage writes fs's usage to w.
func printUsage(fs *flag.FlagSet, w io.Writer) {
	fs.SetOutput(w)
	fs.Usage()
	fs.SetOutput(io.Discard)
}

// parseFlags parses args the way well-known Go commands do: -h, -help or --help prints the
// usage to stdout and exits 0; a bad flag prints what was wrong and the usage to stderr and
// exits 2. No command takes positional arguments: one left after the flags is a usage error.
// It returns ok=false with the exit code when the command should not go on.
func parseFlags(fs *flag.FlagSet, args []string, e *env) (code int, ok bool) {
	err := fs.Parse(args)
	switch {
	case err == nil && fs.NArg() > 0:
		return usageError(fs, e, "unexpected argument %q", fs.Arg(0)), false
	case err == nil:
		return exitOK, true
	case errors.Is(err, flag.ErrHelp):
		printUsage(fs, e.stdout)
		return exitOK, false
	default:
		fmt.Fprintf(e.stderr, "%s: %v\n", fs.Name(), err)
		printUsage(fs, e.stderr)
		return exitUsage, false
	}
}

// usageError reports a bad command line: the message, then the usage, on stderr.
func usageError(fs *flag.FlagSet, e *env, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "%s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	printUsage(fs, e.stderr)
	return exitUsage
}
