package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
	"github.com/crawl-project/crawl/store/storetest"
)

// clusterDBs writes the databases of a crawl of two hosts by two nodes of a cluster, as
// their writers record it: a.test's pages on one, the other host's on the other, each
// linking to the other host. It returns the paths and the other host.
func clusterDBs(t *testing.T, settings string) (a, b, other string) {
	t.Helper()
	const shards = 16
	other = "b.test"
	for i := 0; crawl.ShardOf(other, shards) == crawl.ShardOf("a.test", shards); i++ {
		other = fmt.Sprintf("b%d.test", i)
	}
	node := func(name, host, linked string, depth int, pages ...string) string {
		db, path := storetest.Create(t, name)
		defer db.Close()
		if err := db.SetConfig([]byte(settings)); err != nil {
			t.Fatal(err)
		}
		w := db.Writer(-1).WithShards(shards)
		if _, err := w.InsertURLs([]store.InboundURL{{URL: "http://" + host + "/", Depth: depth}}); err != nil {
			t.Fatal(err)
		}
		for _, p := range pages {
			u := "http://" + host + p
			var links []crawl.Link
			if p == "/" {
				links = []crawl.Link{storetest.Link("http://"+host+"/x", true), storetest.Link("http://"+linked+"/", true)}
			}
			if _, err := w.Commit([]crawl.Result{storetest.Done(storetest.Node(t, db, u).ID, host, links...)}); err != nil {
				t.Fatal(err)
			}
		}
		return path
	}
	return node("a.db", "a.test", other, 0, "/", "/x"), node("b.db", other, "a.test", 1, "/", "/x"), other
}

// TestMergeCommand merges the databases of two nodes with the command, and reads the result
// with status and export as a crawl of one node; a node's own database shows its URLs of
// the other node's hosts as remote.
func TestMergeCommand(t *testing.T) {
	settings := `{"scope":"all","max_depth":-1,"max_pages":0,"seeds":["http://a.test/"]}`
	a, b, other := clusterDBs(t, settings)
	if r := statusJSON(t, a); r.States["remote"] != 1 || r.States["done"] != 2 {
		t.Errorf("status of a node's database: states %v, want 2 done and 1 remote", r.States)
	}
	out := filepath.Join(t.TempDir(), "all.db")
	code, stdout, stderr := runCmd(t, "merge", "--out", out, a, b)
	if code != exitOK || stderr != "" {
		t.Fatalf("merge: exit %d\n%s", code, stderr)
	}
	if want := "Merged 2 databases into " + out + ": 4 URLs, 4 links (2 URLs were in more than one).\n"; stdout != want {
		t.Errorf("merge said %q, want %q", stdout, want)
	}
	if r := statusJSON(t, out); r.States["done"] != 4 || r.States["remote"] != 0 || r.URLs != 4 || r.Links != 4 {
		t.Errorf("status of the merge: %d URLs, %d links, states %v; want 4 done, 4 links", r.URLs, r.Links, r.States)
	}
	code, jsonl, stderr := runCmd(t, "export", "--db", out, "--format", "jsonl")
	if code != exitOK {
		t.Fatalf("export of the merge: exit %d\n%s", code, stderr)
	}
	for _, u := range []string{"http://a.test/", "http://a.test/x", "http://" + other + "/", "http://" + other + "/x"} {
		if !strings.Contains(jsonl, `"url":"`+u+`","host"`) {
			t.Errorf("export of the merge lacks %s:\n%s", u, jsonl)
		}
	}
	if code, _, stderr := runCmd(t, "export", "--db", a, "--format", "jsonl", "--states", "remote"); code != exitOK || stderr != "" {
		t.Errorf("export --states remote: exit %d\n%s", code, stderr)
	}
}

// TestMergeCommandRefuses: each refusal is one line naming the problem, exit 2 for bad
// input and 1 for a database in use, and writes nothing.
func TestMergeCommandRefuses(t *testing.T) {
	a, b, _ := clusterDBs(t, `{"scope":"host","max_depth":3,"seeds":["http://a.test/"]}`)
	c, _, _ := clusterDBs(t, `{"scope":"domain","max_depth":3,"seeds":["http://a.test/"]}`)
	dir := t.TempDir()
	exists := writeFile(t, dir, "exists.db", "")
	notCrawl := writeFile(t, dir, "empty.db", "")
	running, err := store.Open(b, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()
	out := filepath.Join(dir, "all.db")
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--out", exists, a}, exitUsage, exists + ": the output exists (--force replaces it)"},
		{[]string{"--out", out, a, c}, exitUsage, "--scope host, not domain"},
		{[]string{"--out", out, a, a}, exitUsage, "are the same database"},
		{[]string{"--out", out, a, notCrawl}, exitUsage, "not a crawl database"},
		{[]string{"--out", out, a, b}, exitError, "in use"},
		{[]string{a, b}, exitUsage, "--out is required"},
	} {
		code, stdout, stderr := runCmd(t, append([]string{"merge"}, tc.args...)...)
		first, _, _ := strings.Cut(stderr, "\n")
		if code != tc.code || stdout != "" || !strings.HasPrefix(stderr, "crawl merge: ") || !strings.Contains(first, tc.says) {
			t.Errorf("merge %v: exit %d, stdout %q, stderr %q; want exit %d and a line saying %q", tc.args, code, stdout, stderr, tc.code, tc.says)
		}
	}
	if names := dirNames(t, dir); strings.Join(names, " ") != "empty.db exists.db" {
		t.Errorf("refused merges left %v", names)
	}
}
