package cluster

import (
	"slices"
	"testing"
)

func TestTargetsAddUpToShards(t *testing.T) {
	for _, live := range [][]string{{"a"}, {"a", "b"}, {"a", "b", "c"}, {"a", "b", "c", "d", "e", "f", "g"}} {
		for _, s := range []int{1, 16, 256, 1000} {
			sum := 0
			for _, n := range live {
				sum += target(live, n, s)
			}
			if sum != s {
				t.Errorf("%d nodes, %d shards: targets add up to %d", len(live), s, sum)
			}
		}
	}
	if target([]string{"a"}, "b", 16) != 0 {
		t.Error("a node not live has a target")
	}
}

// Simulate the nodes' rounds until nothing moves: every shard ends with one owner and the
// counts are balanced, whatever order the nodes act in.
func TestBalanceConverges(t *testing.T) {
	const shards = 64
	owners := make([]string, shards)
	live := []string{"a"}
	round := func() bool {
		moved := false
		for _, n := range live {
			p := balance(n, live, owners)
			for _, s := range p.release {
				if owners[s] != n {
					t.Fatalf("%s releases shard %d of %q", n, s, owners[s])
				}
				owners[s] = ""
				moved = true
			}
			for _, s := range p.claim {
				if owners[s] != "" {
					t.Fatalf("%s claims shard %d of %q", n, s, owners[s])
				}
				owners[s] = n
				moved = true
			}
		}
		return moved
	}
	settle := func() {
		for i := 0; round(); i++ {
			if i > 10 {
				t.Fatal("balance does not settle")
			}
		}
		count := map[string]int{}
		for s, o := range owners {
			if o == "" {
				t.Fatalf("shard %d free after settling", s)
			}
			count[o]++
		}
		for _, n := range live {
			if c := count[n]; c != target(live, n, shards) {
				t.Fatalf("%v: %s owns %d, target %d", live, n, c, target(live, n, shards))
			}
		}
	}
	settle()
	live = []string{"a", "b"}
	settle()
	live = []string{"a", "b", "c"}
	settle()
	// c is lost: its shards are freed (by the lease), a and b take them.
	for s, o := range owners {
		if o == "c" {
			owners[s] = ""
		}
	}
	live = []string{"a", "b"}
	settle()
	if slices.Contains(owners, "c") {
		t.Fatal("lost node still owns shards")
	}
}
