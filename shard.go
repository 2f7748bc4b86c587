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
func ShardOf(hostKey string, shards int) int {
	h := uint64(fnvOffset)
	for i := 0; i < len(hostKey); i++ {
		h = fnvStep(h, hostKey[i])
	}
	return int(h % uint64(shards))
}

// ShardOfKey is ShardOf for a host key held in bytes (read from a database), without making
// it a string.
func ShardOfKey(hostKey []byte, shards int) int {
	h := uint64(fnvOffset)
	for _, c := range hostKey {
		h = fnvStep(h, c)
	}
	return int(h % uint64(shards))
}

func fnvStep(h uint64, c byte) uint64 {
	if 'A' <= c && c <= 'Z' {
		c += 'a' - 'A'
	}
	return (h ^ uint64(c)) * fnvPrime
}
