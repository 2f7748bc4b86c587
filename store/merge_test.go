package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
	"github.com/crawl-project/crawl/store/report"
	"github.com/crawl-project/crawl/store/storetest"
)

// TestMergeOfShardedCrawlEqualsOneDatabase crawls the same site twice from the same results:
// with one database, and with three nodes of a cluster of 16 shards; the merge of the three
// databases is the one database's crawl: the same URLs in the same states, depths and
// records, the same edges, refusals and per-host counts.
func TestMergeOfShardedCrawlEqualsOneDatabase(t *testing.T) {
	crawlOnePath := crawlOne(t, testSite)
	one := storetest.ReadGraph(t, crawlOnePath)
	c := newSimCluster(t, testSite, 3, 16)
	c.run()
	paths := c.close()

	// The crawl is spread: every node fetched pages and holds remote nodes.
	for _, p := range paths {
		g := storetest.ReadGraph(t, p)
		if len(g.InState(crawl.StateDone)) == 0 || len(g.InState(crawl.StateRemote)) == 0 {
			t.Fatalf("%s: %d done, %d remote: the crawl did not spread over the nodes", p,
				len(g.InState(crawl.StateDone)), len(g.InState(crawl.StateRemote)))
		}
	}
	out := filepath.Join(t.TempDir(), "all.db")
	st, err := store.Merge(context.Background(), out, paths, store.MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	merged := storetest.ReadGraph(t, out)
	checkSameGraph(t, "the merge of three nodes' databases", one, merged)
	if st.URLs != len(one.Nodes) || st.Edges != len(one.Edges) || st.Remote != 0 || st.Shared == 0 {
		t.Errorf("stats %+v: want %d URLs, %d edges, none remote, some shared", st, len(one.Nodes), len(one.Edges))
	}
	// The site has pages of every kind, so the comparison covers them.
	for _, s := range []crawl.State{crawl.StateDone, crawl.StateFailed, crawl.StateBlocked, crawl.StateExternal, crawl.StateSkipped} {
		if len(one.InState(s)) == 0 {
			t.Errorf("the site has no URL %v", s)
		}
	}
	checkSameAudit(t, crawlOnePath, out)
	// Fetch attempts are each node's own: they add up.
	db, err := store.Open(out, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fetched, err := db.FetchedCount()
	want := 0 // checks are not fetch attempts
	for _, n := range one.Nodes {
		if (n.State == crawl.StateDone || n.State == crawl.StateFailed) && !n.Check {
			want++
		}
	}
	if err != nil || fetched != want {
		t.Errorf("merged fetch attempts %d, %v; want %d", fetched, err, want)
	}
}

// auditSections reads the sections of a crawl's report that audit a site (what
// `crawl report --format json` prints), every item listed.
func auditSections(t *testing.T, path string) (*report.Report, map[string]string) {
	t.Helper()
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var r *report.Report
	err = db.View(func(s *store.Snapshot) (err error) {
		r, err = report.Build(context.Background(), s, report.Options{Depth: 3})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]any{
		"checks": r.Checks, "broken_links": r.BrokenLinks, "broken_external": r.BrokenExternal,
		"broken_assets": r.BrokenAssets, "broken_fragments": r.BrokenFragments, "redirected_links": r.RedirectedLinks,
		"titles": r.Titles, "descriptions": r.Descriptions, "h1": r.H1, "canonical_conflicts": r.CanonicalConflicts,
		"hreflang_without_return": r.HreflangWithoutReturn, "orphans": r.Orphans, "slowest_pages": r.SlowestPages,
	}
	out := map[string]string{}
	for name, v := range sections {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = string(b)
	}
	return r, out
}

// checkSameAudit checks that the report of the database got audits the site as that of
// want does: the same checks, broken requisites, external links and fragments, the same
// titles, descriptions, headings and canonical conflicts. want must have findings of each
// kind the site holds, so that the comparison covers them.
func checkSameAudit(t *testing.T, want, got string) {
	t.Helper()
	w, ws := auditSections(t, want)
	_, gs := auditSections(t, got)
	for _, name := range sortedKeys(ws) {
		if ws[name] != gs[name] {
			t.Errorf("report section %s:\n  got  %s\n  want %s", name, gs[name], ws[name])
		}
	}
	if w.Checks.Total == 0 || w.Checks.External == 0 || w.BrokenAssets.Total == 0 || w.BrokenExternal.Total == 0 ||
		w.BrokenFragments.Total == 0 || w.Descriptions.Duplicate.Total == 0 || w.H1.Several.Total == 0 {
		t.Errorf("the site lacks findings the comparison must cover: %+v", ws)
	}
}

// mergeInputs makes two small crawl databases with the given recorded settings.
func mergeInputs(t *testing.T, settings ...string) []string {
	t.Helper()
	var paths []string
	for i, s := range settings {
		db, path := storetest.Create(t, fmt.Sprintf("in%d.db", i), testSite.url(i, 0))
		if s != "" {
			if err := db.SetConfig([]byte(s)); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
		paths = append(paths, path)
	}
	return paths
}

// dirEntries lists the names in dir.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestMergeRefuses: every input that cannot be merged is refused with an error naming it,
// before anything is written: no output, no temporary file, an existing output untouched.
func TestMergeRefuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	out := filepath.Join(dir, "all.db")
	if err := os.WriteFile(out, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	ins := mergeInputs(t, `{"scope":"host"}`, `{"scope":"host"}`, `{"scope":"domain"}`, "")
	empty := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	running, err := store.Open(ins[1], store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		out    string
		inputs []string
		opt    store.MergeOptions
		want   error  // matched with errors.Is, when set
		says   string // in the message
	}{
		{"output exists", out, ins[:1], store.MergeOptions{}, store.ErrOutputExists, out},
		{"settings differ", out + "2", []string{ins[0], ins[3], ins[2]}, store.MergeOptions{}, store.ErrSettingsDiffer, ins[2]},
		{"settings differ, as the caller compares them", out + "2", []string{ins[0], ins[2]},
			store.MergeOptions{SameSettings: func(a, b []byte) error { return errors.New("--scope host, not domain") }},
			store.ErrSettingsDiffer, "--scope host, not domain"},
		{"an input twice", out + "2", []string{ins[0], ins[3], ins[0]}, store.MergeOptions{}, store.ErrSameFile, ins[0]},
		{"the output as an input", out + "2", []string{ins[0], out + "2"}, store.MergeOptions{Force: true}, store.ErrNotExist, out + "2"},
		{"an input is the output", ins[3], []string{ins[0], ins[3]}, store.MergeOptions{Force: true}, store.ErrSameFile, ins[3]},
		{"not a crawl database", out + "2", []string{ins[0], empty}, store.MergeOptions{}, store.ErrNotCrawl, empty},
		{"no such input", out + "2", []string{ins[0], filepath.Join(dir, "nope.db")}, store.MergeOptions{}, store.ErrNotExist, "nope.db"},
		{"an input in use", out + "2", []string{ins[0], ins[1]}, store.MergeOptions{LockTimeout: 50 * time.Millisecond}, store.ErrLocked, ins[1]},
		{"no input", out + "2", nil, store.MergeOptions{}, nil, "no input"},
		{"the output a directory", dir, ins[:1], store.MergeOptions{Force: true}, nil, "directory"},
	}
	before := dirEntries(t, dir)
	for _, c := range cases {
		_, err := store.Merge(ctx, c.out, c.inputs, c.opt)
		switch {
		case err == nil:
			t.Errorf("%s: merged", c.name)
		case c.want != nil && !errors.Is(err, c.want):
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		case !strings.Contains(err.Error(), c.says) || strings.Contains(err.Error(), "\n"):
			t.Errorf("%s: %q does not say %q on one line", c.name, err, c.says)
		}
		if after := dirEntries(t, dir); !slices.Equal(after, before) {
			t.Errorf("%s: the directory holds %v, was %v", c.name, after, before)
		}
	}
	if b, _ := os.ReadFile(out); string(b) != "keep me" {
		t.Errorf("the existing output was changed")
	}
	running.Close()

	// --force replaces the output; inputs without settings (never run) merge with any.
	if _, err := store.Merge(ctx, out, []string{ins[0], ins[3], ins[1]}, store.MergeOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	g := storetest.ReadGraph(t, out)
	if len(g.Nodes) != 3 || len(g.InState(crawl.StatePending)) != 3 {
		t.Errorf("merged %d URLs (%d pending), want the 3 seeds queued", len(g.Nodes), len(g.InState(crawl.StatePending)))
	}
	db, err := store.Open(out, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if cfg, err := db.Config(); string(cfg) != `{"scope":"host"}` || err != nil {
		t.Errorf("merged settings %q, %v", cfg, err)
	}
	if hosts, err := db.FrontierHosts("", 10); len(hosts) != 3 || err != nil {
		t.Errorf("merged frontier hosts %v, %v; want 3", hosts, err)
	}
}

// TestMergeStopsWhenCancelled: a cancelled merge leaves no output and no temporary file.
func TestMergeStopsWhenCancelled(t *testing.T) {
	ins := mergeInputs(t, "", "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	if _, err := store.Merge(ctx, filepath.Join(dir, "all.db"), ins, store.MergeOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled merge: %v", err)
	}
	if names := dirEntries(t, dir); len(names) != 0 {
		t.Errorf("a cancelled merge left %v", names)
	}
}
