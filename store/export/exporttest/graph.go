// Package exporttest reads the files that package export writes back into a graph, for
// tests that compare an export with the crawl it came from. It is meant for tests only: the
// parsers check each format's rules strictly, stop at the first thing that is wrong and hold
// the whole graph in memory.
//
// The parsers are written independently of the encoders and do not import package export,
// so that the package's own tests can use them too.
package exporttest

import (
	"fmt"
	"slices"
	"strings"
)

// Graph is an export read back: attribute values as text, empty values left out (graphml,
// gexf and dot leave them out, csv, tsv and jsonl write them), so that every format reads
// back to the same Graph.
type Graph struct {
	Nodes map[string]map[string]string // attributes by node id
	Edges []map[string]string          // in file order; "source" and "target" are node ids
}

// NewGraph returns an empty graph.
func NewGraph() *Graph { return &Graph{Nodes: map[string]map[string]string{}} }

func dropEmpty(m map[string]string) map[string]string {
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
	}
	return m
}

// AddNode adds node id with attrs, which it keeps; a node written twice is an error.
func (g *Graph) AddNode(id string, attrs map[string]string) error {
	if _, dup := g.Nodes[id]; dup {
		return fmt.Errorf("node %s written twice", id)
	}
	g.Nodes[id] = dropEmpty(attrs)
	return nil
}

// AddEdge adds an edge with attrs, which it keeps.
func (g *Graph) AddEdge(attrs map[string]string) {
	g.Edges = append(g.Edges, dropEmpty(attrs))
}

// EdgeList is the edges as sorted canonical strings (fmt prints maps in key order), for
// comparing them as multisets.
func (g *Graph) EdgeList() []string {
	l := make([]string, 0, len(g.Edges))
	for _, e := range g.Edges {
		l = append(l, fmt.Sprintf("%q", e))
	}
	slices.Sort(l)
	return l
}

// Diff describes the differences between g and want, one per line, or returns "".
func (g *Graph) Diff(want *Graph) string {
	var b strings.Builder
	for _, id := range sortedKeys(want.Nodes) {
		w := want.Nodes[id]
		got, ok := g.Nodes[id]
		if !ok {
			fmt.Fprintf(&b, "missing node %s\n", id)
			continue
		}
		for _, k := range sortedKeys(w) {
			if got[k] != w[k] {
				fmt.Fprintf(&b, "node %s %s = %q, want %q\n", id, k, got[k], w[k])
			}
		}
		for _, k := range sortedKeys(got) {
			if _, ok := w[k]; !ok {
				fmt.Fprintf(&b, "node %s has extra %s = %q\n", id, k, got[k])
			}
		}
	}
	for _, id := range sortedKeys(g.Nodes) {
		if _, ok := want.Nodes[id]; !ok {
			fmt.Fprintf(&b, "unexpected node %s\n", id)
		}
	}
	if got, want := g.EdgeList(), want.EdgeList(); !slices.Equal(got, want) {
		fmt.Fprintf(&b, "edges:\n got %s\nwant %s\n", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Neo4j turns an expected graph of the given level (page, host or domain) into what a csv
// or tsv export with neo4j-admin headers reads back as: nodes carry a :LABEL (External for
// external URLs), an edge's kind becomes its :TYPE (upper case; group edges are LINKS_TO),
// and its rel tokens an array separated by ';'.
func (g *Graph) Neo4j(level string) {
	label := "Page"
	switch level {
	case "host":
		label = "Host"
	case "domain":
		label = "Domain"
	}
	for _, n := range g.Nodes {
		n[":LABEL"] = label
		if label == "Page" && n["state"] == "external" {
			n[":LABEL"] = "External"
		}
		if h, ok := n["hreflang"]; ok {
			n["hreflang"] = strings.Join(strings.Fields(h), ";")
		}
	}
	for _, e := range g.Edges {
		if rel, ok := e["rel"]; ok {
			e["rel"] = strings.Join(strings.Fields(rel), ";")
			if e["rel"] == "" {
				delete(e, "rel")
			}
		}
		typ := "LINKS_TO"
		if k, ok := e["kind"]; ok {
			typ = strings.ToUpper(strings.NewReplacer("(", "_", ")", "").Replace(k))
			delete(e, "kind")
		}
		e[":TYPE"] = typ
	}
}
