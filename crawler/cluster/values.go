package cluster

import (
	"encoding/json"
	"fmt"
	"time"
)

// Values of the crawl's KV bucket are JSON with a version field, so that `nats kv get` shows
// them to a person and a node refuses a version it does not know.
const valueVersion = 1

// crawlConfig is the "config" key: written once, by the node that creates the crawl.
type crawlConfig struct {
	V        int       `json:"v"`
	Shards   int       `json:"shards"`
	Hash     string    `json:"hash"` // how hosts map to shards; see ShardOf
	Settings []byte    `json:"settings"`
	Created  time.Time `json:"created"`
}

const shardHash = "fnv1a64-lower-hostport"

// assignment is a "shard.N" key. It changes only by compare-and-set on the key's revision,
// so two nodes never both believe a claim of theirs succeeded.
type assignment struct {
	V int `json:"v"`
	// Owner is the node that may fetch the shard's hosts; "" while the shard is free.
	Owner string `json:"owner,omitempty"`
	// Epoch counts the claims of the shard: each new owner takes the next epoch.
	Epoch uint64 `json:"epoch"`
	// HoldMS is how long a new owner waits, from its claim, before its first request to a host
	// of the shard: what the previous owner's politeness still required when it let go.
	HoldMS int64 `json:"hold_ms,omitempty"`
	// From is the previous owner; Lost says it was taken away because the node was gone.
	From string `json:"from,omitempty"`
	Lost bool   `json:"lost,omitempty"`
	// DB is the database id of the owner, set once its rebuild of the shard is complete: a
	// restart with that database resumes the shard as it is.
	DB string `json:"db,omitempty"`
}

func (a assignment) hold() time.Duration { return time.Duration(a.HoldMS) * time.Millisecond }

// report is an "alive.<node>" key: the node's heartbeat, renewed every heartbeat interval
// with a TTL, and its activity, which done detection and status read.
type report struct {
	V        int    `json:"v"`
	Instance string `json:"instance"` // random per process: tells a restart from a renewal
	// Idle: nothing queued that the node may fetch in the shards it owns, nothing in flight,
	// its outbox and unreplicated records empty, no inbound batch uncommitted, and every shard
	// it owns is served (rebuilt, consumed, handed to the frontier).
	Idle     bool   `json:"idle"`
	Work     uint64 `json:"work"` // grows with every commit and publish of the node
	Pending  int    `json:"pending"`
	InFlight int    `json:"in_flight"`
	Outbox   int    `json:"outbox"`
	Records  int    `json:"records"`
	Fetched  uint64 `json:"fetched"`
	Owned    int    `json:"owned"`
	Fenced   bool   `json:"fenced,omitempty"`
}

// budget is the "budget" key: the cluster-wide --max-pages budget, drawn by compare-and-set.
// Each node's grant is kept apart, with the fetches it reported, so that a restarted node
// keeps its unused allowance and a lost node's allowance can be returned to the others.
type budget struct {
	V     int                    `json:"v"`
	Nodes map[string]*nodeBudget `json:"nodes"`
}

type nodeBudget struct {
	Granted uint64 `json:"granted"`
	Fetched uint64 `json:"fetched"`
}

func (b *budget) granted() uint64 {
	var n uint64
	for _, nb := range b.Nodes {
		n += nb.Granted
	}
	return n
}

// doneMark is the "done" key, written once the crawl was seen complete.
type doneMark struct {
	V  int       `json:"v"`
	At time.Time `json:"at"`
	By string    `json:"by"`
}

func encodeValue(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("cluster: encode %T: %v", v, err)) // plain structs: cannot fail
	}
	return b
}

// decodeValue decodes a KV value of the given key into v, which has a V field.
func decodeValue(key string, b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("kv key %s: %w", key, err)
	}
	var ver struct {
		V int `json:"v"`
	}
	_ = json.Unmarshal(b, &ver)
	if ver.V != valueVersion {
		return fmt.Errorf("kv key %s: version %d, this node reads version %d", key, ver.V, valueVersion)
	}
	return nil
}
