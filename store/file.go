package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"runtime"

	bolt "go.etcd.io/bbolt"
)

// The checks here run before bbolt opens a file. bbolt trusts the file it is given: it
// initialises a 0-byte file as a new database, maps a truncated one and faults on the first
// page past its end, and a read-write Open scans every page in a goroutine of its own, where
// a fault or a panic cannot be recovered. So a file is looked at with plain reads first, and
// refused with one error, untouched, unless it is a whole bbolt file.

// A bbolt file starts with two meta pages, each a 16-byte page header and then the meta:
// magic, version, page size, flags (4 bytes each), the root bucket (page id and sequence),
// the freelist page id, the high water mark (the number of pages in use), the transaction
// id, and an FNV-64a checksum of everything before it, all in the machine's byte order.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	pageHeaderSize = 16
	metaSize       = 64
	metaSumOffset  = 56
)

// boltMeta is what one meta page says.
type boltMeta struct {
	magic, version, pageSize uint32
	pages                    uint64 // the high water mark: the file holds at least this many pages
	txid                     uint64
	sumOK                    bool
}

func (m boltMeta) valid() bool {
	return m.magic == boltMagic && m.version == boltVersion && m.sumOK && m.pageSize >= pageHeaderSize+metaSize
}

// readMeta reads the meta page at off; ok is false when the file is too short for it (the
// magic number is read if it is there).
func readMeta(f io.ReaderAt, off int64) (m boltMeta, ok bool) {
	var b [pageHeaderSize + metaSize]byte
	n, _ := f.ReadAt(b[:], off)
	meta := b[pageHeaderSize:]
	e := binary.NativeEndian
	if n < pageHeaderSize+4 {
		return boltMeta{}, false
	}
	m.magic = e.Uint32(meta[0:])
	if n < len(b) {
		return m, false
	}
	m.version, m.pageSize = e.Uint32(meta[4:]), e.Uint32(meta[8:])
	m.pages, m.txid = e.Uint64(meta[40:]), e.Uint64(meta[48:])
	h := fnv.New64a()
	h.Write(meta[:metaSumOffset])
	m.sumOK = h.Sum64() == e.Uint64(meta[metaSumOffset:])
	return m, true
}

// checkFile looks at the file at path before bbolt does. It reports false when nothing is
// there, and an error wrapping ErrNotCrawl when the path is not a bbolt file (a directory, an
// empty file, other bytes), or ErrDamaged when it is one that bbolt cannot read whole (both
// meta pages corrupt, or shorter than its meta page says: truncated).
func checkFile(path string) (exists bool, err error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, err
	case info.IsDir():
		return true, fmt.Errorf("it is a directory: %w", ErrNotCrawl)
	case !info.Mode().IsRegular():
		return true, fmt.Errorf("it is not a regular file: %w", ErrNotCrawl)
	case info.Size() == 0:
		return true, fmt.Errorf("the file is empty: %w", ErrNotCrawl)
	}
	f, err := os.Open(path)
	if err != nil {
		return true, err
	}
	defer f.Close()
	return true, checkHeader(f, info.Size())
}

// checkHeader reads the meta pages of the bbolt file f of size bytes, as bbolt finds them:
// the first at offset 0, the second one page size further, the page size read from the first
// or, when that is unreadable, tried from 1 KiB to 16 MiB. The valid meta page with the
// higher transaction id is the one bbolt uses.
func checkHeader(f io.ReaderAt, size int64) error {
	m0, whole := readMeta(f, 0)
	if !whole && m0.magic == boltMagic {
		return fmt.Errorf("%w: truncated to %d bytes, shorter than its header; restore the last good copy", ErrDamaged, size)
	}
	metas := []boltMeta{m0}
	if m0.valid() {
		if m1, ok := readMeta(f, int64(m0.pageSize)); ok {
			metas = append(metas, m1)
		}
	} else {
		for off := int64(1024); off <= 16<<20 && off < size; off *= 2 {
			if m1, ok := readMeta(f, off); ok && m1.magic == boltMagic {
				metas = append(metas, m1)
				if m1.valid() && int64(m1.pageSize) == off {
					break
				}
			}
		}
	}
	var best *boltMeta
	magic := false
	for i := range metas {
		m := &metas[i]
		magic = magic || m.magic == boltMagic
		if m.valid() && (best == nil || m.txid > best.txid) {
			best = m
		}
	}
	switch {
	case best == nil && !magic:
		return fmt.Errorf("it is not a bbolt file: %w", ErrNotCrawl)
	case best == nil && m0.magic == boltMagic && m0.version != boltVersion:
		return fmt.Errorf("a bbolt file of format %d, not %d: %w", m0.version, boltVersion, ErrNotCrawl)
	case best == nil:
		return fmt.Errorf("%w: both of its meta pages are corrupt; restore the last good copy", ErrDamaged)
	}
	if best.pages > uint64(size)/uint64(best.pageSize) {
		return fmt.Errorf("%w: truncated to %d bytes, its header says %d; restore the last good copy",
			ErrDamaged, size, best.pages*uint64(best.pageSize))
	}
	return nil
}

// checkPages reads every page of the database that a read-write Open scans, under a guard,
// so that a page bbolt cannot read (a fault, an assertion) is an ErrDamaged error here. The
// read-write Open rebuilds the free list by walking every bucket's pages in a goroutine of
// bbolt's own, where the same fault or panic would kill the process. A cursor walk descends
// through the same branch and leaf pages and reads the same keys; the values it does not
// need to touch.
func (db *DB) checkPages() error {
	var sum byte
	err := db.read(func(tx *bolt.Tx) error {
		return tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
			sum ^= touchBucket(b)
			return nil
		})
	})
	runtime.KeepAlive(sum) // the reads are the point: keep them
	return err
}

// touchBucket reads every key of b and of the buckets nested in it, one byte per memory page.
func touchBucket(b *bolt.Bucket) byte {
	var sum byte
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		for i := 0; i < len(k); i += 4096 {
			sum ^= k[i]
		}
		sum ^= k[len(k)-1]
		if v == nil {
			if nested := b.Bucket(k); nested != nil {
				sum ^= touchBucket(nested)
			}
		}
	}
	return sum
}
