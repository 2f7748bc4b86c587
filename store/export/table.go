package export

import (
	"math"
	"math/bits"
)

// denseSlack is how far node IDs may run ahead of the number of nodes seen before the table
// stops indexing by ID.
const denseSlack = 1 << 16

// nodeTable holds what the write passes need to know about each kept node: that it is kept,
// its in- and out-degree in the exported graph and, at the host and domain levels, its group.
//
// While IDs are dense (the store assigns them from 1 without gaps) everything is indexed by
// ID: one bit per node for membership, then a uint32 per node for each counter. If IDs turn
// out to be sparse, the table switches to a map from ID to a compact slot so that a stray
// huge ID cannot make it allocate without bound.
type nodeTable struct {
	seen  uint64            // nodes of the Source, kept or not
	kept  int               // kept nodes
	maxID uint64            // largest kept ID, dense mode
	bits  []uint64          // membership by ID, dense mode
	slots map[uint64]uint32 // ID to slot, sparse mode
	in    []uint32          // in-degree by index
	out   []uint32          // out-degree by index
	group []uint32          // group number by index, group levels only
}

// add records one node of the Source and, if keep is set, marks it kept and returns its
// index. Nodes must come in ascending ID order.
func (t *nodeTable) add(id uint64, keep bool) int {
	t.seen++
	if !keep {
		return -1
	}
	t.kept++
	if t.slots == nil && id > 2*t.seen+denseSlack {
		t.toSparse()
	}
	if t.slots != nil {
		s := uint32(len(t.slots))
		t.slots[id] = s
		return int(s)
	}
	w := int(id >> 6)
	for len(t.bits) <= w {
		t.bits = append(t.bits, 0)
	}
	t.bits[w] |= 1 << (id & 63)
	t.maxID = max(t.maxID, id)
	return int(id)
}

// toSparse moves the kept IDs from the bitset to the slot map.
func (t *nodeTable) toSparse() {
	t.slots = make(map[uint64]uint32, t.kept)
	var group []uint32
	for w, word := range t.bits {
		for word != 0 {
			id := uint64(w)<<6 | uint64(bits.TrailingZeros64(word))
			word &= word - 1
			if t.group != nil {
				group = append(group, t.group[id])
			}
			t.slots[id] = uint32(len(t.slots))
		}
	}
	t.bits, t.group, t.maxID = nil, group, 0
}

// index returns the index of a kept node.
func (t *nodeTable) index(id uint64) (int, bool) {
	if t.slots != nil {
		s, ok := t.slots[id]
		return int(s), ok
	}
	w := id >> 6
	if w >= uint64(len(t.bits)) {
		return 0, false
	}
	return int(id), t.bits[w]&(1<<(id&63)) != 0
}

// size is the length the per-index slices need.
func (t *nodeTable) size() int {
	if t.slots != nil {
		return len(t.slots)
	}
	if len(t.bits) == 0 {
		return 0
	}
	return int(t.maxID) + 1
}

// setGroup records the group of the kept node at index i.
func (t *nodeTable) setGroup(i int, g uint32) {
	for len(t.group) <= i {
		t.group = append(t.group, 0)
	}
	t.group[i] = g
}

// countDegrees allocates the degree counters; call it once every node has been added.
func (t *nodeTable) countDegrees() {
	t.in = make([]uint32, t.size())
	t.out = make([]uint32, t.size())
}

// link counts one exported edge between the nodes at indexes s and d.
func (t *nodeTable) link(s, d int) {
	if t.out[s] != math.MaxUint32 {
		t.out[s]++
	}
	if t.in[d] != math.MaxUint32 {
		t.in[d]++
	}
}
