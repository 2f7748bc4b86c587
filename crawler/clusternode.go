package crawler

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler/cluster"
	"github.com/crawl-project/crawl/store"
)

// The crawler's side of a crawl shared by many machines (crawl --cluster): the engine
// (crawler/cluster) talks to the node through cluster.Local, which nodeSide implements over
// the node's database, its frontier and its writer. The engine's reads of the database go to
// it directly; its writes go through the writer goroutine, the database's only writer, which
// answers each once it is durable.

// NodeStore is what a node needs of its database besides the frontier's reads and the
// writer's commits (which, on a node, also write outbox and record rows with each page). Each
// writing method runs one durable transaction and is idempotent: the engine calls it again
// after a crash or a redelivery. The crawler calls them from its writer goroutine only.
// storeNode is the database's; tests may wrap it.
type NodeStore interface {
	// InsertURLs commits URLs other nodes sent, each as a followable link at its depth.
	InsertURLs(urls []store.InboundURL) (crawl.CommitStats, error)
	// ApplyRecords commits page records of a shard the node takes over.
	ApplyRecords(records []store.PageRecord) (crawl.CommitStats, error)
	PendingOutbox(max int) ([]store.OutboxRow, error)
	DeleteOutbox(seqs []uint64) error
	PendingRecords(max int) ([]store.RecordRow, error)
	DeleteRecords(seqs []uint64) error
	// DatabaseID is the database's random id, made once when it was first asked.
	DatabaseID() (string, error)
}

// Crash points: the moments a test kills a node at (ClusterOptions.Crash). Between a commit
// and the publishing of what it wrote; between the commit of inbound URLs and their
// acknowledgement.
const (
	CrashBeforePublish = "before-publish"
	CrashBeforeAck     = "before-ack"
)

// errWriterEnded: an engine write came after the pipeline's writer had returned.
var errWriterEnded = errors.New("crawler: the writer has stopped")

// engineOp is one engine write, run by the writer between its commits.
type engineOp struct {
	// run makes the write, one transaction. Its note, if it has hosts, tells the frontier
	// what the write queued.
	run  func() (commitNote, error)
	done chan error // the write's result, once it is durable
}

// writerEngine connects the writer stage to the engine.
type writerEngine struct {
	ops     chan engineOp
	notify  func()          // after a commit: the publisher may have rows to send
	drained func()          // the pipeline's results are all committed: the engine may stop
	stopped <-chan struct{} // the engine has stopped: the writer may end
	unnoted *atomic.Int64   // notes of engine writes not yet taken by the frontier
	commits atomic.Uint64   // engine writes committed
}

// run makes an engine write and answers it.
func (e *writerEngine) run(ctx context.Context, op engineOp, notes chan<- commitNote) error {
	note, err := op.run()
	if err != nil {
		op.done <- err
		return err
	}
	e.commits.Add(1)
	if len(note.hostsWithNew) > 0 {
		// Counted before it is sent, so that the node never looks idle in between.
		note.engine = true
		e.unnoted.Add(1)
		select {
		case notes <- note:
		case <-ctx.Done():
			op.done <- ctx.Err()
			return ctx.Err()
		}
	}
	e.notify()
	op.done <- nil
	return nil
}

// nodeSide implements cluster.Local. Join uses it before the crawl runs (the heartbeat's
// first report), when it has no database yet and reports nothing; attach gives it the
// database and the pipeline before the engine runs.
type nodeSide struct {
	log   *slog.Logger
	crash func(point string)

	db    NodeStore
	eng   *writerEngine
	front *frontier
	stats *Stats
	// writerEnded is closed when the writer stage returns.
	writerEnded chan struct{}
}

func (s *nodeSide) local() cluster.Local {
	return cluster.Local{Outbox: s, Records: s, Inbox: s, Frontier: s}
}

func (s *nodeSide) crashAt(point string) {
	if s.crash != nil {
		s.crash(point)
	}
}

// write hands a write to the writer and waits until it is durable.
func (s *nodeSide) write(ctx context.Context, run func() (commitNote, error)) error {
	if s.eng == nil {
		return errWriterEnded
	}
	op := engineOp{run: run, done: make(chan error, 1)}
	select {
	case s.eng.ops <- op:
	case <-s.writerEnded:
		return errWriterEnded
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-op.done:
		return err
	case <-ctx.Done():
		return ctx.Err() // the write goes on; the engine does it again, idempotent
	}
}

func (s *nodeSide) PendingOutbox(_ context.Context, max int) ([]cluster.OutboxRow, error) {
	if s.db == nil {
		return nil, nil
	}
	rows, err := s.db.PendingOutbox(max)
	if err != nil {
		return nil, err
	}
	if len(rows) > 0 {
		s.crashAt(CrashBeforePublish)
	}
	out := make([]cluster.OutboxRow, len(rows))
	for i, r := range rows {
		out[i] = cluster.OutboxRow{Seq: r.Seq, Shard: r.Shard, URL: cluster.URL{URL: r.URL, Depth: r.Depth, Check: r.Check, External: r.External}}
	}
	return out, nil
}

func (s *nodeSide) DeleteOutbox(ctx context.Context, seqs []uint64) error {
	return s.write(ctx, func() (commitNote, error) { return commitNote{}, s.db.DeleteOutbox(seqs) })
}

func (s *nodeSide) PendingRecords(_ context.Context, max int) ([]cluster.Record, error) {
	if s.db == nil {
		return nil, nil
	}
	recs, err := s.db.PendingRecords(max)
	if err != nil {
		return nil, err
	}
	if len(recs) > 0 {
		s.crashAt(CrashBeforePublish)
	}
	out := make([]cluster.Record, len(recs))
	for i, r := range recs {
		out[i] = cluster.Record{Seq: r.Seq, Shard: r.Shard, PageRecord: cluster.PageRecord{URL: r.URL, Body: r.Body}}
	}
	return out, nil
}

func (s *nodeSide) DeleteRecords(ctx context.Context, seqs []uint64) error {
	return s.write(ctx, func() (commitNote, error) { return commitNote{}, s.db.DeleteRecords(seqs) })
}

// InsertURLs commits URLs sent to this node's shards, and tells the frontier the hosts
// that got new entries.
func (s *nodeSide) InsertURLs(ctx context.Context, urls []cluster.URL) error {
	in := make([]store.InboundURL, 0, len(urls))
	for _, u := range urls {
		if p, err := url.Parse(u.URL); err != nil || p.Host == "" {
			// Sent by a node of another version, or damaged: nothing to queue.
			s.log.Warn("cluster: dropping a URL that is not absolute", "url", u.URL)
			continue
		}
		in = append(in, store.InboundURL{URL: u.URL, Depth: u.Depth, Check: u.Check, External: u.External}) // the store keys its host
	}
	if len(in) == 0 {
		return nil
	}
	err := s.write(ctx, func() (commitNote, error) {
		cs, err := s.db.InsertURLs(in)
		return commitNote{hostsWithNew: cs.HostsWithNew, requeued: cs.HostsRequeued}, err
	})
	if err == nil {
		s.crashAt(CrashBeforeAck)
	}
	return err
}

// ApplyRecords commits records of a shard being rebuilt. The frontier does not serve the
// shard yet: GainShards makes it look for the shard's hosts afterwards.
func (s *nodeSide) ApplyRecords(ctx context.Context, records []cluster.PageRecord) error {
	in := make([]store.PageRecord, len(records))
	for i, r := range records {
		in[i] = store.PageRecord{URL: r.URL, Body: r.Body}
	}
	return s.write(ctx, func() (commitNote, error) {
		cs, err := s.db.ApplyRecords(in)
		return commitNote{hostsWithNew: cs.HostsWithNew, requeued: cs.HostsRequeued}, err
	})
}

func (s *nodeSide) GainShards(shards []int, notBefore time.Time) {
	if s.front == nil {
		return
	}
	s.front.do(context.Background(), func(f *frontier) { f.gain(shards, notBefore) })
}

func (s *nodeSide) DropShards(ctx context.Context, shards []int) (time.Duration, error) {
	if s.front == nil {
		return 0, nil
	}
	reply := make(chan time.Duration, 1)
	if !s.front.do(ctx, func(f *frontier) { f.drop(shards, reply) }) {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, nil // the pipeline has ended: nothing of them is in flight
	}
	select {
	case hold := <-reply:
		return hold, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (s *nodeSide) Progress() cluster.Progress {
	var p cluster.Progress
	if s.front == nil {
		return p
	}
	s.front.do(context.Background(), func(f *frontier) { p = f.progress() })
	p.Commits = uint64(s.stats.Commits()) + s.eng.commits.Load()
	return p
}

var _ cluster.Frontier = (*nodeSide)(nil)
