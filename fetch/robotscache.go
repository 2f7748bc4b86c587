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

// RobotsCache fetches and caches robots.txt per origin (scheme, host and port), and answers
// whether a URL may be fetched. It is safe for concurrent use; concurrent callers for one
// origin share one fetch of its robots.txt.
type RobotsCache struct {
	client   *Client
	token    string
	maxAge   time.Duration // a robots.txt is fetched again after this long
	retryErr time.Duration // a failed robots.txt fetch is retried after this long
	maxDelay time.Duration // Crawl-delay cap

	mu      sync.Mutex
	entries map[string]*robotsEntry
}

type robotsEntry struct {
	ready   chan struct{} // closed once the fields below are set
	group   *robots.Group
	rules   *robots.Rules
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
		retryErr: 5 * time.Minute,
		maxDelay: 30 * time.Second,
		entries:  make(map[string]*robotsEntry),
	}
}

// Allowed reports whether u may be fetched and its host's Crawl-delay.
func (c *RobotsCache) Allowed(ctx context.Context, u *url.URL) (bool, time.Duration, error) {
	if u.Path == "/robots.txt" {
		return true, 0, nil
	}
	e, err := c.entry(ctx, u)
	if err != nil {
		return false, 0, err
	}
	return e.group.Allowed(u.RequestURI()), e.delay, nil
}

func (c *RobotsCache) entry(ctx context.Context, u *url.URL) (*robotsEntry, error) {
	origin := u.Scheme + "://" + u.Host
	c.mu.Lock()
	e, ok := c.entries[origin]
	if ok {
		select {
		case <-e.ready:
			if time.Now().After(e.expires) {
				ok = false
			}
		default:
		}
	}
	if !ok {
		e = &robotsEntry{ready: make(chan struct{})}
		c.entries[origin] = e
		c.mu.Unlock()
		c.load(ctx, origin, e)
		return e, nil
	}
	c.mu.Unlock()
	select {
	case <-e.ready:
		return e, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// load fetches origin's robots.txt into e. RFC 9309: a 4xx answer allows everything; a 5xx
// answer or no answer disallows everything until it is fetched again.
func (c *RobotsCache) load(ctx context.Context, origin string, e *robotsEntry) {
	defer close(e.ready)
	rules, ttl := c.fetch(ctx, origin)
	e.rules = rules
	e.group = rules.Group(c.token)
	if d, ok := e.group.CrawlDelay(); ok {
		e.delay = min(d, c.maxDelay)
	}
	e.expires = time.Now().Add(ttl)
}

func (c *RobotsCache) fetch(ctx context.Context, origin string) (*robots.Rules, time.Duration) {
	u, err := url.Parse(origin + "/robots.txt")
	if err != nil {
		return robots.AllowAll(), c.maxAge
	}
	resp, err := c.client.getLimited(ctx, u, robots.MaxBodySize, 5)
	switch {
	case err != nil:
		return robots.DisallowAll(), c.retryErr
	case resp.Status >= 200 && resp.Status < 300:
		return robots.Parse(resp.Body), c.maxAge
	case resp.Status >= 500 || resp.Status == http.StatusTooManyRequests:
		return robots.DisallowAll(), c.retryErr
	case resp.Status >= 400:
		return robots.AllowAll(), c.maxAge
	default: // a redirect chain longer than allowed, or 1xx/3xx without a target
		return robots.AllowAll(), c.maxAge
	}
}

// getLimited fetches u like Get, but with its own body cap and redirect limit and no scope:
// robots.txt redirects may go anywhere (RFC 9309 section 2.3.1.2).
func (c *Client) getLimited(ctx context.Context, u *url.URL, maxBody int64, maxRedirects int) (*Response, error) {
	cc := *c
	cc.cfg.MaxBody = maxBody
	cc.cfg.MaxRedirects = maxRedirects
	resp, err := cc.Get(ctx, u, nil)
	if err != nil {
		if errors.Is(err, ErrRedirectLoop) {
			return nil, fmt.Errorf("robots.txt: %w", err)
		}
		return nil, err
	}
	return resp, nil
}
