package export

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/crawl-project/crawl"
)

// Source is a consistent, re-iterable view of a crawl graph (one read transaction). Nodes
// come in ascending ID order; edges in ascending Src order.
type Source interface {
	EachNode(fn func(crawl.Node) error) error
	EachEdge(fn func(crawl.Edge) error) error
}

// HostSource is a Source that also lists the crawl's host records (store.Snapshot is one).
// Write reads them to learn whose sitemaps were read, so that a page's in_sitemap is false
// only where a sitemap of its site was read, and unknown (empty) elsewhere. A Source that
// is not a HostSource gives in_sitemap true for the pages marked so, and unknown for the others.
type HostSource interface {
	Source
	EachHost(fn func(crawl.HostRecord) error) error
}

// Output formats.
const (
	FormatCSV     = "csv"
	FormatTSV     = "tsv"
	FormatJSONL   = "jsonl"
	FormatGraphML = "graphml"
	FormatGEXF    = "gexf"
	FormatDOT     = "dot"
)

// Aggregation levels.
const (
	LevelPage   = "page"   // one node per URL (the default)
	LevelHost   = "host"   // one node per URL host name
	LevelDomain = "domain" // one node per registrable domain (eTLD+1)
)

// Stream names passed to an OpenFunc. CSV and TSV write a nodes and an edges stream; every
// other format writes the whole graph to one stream.
const (
	StreamGraph = "graph"
	StreamNodes = "nodes"
	StreamEdges = "edges"
)

// DefaultMaxNodes is the DOT node limit used when Options.MaxNodes is zero. A DOT export
// asks for Graphviz's sfdp layout, which takes a few seconds for 2,000 pages of a densely
// linked site (2 cores: 1,000 pages and 18,000 links in 1.4 s, 3,349 pages and 98,000 links
// in 10 s); beyond that, a graph tool that reads GraphML or GEXF serves better.
const DefaultMaxNodes = 2000

// GEXF versions. 1.2draft is the default: NetworkX before 3.0 (Debian 12's 2.8 among them)
// reads only 1.1draft and 1.2draft, and Gephi reads both.
const (
	GEXF12 = "1.2draft"
	GEXF13 = "1.3"
)

// GEXFVersions lists the GEXF versions Write can produce, the default first.
func GEXFVersions() []string { return []string{GEXF12, GEXF13} }

// Options selects the format and the part of the graph to export.
type Options struct {
	// Format is one of Formats().
	Format string
	// Neo4j makes csv and tsv headers follow neo4j-admin import conventions: id:ID,
	// :START_ID, :END_ID, :TYPE (the upper-case edge kind), :LABEL and typed property
	// headers such as status:int. Fields can contain line breaks, so the import needs
	// --multiline-fields=true.
	Neo4j bool
	// InternalOnly keeps only in-scope nodes (state other than external) and the edges
	// between them.
	InternalOnly bool
	// Level is LevelPage (or empty), LevelHost or LevelDomain. At the host and domain levels
	// each group of pages becomes one node (id, host or domain, page count, page count per
	// state, degrees) and the edges between two groups become one edge whose weight is the
	// sum of the page edges' Counts. Links between pages of the same group are kept as a
	// weighted self-loop, so a group's internal linking stays visible.
	Level string
	// States keeps only nodes in these states, and the edges between kept nodes. Empty keeps
	// every state. It combines with InternalOnly.
	States []crawl.State
	// MaxNodes bounds the size of a DOT export, which Graphviz cannot lay out at scale: zero
	// means DefaultMaxNodes, a negative value means no limit. Other formats ignore it.
	MaxNodes int
	// GEXFVersion is GEXF12 (or empty) or GEXF13. Other formats ignore it.
	GEXFVersion string
}

// OpenFunc opens the output for one stream (StreamGraph, StreamNodes or StreamEdges). Write
// opens a stream only when it is about to write to it, flushes and closes it when done, and
// closes it on failure too. The caller chooses where each stream goes; see Files and
// ToWriter.
type OpenFunc func(stream string) (io.WriteCloser, error)

// TooManyNodesError is returned, before any output is opened, when a DOT export would have
// more nodes than Options.MaxNodes.
type TooManyNodesError struct {
	Nodes, Max int
}

func (e *TooManyNodesError) Error() string {
	return fmt.Sprintf("dot export has %d nodes, over --max-nodes %d; use --format graphml or gexf for large graphs, or raise --max-nodes (Graphviz's sfdp takes about 10 s for 3,000 pages)", e.Nodes, e.Max)
}

// Formats lists the supported formats.
func Formats() []string {
	return []string{FormatCSV, FormatTSV, FormatJSONL, FormatGraphML, FormatGEXF, FormatDOT}
}

// Levels lists the supported aggregation levels.
func Levels() []string {
	return []string{LevelPage, LevelHost, LevelDomain}
}

// Streams lists the streams a format writes, in the order Write opens them.
func Streams(format string) ([]string, error) {
	switch format {
	case FormatCSV, FormatTSV:
		return []string{StreamNodes, StreamEdges}, nil
	case FormatJSONL, FormatGraphML, FormatGEXF, FormatDOT:
		return []string{StreamGraph}, nil
	}
	return nil, unknownFormat(format)
}

// FileName is the conventional file name of one stream: "<base>.<format>" for StreamGraph,
// "<base>.<stream>.<format>" otherwise (out.nodes.csv, out.edges.csv).
func FileName(base, format, stream string) string {
	if stream == StreamGraph {
		return base + "." + format
	}
	return base + "." + stream + "." + format
}

// Files returns an OpenFunc that creates (or truncates) FileName(base, format, stream) for
// each stream, in place: a failed or killed export leaves partial files. crawl export writes
// through package fileset instead, whose files appear whole and together.
func Files(base, format string) OpenFunc {
	return func(stream string) (io.WriteCloser, error) {
		return os.Create(FileName(base, format, stream))
	}
}

// ToWriter returns an OpenFunc that sends StreamGraph to w, which it never closes. It refuses
// the nodes and edges streams, which cannot share one writer: csv and tsv need Files or an
// OpenFunc of the caller's own.
func ToWriter(w io.Writer) OpenFunc {
	return func(stream string) (io.WriteCloser, error) {
		if stream != StreamGraph {
			return nil, fmt.Errorf("this format writes separate %s and %s files: give an output path", StreamNodes, StreamEdges)
		}
		return nopCloser{w}, nil
	}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// Write exports the graph of src as opt describes, sending each stream to open. Nodes are
// written in the Source's order, then edges; edges whose ends are not both exported nodes
// (filtered out, or missing from the Source) are left out, and degrees count only the
// exported edges. Options are checked, and the DOT size limit applied, before any stream is
// opened.
func Write(src Source, opt Options, open OpenFunc) error {
	if err := opt.validate(); err != nil {
		return err
	}
	f := newFilter(opt)
	var err error
	if opt.Level == "" || opt.Level == LevelPage {
		err = writePages(src, opt, f, open)
	} else {
		err = writeGroups(src, opt, f, open)
	}
	if err != nil {
		var tooMany *TooManyNodesError
		if errors.As(err, &tooMany) {
			return err
		}
		return fmt.Errorf("export %s: %w", opt.Format, err)
	}
	return nil
}

func (opt *Options) validate() error {
	if !slices.Contains(Formats(), opt.Format) {
		return unknownFormat(opt.Format)
	}
	if opt.Level != "" && !slices.Contains(Levels(), opt.Level) {
		return fmt.Errorf("unknown export level %q (want %s)", opt.Level, strings.Join(Levels(), ", "))
	}
	if opt.Neo4j && opt.Format != FormatCSV && opt.Format != FormatTSV {
		return fmt.Errorf("neo4j headers apply to csv and tsv, not %s", opt.Format)
	}
	if opt.GEXFVersion != "" && !slices.Contains(GEXFVersions(), opt.GEXFVersion) {
		return fmt.Errorf("unknown GEXF version %q (want %s)", opt.GEXFVersion, strings.Join(GEXFVersions(), " or "))
	}
	return nil
}

func (opt *Options) gexfVersion() string {
	if opt.GEXFVersion == "" {
		return GEXF12
	}
	return opt.GEXFVersion
}

func unknownFormat(format string) error {
	return fmt.Errorf("unknown export format %q (want %s)", format, strings.Join(Formats(), ", "))
}

// maxNodes is the effective DOT limit, or -1 for none.
func (opt *Options) maxNodes() int {
	switch {
	case opt.Format != FormatDOT || opt.MaxNodes < 0:
		return -1
	case opt.MaxNodes == 0:
		return DefaultMaxNodes
	}
	return opt.MaxNodes
}

// checkSize refuses a DOT export over the node limit.
func (opt *Options) checkSize(nodes int) error {
	if max := opt.maxNodes(); max >= 0 && nodes > max {
		return &TooManyNodesError{Nodes: nodes, Max: max}
	}
	return nil
}

// filter decides which nodes are kept, from their state.
type filter struct {
	all  bool
	keep [256]bool
}

func newFilter(opt Options) filter {
	var f filter
	if len(opt.States) == 0 && !opt.InternalOnly {
		f.all = true
		return f
	}
	if len(opt.States) == 0 {
		for i := range f.keep {
			f.keep[i] = true
		}
	}
	for _, s := range opt.States {
		f.keep[s] = true
	}
	if opt.InternalOnly {
		f.keep[crawl.StateExternal] = false
	}
	return f
}

func (f *filter) keeps(s crawl.State) bool { return f.all || f.keep[s] }

// sink hands out one buffered output stream at a time.
type sink struct {
	open OpenFunc
	name string
	w    io.WriteCloser
	bw   *bufio.Writer
}

// streamWriter adds the stream name to write errors.
type streamWriter struct {
	w    io.Writer
	name string
}

func (s streamWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil {
		err = fmt.Errorf("write %s output: %w", s.name, err)
	}
	return n, err
}

// start finishes the current stream, if any, and opens the named one.
func (s *sink) start(stream string) (*bufio.Writer, error) {
	if err := s.finish(); err != nil {
		return nil, err
	}
	w, err := s.open(stream)
	if err != nil {
		return nil, fmt.Errorf("open %s output: %w", stream, err)
	}
	s.name, s.w = stream, w
	if s.bw == nil {
		s.bw = bufio.NewWriterSize(streamWriter{w, stream}, 64<<10)
	} else {
		s.bw.Reset(streamWriter{w, stream})
	}
	return s.bw, nil
}

// finish flushes and closes the current stream.
func (s *sink) finish() error {
	if s.w == nil {
		return nil
	}
	w := s.w
	s.w = nil
	err := s.bw.Flush()
	if cerr := w.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close %s output: %w", s.name, cerr)
	}
	return err
}

// abort closes the current stream after a failure, ignoring further errors.
func (s *sink) abort() {
	if s.w != nil {
		s.w.Close()
		s.w = nil
	}
}
