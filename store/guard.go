package store

import (
	"fmt"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"
)

// A damaged file must cost one line, not a crash: bbolt reads the file through a memory map
// and trusts what it finds there, so a page cut off by truncation faults (SIGBUS or SIGSEGV,
// which kill the process) and a page of garbage makes it panic (an assertion, an index out of
// range). Every call of this package that reads or writes the file runs under a guard, which
// turns both into an ErrDamaged error in the goroutine that made the call: the fault through
// debug.SetPanicOnFault (per goroutine, so set by each call), the panic through recover.
//
// A panic of a caller's callback (EachNode's fn, ...) is the caller's own and is passed on
// unchanged.

// guard is one guarded call; see newGuard.
type guard struct {
	path       string
	prevFault  bool // the goroutine's SetPanicOnFault setting before the call
	inCallback bool // a caller's callback is running
}

// newGuard starts a guarded call on the file at path. Use it as
//
//	g := newGuard(path)
//	defer g.catch(&err)
//
// (catch must be the deferred call itself: only that can recover a panic).
func newGuard(path string) *guard {
	return &guard{path: path, prevFault: debug.SetPanicOnFault(true)}
}

// catch ends the guarded call: it restores the goroutine's fault setting and makes a panic of
// bbolt's, or a fault on the mapped file, the call's error.
func (g *guard) catch(errp *error) {
	debug.SetPanicOnFault(g.prevFault)
	v := recover()
	if v == nil {
		return
	}
	if g.inCallback {
		panic(v)
	}
	*errp = &damage{path: g.path, cause: v}
}

// damage is ErrDamaged met by a guarded call: what bbolt panicked with, or the fault.
type damage struct {
	path  string
	cause any
}

func (d *damage) Error() string {
	return fmt.Sprintf("%s: %v (%v); restore the last good copy", d.path, ErrDamaged, d.cause)
}

func (d *damage) Unwrap() error { return ErrDamaged }

// callback wraps a caller's callback so that catch passes on its panics.
func callback[T any](g *guard, fn func(T) error) func(T) error {
	return func(x T) error { return calledBack(g, fn, x) }
}

// calledBack calls a caller's callback so that catch passes on its panics.
func calledBack[T, R any](g *guard, fn func(T) R, x T) R {
	g.inCallback = true
	r := fn(x)
	g.inCallback = false // not reached when fn panics: catch then sees it set
	return r
}

// read runs fn in a guarded read-only transaction.
func (db *DB) read(fn func(tx *bolt.Tx) error) (err error) {
	g := newGuard(db.path)
	defer g.catch(&err)
	return db.bolt.View(fn)
}
