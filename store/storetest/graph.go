package storetest

import (
	"testing"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
)

// Graph is a stored crawl read whole: what tests compare a crawl with.
type Graph struct {
	Nodes []crawl.Node // in ascending id order
	Edges []Edge       // in ascending source id order
	ByURL map[string]crawl.Node
	// Rejections counts refused URLs by reason (Snapshot.Rejections).
	Rejections map[string]int
	// HostQueued is, for the frontier host of every node, the URLs it queued over all runs
	// (Snapshot.HostQueued).
	HostQueued map[string]int
}

// Edge is a stored edge with the URLs at its ends.
type Edge struct {
	crawl.Edge
	From, To string
}

// ReadGraph reads the crawl database at path, opened read-only, whole.
func ReadGraph(t testing.TB, path string) *Graph {
	t.Helper()
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	g := &Graph{ByURL: map[string]crawl.Node{}, HostQueued: map[string]int{}}
	url := map[uint64]string{}
	err = db.View(func(s *store.Snapshot) error {
		if err := s.EachNode(func(n crawl.Node) error {
			g.Nodes = append(g.Nodes, n)
			g.ByURL[n.URL] = n
			url[n.ID] = n.URL
			if h := host(n.URL); h != "" {
				if _, ok := g.HostQueued[h]; !ok { // once per host, not per node
					g.HostQueued[h] = s.HostQueued(h)
				}
			}
			return nil
		}); err != nil {
			return err
		}
		if err := s.EachEdge(func(e crawl.Edge) error {
			g.Edges = append(g.Edges, Edge{Edge: e, From: url[e.Src], To: url[e.Dst]})
			return nil
		}); err != nil {
			return err
		}
		var err error
		g.Rejections, err = s.Rejections()
		return err
	})
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return g
}

// InState returns the URLs of the nodes in state s.
func (g *Graph) InState(s crawl.State) map[string]bool {
	out := map[string]bool{}
	for _, n := range g.Nodes {
		if n.State == s {
			out[n.URL] = true
		}
	}
	return out
}
