package fetch

import (
	"context"
	"errors"
	"fmt"
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
// redirect chain longer than allowed).
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
}

// Origin is the robots.txt scope of u: scheme, host and port.
func Origin(u *url.URL) string { return u.Scheme + "://" + u.Host }

// RobotsCache fetches and caches robots.txt per origin (scheme, host and port), and answers
// whether a URL may be fetched. It is safe for concurrent use; concurrent callers for one
// origin share one fetch of its robots.txt. A failed fetch is not cached: the next caller,
// typically a retry after the host has been backed off, fetches robots.txt again.
type RobotsCache struct {
	client   *Client
	token    string
	maxAge   time.Duration // a robots.txt is fetched again after this long
	maxDelay time.Duration // Crawl-delay cap

	mu      sync.Mutex
	entries map[string]*robotsEntry
}

type robotsEntry struct {
	ready   chan struct{} // closed once the fields below are set
	err     error         // the fetch failed; the other fields are unset
	file    *RobotsFile
	group   *robots.Group
	delay   time.Duration
	expires time.Time
}

// NewRobotsCache returns a cache that fetches robots.txt with client and applies the rules
// for productToken (the User-Agent's product name, e.g. "crawl").
func NewRobotsCache(client *Client, productToken string) *RobotsCache {
	return &RobotsCache{
		client:   client,
		token:    productToken,
		maxAge:   24 * time.Hour,
		maxDelay: 30 * time.Second,
		entries:  make(map[string]*robotsEntry),
	}
}

// Check answers whether u may be fetched, fetching its origin's robots.txt first if it is
// not cached or too old. The error wraps ErrRobotsUnavailable when robots.txt could not be
// fetched, or is ctx's error.
func (c *RobotsCache) Check(ctx context.Context, u *url.URL) (RobotsVerdict, error) {
	if u.Path == "/robots.txt" {
		return RobotsVerdict{Allowed: true}, nil
	}
	origin := Origin(u)
	for {
		e, mine := c.entry(origin)
		if mine {
			c.load(ctx, origin, e)
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
		v := RobotsVerdict{Allowed: e.group.Allowed(u.RequestURI()), CrawlDelay: e.delay}
		if mine {
			f := *e.file
			v.Fetched = &f
		}
		return v, nil
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
			if e.err == nil && time.Now().Before(e.expires) {
				return e, false
			}
		default:
			return e, false // being loaded
		}
	}
	e = &robotsEntry{ready: make(chan struct{})}
	c.entries[origin] = e
	return e, true
}

// Restore puts a robots.txt fetched earlier (by a previous run of the crawl) into the cache,
// unless it is older than MaxAge or the origin is cached already.
func (c *RobotsCache) Restore(f RobotsFile) {
	expires := f.FetchedAt.Add(c.maxAge)
	if !time.Now().Before(expires) {
		return
	}
	e := &robotsEntry{ready: make(chan struct{})}
	c.set(e, &f, expires)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[f.Origin]; !ok {
		c.entries[f.Origin] = e
	}
}

func (c *RobotsCache) set(e *robotsEntry, f *RobotsFile, expires time.Time) {
	defer close(e.ready)
	e.file = f
	e.group = f.Rules().Group(c.token)
	if d, ok := e.group.CrawlDelay(); ok {
		e.delay = min(d, c.maxDelay)
	}
	e.expires = expires
}

// load fetches origin's robots.txt into e. RFC 9309: a 4xx answer allows everything; a 5xx
// answer or no answer disallows everything until it is fetched again (e.err is set).
func (c *RobotsCache) load(ctx context.Context, origin string, e *robotsEntry) {
	f, err := c.fetch(ctx, origin)
	if err != nil {
		e.err = err
		close(e.ready)
		return
	}
	c.set(e, f, f.FetchedAt.Add(c.maxAge))
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
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrRobotsUnavailable, err)
	case resp.Status == http.StatusTooManyRequests || resp.Status >= 500:
		return nil, fmt.Errorf("%w: %s answered %d", ErrRobotsUnavailable, u, resp.Status)
	}
	f := &RobotsFile{Origin: origin, Status: resp.Status, FetchedAt: now}
	if resp.Status >= 200 && resp.Status <= 299 {
		f.Body = resp.Body
	}
	return f, nil
}

// getLimited fetches u like Get, but with its own body cap and redirect limit and no scope:
// robots.txt redirects may go anywhere (RFC 9309 section 2.3.1.2), and so may a sitemap's.
func (c *Client) getLimited(ctx context.Context, u *url.URL, maxBody int64, maxRedirects int) (*Response, error) {
	cc := *c
	cc.cfg.MaxBody = maxBody
	cc.cfg.MaxRedirects = maxRedirects
	return cc.Get(ctx, u, nil)
}
