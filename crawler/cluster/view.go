package cluster

import (
	"log/slog"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// view is a node's picture of the crawl's KV bucket, kept by a watcher. Only the controller
// goroutine uses it.
type view struct {
	shards int
	assign []assigned // by shard
	alive  map[string]aliveEntry
	done   bool
	ready  bool // the watcher delivered the initial values
	log    *slog.Logger
}

type assigned struct {
	assignment
	rev uint64 // 0: the key does not exist (free, epoch 0)
}

type aliveEntry struct {
	report
	rev uint64
}

func newView(shards int, log *slog.Logger) *view {
	return &view{shards: shards, assign: make([]assigned, shards), alive: map[string]aliveEntry{}, log: log}
}

// apply takes one watcher update; updates older than what the view holds (a write of this
// node applied early) are ignored.
func (v *view) apply(e jetstream.KeyValueEntry) {
	key, put := e.Key(), e.Operation() == jetstream.KeyValuePut
	switch {
	case key == keyDone:
		v.done = put
	case strings.HasPrefix(key, prefixAlive):
		node := key[len(prefixAlive):]
		if !put {
			delete(v.alive, node)
			return
		}
		if cur, ok := v.alive[node]; ok && cur.rev >= e.Revision() {
			return
		}
		var r report
		if err := decodeValue(key, e.Value(), &r); err != nil {
			v.warn("cluster: ignoring heartbeat", err)
			return
		}
		v.alive[node] = aliveEntry{r, e.Revision()}
	default:
		s, ok := parseShardKey(key, v.shards)
		if !ok {
			return
		}
		if v.assign[s].rev >= e.Revision() {
			return
		}
		if !put {
			v.assign[s] = assigned{rev: e.Revision()}
			return
		}
		var a assignment
		if err := decodeValue(key, e.Value(), &a); err != nil {
			v.warn("cluster: ignoring shard assignment", err)
			return
		}
		v.assign[s] = assigned{a, e.Revision()}
	}
}

// set records a write this node made.
func (v *view) set(shard int, a assignment, rev uint64) {
	if rev > v.assign[shard].rev {
		v.assign[shard] = assigned{a, rev}
	}
}

// live returns the nodes with a heartbeat, sorted.
func (v *view) live() []string {
	nodes := make([]string, 0, len(v.alive))
	for n := range v.alive {
		nodes = append(nodes, n)
	}
	slices.Sort(nodes)
	return nodes
}

func (v *view) owners() []string {
	o := make([]string, v.shards)
	for s, a := range v.assign {
		o[s] = a.Owner
	}
	return o
}

func (v *view) ownedBy(node string) []int {
	var s []int
	for i, a := range v.assign {
		if a.Owner == node {
			s = append(s, i)
		}
	}
	return s
}

func (v *view) warn(msg string, err error) {
	if v.log != nil {
		v.log.Warn(msg, "err", err)
	}
}
