package store

// arena hands out the byte slices a write transaction gives bbolt as values. bbolt keeps a
// Put's value until the transaction ends, so each needs memory of its own; carving them out
// of large chunks costs one allocation per chunk instead of one per Put. (bbolt copies keys.)
// Chunks are never reused: a transaction's arena is dropped with it.
type arena struct{ chunk []byte }

const arenaChunk = 64 << 10

// buf returns an empty slice with room for n bytes that no other caller will write. Appending
// more than n bytes to it is safe: append then moves the slice out of the chunk.
func (a *arena) buf(n int) []byte {
	if n > arenaChunk/8 {
		return make([]byte, 0, n)
	}
	if cap(a.chunk)-len(a.chunk) < n {
		a.chunk = make([]byte, 0, arenaChunk)
	}
	start := len(a.chunk)
	a.chunk = a.chunk[:start+n]
	return a.chunk[start : start : start+n]
}

// id returns v as an 8-byte big-endian value.
func (a *arena) id(v uint64) []byte { return appendU64(a.buf(8), v) }
