package cluster

import (
	"hash/fnv"
	"slices"
	"strconv"
)

// Balanced assignment. Every live node computes the same targets from the same view: with N
// live nodes sorted by id, node i should own S/N shards, one more if i < S%N. A node below its
// target claims free shards; a node above it lets go of its surplus, but only while some live
// node is below its target and not enough shards are free to fill it, so that shards do not
// move for nothing. Which shards a node claims or lets go of follows rendezvous hashing
// (highest score of hash(node, shard) first), so nodes rarely race for the same free shard
// and a shard tends to return to the node it left.

// target is the number of shards node should own among the live nodes (sorted).
func target(live []string, node string, shards int) int {
	i, ok := slices.BinarySearch(live, node)
	if !ok || len(live) == 0 {
		return 0
	}
	t := shards / len(live)
	if i < shards%len(live) {
		t++
	}
	return t
}

// score ranks shard for node: higher first.
func score(node string, shard int) uint64 {
	h := fnv.New64a()
	h.Write([]byte(node))
	h.Write([]byte{0})
	h.Write([]byte(strconv.Itoa(shard)))
	return h.Sum64()
}

// byScore sorts shards by node's score, highest first.
func byScore(node string, shards []int) []int {
	s := slices.Clone(shards)
	slices.SortFunc(s, func(a, b int) int {
		sa, sb := score(node, a), score(node, b)
		switch {
		case sa > sb:
			return -1
		case sa < sb:
			return 1
		}
		return a - b
	})
	return s
}

// plan is what one node should do now: shards to try to claim and shards to let go of.
type plan struct {
	claim   []int
	release []int
}

// balance plans node's moves. owners maps every shard to its owner ("" when free); live
// holds the live nodes, sorted.
func balance(node string, live []string, owners []string) plan {
	shards := len(owners)
	count := map[string]int{}
	var free []int
	var mine []int
	for s, o := range owners {
		switch {
		case o == "":
			free = append(free, s)
		case o == node:
			mine = append(mine, s)
		}
		count[o]++
	}
	want := target(live, node, shards)
	var p plan
	if len(mine) < want && len(free) > 0 {
		p.claim = byScore(node, free)[:min(want-len(mine), len(free))]
		return p
	}
	if len(mine) <= want {
		return p
	}
	deficit := 0 // shards the other live nodes lack
	for _, n := range live {
		if n != node {
			deficit += max(0, target(live, n, shards)-count[n])
		}
	}
	if deficit <= len(free) {
		return p
	}
	ranked := byScore(node, mine)
	n := min(len(mine)-want, deficit-len(free))
	p.release = ranked[len(ranked)-n:] // the ones this node ranks lowest
	return p
}
