package crawler

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/fetch"
	"github.com/crawl-project/crawl/parse"
	"github.com/crawl-project/crawl/store"
)

// maxSitemapFiles bounds the sitemap files read for one origin, sitemap indexes included.
const maxSitemapFiles = 100

// seedSitemaps reads the sitemaps of every seed's origin, once per crawl, and queues their
// in-scope URLs as seeds. It runs before the pipeline starts, so it writes the database
// itself. Requests keep to the host rate; a sitemap that fails is logged and skipped.
func (c *Crawler) seedSitemaps(ctx context.Context) error {
	cfg := &c.cfg
	var origins []*url.URL
	seen := map[string]bool{}
	for _, s := range cfg.Seeds {
		u, err := url.Parse(s)
		if err != nil {
			return fmt.Errorf("seed %q: %w", s, err)
		}
		if o := fetch.Origin(u); !seen[o] {
			seen[o] = true
			origins = append(origins, &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/"})
		}
	}
	var mu sync.Mutex // serialises database writes and the lists below
	var seeds []store.Seed
	var read []string // origins whose sitemaps were read
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cfg.Workers)
	for _, root := range origins {
		g.Go(func() error {
			found, ok, err := c.readSitemaps(gctx, root, &mu)
			if err != nil || !ok {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			seeds = append(seeds, found...)
			read = append(read, fetch.Origin(root))
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	queued, err := c.db.AddSeeds(seeds)
	if err != nil {
		return err
	}
	// Marked read only once their URLs are queued: a crash in between reads them again.
	now := time.Now()
	for _, origin := range read {
		if err := c.db.PutHost(crawl.HostRecord{Origin: origin, SitemapsReadAt: now}); err != nil {
			return err
		}
	}
	c.stats.polite.sitemapURLs.Add(int64(queued))
	cfg.Log.Info("sitemaps read", "origins", len(read), "urls", len(seeds), "queued", queued)
	return nil
}

// readSitemaps returns the in-scope URLs of one origin's sitemaps, and whether they were
// read: not when an earlier run read them already, nor when robots.txt is unavailable (the
// next run tries again).
func (c *Crawler) readSitemaps(ctx context.Context, root *url.URL, mu *sync.Mutex) ([]store.Seed, bool, error) {
	cfg := &c.cfg
	origin := fetch.Origin(root)
	mu.Lock()
	rec, _, err := c.db.Host(origin)
	mu.Unlock()
	if err != nil {
		return nil, false, err
	}
	if !rec.SitemapsReadAt.IsZero() {
		return nil, false, nil
	}
	lim := rate.NewLimiter(cfg.hostLimit(), 1)
	sitemaps := rec.Sitemaps
	if cfg.Robots != nil {
		v, err := cfg.Robots.Check(ctx, root)
		switch {
		case ctx.Err() != nil:
			return nil, false, ctx.Err()
		case err != nil:
			cfg.Log.Warn("sitemaps not read: robots.txt unavailable", "origin", origin, "err", err)
			return nil, false, nil
		case v.Stored:
			c.stats.polite.robotsRestored.Add(1)
		case v.Fetched != nil:
			lim.Allow() // robots.txt took the host's first turn
			c.stats.polite.robotsFetched.Add(1)
			hr := hostRecord(v)
			mu.Lock()
			err = c.db.PutHost(*hr)
			mu.Unlock()
			if err != nil {
				return nil, false, err
			}
			sitemaps = hr.Sitemaps
		}
	}
	queue := sitemaps
	if len(queue) == 0 {
		// No Sitemap line: try the conventional place, if robots.txt allows it.
		u := root.JoinPath("sitemap.xml")
		if cfg.Robots == nil {
			queue = []string{u.String()}
		} else if v, err := cfg.Robots.Check(ctx, u); err == nil && v.Allowed {
			queue = []string{u.String()}
		}
	}
	var seeds []store.Seed
	read := map[string]bool{}
	for len(queue) > 0 && len(read) < maxSitemapFiles && len(seeds) < cfg.MaxSitemapURLs {
		raw := queue[0]
		queue = queue[1:]
		u, err := parse.Normalize(raw)
		if err != nil || read[u.String()] {
			continue
		}
		read[u.String()] = true
		if err := lim.Wait(ctx); err != nil {
			return nil, false, err
		}
		sm, err := cfg.Fetch.GetSitemap(ctx, u, cfg.MaxSitemapBytes, cfg.MaxSitemapURLs-len(seeds))
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		if err != nil {
			cfg.Log.Warn("sitemap not read in full", "url", u, "err", err)
			if sm == nil {
				continue
			}
		}
		if sm.Truncated {
			cfg.Log.Info("sitemap cut at its size or URL limit", "url", u)
		}
		queue = append(queue, sm.Sitemaps...)
		for _, loc := range sm.URLs {
			p, err := parse.Normalize(loc)
			if err != nil || !cfg.Scope.Contains(p) {
				continue
			}
			seeds = append(seeds, store.Seed{URL: p.String(), Host: p.Host, InSitemap: true})
		}
	}
	// Leave the host its interval before the crawl's first request to it.
	if len(read) > 0 {
		if err := lim.Wait(ctx); err != nil {
			return nil, false, err
		}
	}
	return seeds, true, nil
}
