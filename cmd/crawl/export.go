package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/crawl-project/crawl/store"
	"github.com/crawl-project/crawl/store/export"
)

type exportFlags struct {
	db, format, out, level, states string
	neo4j, internalOnly            bool
	maxNodes                       int
}

func newExportFlagSet() (*flag.FlagSet, *exportFlags) {
	f := &exportFlags{}
	fs := newFlagSet("crawl export", func(w io.Writer) {
		fmt.Fprint(w, `Usage: crawl export [flags]

Write the link graph of a crawl database.

  crawl export --db crawl.db --format csv --out graph     graph.nodes.csv, graph.edges.csv
  crawl export --db crawl.db --format graphml > graph.graphml
  crawl export --format gexf --level host --out hosts.gexf

Output files are written under a temporary name and renamed when complete. Exit status:
0 written, 1 the export failed (a running crawl holds the database, a read or write
error), 2 bad flags, a missing or foreign database, or an output path that cannot be
created.
`)
	})
	fs.StringVar(&f.db, "db", "crawl.db", "crawl database to read")
	fs.StringVar(&f.format, "format", export.FormatGraphML, "output format: "+strings.Join(export.Formats(), ", "))
	fs.StringVar(&f.out, "out", "", "output path; csv and tsv write `BASE`.nodes.<format> and BASE.edges.<format>; other formats write this file, or standard output when empty or -")
	fs.BoolVar(&f.neo4j, "neo4j", false, "csv/tsv headers for neo4j-admin database import (:ID, :START_ID, :END_ID, :TYPE)")
	fs.BoolVar(&f.internalOnly, "internal-only", false, "leave out external URLs and the links to them")
	fs.StringVar(&f.level, "level", export.LevelPage, "graph level: page, host or domain (host and domain graphs have weighted edges)")
	fs.StringVar(&f.states, "states", "", "comma-separated states to keep (done, failed, pending, robots-blocked, external, skipped); empty keeps all")
	fs.IntVar(&f.maxNodes, "max-nodes", export.DefaultMaxNodes, "largest graph written as dot, which Graphviz cannot lay out at scale (0: no limit)")
	return fs, f
}

// options turns the flags into export options, checking what the export package would only
// check once the database is open.
func (f *exportFlags) options() (export.Options, error) {
	opt := export.Options{Format: f.format, Neo4j: f.neo4j, InternalOnly: f.internalOnly, Level: f.level, MaxNodes: f.maxNodes}
	if !slices.Contains(export.Formats(), f.format) {
		return opt, fmt.Errorf("--format %q: want one of %s", f.format, strings.Join(export.Formats(), ", "))
	}
	if !slices.Contains(export.Levels(), f.level) {
		return opt, fmt.Errorf("--level %q: want one of %s", f.level, strings.Join(export.Levels(), ", "))
	}
	if f.neo4j && f.format != export.FormatCSV && f.format != export.FormatTSV {
		return opt, fmt.Errorf("--neo4j applies to --format csv or tsv, not %s", f.format)
	}
	if opt.MaxNodes <= 0 {
		opt.MaxNodes = -1
	}
	for name := range strings.SplitSeq(f.states, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		s, err := store.ParseState(name)
		if err != nil {
			return opt, fmt.Errorf("--states: %w", err)
		}
		opt.States = append(opt.States, s)
	}
	return opt, nil
}

func runExport(ctx context.Context, e *env, args []string) int {
	fs, f := newExportFlagSet()
	if code, ok := parseFlags(fs, args, e); !ok {
		return code
	}
	opt, err := f.options()
	if err != nil {
		fmt.Fprintf(e.stderr, "crawl export: %v\n", err)
		return exitUsage
	}
	streams, _ := export.Streams(opt.Format)
	toStdout := f.out == "" || f.out == "-"
	if toStdout && len(streams) > 1 {
		fmt.Fprintf(e.stderr, "crawl export: --format %s writes two files, nodes and edges: give --out BASE (e.g. --out graph for %s and %s)\n",
			opt.Format, export.FileName("graph", opt.Format, export.StreamNodes), export.FileName("graph", opt.Format, export.StreamEdges))
		return exitUsage
	}

	db, code := openForReading(e.stderr, fs.Name(), f.db)
	if db == nil {
		return code
	}
	defer db.Close()

	open := export.ToWriter(e.stdout)
	var out *outputFiles
	if !toStdout {
		paths := make([]string, len(streams))
		for i, s := range streams {
			paths[i] = f.out
			if s != export.StreamGraph {
				paths[i] = export.FileName(f.out, opt.Format, s)
			}
		}
		if out, err = createOutputs(streams, paths, f.db); err != nil {
			fmt.Fprintf(e.stderr, "crawl export: %v\n", err)
			return exitUsage
		}
		defer out.discard()
		open = out.open
	}

	ctx, cancel := interruptible(ctx, e)
	defer cancel()
	err = db.View(func(s *store.Snapshot) error {
		return export.Write(cancellableSource{ctx: ctx, src: s}, opt, open)
	})
	if err == nil && out != nil {
		err = out.commit()
	}
	var tooMany *export.TooManyNodesError
	switch {
	case err == nil:
		if out != nil {
			fmt.Fprintf(e.stderr, "crawl export: wrote %s\n", strings.Join(out.paths(), ", "))
		}
		return exitOK
	case ctx.Err() != nil:
		fmt.Fprintln(e.stderr, "crawl export: interrupted; no output written")
		return exitInterrupted
	case errors.As(err, &tooMany):
		fmt.Fprintf(e.stderr, "crawl export: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(e.stderr, "crawl export: %v\n", err)
	return exitError
}

// outputFiles writes each stream to a temporary file next to its final path; commit renames
// them all into place, so that a failed or interrupted export leaves no file that looks
// complete.
type outputFiles struct {
	files    []*outputFile // in stream order
	byStream map[string]*outputFile
}

type outputFile struct {
	final  string
	tmp    *os.File
	closed bool
	done   bool // renamed into place
}

// createOutputs creates a temporary file for each stream, next to its final path, at once:
// an unwritable path fails before any work is done. It refuses to overwrite the database or
// a directory.
func createOutputs(streams, finals []string, dbPath string) (*outputFiles, error) {
	o := &outputFiles{byStream: map[string]*outputFile{}}
	dbInfo, _ := os.Stat(dbPath)
	for i, s := range streams {
		final := finals[i]
		if info, err := os.Stat(final); err == nil {
			if info.IsDir() {
				o.discard()
				return nil, fmt.Errorf("cannot write %s: it is a directory", final)
			}
			if dbInfo != nil && os.SameFile(info, dbInfo) {
				o.discard()
				return nil, fmt.Errorf("cannot write %s: it is the database being exported", final)
			}
		}
		tmp, err := os.CreateTemp(filepath.Dir(final), "."+filepath.Base(final)+".tmp-*")
		if err != nil {
			o.discard()
			return nil, fmt.Errorf("cannot write %s: %w", final, unwrapFileError(err))
		}
		f := &outputFile{final: final, tmp: tmp}
		o.files = append(o.files, f)
		o.byStream[s] = f
	}
	return o, nil
}

// unwrapFileError drops the temporary file name from an error about creating it
// (*os.PathError) or renaming it into place (*os.LinkError): the message names the final path.
func unwrapFileError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// open hands a stream its temporary file. Closing it syncs the data to disk, so that the
// rename in commit never exposes a file whose content is not yet written.
func (o *outputFiles) open(stream string) (io.WriteCloser, error) {
	f, ok := o.byStream[stream]
	if !ok {
		return nil, fmt.Errorf("no output for stream %s", stream)
	}
	return syncCloser{f}, nil
}

type syncCloser struct{ f *outputFile }

func (s syncCloser) Write(p []byte) (int, error) { return s.f.tmp.Write(p) }

func (s syncCloser) Close() error {
	if s.f.closed {
		return nil
	}
	s.f.closed = true
	err := s.f.tmp.Sync()
	if cerr := s.f.tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", s.f.final, err)
	}
	return nil
}

// commit renames every temporary file to its final path, in stream order.
func (o *outputFiles) commit() error {
	for _, f := range o.files {
		if !f.closed {
			if err := (syncCloser{f}).Close(); err != nil {
				return err
			}
		}
		// CreateTemp makes the file private; an export is an ordinary file.
		if err := os.Chmod(f.tmp.Name(), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", f.final, err)
		}
		if err := os.Rename(f.tmp.Name(), f.final); err != nil {
			return fmt.Errorf("write %s: %w", f.final, unwrapFileError(err))
		}
		f.done = true
	}
	return nil
}

// discard removes the temporary files that were not renamed into place.
func (o *outputFiles) discard() {
	for _, f := range o.files {
		if f.done {
			continue
		}
		if !f.closed {
			f.tmp.Close()
			f.closed = true
		}
		os.Remove(f.tmp.Name())
	}
}

// paths lists the final paths in stream order.
func (o *outputFiles) paths() []string {
	out := make([]string, len(o.files))
	for i, f := range o.files {
		out[i] = f.final
	}
	return out
}
