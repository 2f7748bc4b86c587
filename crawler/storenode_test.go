package crawler_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/crawl-project/crawl/crawler/cluster"
	"github.com/crawl-project/crawl/store"
)

// The store routes a page's links by store.ShardOf and the engine assigns shards to nodes by
// cluster.ShardOf: a node fetches a host only if both put it in the same shard. The two are
// copies (the store imports no engine); they must agree on every host key and shard count.
func TestStoreAndEngineShardHostsAlike(t *testing.T) {
	if store.MaxShards != cluster.MaxShards {
		t.Fatalf("store.MaxShards %d, cluster.MaxShards %d", store.MaxShards, cluster.MaxShards)
	}
	keys := []string{"", "a", "A", "example.org", "EXAMPLE.org:8080", "127.0.0.2:80", "[::1]:443",
		"xn--bcher-kva.example", "h\xffst", "Ünïcode.example", "h0.test", "H15.TEST:1234"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, 1+r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		keys = append(keys, string(b), fmt.Sprintf("h%d.test:%d", r.IntN(1000), r.IntN(65536)))
	}
	for _, shards := range []int{1, 2, 3, 7, 16, 32, 255, 256, 1000, cluster.MaxShards} {
		for _, k := range keys {
			if s, c := store.ShardOf(k, shards), cluster.ShardOf(k, shards); s != c {
				t.Fatalf("ShardOf(%q, %d): store %d, engine %d", k, shards, s, c)
			}
		}
	}
}
