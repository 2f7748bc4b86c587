package store

import (
	"strings"

	"github.com/crawl-project/crawl"
)

// urlCache remembers the id, state, depth and check flag of URLs that links have reached more than once,
// so that a link to a known page that changes nothing (most links: navigation, repeats)
// costs a map lookup instead of two B+tree descents (urls, then nodes). A URL enters it when
// a link finds it in the database, not when it is first recorded: most URLs are linked to
// once, and keeping them out keeps the map small enough to stay in the CPU's caches.
//
// It is exact, not a hint: every write of a node's record goes through txn.putNode, which
// updates a cached entry, and a transaction that fails empties the cache, since the entries
// it changed describe changes that were never stored. Only read-write transactions use it,
// and bbolt runs those one at a time.
type urlCache struct {
	// Values are pointers so that an update changes the entry in place: assigning to an
	// existing key would also replace the map's key with the caller's string, which may be
	// part of a page's larger string.
	entries map[string]*cachedURL
	limit   int // 0: cache nothing
}

type cachedURL struct {
	id    uint64
	state crawl.State
	depth int
	check bool // crawl.Node.Check
}

// urlCacheSize bounds the cache: an entry takes about 160 bytes of heap with a URL of 55
// bytes, so some 10 MiB when full. The pages that most pages of a site link to (navigation,
// footers) are far fewer.
const urlCacheSize = 1 << 16

func newURLCache(limit int) *urlCache {
	return &urlCache{entries: make(map[string]*cachedURL), limit: limit}
}

func (c *urlCache) get(u string) (cachedURL, bool) {
	if e, ok := c.entries[u]; ok {
		return *e, true
	}
	return cachedURL{}, false
}

// put records u's current id, state and depth. The key is a copy: u may be part of a larger
// string (a page's links share one), which the entry would otherwise keep alive. At the
// limit it first drops an eighth of the entries, chosen by map iteration order, which is
// random: recently used URLs stay likely to be cached without the bookkeeping of an LRU list
// on every lookup.
func (c *urlCache) put(u string, e cachedURL) {
	if c.limit == 0 {
		return
	}
	if p, ok := c.entries[u]; ok {
		*p = e
		return
	}
	if len(c.entries) >= c.limit {
		drop := max(c.limit/8, 1)
		for k := range c.entries {
			delete(c.entries, k)
			if drop--; drop == 0 {
				break
			}
		}
	}
	c.entries[strings.Clone(u)] = &e
}

// update changes u's entry, if it has one.
func (c *urlCache) update(u string, e cachedURL) {
	if p, ok := c.entries[u]; ok {
		*p = e
	}
}

// reset forgets everything, after a transaction that wrote entries failed.
func (c *urlCache) reset() { clear(c.entries) }
