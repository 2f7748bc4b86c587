package cluster

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Wire format of stream messages. Every message starts with a version byte; a reader refuses
// versions it does not know rather than guess, so a newer node cannot be misread by an older.
//
//	URL message    (subject crawl.<id>.urls.<shard>):    1 | uvarint depth | URL
//	                                                     2 | flags | uvarint depth | URL
//	record message (subject crawl.<id>.records.<shard>): 1 | uvarint len(URL) | URL | body
//
// A URL to crawl is written in version 1; a URL to check (flags not 0) needs version 2, so a
// node that knows only version 1 refuses it rather than crawl what it should only check.
// The body of a record is the store's encoding of a page and its edges, opaque here.
const (
	wireVersion      = 1
	wireVersionFlags = 2 // URL messages with flags
)

// Flags of a URL message (version 2).
const (
	flagCheck    = 1 << iota // check the URL (one request, no links), do not crawl it
	flagExternal             // the URL is out of the crawl's scope (checked with --check-external)
	knownFlags   = flagCheck | flagExternal
)

// maxURLBytes bounds a URL on the wire: longer ones are refused by both ends. (Crawls cap URLs
// at a few thousand bytes; the bound is for a corrupt message, not for policy.)
const maxURLBytes = 64 << 10

var errWire = errors.New("malformed message")

// URL is a URL to be crawled by the owner of its host's shard, with its depth (link hops from
// a seed): a link found by a page of another shard, or a seed. Check marks a URL the owner
// checks rather than crawls (a page requisite, or with External a link out of the scope).
type URL struct {
	URL      string
	Depth    int
	Check    bool
	External bool
}

func (u URL) flags() byte {
	var f byte
	if u.Check {
		f |= flagCheck
		if u.External {
			f |= flagExternal
		}
	}
	return f
}

// PageRecord is a page a node committed: its URL and the store's encoding of the page with its
// edges. The engine keeps the records of each shard so that a new owner of the shard learns
// which of its URLs are done without the old owner's database.
type PageRecord struct {
	URL  string
	Body []byte
}

func checkURL(u string) error {
	switch {
	case u == "":
		return fmt.Errorf("%w: empty URL", errWire)
	case len(u) > maxURLBytes:
		return fmt.Errorf("%w: URL of %d bytes", errWire, len(u))
	case !utf8.ValidString(u):
		return fmt.Errorf("%w: URL is not UTF-8", errWire)
	}
	return nil
}

// appendURL encodes u as a URL message.
func appendURL(b []byte, u URL) ([]byte, error) {
	if err := checkURL(u.URL); err != nil {
		return b, err
	}
	if u.Depth < 0 {
		return b, fmt.Errorf("%w: depth %d", errWire, u.Depth)
	}
	if f := u.flags(); f != 0 {
		b = append(b, wireVersionFlags, f)
	} else {
		b = append(b, wireVersion)
	}
	b = binary.AppendUvarint(b, uint64(u.Depth))
	return append(b, u.URL...), nil
}

// decodeURL decodes a URL message.
func decodeURL(b []byte) (URL, error) {
	var flags byte
	switch {
	case len(b) > 0 && b[0] == wireVersion:
		b = b[1:]
	case len(b) > 1 && b[0] == wireVersionFlags:
		flags = b[1]
		if flags == 0 || flags&^knownFlags != 0 || flags == flagExternal {
			return URL{}, fmt.Errorf("%w: flags %#x", errWire, flags)
		}
		b = b[2:]
	default:
		return URL{}, versionError(b)
	}
	d, n := binary.Uvarint(b)
	if n <= 0 || d > 1<<31-1 {
		return URL{}, fmt.Errorf("%w: bad depth", errWire)
	}
	u := string(b[n:])
	if err := checkURL(u); err != nil {
		return URL{}, err
	}
	return URL{URL: u, Depth: int(d), Check: flags&flagCheck != 0, External: flags&flagExternal != 0}, nil
}

// appendRecord encodes r as a record message.
func appendRecord(b []byte, r PageRecord) ([]byte, error) {
	if err := checkURL(r.URL); err != nil {
		return b, err
	}
	b = append(b, wireVersion)
	b = binary.AppendUvarint(b, uint64(len(r.URL)))
	b = append(b, r.URL...)
	return append(b, r.Body...), nil
}

// decodeRecord decodes a record message. The body aliases b.
func decodeRecord(b []byte) (PageRecord, error) {
	if len(b) == 0 || b[0] != wireVersion {
		return PageRecord{}, versionError(b)
	}
	l, n := binary.Uvarint(b[1:])
	if n <= 0 || l > uint64(len(b)-1-n) {
		return PageRecord{}, fmt.Errorf("%w: bad URL length", errWire)
	}
	rest := b[1+n:]
	r := PageRecord{URL: string(rest[:l]), Body: rest[l:]}
	if err := checkURL(r.URL); err != nil {
		return PageRecord{}, err
	}
	return r, nil
}

func versionError(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("%w: empty", errWire)
	}
	return fmt.Errorf("%w: version %d, this node reads versions %d and %d", errWire, b[0], wireVersion, wireVersionFlags)
}

// urlMsgID is the message id of a URL message: the server drops a second message with the
// same id within the stream's duplicate window. The same URL at the same depth is the same
// fact, whoever sends it; a smaller depth is news (it may lower the URL's depth) and passes,
// and so is a link to crawl a URL that was sent to be checked.
// Outside the window a repeat is delivered again, and the receiver's insert ignores it.
func urlMsgID(u URL) string {
	h := sha256.New()
	var d [binary.MaxVarintLen64]byte
	h.Write(d[:binary.PutUvarint(d[:], uint64(u.Depth))])
	if f := u.flags(); f != 0 {
		// 0x81 or 0x83 after the depth: a UTF-8 continuation byte, which no URL (valid
		// UTF-8) starts with, so no id of a URL to crawl hashes the same bytes. A URL to
		// crawl keeps the id it had before flags existed.
		h.Write([]byte{0x80 | f})
	}
	h.Write([]byte(u.URL))
	return "u" + hex.EncodeToString(h.Sum(nil)[:16])
}

// recordMsgID is the message id of a record message: a record published again after a crash
// (before its row was deleted) is dropped by the server within the duplicate window.
func recordMsgID(encoded []byte) string {
	s := sha256.Sum256(encoded)
	return "r" + hex.EncodeToString(s[:16])
}
