package main

import (
	"fmt"
	"math"
	"os"

	"github.com/spf13/pflag"
)

// memoryFlags bound the crawl's memory whatever the sites send.
type memoryFlags struct {
	bodyMemory  int64 // bytes of response bodies held at once; 0: 4 x --max-body
	memoryLimit int64 // the Go runtime's soft memory limit; 0: the default below
}

// defaultMemoryLimit is the soft limit of the Go heap unless --memory-limit or GOMEMLIMIT says
// otherwise. What the crawl keeps is bounded by design (the frontier is on disk, the caches
// have fixed sizes, bodies share --max-body-memory): the limit bounds the garbage on top,
// which GOGC 400 would otherwise let grow to five times what is kept. It is soft: a crawl
// that keeps more than it (a --max-body-memory above it, very many active hosts) collects
// more often, it does not fail.
const defaultMemoryLimit = 96 << 20

func (f *memoryFlags) register(fs *pflag.FlagSet) {
	fs.Int64Var(&f.bodyMemory, "max-body-memory", 0, "bytes of response bodies held at once, being read or waiting to be parsed; fetches wait for room (0: 4 x --max-body)")
	fs.Int64Var(&f.memoryLimit, "memory-limit", defaultMemoryLimit, "soft limit in bytes of the Go heap, as GOMEMLIMIT sets it (which wins over the default); 0: none")
	documentDefault(fs, "max-body-memory", "4 x --max-body")
	documentDefault(fs, "memory-limit", "100663296 (96 MiB)")
	group(fs, "Memory", "max-body-memory", "memory-limit")
}

// bodyBudget is the size of the body budget for bodies of at most maxBody bytes.
func (f *memoryFlags) bodyBudget(maxBody int64) (int64, error) {
	switch {
	case f.bodyMemory == 0:
		return 4 * (maxBody + 1), nil
	case f.bodyMemory <= maxBody:
		return 0, fmt.Errorf("--max-body-memory %d: must be larger than --max-body %d, or no long body could ever be read", f.bodyMemory, maxBody)
	}
	return f.bodyMemory, nil
}

func (f *memoryFlags) check() error {
	if f.bodyMemory < 0 {
		return fmt.Errorf("--max-body-memory %d: must not be negative", f.bodyMemory)
	}
	if f.memoryLimit < 0 {
		return fmt.Errorf("--memory-limit %d: must not be negative", f.memoryLimit)
	}
	return nil
}

// apply sets the runtime's memory limit through set: from the flag when it was given, else
// from GOMEMLIMIT when set (the runtime read it at start), else the default. 0 leaves the
// runtime's limit as it is.
func (f *memoryFlags) apply(fs *pflag.FlagSet, set func(int64) int64) {
	given := fs.Changed("memory-limit") // on the command line, in a CRAWL_ variable or the config file
	if set == nil || (!given && os.Getenv("GOMEMLIMIT") != "") {
		return
	}
	limit := f.memoryLimit
	if limit == 0 {
		limit = math.MaxInt64 // the runtime's "no limit"
	}
	set(limit)
}
