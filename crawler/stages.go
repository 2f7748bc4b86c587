package crawler

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/crawl-project/crawl/fetch"
	"github.com/crawl-project/crawl/parse"
	"github.com/crawl-project/crawl/store"
)

// RobotsChecker decides whether a URL may be fetched under its host's robots.txt.
type RobotsChecker interface {
	// Allowed reports whether u may be fetched, and the host's requested crawl delay (0 for none).
	Allowed(ctx context.Context, u *url.URL) (ok bool, crawlDelay time.Duration, err error)
}

// fetched is a task with the outcome of its fetch.
type fetched struct {
	task
	resp    *fetch.Response
	err     error
	blocked bool
	at      time.Time
}

// fetchStage runs one fetch worker: it takes leased URLs from in, fetches them, tells the
// frontier the host is free again, and passes the outcome on.
func fetchStage(ctx context.Context, cfg *Config, stats *Stats, in <-chan task, out chan<- fetched, feedback chan<- hostFeedback) error {
	clock := &stats.stages.fetch
	for t := range in {
		r := fetched{task: t, at: time.Now()}
		start := r.at
		fb := hostFeedback{host: t.Host}
		allowed := true
		if cfg.Robots != nil {
			ok, delay, err := cfg.Robots.Allowed(ctx, t.url)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			allowed = ok && err == nil
			fb.minInterval = delay
		}
		if !allowed {
			r.blocked = true
		} else {
			r.resp, r.err = cfg.Fetch.Get(ctx, t.url, cfg.Scope.Contains)
			if r.err != nil && ctx.Err() != nil {
				// Cancelled, not failed: the URL stays pending and is fetched on the next run.
				return ctx.Err()
			}
			stats.countFetch(r.resp, r.err)
			if r.resp != nil {
				fb.sent = r.resp.Sent
			} else {
				fb.sent = time.Now() // whatever was written, was written by now
			}
		}
		sent := clock.worked(start, 1)
		select {
		case feedback <- fb:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case out <- r:
		case <-ctx.Done():
			return ctx.Err()
		}
		clock.handedOn(sent)
	}
	return nil
}

// parseStage runs one parser: it turns each fetch outcome into the result the writer records.
func parseStage(ctx context.Context, cfg *Config, stats *Stats, in <-chan fetched, out chan<- store.Result) error {
	x := parse.Extractor{MaxLinks: cfg.MaxLinksPerPage}
	clock := &stats.stages.parse
	for f := range in {
		start := time.Now()
		r := toResult(cfg, x, f)
		sent := clock.worked(start, 1)
		select {
		case out <- r:
		case <-ctx.Done():
			return ctx.Err()
		}
		clock.handedOn(sent)
	}
	return nil
}

func toResult(cfg *Config, x parse.Extractor, f fetched) store.Result {
	r := store.Result{ID: f.ID, Host: f.Host}
	switch {
	case f.blocked:
		r.Page.State = store.StateBlocked
		r.Page.Error = "robots.txt"
		return r
	case f.err != nil:
		r.Page.State = store.StateFailed
		r.Page.Error = f.err.Error()
		r.Page.FetchedAt = f.at
		if errors.Is(f.err, fetch.ErrRedirectLoop) {
			r.Page.Error = "redirect loop: " + f.err.Error()
		}
		return r
	}
	resp := f.resp
	r.Page = store.Node{
		State:       store.StateDone,
		Status:      resp.Status,
		ContentType: resp.ContentType,
		Size:        int64(len(resp.Body)),
		Truncated:   resp.Truncated,
		FetchedAt:   f.at,
		Duration:    resp.Duration,
	}
	for _, h := range resp.Hops {
		r.Hops = append(r.Hops, store.Hop{URL: h.URL.String(), Status: h.Status})
	}
	if len(resp.Hops) > 0 {
		r.FinalURL = resp.URL.String()
	}
	if resp.Location != nil {
		in := cfg.Scope.Contains(resp.Location)
		r.Links = []store.Link{{
			URL: resp.Location.String(), Host: resp.Location.Host, Kind: store.KindRedirect,
			Count: 1, InScope: in, Follow: in,
		}}
		return r
	}
	if resp.Status < 200 || resp.Status > 299 || !fetch.IsHTML(resp.ContentType) {
		return r
	}
	page, err := x.Extract(resp.Body, resp.Header.Get("Content-Type"), resp.URL)
	if err != nil {
		r.Page.Error = err.Error()
		return r
	}
	r.Page.Title = page.Title
	r.Page.DroppedOut = page.Dropped
	r.Links = make([]store.Link, 0, len(page.Links))
	for _, l := range page.Links {
		in := cfg.Scope.Contains(l.URL)
		follow := in && !page.NoFollow && !l.Nofollow() && l.Kind == store.KindLink
		r.Links = append(r.Links, store.Link{
			URL: l.URL.String(), Host: l.URL.Host, Kind: l.Kind, Rel: l.Rel, Anchor: l.Anchor,
			Count: l.Count, InScope: in, Follow: follow,
		})
	}
	return r
}

// writeStage is the only writer of the database: it commits results in batches and tells
// the frontier, after each commit, which leases ended and which hosts have new URLs.
func writeStage(ctx context.Context, cfg *Config, w *store.Writer, stats *Stats, in <-chan store.Result, notes chan<- commitNote) error {
	defer close(notes)
	batch := make([]store.Result, 0, cfg.BatchSize)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		start := time.Now()
		cs, err := w.Commit(batch)
		if err != nil {
			return err
		}
		note := commitNote{released: make([]uint64, len(batch)), fetched: cs.Fetched, hostsWithNew: cs.HostsWithNew, requeued: cs.HostsRequeued}
		for i, r := range batch {
			note.released[i] = r.ID
		}
		stats.countCommit(batch, cs)
		stats.stages.commits.Add(1)
		sent := stats.stages.write.worked(start, len(batch))
		batch = batch[:0]
		select {
		case notes <- note:
			stats.stages.write.handedOn(sent)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for {
		var wait <-chan time.Time
		if len(batch) > 0 {
			wait = timer.C
		}
		select {
		case r, ok := <-in:
			if !ok {
				return flush()
			}
			if len(batch) == 0 {
				timer.Reset(cfg.BatchDelay)
			}
			batch = append(batch, r)
			if len(batch) >= cfg.BatchSize {
				timer.Stop()
				if err := flush(); err != nil {
					return err
				}
			}
		case <-wait:
			if err := flush(); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
