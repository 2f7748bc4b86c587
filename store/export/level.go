package export

import (
	"cmp"
	"slices"
	"strings"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/parse"

	"github.com/crawl-project/crawl/store"
)

// groupStates are the states counted per host or domain, in column order.
var groupStates = []crawl.State{
	crawl.StatePending,
	crawl.StateDone,
	crawl.StateFailed,
	crawl.StateBlocked,
	crawl.StateExternal,
	crawl.StateSkipped,
}

// Group-level node columns; the per-state counts follow gPages.
const (
	gName = iota
	gPages
	gStates
)

// Group-level edge columns.
const (
	gWeight = iota
	gPageEdges
)

// groupSchema describes a host graph (level "host") or a domain graph (level "domain").
// Nodes: the host or domain name, the number of pages, the number of pages in each state,
// and the degrees. Edges: weight, the sum of the Counts of the page edges folded into the
// edge, and page_edges, how many page edges that is.
func groupSchema(level string) *schema {
	nodes := []column{gName: {level, typeString}, gPages: {"pages", typeLong}}
	for _, s := range groupStates {
		nodes = append(nodes, column{"pages_" + strings.ReplaceAll(s.String(), "-", "_"), typeLong})
	}
	nodes = append(nodes, column{"in_degree", typeLong}, column{"out_degree", typeLong})
	label := "Host"
	if level == LevelDomain {
		label = "Domain"
	}
	return &schema{
		nodeLabel: label,
		idSpace:   label,
		nodes:     nodes,
		edges:     []column{gWeight: {"weight", typeLong}, gPageEdges: {"page_edges", typeLong}},
		labels:    []int{gName},
		kind:      -1,
		relType:   "LINKS_TO",
		weight:    gWeight,
	}
}

// group is one host or domain.
type group struct {
	name   string
	pages  int64
	states [6]int64 // by position in groupStates
	in     uint32   // distinct groups linking here
	out    uint32   // distinct groups linked to
}

// groupPair is an aggregated edge, keyed by source and target group number.
type groupPair struct{ src, dst uint32 }

type groupEdge struct {
	weight int64 // sum of page edge Counts
	edges  int64 // number of page edges
}

// writeGroups exports the host or domain graph. Nodes are numbered from 1 in the order their
// first page appears; edges come sorted by source then target group.
func writeGroups(src Source, opt Options, f filter, open OpenFunc) error {
	var (
		t      nodeTable
		groups []group
		byName = map[string]uint32{}
		byHost = map[string]uint32{}
		domain = opt.Level == LevelDomain
	)
	err := eachNode(src, func(n crawl.Node) error {
		i := t.add(n.ID, f.keeps(n.State))
		if i < 0 {
			return nil
		}
		h := store.HostName(n.URL)
		g, ok := byHost[h]
		if !ok {
			h = strings.Clone(h) // the Source's strings may not outlive the callback
			name := h
			if domain {
				name = parse.Domain(h)
			}
			if g, ok = byName[name]; !ok {
				g = uint32(len(groups))
				groups = append(groups, group{name: name})
				byName[name] = g
			}
			byHost[h] = g
		}
		t.setGroup(i, g)
		groups[g].pages++
		if s := slices.Index(groupStates, n.State); s >= 0 {
			groups[g].states[s]++
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := opt.checkSize(len(groups)); err != nil {
		return err
	}

	pairs := map[groupPair]groupEdge{}
	err = eachEdge(src, func(e crawl.Edge) error {
		s, ok := t.index(e.Src)
		if !ok {
			return nil
		}
		d, ok := t.index(e.Dst)
		if !ok {
			return nil
		}
		p := groupPair{t.group[s], t.group[d]}
		a := pairs[p]
		a.weight += int64(e.Count)
		a.edges++
		pairs[p] = a
		return nil
	})
	if err != nil {
		return err
	}
	keys := make([]groupPair, 0, len(pairs))
	for p := range pairs {
		keys = append(keys, p)
		groups[p.src].out++
		groups[p.dst].in++
	}
	slices.SortFunc(keys, func(a, b groupPair) int {
		return cmp.Or(cmp.Compare(a.src, b.src), cmp.Compare(a.dst, b.dst))
	})

	sc := groupSchema(opt.Level)
	nodeVals := make([]value, len(sc.nodes))
	edgeVals := make([]value, len(sc.edges))
	return emit(&opt, open, sc,
		func(enc encoder) error {
			for i := range groups {
				g := &groups[i]
				nodeVals[gName].s = g.name
				nodeVals[gPages].n = g.pages
				for j, c := range g.states {
					nodeVals[gStates+j].n = c
				}
				nodeVals[gStates+len(g.states)].n = int64(g.in)
				nodeVals[gStates+len(g.states)+1].n = int64(g.out)
				if err := enc.node(uint64(i)+1, nodeVals); err != nil {
					return err
				}
			}
			return nil
		},
		func(enc encoder) error {
			for _, p := range keys {
				a := pairs[p]
				edgeVals[gWeight].n = a.weight
				edgeVals[gPageEdges].n = a.edges
				if err := enc.edge(uint64(p.src)+1, uint64(p.dst)+1, edgeVals); err != nil {
					return err
				}
			}
			return nil
		})
}
