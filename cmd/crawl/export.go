package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
	"github.com/crawl-project/crawl/store/export"
	"github.com/crawl-project/crawl/store/export/fileset"
)

type exportFlags struct {
	db, format, out, level, states, gexfVersion string
	neo4j, internalOnly                         bool
	maxNodes                                    int
}

const exportLong = `Write the link graph of a crawl database, for graph tools.

Output files are written under a temporary name and renamed when complete; the two files
of csv and tsv appear together (see the README). Exit status: 0 written, 1 the export
failed (a running crawl holds the database, a read or write error), 2 bad flags, a missing
or foreign database, or an output path that cannot be created.`

const exportExample = `  crawl export --db crawl.db --format csv --out graph     graph.nodes.csv, graph.edges.csv
  crawl export -f graphml > graph.graphml
  crawl export -f gexf --level host -o hosts.gexf
  crawl export -f dot --internal-only | dot -Tsvg > graph.svg`

func newExportCommand(e *env) *cobra.Command {
	f := &exportFlags{}
	cmd := &cobra.Command{
		Use:     "export",
		Short:   "write the link graph as csv, tsv, jsonl, graphml, gexf or dot",
		Long:    exportLong,
		Example: exportExample,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return status(runExport(cmd.Context(), e, f))
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false // the help lists flags by topic, in the order defined
	fs.StringVarP(&f.db, "db", "d", "crawl.db", "the crawl database to read")
	fs.StringVarP(&f.format, "format", "f", export.FormatGraphML, "csv, tsv, jsonl, graphml, gexf or dot")
	fs.StringVarP(&f.out, "out", "o", "", "csv/tsv: base name of the two files `BASE`.nodes.csv and BASE.edges.csv (required); other formats: the file to write (standard output when absent or -)")
	fs.BoolVar(&f.neo4j, "neo4j", false, "csv/tsv headers for neo4j-admin database import: id:ID(Page), :START_ID(Page), :END_ID(Page), :TYPE, typed properties (see the README for the import command)")
	fs.BoolVar(&f.internalOnly, "internal-only", false, "leave out external URLs and the links to them")
	fs.StringVar(&f.level, "level", export.LevelPage, "page, host or domain: one node per page, host or registrable domain, edges weighted by the number of links")
	fs.StringVar(&f.states, "states", "", "keep only URLs in these comma-separated states: done, failed, pending, robots-blocked, external, skipped, remote")
	fs.StringVar(&f.gexfVersion, "gexf-version", "1.2", "GEXF version: 1.2 (1.2draft, read by Gephi and every NetworkX) or 1.3 (Gephi 0.9.3+, NetworkX 3+)")
	fs.IntVar(&f.maxNodes, "max-nodes", export.DefaultMaxNodes, "the largest graph written as dot, which Graphviz lays out in seconds up to about this size (0: no limit)")
	enumCompletion(cmd, "format", export.Formats()...)
	enumCompletion(cmd, "level", export.Levels()...)
	enumCompletion(cmd, "gexf-version", "1.2", "1.3")
	return cmd
}

// options turns the flags into export options, checking what the export package would only
// check once the database is open.
func (f *exportFlags) options() (export.Options, error) {
	opt := export.Options{Format: f.format, Neo4j: f.neo4j, InternalOnly: f.internalOnly, Level: f.level, MaxNodes: f.maxNodes}
	switch f.gexfVersion {
	case "1.2", export.GEXF12:
		opt.GEXFVersion = export.GEXF12
	case export.GEXF13:
		opt.GEXFVersion = export.GEXF13
	default:
		return opt, fmt.Errorf("--gexf-version %q: want 1.2 or 1.3", f.gexfVersion)
	}
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
		s, err := crawl.ParseState(name)
		if err != nil {
			return opt, fmt.Errorf("--states: %w", err)
		}
		opt.States = append(opt.States, s)
	}
	return opt, nil
}

func runExport(ctx context.Context, e *env, f *exportFlags) int {
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

	db, code := openForReading(e.stderr, "crawl export", f.db)
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
		step, err := pauseStep(os.Getenv(exportPauseEnv), e.stderr, os.Stdin)
		if err != nil {
			fmt.Fprintf(e.stderr, "crawl export: %v\n", err)
			return exitUsage
		}
		if out, err = createOutputs(streams, paths, f.db, step); err != nil {
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

// outputFiles writes each stream to its file through a fileset.Set: a failed, interrupted
// or killed export leaves no file that looks complete, and a csv or tsv pair appears whole.
type outputFiles struct {
	set      *fileset.Set
	byStream map[string]int
}

// createOutputs refuses to overwrite a directory or the database, then creates the set of
// output files, which first completes an export that was killed while switching its files
// into place and removes the temporary files of killed exports: an unwritable path fails
// before any work is done.
func createOutputs(streams, finals []string, dbPath string, step func(string)) (*outputFiles, error) {
	dbInfo, _ := os.Stat(dbPath)
	for _, final := range finals {
		if info, err := os.Stat(final); err == nil {
			if info.IsDir() {
				return nil, fmt.Errorf("cannot write %s: it is a directory", final)
			}
			if dbInfo != nil && os.SameFile(info, dbInfo) {
				return nil, fmt.Errorf("cannot write %s: it is the database being exported", final)
			}
		}
	}
	set, err := fileset.Create(finals, fileset.Options{Step: step})
	if err != nil {
		return nil, err
	}
	o := &outputFiles{set: set, byStream: map[string]int{}}
	for i, s := range streams {
		o.byStream[s] = i
	}
	return o, nil
}

// open hands a stream its file. Closing it syncs the data to disk.
func (o *outputFiles) open(stream string) (io.WriteCloser, error) {
	i, ok := o.byStream[stream]
	if !ok {
		return nil, fmt.Errorf("no output for stream %s", stream)
	}
	return o.set.Writer(i), nil
}

func (o *outputFiles) commit() error { return o.set.Commit() }

func (o *outputFiles) discard() { o.set.Discard() }

func (o *outputFiles) paths() []string { return o.set.Paths() }

// exportPauseEnv, for the crash tests only, makes crawl export write each step of writing
// its files to standard error ("crawl export: step 3: wrote graph.nodes.csv") and stop
// after step N, where N is the variable's value, until its standard input ends: the test
// kills it there, or lets it go on.
const exportPauseEnv = "CRAWL_TEST_EXPORT_PAUSE"

// pauseStep returns the step function exportPauseEnv asks for, or nil when it is not set.
func pauseStep(value string, stderr io.Writer, stdin io.Reader) (func(string), error) {
	if value == "" {
		return nil, nil
	}
	at, err := strconv.Atoi(value)
	if err != nil || at < 0 {
		return nil, fmt.Errorf("%s=%q: want a step number", exportPauseEnv, value)
	}
	n := 0
	return func(step string) {
		n++
		fmt.Fprintf(stderr, "crawl export: step %d: %s\n", n, step)
		if n == at {
			io.Copy(io.Discard, stdin)
		}
	}, nil
}
