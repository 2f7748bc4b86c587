package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/crawl-project/crawl"
)

// A node of a cluster crawl keeps two queues for the engine, written in the transactions of
// the writer that make their rows true, and read and emptied by the engine's publisher once
// the engine holds them (a transactional outbox): links to other shards' hosts, and the
// records of the pages the node recorded. Their buckets exist only in a cluster node's
// database: a crawl of one node writes neither.
var (
	bucketOutbox  = []byte("outbox")  // seq -> shard, depth, [0, flags], URL
	bucketRecords = []byte("records") // seq -> shard, URL, record body (see record.go)

	keyDatabaseID = []byte("id") // in meta: the database's random id, made on first use
)

// OutboxRow is a link to a host of another shard, waiting to be sent to the node that owns
// that shard.
type OutboxRow struct {
	Seq   uint64 // the row's key, increasing in commit order
	Shard int    // ShardOf the URL's host
	URL   string
	Depth int // link hops from a seed, as the linking page's node counts them
	// Check: the link is one to check, not crawl (a page requisite, a link out of the scope
	// with --check-external, where a check's redirect leads): the owner checks the URL.
	Check bool
	// External: a link to check out of the crawl's scope (crawl.Node.External).
	External bool
}

// Flags of an outbox row. A row with none is written as before they existed: shard, depth,
// URL; one with some has a zero byte and the flags between the depth and the URL (a URL never
// starts with a zero byte), so rows of either form read alike.
const (
	outboxFlagCheck = 1 << iota
	outboxFlagExternal
)

// RecordRow is the record of a page the node recorded, waiting to be kept by the cluster.
type RecordRow struct {
	Seq   uint64 // the row's key, increasing in commit order
	Shard int    // ShardOf the page's host
	PageRecord
}

// putOutbox writes an outbox row for a link to u, of the given shard, at depth: one to
// crawl, or, with check, one to check (external: out of the scope).
func (t *txn) putOutbox(shard int, u string, depth int, check, external bool) error {
	seq, err := t.outbox.NextSequence()
	if err != nil {
		return err
	}
	e := encoder{b: t.mem.buf(2*binary.MaxVarintLen64 + 2 + len(u))}
	e.uvarint(uint64(shard))
	e.uvarint(uint64(depth))
	if check {
		flags := byte(outboxFlagCheck)
		if external {
			flags |= outboxFlagExternal
		}
		e.byte(0)
		e.byte(flags)
	}
	e.b = append(e.b, u...)
	binary.BigEndian.PutUint64(t.idKey[:], seq)
	t.stats.Outbox++
	return t.outbox.Put(t.idKey[:], e.b)
}

func decodeOutbox(seq uint64, v []byte) (OutboxRow, error) {
	d := decoder{b: v}
	r := OutboxRow{Seq: seq, Shard: int(d.uvarint()), Depth: int(d.uvarint())}
	if d.err == nil && len(d.b) > 0 && d.b[0] == 0 {
		d.byte()
		flags := d.byte()
		r.Check, r.External = flags&outboxFlagCheck != 0, flags&outboxFlagExternal != 0
		if flags&^(outboxFlagCheck|outboxFlagExternal) != 0 || !r.Check {
			d.err = errCorrupt
		}
	}
	if d.err != nil || r.Shard >= crawl.MaxShards || r.Depth < 0 || !storableURL(string(d.b)) {
		return OutboxRow{}, fmt.Errorf("outbox row %d: %w", seq, errCorrupt)
	}
	r.URL = string(d.b)
	return r, nil
}

// putRecord writes a record row for the page u, of the given shard.
func (t *txn) putRecord(shard int, u string, body []byte) error {
	seq, err := t.records.NextSequence()
	if err != nil {
		return err
	}
	e := encoder{b: t.mem.buf(2*binary.MaxVarintLen64 + len(u) + len(body))}
	e.uvarint(uint64(shard))
	e.str(u)
	e.b = append(e.b, body...)
	binary.BigEndian.PutUint64(t.idKey[:], seq)
	t.stats.Records++
	return t.records.Put(t.idKey[:], e.b)
}

func decodeRecordRow(seq uint64, v []byte) (RecordRow, error) {
	d := decoder{b: v}
	r := RecordRow{Seq: seq, Shard: int(d.uvarint())}
	r.URL = d.str()
	if d.err != nil || r.Shard >= crawl.MaxShards || !storableURL(r.URL) {
		return RecordRow{}, fmt.Errorf("record row %d: %w", seq, errCorrupt)
	}
	r.Body = append([]byte(nil), d.b...)
	return r, nil
}

// PendingOutbox returns up to max outbox rows, oldest first. A row is there once the
// transaction that wrote it is durable.
func (db *DB) PendingOutbox(max int) ([]OutboxRow, error) {
	rows, err := pendingRows(db, bucketOutbox, max, decodeOutbox)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return rows, nil
}

// PendingRecords returns up to max record rows, oldest first.
func (db *DB) PendingRecords(max int) ([]RecordRow, error) {
	rows, err := pendingRows(db, bucketRecords, max, decodeRecordRow)
	if err != nil {
		return nil, fmt.Errorf("read records: %w", err)
	}
	return rows, nil
}

// pendingRows decodes up to max rows of a queue bucket, oldest first.
func pendingRows[R any](db *DB, bucket []byte, max int, decode func(seq uint64, v []byte) (R, error)) ([]R, error) {
	var rows []R
	err := db.read(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b == nil || max <= 0 {
			return nil
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil && len(rows) < max; k, v = c.Next() {
			if len(k) != 8 {
				return fmt.Errorf("key %x: %w", k, errCorrupt)
			}
			r, err := decode(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return err
			}
			rows = append(rows, r)
		}
		return nil
	})
	return rows, err
}

// DeleteOutbox removes outbox rows, in one durable transaction: the engine holds them now.
// Rows that are not there (deleted already) are ignored.
func (db *DB) DeleteOutbox(seqs []uint64) error {
	if err := db.deleteRows(bucketOutbox, seqs); err != nil {
		return fmt.Errorf("delete %d outbox rows: %w", len(seqs), err)
	}
	return nil
}

// DeleteRecords removes record rows, in one durable transaction: the engine holds them now.
// Rows that are not there are ignored.
func (db *DB) DeleteRecords(seqs []uint64) error {
	if err := db.deleteRows(bucketRecords, seqs); err != nil {
		return fmt.Errorf("delete %d record rows: %w", len(seqs), err)
	}
	return nil
}

func (db *DB) deleteRows(bucket []byte, seqs []uint64) error {
	if len(seqs) == 0 {
		return nil
	}
	return db.update(func(t *txn) error {
		b := t.tx.Bucket(bucket)
		if b == nil {
			return nil
		}
		var key [8]byte
		for _, s := range seqs {
			binary.BigEndian.PutUint64(key[:], s)
			if err := b.Delete(key[:]); err != nil {
				return err
			}
		}
		return nil
	})
}

// DatabaseID returns the database's id: 32 random hex digits, made and stored the first
// time it is asked, the same for the database's life (a copy of the file has it too). A
// cluster node records it with the shards it rebuilt, so that a restart with the same
// database resumes them without rebuilding. A read-only database that has none has no id.
func (db *DB) DatabaseID() (string, error) {
	var id string
	err := db.read(func(tx *bolt.Tx) error {
		id = string(tx.Bucket(bucketMeta).Get(keyDatabaseID))
		return nil
	})
	if err != nil || id != "" {
		return id, err
	}
	if db.bolt.IsReadOnly() {
		return "", errors.New("the database has no id yet (it gets one when a cluster node opens it to write)")
	}
	err = db.update(func(t *txn) error {
		meta := t.tx.Bucket(bucketMeta)
		if v := meta.Get(keyDatabaseID); v != nil {
			id = string(v)
			return nil
		}
		var b [16]byte
		_, _ = rand.Read(b[:]) // never fails
		id = hex.EncodeToString(b[:])
		return meta.Put(keyDatabaseID, []byte(id))
	})
	if err != nil {
		return "", fmt.Errorf("database id: %w", err)
	}
	return id, nil
}
