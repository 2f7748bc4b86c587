package cluster

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// DefaultShards is the number of shards a crawl gets when its creator does not choose.
const DefaultShards = 256

// idPattern is what crawl ids and node ids may hold: they become parts of subjects, stream
// names, KV keys and a bucket name, which allow no dots, wildcards or spaces.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func checkID(kind, id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("%w: %s %q: use 1 to 64 letters, digits, '-' or '_'", ErrBadID, kind, id)
	}
	return nil
}

// names holds the engine names of one crawl.
type names struct{ crawl string }

func (n names) bucket() string       { return "crawl_" + n.crawl }
func (n names) urlStream() string    { return "CRAWL_" + n.crawl + "_URLS" }
func (n names) recordStream() string { return "CRAWL_" + n.crawl + "_RECORDS" }
func (n names) urlSubjects() string  { return "crawl." + n.crawl + ".urls.*" }
func (n names) recordSubjects() string {
	return "crawl." + n.crawl + ".records.*"
}
func (n names) urlSubject(shard int) string {
	return "crawl." + n.crawl + ".urls." + strconv.Itoa(shard)
}
func (n names) recordSubject(shard int) string {
	return "crawl." + n.crawl + ".records." + strconv.Itoa(shard)
}

// consumer is the durable consumer of a shard's URL subject. It belongs to the shard, not to
// a node, so its delivery state survives a move of the shard to another node.
func (n names) consumer(shard int) string { return "shard-" + strconv.Itoa(shard) }

// shardOfConsumer returns the shard whose consumer is named name, if it is one of the crawl's.
func (cr *crawl) shardOfConsumer(name string) (int, bool) {
	const prefix = "shard-"
	if !strings.HasPrefix(name, prefix) {
		return 0, false
	}
	n, err := strconv.Atoi(name[len(prefix):])
	if err != nil || n < 0 || n >= cr.config.Shards || cr.consumer(n) != name {
		return 0, false
	}
	return n, true
}

// KV keys of a crawl's bucket.
const (
	keyConfig      = "config"
	keyBudget      = "budget"
	keyDone        = "done"
	prefixAlive    = "alive."
	prefixShard    = "shard."
	watchAllShards = prefixShard + "*"
)

func aliveKey(node string) string { return prefixAlive + node }
func shardKey(shard int) string   { return prefixShard + strconv.Itoa(shard) }

// parseShardKey returns the shard of a "shard.N" key.
func parseShardKey(key string, shards int) (int, bool) {
	if len(key) <= len(prefixShard) || key[:len(prefixShard)] != prefixShard {
		return 0, false
	}
	n, err := strconv.Atoi(key[len(prefixShard):])
	if err != nil || n < 0 || n >= shards {
		return 0, false
	}
	return n, true
}

// ShardSet is a sorted list of distinct shards.
type ShardSet []int

func (s ShardSet) Has(shard int) bool {
	_, ok := slices.BinarySearch(s, shard)
	return ok
}

func newShardSet(shards []int) ShardSet {
	s := slices.Clone(shards)
	slices.Sort(s)
	return slices.Compact(s)
}
