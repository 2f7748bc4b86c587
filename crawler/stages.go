package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/fetch"
	"github.com/crawl-project/crawl/parse"
)

// RobotsChecker decides whether a URL may be fetched under its host's robots.txt.
type RobotsChecker interface {
	// Check reports whether u may be fetched and the host's crawl delay. Its error wraps
	// fetch.ErrRobotsUnavailable when robots.txt could not be fetched: the URL is then tried
	// again later, like a failed fetch. Verdict.Fetched is set when the call fetched robots.txt.
	Check(ctx context.Context, u *url.URL) (fetch.RobotsVerdict, error)
}

// fetchResult is a task with the outcome of its fetch (a response, an error, a robots.txt
// verdict): what the fetch stage hands the parse stage.
type fetchResult struct {
	task
	resp    *fetch.Response
	err     error
	blocked bool
	at      time.Time
	// robots is the host record of a robots.txt fetched in this task's turn, recorded with its result.
	robots *crawl.HostRecord
	// hostOnly: the task's turn went to fetching robots.txt, and the task itself goes back
	// to the frontier; only robots is to be recorded.
	hostOnly bool
}

// fetchStage runs one fetch worker: it takes leased URLs from in, fetches them, tells the
// frontier the host is free again (and whether the lease continues), and passes the
// outcomes on. Skip tasks pass straight through.
func fetchStage(ctx context.Context, cfg *Config, stats *Stats, in <-chan task, out chan<- fetchResult, feedback chan<- hostFeedback) error {
	clock := stats.stages.clock(stageFetch)
	for t := range in {
		if t.skip != "" {
			stats.polite.hostSkipped.Add(1)
			if err := send(ctx, out, fetchResult{task: t}); err != nil {
				return err
			}
			continue
		}
		start := time.Now()
		u, err := url.Parse(t.URL)
		if err != nil {
			return fmt.Errorf("frontier entry %d %q: %w", t.ID, t.URL, err)
		}
		r, fb := attempt(ctx, cfg, stats, t, u)
		if ctx.Err() != nil {
			// Cancelled, not failed: the URL stays pending and is fetched on the next run.
			return ctx.Err()
		}
		sent := clock.worked(start, 1)
		select {
		case feedback <- fb:
		case <-ctx.Done():
			return ctx.Err()
		}
		if r != nil {
			if err := send(ctx, out, *r); err != nil {
				return err
			}
		}
		clock.handedOn(sent)
	}
	return nil
}

func send(ctx context.Context, out chan<- fetchResult, r fetchResult) error {
	select {
	case out <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// attempt makes one try at a leased URL: robots.txt first, then the page. It returns the
// outcome to record (nil when the lease continues: fb.again is then set) and what the
// frontier learns about the host.
func attempt(ctx context.Context, cfg *Config, stats *Stats, t task, u *url.URL) (*fetchResult, hostFeedback) {
	r := &fetchResult{task: t, at: time.Now()}
	fb := hostFeedback{host: t.Host, retried: t.tries > 0}
	// retry hands the task back to the frontier for a later try, while tries are left.
	retry := func() bool {
		if t.tries >= cfg.Retries {
			return false
		}
		next := t
		next.tries++
		next.retrying = true
		fb.again = &next
		return true
	}
	if cfg.Robots != nil {
		v, err := cfg.Robots.Check(ctx, u)
		switch {
		case ctx.Err() != nil:
			return nil, fb
		case errors.Is(err, fetch.ErrPrivateAddress):
			r.err = err // the host is refused, not failing: the URL is skipped, nothing was sent
			logFetch(ctx, cfg.Log, r, t.tries+1)
			return r, fb
		case err != nil:
			// robots.txt unreachable: nothing of the host may be fetched until it answers.
			stats.countFailure(err)
			fb.outcome, fb.sent = hostFailed, time.Now()
			if fetch.Retriable(err) && retry() {
				return nil, fb
			}
			stats.polite.robotsUnavailable.Add(1)
			r.err = err
			logFetch(ctx, cfg.Log, r, t.tries+1)
			return r, fb
		}
		fb.minInterval = v.CrawlDelay
		if v.Stored {
			stats.polite.robotsRestored.Add(1)
		}
		if v.Fetched != nil {
			// The host's next request keeps its interval from this one, however long the
			// robots.txt request waited to be written.
			fb.sent = time.Now()
			stats.polite.robotsFetched.Add(1)
			fb.outcome = answered
			r.robots = hostRecord(v)
			if v.Allowed {
				// robots.txt used this turn of the host; the page waits for the next one.
				next := t
				next.retrying = false
				fb.again = &next
				r.hostOnly = true
				return r, fb
			}
		}
		if !v.Allowed {
			r.blocked = true
			logFetch(ctx, cfg.Log, r, t.tries+1)
			return r, fb
		}
	}
	method := ""
	switch {
	case !t.Check:
		r.resp, r.err = cfg.Fetch.Get(ctx, u, noRedirects)
	case t.checkGET:
		method = http.MethodGet
		r.resp, r.err = cfg.Fetch.Check(ctx, u, method)
	default:
		method = http.MethodHead
		r.resp, r.err = cfg.Fetch.Check(ctx, u, method)
	}
	if ctx.Err() != nil {
		r.resp.Release()
		return nil, fb
	}
	if r.resp != nil {
		fb.sent = r.resp.Sent
	} else {
		fb.sent = time.Now() // whatever was written, was written by now
	}
	logFetch(ctx, cfg.Log, r, t.tries+1)
	if method == http.MethodHead && r.err == nil && fetch.HEADRefused(r.resp.Status) {
		// The server takes no HEAD here: the check is made again with a GET, in the host's
		// next turn, as a request of its own.
		stats.checks.Add(1)
		next := t
		next.checkGET, next.retrying = true, false
		fb.again, fb.outcome = &next, answered
		return nil, fb
	}
	stats.countFetch(t.Check, r.resp, r.err)
	retriable := false
	switch {
	case errors.Is(r.err, fetch.ErrRedirectLoop), errors.Is(r.err, fetch.ErrUnsupportedEncoding):
		fb.outcome = answered // a redirect to itself or an undecodable body is the site's answer, recorded as it is
	case errors.Is(r.err, fetch.ErrPrivateAddress): // refused before any request: the host did not fail
	case r.err != nil:
		// No answer (refused, reset, timed out): the host, not the page, is in trouble.
		fb.outcome = hostFailed
		retriable = fetch.Retriable(r.err)
	case fetch.RetriableStatus(r.resp.Status):
		retriable = true
		if s := r.resp.Status; s == http.StatusTooManyRequests || s == http.StatusServiceUnavailable {
			// The server asks for the whole host to be left alone.
			fb.outcome = hostFailed
			fb.retryAfter, fb.hasRetryAfter = fetch.RetryAfter(r.resp.Header, time.Now())
		} else {
			fb.outcome = urlFailed // a 500 says this page is broken, perhaps for a while
		}
	default:
		fb.outcome = answered
	}
	if retriable && retry() {
		r.resp.Release()
		return nil, fb
	}
	return r, fb
}

// parseStage runs one parser: it turns each fetch outcome into the result the writer records.
func parseStage(ctx context.Context, cfg *Config, stats *Stats, in <-chan fetchResult, out chan<- crawl.Result) error {
	x := parse.Extractor{MaxLinks: max(cfg.MaxLinksPerPage, 0), RobotsToken: cfg.RobotsToken, Requisites: cfg.Assets != AssetsOff}
	clock := stats.stages.clock(stageParse)
	for f := range in {
		start := time.Now()
		r := toResult(cfg, x, f)
		f.resp.Release() // the body is parsed: its memory goes back to the budget
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

func toResult(cfg *Config, x parse.Extractor, f fetchResult) crawl.Result {
	r := crawl.Result{ID: f.ID, Host: f.Host, Redirects: f.Redirects, Check: f.Check}
	if f.robots != nil {
		r.HostInfo = f.robots
	}
	switch {
	case f.hostOnly:
		r.ID = 0
		return r
	case f.skip != "":
		r.Page.State = crawl.StateSkipped
		r.Page.Error = f.skip
		return r
	case f.blocked:
		r.Page.State = crawl.StateBlocked
		r.Page.Error = crawl.ReasonRobotsDisallowed
		return r
	case errors.Is(f.err, fetch.ErrPrivateAddress):
		r.Page.State, r.Page.Error = crawl.StateSkipped, crawl.ReasonPrivateAddress
		return r
	case f.err != nil:
		r.Page.State = crawl.StateFailed
		r.Page.Error = f.err.Error()
		r.Page.FetchedAt = f.at
		if errors.Is(f.err, fetch.ErrRedirectLoop) {
			r.Page.Error = "redirect loop: " + f.err.Error()
		}
		if errors.Is(f.err, fetch.ErrRobotsUnavailable) {
			// Nothing of the page was requested; the error says what the robots.txt fetch met.
			r.Page.FetchedAt = time.Time{}
			r.Page.Error = crawl.ReasonRobotsUnavailable + ": " + fetch.Cause(f.err)
		}
		return r
	}
	resp := f.resp
	r.Page = crawl.Node{
		State:       crawl.StateDone,
		Status:      resp.Status,
		ContentType: resp.ContentType,
		Size:        int64(len(resp.Body)),
		Truncated:   resp.Truncated,
		FetchedAt:   f.at,
		Duration:    resp.Duration,
	}
	if f.Check {
		r.Page.Size = resp.Length
	}
	if resp.Location != nil {
		in, reject := cfg.classify(resp.Location)
		// A check's redirect leads to another check: what a page requisite or an external
		// link points at, moved.
		r.Links = []crawl.Link{{
			URL: resp.Location.String(), Host: resp.Location.Host, Kind: crawl.KindRedirect,
			Count: 1, InScope: in, Follow: in && reject == "" && !f.Check, Reject: reject, Check: f.Check,
		}}
		return r
	}
	if loc := resp.Header.Get("Location"); loc != "" && isRedirect(resp.Status) {
		// A target the crawl cannot record as a URL (another scheme, malformed) is not lost
		// without a word: the redirect says where it pointed.
		r.Page.Error = fmt.Sprintf("redirect to %s: not an http(s) URL", quoteCut(loc, 200))
		return r
	}
	// X-Robots-Tag applies to any response, a PDF's as much as a page's.
	headerNofollow, headerNoindex := parse.RobotsHeader(resp.Header.Values("X-Robots-Tag"), cfg.RobotsToken)
	r.Page.NoIndex = headerNoindex
	if f.Check || resp.Status < 200 || resp.Status > 299 || !fetch.IsHTML(resp.ContentType) {
		return r
	}
	page, err := x.Extract(resp.Body, resp.Header.Get("Content-Type"), resp.URL)
	if err != nil {
		r.Page.Error = err.Error()
		return r
	}
	r.Page.Title = page.Title
	r.Page.Error = page.Partial // why the links were read without a tree, if they were
	r.Page.DroppedOut = page.Dropped
	r.Page.NoIndex = r.Page.NoIndex || page.NoIndex
	r.Page.Facts = &page.Facts
	r.Targets = &page.Targets
	page.NoFollow = page.NoFollow || headerNofollow
	r.Links = make([]crawl.Link, 0, len(page.Links))
	for _, l := range page.Links {
		link := crawl.Link{URL: l.URL, Host: l.Host, Kind: l.Kind, Rel: l.Rel, Anchor: l.Anchor, Count: l.Count,
			Fragments: l.Fragments}
		if l.Kind.Requisite() {
			// Checked, never crawled, whatever the page's nofollow says: a requisite is part
			// of the page.
			link.InScope, link.Check, link.Reject = cfg.classifyRequisite(l)
		} else {
			link.InScope, link.Reject = cfg.classifyLink(l)
			// Only <a> and <area> links are followed: a canonical or alternate URL is recorded
			// as an edge of its kind, and is fetched only if some page links to it.
			link.Follow = link.InScope && link.Reject == "" && !page.NoFollow && !l.Nofollow() && l.Kind == crawl.KindLink
			link.Check = !link.InScope && l.Kind == crawl.KindLink && cfg.checksExternal(l)
		}
		r.Links = append(r.Links, link)
	}
	return r
}

// Committer records the crawl's results: the writer stage's only use of the database, and
// the only write to it while the pipeline runs. One goroutine calls it. *store.Writer is the
// crawl's; a cluster's store or a test's fake plugs in here.
type Committer interface {
	// Commit records a batch of results in one atomic step, all of the batch or none of it:
	// for each result, its page (state and fetch outcome), its edges, the frontier entries
	// of the in-scope link targets never seen before, and the end of its lease (its URL
	// leaves the frontier). After any stop or crash, a URL is therefore either recorded with
	// all its links and their new URLs, or still queued: nothing is lost, and only what was
	// in flight is fetched again. A result for a URL recorded already changes nothing; one
	// whose data cannot be stored may be recorded as failed instead, counted under
	// crawl.ReasonUnstorable. An error means nothing of the batch was recorded: the crawl
	// stops with it.
	//
	// The stats say what the frontier must know: the fetch attempts recorded (what
	// --max-pages counts), the entries added by host, the hosts whose new entries sort
	// before those it has read, and the redirect targets queued.
	Commit(batch []crawl.Result) (crawl.CommitStats, error)
}

// writeStage is the only writer of the database: it commits results in batches and tells
// the frontier, after each commit, which leases ended and which hosts have new URLs. In a
// cluster crawl (eng not nil) it also runs the engine's operations, and ends only once the
// engine has stopped.
func writeStage(ctx context.Context, cfg *Config, w Committer, stats *Stats, in <-chan crawl.Result, notes chan<- commitNote, eng *writerEngine) error {
	defer close(notes)
	batch := make([]crawl.Result, 0, cfg.BatchSize)
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
		note := commitNote{released: make([]uint64, len(batch)), attempts: cs.Attempts, hostsWithNew: cs.HostsWithNew,
			requeued: cs.HostsRequeued, redirected: cs.Redirected}
		for i, r := range batch {
			note.released[i] = r.ID
		}
		stats.countCommit(batch, cs)
		stats.stages.commits.Add(1)
		if eng != nil {
			eng.notify() // the commit may have written outbox and record rows
		}
		sent := stats.stages.clock(stageWrite).worked(start, len(batch))
		batch = batch[:0]
		select {
		case notes <- note:
			stats.stages.clock(stageWrite).handedOn(sent)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var ops <-chan engineOp
	var engineStopped <-chan struct{}
	if eng != nil {
		ops = eng.ops
	}
	for {
		var wait <-chan time.Time
		if len(batch) > 0 {
			wait = timer.C
		}
		select {
		case r, ok := <-in:
			if !ok {
				if err := flush(); err != nil || eng == nil {
					return err
				}
				// Every result is committed. The engine stops now, and may need the writer
				// until it has.
				in, engineStopped = nil, eng.stopped
				eng.drained()
				continue
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
		case op := <-ops:
			if err := eng.run(ctx, op, notes); err != nil {
				return err
			}
		case <-engineStopped:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// isRedirect reports whether an HTTP status is a redirect with a target to follow.
func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// quoteCut quotes s for a message, cut to at most max bytes of it.
func quoteCut(s string, max int) string {
	if len(s) <= max {
		return strconv.Quote(s)
	}
	return strconv.Quote(strings.ToValidUTF8(s[:max], "")) + fmt.Sprintf(" (%d bytes)", len(s))
}
