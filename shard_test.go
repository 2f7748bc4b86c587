package crawl

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Every node of a crawl, and every node's store, must map a host to the same shard, in every
// version: the values are fixed by FNV-1a, not by this code.
func TestShardOfIsStable(t *testing.T) {
	for _, c := range []struct {
		host   string
		shards int
		want   int
	}{
		{"a.test", 256, ShardOf("A.TEST", 256)},
		{"", 256, int(uint64(fnvOffset) % 256)},
		{"127.0.0.2:8080", 1, 0},
		{"a", 1 << 12, int(uint64(0xaf63dc4c8601ec8c) % (1 << 12))}, // FNV-1a of "a"
	} {
		if got := ShardOf(c.host, c.shards); got != c.want {
			t.Errorf("ShardOf(%q, %d) = %d, want %d", c.host, c.shards, got, c.want)
		}
	}
	// Spread: 1000 hosts over 16 shards, none empty and none with over twice its share.
	count := make([]int, 16)
	for i := range 1000 {
		count[ShardOf(fmt.Sprintf("h%c.test:%d", 'a'+i%26, i), 16)]++
	}
	for s, c := range count {
		if c == 0 || c > 2*1000/16 {
			t.Errorf("shard %d has %d of 1000 hosts", s, c)
		}
	}
}

// The store reads host keys from the database as bytes: ShardOfKey must agree with ShardOf on
// any key, bytes that are not UTF-8 included.
func TestShardOfKeyAgrees(t *testing.T) {
	keys := []string{"", "a", "A", "EXAMPLE.org:8080", "[::1]:443", "h\xffst", "Ünïcode.example"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, 1+r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		keys = append(keys, string(b))
	}
	for _, shards := range []int{1, 3, 16, 256, MaxShards} {
		for _, k := range keys {
			if s, b := ShardOf(k, shards), ShardOfKey([]byte(k), shards); s != b {
				t.Fatalf("%q over %d shards: ShardOf %d, ShardOfKey %d", k, shards, s, b)
			}
		}
	}
}
