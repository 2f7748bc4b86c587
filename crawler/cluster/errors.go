package cluster

import "errors"

// Sentinel errors for the states a caller acts on (exit codes, messages). Each error returned
// by this package that wraps one of them is one line naming what was wrong.
var (
	// ErrUnreachable: no NATS server answered at the given address.
	ErrUnreachable = errors.New("cluster server unreachable")
	// ErrNoJetStream: the server answers but has JetStream disabled (start it with -js).
	ErrNoJetStream = errors.New("JetStream is not enabled on the cluster server")
	// ErrNodeRunning: another process holds this node id: its heartbeat is live.
	ErrNodeRunning = errors.New("node id is already running")
	// ErrSettingsMismatch: the node's crawl settings or shard count differ from the ones the
	// crawl recorded when it was created.
	ErrSettingsMismatch = errors.New("settings differ from the crawl's recorded settings")
	// ErrBadID: a crawl id or node id that cannot name engine objects.
	ErrBadID = errors.New("invalid id")
	// ErrNoCrawl: no crawl with this id exists on the server.
	ErrNoCrawl = errors.New("no such crawl")
	// ErrFenced: this node could not renew its heartbeat for longer than its TTL, so its shards
	// may be given to others; it stopped fetching and consuming until it renews.
	ErrFenced = errors.New("heartbeat lost")
)
