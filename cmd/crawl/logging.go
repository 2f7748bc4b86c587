package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/crawl-project/crawl/crawler"
)

// logSpec is the validated logging flags.
type logSpec struct {
	level slog.Level
	json  bool
}

func parseLogFlags(level, format string) (logSpec, error) {
	var s logSpec
	if err := s.level.UnmarshalText([]byte(level)); err != nil {
		return s, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	switch format {
	case "text":
	case "json":
		s.json = true
	default:
		return s, fmt.Errorf("--log-format %q: want text or json", format)
	}
	return s, nil
}

// newLogger returns a logger writing text (key=value) or JSON (one object per line) to w.
func newLogger(w io.Writer, s logSpec) *slog.Logger {
	opts := &slog.HandlerOptions{Level: s.level}
	if s.json {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// crawlOutput is where a crawl's messages, logs and progress go.
type crawlOutput struct {
	env     *env          // the command's env, with stderr shared with the status line
	log     *slog.Logger  // to stderr or --log-file
	status  *statusWriter // stderr
	tty     bool          // stderr is a terminal: show a live status line
	logFile *os.File
	quiet   bool
	every   time.Duration
	// jsonStderr: stderr carries JSON log records, so progress lines are JSON records too.
	jsonStderr bool
}

func newCrawlOutput(e *env, f *crawlFlags) (*crawlOutput, error) {
	spec, err := parseLogFlags(f.logLevel, f.logFormat)
	if err != nil {
		return nil, err
	}
	fd, tty := terminalFd(e.stderr)
	tty = tty && capableTerminal(e.getenv)
	o := &crawlOutput{status: &statusWriter{w: e.stderr, fd: fd}, tty: tty, quiet: f.quiet, every: f.progressEvery}
	shared := *e
	shared.stderr = o.status
	o.env = &shared
	logTo := io.Writer(o.status)
	if f.logFile != "" {
		if o.logFile, err = os.OpenFile(f.logFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err != nil {
			return nil, fmt.Errorf("--log-file: %w", err)
		}
		logTo = o.logFile
	} else {
		o.jsonStderr = spec.json
	}
	o.log = newLogger(logTo, spec)
	return o, nil
}

// startProgress starts the progress report for the crawl counted by stats (nothing with
// --quiet) and returns the function that stops it.
func (o *crawlOutput) startProgress(stats *crawler.Stats) func() {
	if o.quiet {
		return func() {}
	}
	p := &progress{every: o.every}
	if o.tty {
		p.term, p.every = o.status, redrawEvery
	} else {
		p.plain, p.json = o.status, o.jsonStderr
	}
	return startProgress(stats, p)
}

func (o *crawlOutput) close() {
	if o.logFile != nil {
		_ = o.logFile.Close()
	}
}
