package export

import (
	"fmt"

	"github.com/crawl-project/crawl"
)

// encoder writes one format. Write calls begin, node for each node, edges once, edge for
// each edge, then end; the encoder opens its streams through the sink, and Write finishes or
// aborts the last one.
type encoder interface {
	begin(out *sink, sc *schema) error
	node(id uint64, v []value) error
	edges() error
	edge(src, dst uint64, v []value) error
	end() error
}

func newEncoder(opt *Options) encoder {
	switch opt.Format {
	case FormatCSV:
		return &csvEncoder{comma: ',', neo4j: opt.Neo4j, quote: true}
	case FormatTSV:
		// neo4j-admin reads tsv as csv with another delimiter: quoted fields, no escapes.
		return &csvEncoder{comma: '\t', neo4j: opt.Neo4j, quote: opt.Neo4j}
	case FormatJSONL:
		return &jsonEncoder{}
	case FormatGraphML:
		return &graphmlEncoder{}
	case FormatGEXF:
		return &gexfEncoder{version: opt.gexfVersion()}
	case FormatDOT:
		return &dotEncoder{}
	}
	panic("export: no encoder for " + opt.Format) // Options.validate rejects unknown formats
}

// emit runs the writing passes, closing the output whatever happens.
func emit(opt *Options, open OpenFunc, sc *schema, nodes, edges func(encoder) error) error {
	out := &sink{open: open}
	enc := newEncoder(opt)
	err := enc.begin(out, sc)
	if err == nil {
		err = nodes(enc)
	}
	if err == nil {
		err = enc.edges()
	}
	if err == nil {
		err = edges(enc)
	}
	if err == nil {
		err = enc.end()
	}
	if err != nil {
		out.abort()
		return err
	}
	return out.finish()
}

// eachNode calls fn for each node of src, telling the Source's own errors apart from fn's.
func eachNode(src Source, fn func(crawl.Node) error) error {
	return each(src.EachNode, "nodes", fn)
}

// eachEdge is eachNode for edges.
func eachEdge(src Source, fn func(crawl.Edge) error) error {
	return each(src.EachEdge, "edges", fn)
}

// each runs one pass of a Source: fn's errors come back as they are, the Source's own are
// wrapped as "read <what>".
func each[T any](pass func(func(T) error) error, what string, fn func(T) error) error {
	var ferr error
	err := pass(func(x T) error {
		ferr = fn(x)
		return ferr
	})
	if ferr != nil {
		return ferr
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	return nil
}

// writePages exports the page graph: one pass over the nodes to select them, one over the
// edges to count degrees, then one over each to write. Edges whose ends are not both
// exported nodes are left out.
func writePages(src Source, opt Options, f filter, open OpenFunc) error {
	var t nodeTable
	err := eachNode(src, func(n crawl.Node) error {
		t.add(n.ID, f.keeps(n.State))
		return nil
	})
	if err != nil {
		return err
	}
	if err := opt.checkSize(t.kept); err != nil {
		return err
	}
	t.countDegrees()
	err = eachEdge(src, func(e crawl.Edge) error {
		if s, ok := t.index(e.Src); ok {
			if d, ok := t.index(e.Dst); ok {
				t.link(s, d)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}

	sitemaps, err := readSitemapOrigins(src)
	if err != nil {
		return err
	}
	nodeVals := make([]value, len(pageSchema.nodes))
	edgeVals := make([]value, len(pageSchema.edges))
	return emit(&opt, open, pageSchema,
		func(enc encoder) error {
			return eachNode(src, func(n crawl.Node) error {
				i, ok := t.index(n.ID)
				if !ok {
					return nil
				}
				pageNode(nodeVals, &n, t.in[i], t.out[i], sitemaps)
				return enc.node(n.ID, nodeVals)
			})
		},
		func(enc encoder) error {
			return eachEdge(src, func(e crawl.Edge) error {
				if _, ok := t.index(e.Src); !ok {
					return nil
				}
				if _, ok := t.index(e.Dst); !ok {
					return nil
				}
				pageEdge(edgeVals, &e)
				return enc.edge(e.Src, e.Dst, edgeVals)
			})
		})
}

// readSitemapOrigins returns the origins whose sitemaps the crawl read, when src can tell.
func readSitemapOrigins(src Source) (sitemapOrigins, error) {
	hs, ok := src.(HostSource)
	if !ok {
		return nil, nil
	}
	o := sitemapOrigins{}
	err := each(hs.EachHost, "hosts", func(h crawl.HostRecord) error {
		if !h.SitemapsReadAt.IsZero() {
			o[h.Origin] = true
		}
		return nil
	})
	return o, err
}
