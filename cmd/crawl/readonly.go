package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
)

// readLockTimeout bounds the wait for a running crawl's lock on the database: the commands
// that only read fail fast instead of waiting for the crawl to end.
const readLockTimeout = time.Second

// openForReading opens the crawl database at path read-only for the command cmd ("crawl
// export", ...). On failure it prints one line naming the problem and returns the exit
// code openFailed gives.
func openForReading(stderr io.Writer, cmd, path string) (*store.DB, int) {
	db, err := store.Open(path, store.Options{ReadOnly: true, LockTimeout: readLockTimeout})
	if err != nil {
		return nil, openFailed(stderr, cmd, path, err)
	}
	return db, exitOK
}

// openFailed prints one line about err, from opening the database at path for the command
// cmd, and returns the exit code, the same in every command: exitUsage when path is not a
// crawl database this version reads (bad input: a directory, an empty or foreign file, a
// newer schema), exitError when it cannot be opened now or is damaged (truncated, a page
// bbolt cannot read). A database that a running crawl holds is the latter, whichever
// command asks: it is a condition of the moment, not a mistake on the command line.
func openFailed(stderr io.Writer, cmd, path string, err error) int {
	switch {
	case errors.Is(err, store.ErrDamaged):
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err) // names the file and says how to recover
		return exitError
	case errors.Is(err, store.ErrLocked):
		fmt.Fprintf(stderr, "%s: %s is in use by a running crawl; wait for it to end or stop it\n", cmd, path)
		return exitError
	case errors.Is(err, store.ErrNotExist):
		fmt.Fprintf(stderr, "%s: %s does not exist; give the crawl's database with --db\n", cmd, path)
		return exitUsage
	case errors.Is(err, store.ErrNotCrawl), errors.Is(err, store.ErrNewSchema), errors.Is(err, store.ErrOldSchema):
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
	return exitError
}

// interruptible returns a context that is cancelled when the process gets SIGINT or SIGTERM,
// and its cancel function, which also ends the goroutine that waits for the signal.
func interruptible(ctx context.Context, e *env) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-e.signals:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// checkEvery is how many nodes or edges a cancellableSource yields between context checks.
const checkEvery = 4096

// cancellableSource stops a graph read when its context is cancelled.
type cancellableSource struct {
	ctx context.Context
	src interface {
		EachNode(fn func(crawl.Node) error) error
		EachEdge(fn func(crawl.Edge) error) error
		EachHost(fn func(crawl.HostRecord) error) error
	}
}

// EachHost lets an export learn whose sitemaps were read (export.HostSource).
func (c cancellableSource) EachHost(fn func(crawl.HostRecord) error) error {
	return c.src.EachHost(checkingContext(c.ctx, fn))
}

func (c cancellableSource) EachNode(fn func(crawl.Node) error) error {
	return c.src.EachNode(checkingContext(c.ctx, fn))
}

func (c cancellableSource) EachEdge(fn func(crawl.Edge) error) error {
	return c.src.EachEdge(checkingContext(c.ctx, fn))
}

// checkingContext wraps fn so that it returns ctx's error, once ctx is done, at the first
// item and then every checkEvery items.
func checkingContext[T any](ctx context.Context, fn func(T) error) func(T) error {
	n := 0
	return func(x T) error {
		if n++; n%checkEvery == 1 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return fn(x)
	}
}
