package fetch

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/crawl-project/crawl/fetch/robots"
)

// ErrRobotsUnavailable reports a robots.txt that could not be fetched (no answer, 429 or 5xx;
// "unreachable" in RFC 9309 section 2.3.1.4). The whole origin is then disallowed until
// robots.txt answers, so the caller should hold the URL back and ask again later.
var ErrRobotsUnavailable = errors.New("robots.txt unavailable")

// RobotsFile is one origin's robots.txt as fetched: what a crawl keeps so that a later run
// need not fetch it again.
type RobotsFile struct {
	Origin    string // scheme://host[:port]
	Status    int    // HTTP status of the final answer
	Body      []byte // the body of a 2xx answer, at most robots.MaxBodySize bytes
	FetchedAt time.Time
}

// Rules parses the file: a 2xx answer's body, or allow-all for any other answer (a 4xx, or a
// redirect that was not followed).
func (f *RobotsFile) Rules() *robots.Rules {
	if f.Status >= 200 && f.Status <= 299 {
		return robots.Parse(f.Body)
	}
	return robots.AllowAll()
}

// RobotsVerdict is what robots.txt says about one URL.
type RobotsVerdict struct {
	Allowed    bool
	CrawlDelay time.Duration // the origin's Crawl-delay for our product token, capped; 0 for none
	// Fetched is set when this call fetched the origin's robots.txt: that request used the
	// host's turn, and the file should be recorded so that a resumed crawl reuses it.
	Fetched *RobotsFile
	// Stored is set when this call loaded the origin's rules from a recorded copy
	// (RobotsCache.UseStored) instead of fetching robots.txt: no request was made.
	Stored bool
}

// Origin is the robots.txt scope of u: scheme, host and port.
func Origin(u *url.URL) string { return u.Scheme + "://" + u.Host }

// DefaultMaxRobotsOrigins is how many origins a RobotsCache holds unless told otherwise. It
// is above the frontier's default number of hosts held in memory at once (4096), so the
// hosts being crawled stay cached while those done with are dropped.
const DefaultMaxRobotsOrigins = 10_000

// StoredRobots returns the robots.txt of origin that an earlier run (or an earlier turn of
// this one) recorded, and whether there is one. A RobotsCache asks it on a miss before
// fetching robots.txt, so a resumed crawl, or an origin dropped from the cache, costs a
// local read rather than a request.
type StoredRobots func(origin string) (RobotsFile, bool)

// RobotsCache fetches and caches robots.txt per origin (scheme, host and port), and answers
// whether a URL may be fetched. It is safe for concurrent use; concurrent callers for one
// origin share one load of its robots.txt. A failed fetch is not cached: the next caller,
// typically a retry after the host has been backed off, fetches robots.txt again.
//
// Memory stays bounded on crawls of very many hosts: an entry keeps only the parsed group for
// our product token, never the body, and at most a fixed number of origins are held (see
// WithMaxOrigins); the least recently used loaded origin makes room for a new one.
type RobotsCache struct {
	client   *Client
	token    string
	maxAge   time.Duration // a robots.txt is fetched again after this long
	maxDelay time.Duration // Crawl-delay cap

	mu         sync.Mutex
	maxOrigins int
	stored     StoredRobots
	entries    map[string]*robotsEntry
	// lru orders the loaded entries, most recently used at the front. Entries being loaded
	// are not in it, so they are never evicted: their callers wait on them. LRU rather than
	// random eviction because the frontier cycles through a working set of active hosts:
	// while that set fits under the bound LRU keeps all of it, where random eviction would
	// keep dropping hosts in use, each then costing a read of its stored copy, or a request.
	lru list.List // of *robotsEntry
}

// robotsEntry holds what answering for one origin needs. The robots.txt body is not kept:
// the caller that fetched it gets it in RobotsVerdict.Fetched, to record it.
type robotsEntry struct {
	origin  string
	ready   chan struct{} // closed once the fields below are set
	err     error         // the load failed; the other fields are unset
	group   *robots.Group // the rules for our product token
	delay   time.Duration
	expires time.Time
	elem    *list.Element // the entry's place in lru once loaded; guarded by mu
}

// NewRobotsCache returns a cache that fetches robots.txt with client and applies the rules
// for productToken (the User-Agent's product name, e.g. "crawl"). It holds at most
// DefaultMaxRobotsOrigins origins.
func NewRobotsCache(client *Client, productToken string) *RobotsCache {
	return &RobotsCache{
		client:     client,
		token:      productToken,
		maxAge:     24 * time.Hour,
		maxDelay:   30 * time.Second,
		maxOrigins: DefaultMaxRobotsOrigins,
		entries:    make(map[string]*robotsEntry),
	}
}

// WithMaxOrigins bounds the origins held at once to n (n <= 0: DefaultMaxRobotsOrigins) and
// returns c. Origins being loaded are never dropped: when more than n are loaded at once, the
// cache holds them all until its next miss makes room.
func (c *RobotsCache) WithMaxOrigins(n int) *RobotsCache {
	if n <= 0 {
		n = DefaultMaxRobotsOrigins
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.maxOrigins = n
	c.evict(0)
	return c
}

// UseStored makes c read a recorded robots.txt with stored on a miss, before fetching it; a
// recorded copy older than 24 hours is fetched again. nil turns the lookup off.
func (c *RobotsCache) UseStored(stored StoredRobots) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stored = stored
}

// Check answers whether u may be fetched, loading its origin's robots.txt first if it is
// not cached or too old: from the stored copy when there is a fresh one, else from the
// network. The error wraps ErrRobotsUnavailable when robots.txt could not be fetched, or is
// ctx's error.
func (c *RobotsCache) Check(ctx context.Context, u *url.URL) (RobotsVerdict, error) {
	if u.Path == "/robots.txt" {
		return RobotsVerdict{Allowed: true}, nil
	}
	origin := Origin(u)
	for {
		e, mine := c.entry(origin)
		var fetched *RobotsFile
		var stored bool
		if mine {
			fetched, stored = c.load(ctx, e)
		} else {
			select {
			case <-e.ready:
			case <-ctx.Done():
				return RobotsVerdict{}, ctx.Err()
			}
		}
		if e.err != nil {
			if !mine && ctx.Err() == nil && isContextError(e.err) {
				continue // the loader was cancelled, not this caller: load again
			}
			return RobotsVerdict{}, e.err
		}
		return RobotsVerdict{Allowed: e.group.Allowed(u.RequestURI()), CrawlDelay: e.delay, Fetched: fetched, Stored: stored}, nil
	}
}

func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// entry returns origin's current entry, or a new one the caller must load (mine).
func (c *RobotsCache) entry(origin string) (e *robotsEntry, mine bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[origin]; ok {
		select {
		case <-e.ready:
			if time.Now().Before(e.expires) {
				c.lru.MoveToFront(e.elem)
				return e, false
			}
			c.remove(e) // expired: load it again
		default:
			return e, false // being loaded
		}
	}
	c.evict(1)
	e = &robotsEntry{origin: origin, ready: make(chan struct{})}
	c.entries[origin] = e
	return e, true
}

// evict drops the least recently used loaded entries until room more entries fit under the
// bound, or only entries being loaded are left. c.mu is held.
func (c *RobotsCache) evict(room int) {
	for len(c.entries)+room > c.maxOrigins && c.lru.Len() > 0 {
		c.remove(c.lru.Back().Value.(*robotsEntry))
	}
}

// remove drops a loaded entry. c.mu is held.
func (c *RobotsCache) remove(e *robotsEntry) {
	c.lru.Remove(e.elem)
	e.elem = nil
	if c.entries[e.origin] == e {
		delete(c.entries, e.origin)
	}
}

// load fills e with its origin's rules: from the stored copy when it is fresh (stored), else
// from the network, returning the fetched file for the caller to record. RFC 9309: a 4xx
// answer allows everything; a 5xx answer or no answer disallows everything until it is
// fetched again (e.err is set, and e leaves the cache).
func (c *RobotsCache) load(ctx context.Context, e *robotsEntry) (fetched *RobotsFile, stored bool) {
	c.mu.Lock()
	lookup := c.stored
	c.mu.Unlock()
	if lookup != nil {
		if f, ok := lookup(e.origin); ok {
			if expires := f.FetchedAt.Add(c.maxAge); time.Now().Before(expires) {
				c.set(e, &f, expires)
				return nil, true
			}
		}
	}
	f, err := c.fetch(ctx, e.origin)
	if err != nil {
		c.fail(e, err)
		return nil, false
	}
	c.set(e, f, f.FetchedAt.Add(c.maxAge))
	return f, false
}

// set parses f into e, keeping only our group of it, and makes e answer.
func (c *RobotsCache) set(e *robotsEntry, f *RobotsFile, expires time.Time) {
	e.group = f.Rules().Group(c.token)
	if d, ok := e.group.CrawlDelay(); ok {
		e.delay = min(d, c.maxDelay)
	}
	e.expires = expires
	c.mu.Lock()
	if c.entries[e.origin] == e {
		e.elem = c.lru.PushFront(e)
	}
	c.mu.Unlock()
	close(e.ready)
}

// fail makes e report err to its waiters and drops it, so that the next caller loads again.
func (c *RobotsCache) fail(e *robotsEntry, err error) {
	e.err = err
	c.mu.Lock()
	if c.entries[e.origin] == e {
		delete(c.entries, e.origin)
	}
	c.mu.Unlock()
	close(e.ready)
}

func (c *RobotsCache) fetch(ctx context.Context, origin string) (*RobotsFile, error) {
	now := time.Now()
	u, err := url.Parse(origin + "/robots.txt")
	if err != nil {
		return &RobotsFile{Origin: origin, FetchedAt: now}, nil // no robots.txt can exist
	}
	resp, err := c.client.getLimited(ctx, u, robots.MaxBodySize, 5)
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, ErrRedirectLoop):
		// RFC 9309 section 2.3.1.2: a redirect chain that does not end may be taken as no
		// robots.txt at all, like a 4xx.
		return &RobotsFile{Origin: origin, FetchedAt: now}, nil
	case errors.Is(err, ErrPrivateAddress):
		// The origin itself is refused: none of its URLs may be fetched, now or later.
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrRobotsUnavailable, err)
	case resp.Status == http.StatusTooManyRequests || resp.Status >= 500:
		return nil, fmt.Errorf("%w: %w", ErrRobotsUnavailable, &StatusError{URL: u.String(), Status: resp.Status})
	}
	// A redirect that was not followed (out of the crawl's scope, to a refused address or
	// past the fifth hop) is recorded with its 3xx status, which allows everything: RFC 9309
	// section 2.3.1.2 lets a crawler that stops following take robots.txt as unavailable,
	// and section 2.3.1.3 lets it crawl an origin whose robots.txt is unavailable.
	f := &RobotsFile{Origin: origin, Status: resp.Status, FetchedAt: now}
	if resp.Status >= 200 && resp.Status <= 299 {
		f.Body = resp.Body
	}
	return f, nil
}

// getLimited fetches u like Get, but with its own body cap and redirect limit, following
// redirects within the crawl's scope (Config.InScope): robots.txt redirects may go to other
// hosts (RFC 9309 section 2.3.1.2), and so may a sitemap's, but a crawl limited to some hosts
// sends no request to others.
func (c *Client) getLimited(ctx context.Context, u *url.URL, maxBody int64, maxRedirects int) (*Response, error) {
	cc := *c
	cc.cfg.MaxBody = maxBody
	cc.cfg.MaxRedirects = maxRedirects
	// Outside the budget of page bodies: a robots.txt or sitemap is read and dropped by its
	// caller at once, one per origin being loaded, and never waits in a queue.
	cc.cfg.BodyBudget = nil
	return cc.Get(ctx, u, cc.cfg.InScope)
}

// getStream is getLimited for a body read as it arrives: read is given the body of the
// final answer when it is a 2xx, decoded, and the Response has no Body; the bodies of
// redirects followed on the way are read as usual. read's error is the fetch's.
func (c *Client) getStream(ctx context.Context, u *url.URL, maxBody int64, maxRedirects int, read func(io.Reader) error) (*Response, error) {
	cc := *c
	cc.stream = read
	return cc.getLimited(ctx, u, maxBody, maxRedirects)
}
