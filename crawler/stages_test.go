package crawler

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/fetch"
	"github.com/crawl-project/crawl/parse"
)

func testConfig(cfg Config) *Config {
	if cfg.Scope == nil {
		cfg.Scope, _ = parse.NewScope(parse.ScopeAll, nil, nil, nil)
	}
	cfg.setDefaults()
	return &cfg
}

// frontierRun runs the frontier alone, with the test playing fetchers and writer.
type frontierRun struct {
	t        *testing.T
	writer   Committer
	tasks    chan task
	feedback chan hostFeedback
	notes    chan commitNote
	stop     chan struct{}
	done     chan error
}

func startFrontier(t *testing.T, db pipelineStore, cfg *Config) *frontierRun {
	ctx := t.Context()
	r := &frontierRun{
		t:        t,
		writer:   db.writer(),
		tasks:    make(chan task),
		feedback: make(chan hostFeedback, 16),
		notes:    make(chan commitNote, 16),
		stop:     make(chan struct{}),
		done:     make(chan error, 1),
	}
	f := newFrontier(db, cfg, newStats(), cfg.Log, 0)
	go func() { r.done <- f.run(ctx, r.stop, r.tasks, r.feedback, r.notes) }()
	return r
}

// finish plays the fetcher and writer for tk: the host is free again, the page is recorded
// and the lease ends.
func (r *frontierRun) finish(tk task) {
	r.feedback <- hostFeedback{host: tk.Host}
	r.commit(tk, crawl.StateDone)
}

func (r *frontierRun) commit(tk task, state crawl.State) {
	cs, err := r.writer.Commit([]crawl.Result{{ID: tk.ID, Host: tk.Host, Page: crawl.Node{State: state}}})
	if err != nil {
		r.t.Fatal(err)
	}
	r.notes <- commitNote{released: []uint64{tk.ID}, attempts: cs.Attempts}
}

// end checks that the frontier closed tasks once the crawl was complete, then plays the
// writer ending, after which the frontier returns.
func (r *frontierRun) end(t *testing.T) {
	t.Helper()
	if _, open := <-r.tasks; open {
		t.Error("tasks not closed when the crawl completed")
	}
	close(r.notes)
	if err := <-r.done; err != nil {
		t.Fatalf("frontier: %v", err)
	}
}

func TestFrontierSpacesEachHostByItsRate(t *testing.T) {
	eachStoreInBubble(t, func(t *testing.T, db pipelineStore) {
		db.seed(t, "http://a.test/1", "http://a.test/2", "http://a.test/3", "http://b.test/1", "http://b.test/2")
		cfg := testConfig(Config{HostRate: 2, HostConcurrency: 1}) // one request per 500ms per host
		r := startFrontier(t, db, cfg)
		start := time.Now()
		got := map[string][]time.Duration{}
		for range 5 {
			tk := <-r.tasks
			got[tk.Host] = append(got[tk.Host], time.Since(start))
			r.finish(tk)
		}
		for host, times := range got {
			for i := 1; i < len(times); i++ {
				if gap := times[i] - times[i-1]; gap < 500*time.Millisecond {
					t.Errorf("%s: requests %v apart, want at least 500ms", host, gap)
				}
			}
		}
		// Two hosts are served side by side: the last of a.test's three comes at 1s, not 2s.
		if last := got["a.test"][2]; last != time.Second {
			t.Errorf("a.test third request at %v, want 1s", last)
		}
		r.end(t)
	})
}

func TestFrontierKeepsHostConcurrency(t *testing.T) {
	eachStoreInBubble(t, func(t *testing.T, db pipelineStore) {
		db.seed(t, "http://a.test/1", "http://a.test/2", "http://a.test/3")
		cfg := testConfig(Config{HostConcurrency: 2})
		r := startFrontier(t, db, cfg)
		t1, t2 := <-r.tasks, <-r.tasks
		select {
		case tk := <-r.tasks:
			t.Fatalf("third lease %s while two are in flight on the host", tk.URL)
		default:
		}
		synctest.Wait()
		select {
		case tk := <-r.tasks:
			t.Fatalf("third lease %s while two are in flight on the host", tk.URL)
		default:
		}
		r.finish(t1)
		t3 := <-r.tasks
		r.finish(t2)
		r.finish(t3)
		r.end(t)
	})
}

func TestFrontierStopClosesTasksAndWaitsForTheWriter(t *testing.T) {
	eachStoreInBubble(t, func(t *testing.T, db pipelineStore) {
		db.seed(t, "http://a.test/1", "http://a.test/2")
		// One fetch per host at a time, so that nothing can be leased while Stop is delivered.
		r := startFrontier(t, db, testConfig(Config{HostConcurrency: 1}))
		tk := <-r.tasks
		close(r.stop)
		if _, open := <-r.tasks; open {
			t.Fatal("a URL was leased after Stop")
		}
		r.finish(tk)
		synctest.Wait()
		select {
		case err := <-r.done:
			t.Fatalf("frontier returned (%v) before the writer finished", err)
		default:
		}
		close(r.notes)
		if err := <-r.done; err != nil {
			t.Fatal(err)
		}
	})
}

func TestFrontierHonoursFeedbackBackoff(t *testing.T) {
	eachStoreInBubble(t, func(t *testing.T, db pipelineStore) {
		db.seed(t, "http://a.test/1", "http://a.test/2")
		r := startFrontier(t, db, testConfig(Config{HostConcurrency: 1}))
		start := time.Now()
		tk := <-r.tasks
		r.feedback <- hostFeedback{host: tk.Host, notBefore: start.Add(7 * time.Second)}
		r.commit(tk, crawl.StateDone)
		tk = <-r.tasks
		if wait := time.Since(start); wait != 7*time.Second {
			t.Errorf("second lease after %v, want 7s", wait)
		}
		r.finish(tk)
		r.end(t)
	})
}

func TestFrontierStopsAtThePageBudget(t *testing.T) {
	eachStoreInBubble(t, func(t *testing.T, db pipelineStore) {
		// One URL more than the budget takes: the crawl must end with it still queued.
		db.seed(t, "http://a.test/1", "http://a.test/2", "http://a.test/3", "http://a.test/4")
		r := startFrontier(t, db, testConfig(Config{MaxPages: 2}))
		t1, t2 := <-r.tasks, <-r.tasks
		// A robots-blocked result does not count against the budget: another lease follows.
		r.feedback <- hostFeedback{host: t1.Host}
		r.commit(t1, crawl.StateBlocked)
		t3 := <-r.tasks
		r.finish(t2)
		r.finish(t3)
		r.end(t)
	})
}

func TestToResult(t *testing.T) {
	scope, _ := parse.NewScope(parse.ScopeHost, []*url.URL{mustURL(t, "http://a.test/")}, nil, nil)
	cfg := testConfig(Config{Scope: scope})
	page := mustURL(t, "http://a.test/p")
	html := http.Header{"Content-Type": {"text/html; charset=utf-8"}}
	body := []byte(`<title> T </title><a href="/x">X</a><a href="/x">again</a><a rel="nofollow" href="/nf">N</a><a href="http://b.test/">B</a><link rel="canonical" href="/p">`)
	tk := task{Entry: crawl.Entry{ID: 9, Host: "a.test", URL: page.String()}}
	redirected := task{Entry: crawl.Entry{ID: 9, Host: "a.test", URL: page.String(), Redirects: 1}}
	cases := []struct {
		name  string
		in    fetchResult
		check func(t *testing.T, r crawl.Result)
	}{
		{"blocked", fetchResult{task: tk, blocked: true}, func(t *testing.T, r crawl.Result) {
			if r.Page.State != crawl.StateBlocked || len(r.Links) != 0 {
				t.Errorf("%+v", r)
			}
		}},
		{"failed", fetchResult{task: tk, err: errors.New("connection refused")}, func(t *testing.T, r crawl.Result) {
			if r.Page.State != crawl.StateFailed || r.Page.Error != "connection refused" {
				t.Errorf("%+v", r)
			}
		}},
		{"html", fetchResult{task: tk, resp: &fetch.Response{URL: page, Status: 200, Header: html, ContentType: "text/html", Body: body}}, func(t *testing.T, r crawl.Result) {
			if r.Page.State != crawl.StateDone || r.Page.Title != "T" || len(r.Links) != 4 {
				t.Fatalf("%+v", r)
			}
			want := []crawl.Link{
				{URL: "http://a.test/x", Host: "a.test", Kind: crawl.KindLink, Anchor: "X", Count: 2, InScope: true, Follow: true},
				{URL: "http://a.test/nf", Host: "a.test", Kind: crawl.KindLink, Rel: "nofollow", Anchor: "N", Count: 1, InScope: true},
				{URL: "http://b.test/", Host: "b.test", Kind: crawl.KindLink, Anchor: "B", Count: 1},
				{URL: "http://a.test/p", Host: "a.test", Kind: crawl.KindCanonical, Rel: "canonical", Count: 1, InScope: true},
			}
			for i, w := range want {
				if !reflect.DeepEqual(r.Links[i], w) {
					t.Errorf("link %d = %+v, want %+v", i, r.Links[i], w)
				}
			}
		}},
		{"not html", fetchResult{task: tk, resp: &fetch.Response{URL: page, Status: 200, ContentType: "application/pdf", Body: body}}, func(t *testing.T, r crawl.Result) {
			if r.Page.ContentType != "application/pdf" || len(r.Links) != 0 || r.Page.Size != int64(len(body)) {
				t.Errorf("%+v", r)
			}
		}},
		{"error page not parsed", fetchResult{task: tk, resp: &fetch.Response{URL: page, Status: 404, Header: html, ContentType: "text/html", Body: body}}, func(t *testing.T, r crawl.Result) {
			if r.Page.Status != 404 || len(r.Links) != 0 {
				t.Errorf("%+v", r)
			}
		}},
		{"redirect not followed", fetchResult{task: tk, resp: &fetch.Response{URL: page, Status: 301, Location: mustURL(t, "http://b.test/moved")}}, func(t *testing.T, r crawl.Result) {
			if len(r.Links) != 1 || r.Links[0].Kind != crawl.KindRedirect || r.Links[0].InScope || r.Links[0].Follow {
				t.Errorf("%+v", r)
			}
		}},
		{"redirect in scope", fetchResult{task: redirected, resp: &fetch.Response{URL: page, Status: 302, Location: mustURL(t, "http://a.test/final")}}, func(t *testing.T, r crawl.Result) {
			want := crawl.Link{URL: "http://a.test/final", Host: "a.test", Kind: crawl.KindRedirect, Count: 1, InScope: true, Follow: true}
			if len(r.Links) != 1 || !reflect.DeepEqual(r.Links[0], want) || r.Redirects != 1 || r.Page.Status != 302 {
				t.Errorf("%+v", r)
			}
		}},
		{"redirect to another scheme", fetchResult{task: tk, resp: &fetch.Response{URL: page, Status: 301,
			Header: http.Header{"Location": {"ftp://a.test/file"}}}}, func(t *testing.T, r crawl.Result) {
			if len(r.Links) != 0 || r.Page.Error != `redirect to "ftp://a.test/file": not an http(s) URL` {
				t.Errorf("%+v", r)
			}
		}},
	}
	check := task{Entry: crawl.Entry{ID: 9, Host: "a.test", URL: "http://a.test/i.png", Check: true}}
	cases = append(cases, []struct {
		name  string
		in    fetchResult
		check func(t *testing.T, r crawl.Result)
	}{
		{"check", fetchResult{task: check, resp: &fetch.Response{URL: page, Status: 200, Header: html, ContentType: "text/html", Length: 512}},
			func(t *testing.T, r crawl.Result) {
				if !r.Check || r.Page.State != crawl.StateDone || r.Page.Size != 512 || r.Page.Facts != nil || r.Targets != nil || len(r.Links) != 0 {
					t.Errorf("%+v", r)
				}
			}},
		{"check failed", fetchResult{task: check, err: errors.New("connection refused")}, func(t *testing.T, r crawl.Result) {
			if !r.Check || r.Page.State != crawl.StateFailed {
				t.Errorf("%+v", r)
			}
		}},
		{"check redirected", fetchResult{task: check, resp: &fetch.Response{URL: page, Status: 301, Location: mustURL(t, "http://a.test/j.png")}},
			func(t *testing.T, r crawl.Result) {
				want := crawl.Link{URL: "http://a.test/j.png", Host: "a.test", Kind: crawl.KindRedirect, Count: 1, InScope: true, Check: true}
				if len(r.Links) != 1 || !reflect.DeepEqual(r.Links[0], want) {
					t.Errorf("%+v", r)
				}
			}},
	}...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := toResult(cfg, parse.Extractor{}, c.in)
			if r.ID != 9 || r.Host != "a.test" {
				t.Errorf("lease not carried: %+v", r)
			}
			c.check(t, r)
		})
	}
}

// Page requisites are links to check: those on the crawl's hosts by default, on any host
// with AssetsAll, none with --exclude; links out of the scope are checked with
// CheckExternal; the facts and fragment targets of the page come with its result.
func TestToResultRequisitesAndChecks(t *testing.T) {
	scope, _ := parse.NewScope(parse.ScopeHost, []*url.URL{mustURL(t, "http://a.test/")}, []string{"/docs/"}, []string{"/private/"})
	page := mustURL(t, "http://a.test/docs/p")
	html := http.Header{"Content-Type": {"text/html; charset=utf-8"}}
	body := []byte(`<html lang=en><title>T</title><h1 id=top>H</h1><img src="/img/a.png" alt=A><img src="http://cdn.test/b.png">
		<script src="/private/x.js"></script><a href="/docs/q#top">q</a><a href="/blog/">blog</a><a href="http://b.test/#x">b</a>
		<a href="http://b.test/private/">bp</a>`)
	tk := task{Entry: crawl.Entry{ID: 9, Host: "a.test", URL: page.String()}}
	in := fetchResult{task: tk, resp: &fetch.Response{URL: page, Status: 200, Header: html, ContentType: "text/html", Body: body}}
	x := parse.Extractor{Requisites: true}
	type flags struct{ inScope, follow, check bool }
	for _, tt := range []struct {
		assets   AssetScope
		external bool
		want     map[string]flags
	}{
		{AssetsHosts, false, map[string]flags{
			"image http://a.test/img/a.png": {true, false, true}, "image http://cdn.test/b.png": {false, false, false},
			"script http://a.test/private/x.js": {false, false, false}, "link http://a.test/docs/q": {true, true, false},
			"link http://a.test/blog/": {false, false, false}, "link http://b.test/": {false, false, false},
			"link http://b.test/private/": {false, false, false},
		}},
		{AssetsAll, true, map[string]flags{
			"image http://a.test/img/a.png": {true, false, true}, "image http://cdn.test/b.png": {false, false, true},
			"script http://a.test/private/x.js": {false, false, false}, "link http://a.test/docs/q": {true, true, false},
			"link http://a.test/blog/": {false, false, true}, "link http://b.test/": {false, false, true},
			"link http://b.test/private/": {false, false, false},
		}},
	} {
		cfg := testConfig(Config{Scope: scope, Assets: tt.assets, CheckExternal: tt.external})
		r := toResult(cfg, x, in)
		got := map[string]flags{}
		for _, l := range r.Links {
			got[l.Kind.String()+" "+l.URL] = flags{l.InScope, l.Follow, l.Check}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("assets %v, check external %v:\n got %v\nwant %v", tt.assets, tt.external, got, tt.want)
		}
		if r.Page.Facts == nil || r.Page.Facts.Lang != "en" || r.Page.Facts.H1 != "H" || r.Targets == nil || len(r.Targets.Hashes) != 1 {
			t.Errorf("facts %+v, targets %+v", r.Page.Facts, r.Targets)
		}
		for _, l := range r.Links {
			if want := map[string][]string{"http://a.test/docs/q": {"top"}, "http://b.test/": {"x"}}[l.URL]; !reflect.DeepEqual(l.Fragments, want) {
				t.Errorf("%s: fragments %q, want %q", l.URL, l.Fragments, want)
			}
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestWriteStageCommitsInBatchesAndReportsToTheFrontier(t *testing.T) {
	eachStore(t, testWriteStage)
}

func testWriteStage(t *testing.T, db pipelineStore) {
	db.seed(t, "http://a.test/1", "http://a.test/2", "http://a.test/3")
	var entries []crawl.Entry
	entries, err := db.FrontierNext("a.test", 0, 10, nil)
	if err != nil || len(entries) != 3 {
		t.Fatalf("frontier: %v %v", entries, err)
	}
	cfg := testConfig(Config{BatchSize: 2, BatchDelay: time.Hour})
	in := make(chan crawl.Result)
	notes := make(chan commitNote, 4)
	done := make(chan error, 1)
	go func() { done <- writeStage(context.Background(), cfg, db.writer(), newStats(), in, notes, nil) }()
	for _, e := range entries {
		in <- crawl.Result{ID: e.ID, Host: e.Host, Page: crawl.Node{State: crawl.StateDone, Status: 200},
			Links: []crawl.Link{{URL: "http://a.test/new", Host: "a.test", Kind: crawl.KindLink, Count: 1, InScope: true, Follow: true}}}
	}
	// The batch of two commits when full, without waiting for the delay.
	n := <-notes
	if len(n.released) != 2 || n.attempts != 2 || n.hostsWithNew["a.test"] != 1 {
		t.Errorf("first note = %+v", n)
	}
	close(in) // the last, partial batch commits when the input ends
	n = <-notes
	if len(n.released) != 1 || n.attempts != 1 {
		t.Errorf("second note = %+v", n)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, open := <-notes; open {
		t.Error("notes not closed when the writer ended")
	}
	if rest, _ := db.FrontierNext("a.test", 0, 10, nil); len(rest) != 1 || rest[0].URL != "http://a.test/new" {
		t.Errorf("frontier after the writer = %+v", rest)
	}
}

// A host learnt from a commit comes from a link, part of one string holding all of its
// page's links: the frontier's queue must keep a copy, not the page's strings.
func TestFrontierHostKeysAreCopies(t *testing.T) {
	f := newFrontier(nil, &Config{}, newStats(), slog.New(slog.DiscardHandler), 0)
	page := strings.Repeat("x", 1<<16) + "a.test"
	host := page[1<<16:]
	h := f.activate(host)
	if h.key != host {
		t.Fatalf("key %q, want %q", h.key, host)
	}
	if unsafe.StringData(h.key) == unsafe.StringData(host) {
		t.Error("the queue's key shares the page's memory")
	}
}
