package crawl

// A crawl shared by many machines splits its hosts into a fixed number of shards, each
// crawled by the node that owns it. Every node, and every node's store, must map a host to
// the same shard, so the rule is here, once: the engine routes URLs by it, the store routes
// links and counts queued URLs by it.

// MaxShards bounds the shard count: each shard is a subject, a KV key and a durable consumer
// of the engine, and a counter of the store.
const MaxShards = 4096

// FNV-1a, 64 bit.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// ShardOf returns the shard of a frontier host key (host[:port], the unit of politeness)
// among shards: FNV-1a (64 bit) of the ASCII-lower-cased key, modulo shards. It is stable
// across versions and machines: every node of a crawl must agree on it.
func ShardOf(hostKey string, shards int) int { return shardOf(hostKey, shards) }

// ShardOfKey is ShardOf for a host key held in bytes (read from a database), without making
// it a string.
func ShardOfKey(hostKey []byte, shards int) int { return shardOf(hostKey, shards) }

func shardOf[S string | []byte](hostKey S, shards int) int {
	h := uint64(fnvOffset)
	for i := 0; i < len(hostKey); i++ {
		c := hostKey[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h = (h ^ uint64(c)) * fnvPrime
	}
	return int(h % uint64(shards))
}
