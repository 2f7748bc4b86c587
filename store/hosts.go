package store

import (
	"fmt"
	"time"

	"github.com/crawl-project/crawl"
)

const hostCodecVersion = 1

func encodeHost(h *crawl.HostRecord) []byte {
	e := encoder{b: make([]byte, 0, 64+len(h.Robots))}
	e.byte(hostCodecVersion)
	e.uvarint(uint64(h.RobotsStatus))
	e.varint(unixNano(h.RobotsFetchedAt))
	e.str(string(h.Robots))
	e.varint(int64(h.CrawlDelay))
	e.uvarint(uint64(len(h.Sitemaps)))
	for _, s := range h.Sitemaps {
		e.str(s)
	}
	e.varint(unixNano(h.SitemapsReadAt))
	return e.b
}

func decodeHost(origin string, b []byte) (crawl.HostRecord, error) {
	d := decoder{b: b}
	if v := d.byte(); d.err == nil && v != hostCodecVersion {
		return crawl.HostRecord{}, fmt.Errorf("host %s: record version %d: %w", origin, v, errCorrupt)
	}
	h := crawl.HostRecord{Origin: origin}
	h.RobotsStatus = int(d.uvarint())
	h.RobotsFetchedAt = fromUnixNano(d.varint())
	if body := d.str(); body != "" {
		h.Robots = []byte(body)
	}
	h.CrawlDelay = time.Duration(d.varint())
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) {
		d.err = errCorrupt
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		h.Sitemaps = append(h.Sitemaps, d.str())
	}
	h.SitemapsReadAt = fromUnixNano(d.varint())
	if d.err != nil {
		return crawl.HostRecord{}, fmt.Errorf("host %s: %w", origin, d.err)
	}
	return h, nil
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// putHost merges rec into origin's record: the robots.txt fields when rec has a robots.txt
// fetch time, the sitemap time when rec has one. A record that cannot be read is replaced:
// it only saves fetching robots.txt again. An origin too long to be a key is not recorded
// but counted under crawl.ReasonURLTooLong (its host has no URL the crawl stores anyway).
func (t *txn) putHost(rec *crawl.HostRecord) error {
	if rec == nil {
		return nil
	}
	if len(rec.Origin) > MaxURLLength {
		t.reject(crawl.ReasonURLTooLong, 1)
		return nil
	}
	b := t.tx.Bucket(bucketHosts)
	cur := crawl.HostRecord{Origin: rec.Origin}
	if v := b.Get([]byte(rec.Origin)); v != nil {
		if stored, err := decodeHost(rec.Origin, v); err == nil {
			cur = stored
		}
	}
	if !rec.RobotsFetchedAt.IsZero() {
		cur.RobotsStatus, cur.Robots, cur.RobotsFetchedAt = rec.RobotsStatus, rec.Robots, rec.RobotsFetchedAt
		cur.CrawlDelay, cur.Sitemaps = rec.CrawlDelay, rec.Sitemaps
	}
	if !rec.SitemapsReadAt.IsZero() {
		cur.SitemapsReadAt = rec.SitemapsReadAt
	}
	return b.Put([]byte(rec.Origin), encodeHost(&cur))
}

// PutHost records what the crawl learnt about an origin, merged into its record as putHost
// says. While a crawl runs the writer is the only writer: there, host records travel in
// Result.HostInfo. PutHost is for work done before the crawl's writer starts.
func (db *DB) PutHost(rec crawl.HostRecord) error {
	if rec.Origin == "" {
		return fmt.Errorf("put host: no origin")
	}
	if len(rec.Origin) > MaxURLLength {
		return fmt.Errorf("put host %.100q...: %d bytes, longer than the %d the store records", rec.Origin, len(rec.Origin), MaxURLLength)
	}
	err := db.update(func(t *txn) error { return t.putHost(&rec) })
	if err != nil {
		return fmt.Errorf("put host %s: %w", rec.Origin, err)
	}
	return nil
}

// Host returns the record of an origin.
func (db *DB) Host(origin string) (crawl.HostRecord, bool, error) {
	var h crawl.HostRecord
	var found bool
	err := db.View(func(s *Snapshot) error {
		var err error
		h, found, err = s.Host(origin)
		return err
	})
	return h, found, err
}

// Hosts calls fn for every host record, in origin order.
func (db *DB) Hosts(fn func(crawl.HostRecord) error) error {
	return db.View(func(s *Snapshot) error { return s.EachHost(fn) })
}

// Host returns the record of an origin.
func (s *Snapshot) Host(origin string) (h crawl.HostRecord, found bool, err error) {
	g := s.guard()
	defer g.catch(&err)
	v := s.tx.Bucket(bucketHosts).Get([]byte(origin))
	if v == nil {
		return crawl.HostRecord{}, false, nil
	}
	h, err = decodeHost(origin, v)
	return h, err == nil, err
}

// EachHost calls fn for every host record, in origin order.
func (s *Snapshot) EachHost(fn func(crawl.HostRecord) error) (err error) {
	g := s.guard()
	defer g.catch(&err)
	fn = callback(g, fn)
	c := s.tx.Bucket(bucketHosts).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		h, err := decodeHost(string(k), v)
		if err != nil {
			return err
		}
		if err := fn(h); err != nil {
			return err
		}
	}
	return nil
}
