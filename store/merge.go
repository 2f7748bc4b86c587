package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Merge folds the databases of the nodes of a cluster crawl into one, which every export and
// report reads as the database of a crawl of one node. See mergepass.go for how each URL's
// record is chosen.

// Errors of Merge that are the caller's input, not the moment.
var (
	ErrOutputExists   = errors.New("the output exists (--force replaces it)")
	ErrSettingsDiffer = errors.New("the databases are not of one crawl: their settings differ")
	ErrSameFile       = errors.New("a file is given twice")
)

// MergeOptions configure Merge.
type MergeOptions struct {
	// Force replaces an existing output file.
	Force bool
	// SameSettings, when set, compares the crawl settings two inputs recorded (SetConfig) and
	// returns what differs, or nil; by default settings must be equal bytes. Inputs that
	// recorded none (never run) are not compared.
	SameSettings func(a, b []byte) error
	// LockTimeout bounds the wait for a crawl's lock on an input (default 1s).
	LockTimeout time.Duration
}

// MergeStats says what Merge wrote.
type MergeStats struct {
	URLs, Edges int
	// Shared counts the URLs found in more than one input (links between shards, pages of a
	// shard that moved); each got one record, chosen as Merge says.
	Shared int
	// Remote counts the URLs whose owner's record no input holds: they stay remote (a node's
	// database left out, or links not yet sent when the crawl stopped).
	Remote int
}

// Merge writes to out one database holding the crawl of the databases inputs (opened
// read-only: a running crawl's is refused with ErrLocked): every URL once, under a new id,
// with the record of the input that owns it (see mergeRank), the edges of that record with
// their targets renumbered, the hosts' robots.txt records, the crawl's counters and its
// settings, which must agree (ErrSettingsDiffer otherwise). The output is written under a
// temporary name beside out and renamed when complete and synced, so out is the whole merge
// or what it was; an existing out is refused (ErrOutputExists) unless opt.Force. Merge
// streams: its memory does not grow with the inputs (the output's own index finds the new
// id of every edge's target), and it stops with ctx's error when ctx is cancelled.
func Merge(ctx context.Context, out string, inputs []string, opt MergeOptions) (MergeStats, error) {
	if len(inputs) == 0 {
		return MergeStats{}, errors.New("merge: no input database")
	}
	if opt.LockTimeout == 0 {
		opt.LockTimeout = time.Second
	}
	outInfo, err := os.Stat(out)
	switch {
	case err == nil && outInfo.IsDir():
		return MergeStats{}, fmt.Errorf("merge: %s is a directory", out)
	case err == nil && !opt.Force:
		return MergeStats{}, fmt.Errorf("merge: %s: %w", out, ErrOutputExists)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return MergeStats{}, fmt.Errorf("merge: %w", err)
	case err != nil:
		outInfo = nil
	}
	m := &merger{ctx: ctx, opt: opt}
	defer m.closeInputs()
	if err := m.openInputs(inputs, outInfo); err != nil {
		return MergeStats{}, err
	}
	if err := m.checkSettings(); err != nil {
		return MergeStats{}, err
	}
	tmp, err := m.createOutput(out)
	if err != nil {
		return MergeStats{}, fmt.Errorf("merge: create %s: %w", out, err)
	}
	defer os.Remove(tmp) // gone once renamed
	err = m.run()
	if cerr := m.out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return MergeStats{}, err
	}
	if err := install(tmp, out, opt.Force); err != nil {
		return MergeStats{}, fmt.Errorf("merge: %w", err)
	}
	return m.stats, nil
}

// mergeInput is an input database, read in one transaction from start to end.
type mergeInput struct {
	db *DB
	tx *bolt.Tx
}

func (m *merger) openInputs(paths []string, outInfo fs.FileInfo) error {
	var infos []fs.FileInfo
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("merge: open %s: %w", p, ErrNotExist)
		}
		if outInfo != nil && os.SameFile(info, outInfo) {
			return fmt.Errorf("merge: %s is an input and the output: %w", p, ErrSameFile)
		}
		for i, seen := range infos {
			if os.SameFile(info, seen) {
				return fmt.Errorf("merge: %s and %s are the same database: %w", paths[i], p, ErrSameFile)
			}
		}
		infos = append(infos, info)
		db, err := Open(p, Options{ReadOnly: true, LockTimeout: m.opt.LockTimeout})
		if err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		tx, err := db.bolt.Begin(false)
		if err != nil {
			db.Close()
			return fmt.Errorf("merge: read %s: %w", p, err)
		}
		m.in = append(m.in, mergeInput{db: db, tx: tx})
	}
	return nil
}

func (m *merger) closeInputs() {
	for _, in := range m.in {
		_ = in.tx.Rollback()
		in.db.Close()
	}
}

// checkSettings compares the settings the inputs recorded, and keeps them for the output.
func (m *merger) checkSettings() (err error) {
	var first int
	for i, in := range m.in {
		g := newGuard(in.db.path)
		func() {
			defer g.catch(&err)
			cfg := in.tx.Bucket(bucketMeta).Get(keyConfig)
			switch {
			case cfg == nil:
			case m.config == nil:
				m.config, first = bytes.Clone(cfg), i
			case m.opt.SameSettings != nil:
				if diff := m.opt.SameSettings(m.config, cfg); diff != nil {
					err = fmt.Errorf("merge: %s and %s: %w: %v", m.in[first].db.path, in.db.path, ErrSettingsDiffer, diff)
				}
			case !bytes.Equal(m.config, cfg):
				err = fmt.Errorf("merge: %s and %s: %w", m.in[first].db.path, in.db.path, ErrSettingsDiffer)
			}
		}()
		if err != nil {
			return err
		}
	}
	return nil
}

// createOutput makes a new database beside out, under a temporary name, and opens it for
// the merge: without fsync on each of the merge's commits (the file is synced once whole,
// before it is renamed; a crash before leaves only the temporary file).
func (m *merger) createOutput(out string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".merge-*")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	f.Close()
	if err := os.Remove(tmp); err != nil {
		return "", err
	}
	if err := create(tmp, Options{NoSync: true}); err != nil {
		return "", err
	}
	db, err := openBolt(tmp, Options{NoSync: true})
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	m.out = db
	return tmp, nil
}

// install puts the merged database at out: a rename when it may replace a file there, a
// link otherwise (which never replaces one that appeared meanwhile). The directory is synced
// so that the new name survives a crash.
func install(tmp, out string, replace bool) error {
	if replace {
		if err := os.Rename(tmp, out); err != nil {
			return err
		}
	} else if err := os.Link(tmp, out); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", out, ErrOutputExists)
		}
		return err
	}
	if d, err := os.Open(filepath.Dir(out)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
