package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
	"github.com/crawl-project/crawl/store/export"
	"github.com/crawl-project/crawl/store/export/exporttest"
)

// exportAndParse runs crawl export with args plus --format format and parses the result.
// csv and tsv go to files under dir; the other formats to standard output.
func exportAndParse(t *testing.T, dir, format string, args ...string) *exporttest.Graph {
	t.Helper()
	args = append([]string{"export", "--format", format}, args...)
	var g *exporttest.Graph
	var err error
	switch format {
	case export.FormatCSV, export.FormatTSV:
		base := filepath.Join(dir, "out-"+format)
		code, stdout, stderr := runCmd(t, append(args, "--out", base)...)
		if code != exitOK || stdout != "" {
			t.Fatalf("%q: exit %d, stdout %q, stderr %s", args, code, stdout, stderr)
		}
		nodes, edges := readFile(t, base+".nodes."+format), readFile(t, base+".edges."+format)
		switch {
		case format == export.FormatCSV:
			g, err = exporttest.ParseCSV(nodes, edges, ',')
		case slices.Contains(args, "--neo4j"):
			g, err = exporttest.ParseCSV(nodes, edges, '\t') // neo4j-admin's tsv is quoted
		default:
			g, err = exporttest.ParseTSV(nodes, edges)
		}
	default:
		code, stdout, stderr := runCmd(t, args...)
		if code != exitOK {
			t.Fatalf("%q: exit %d, stderr %s", args, code, stderr)
		}
		switch format {
		case export.FormatJSONL:
			g, err = exporttest.ParseJSONL([]byte(stdout))
		case export.FormatGraphML:
			g, err = exporttest.ParseGraphML([]byte(stdout))
		case export.FormatGEXF:
			g, err = exporttest.ParseGEXF([]byte(stdout), export.LevelPage)
		case export.FormatDOT:
			g, err = exporttest.ParseDOT([]byte(stdout), export.LevelPage)
		default:
			t.Fatalf("no parser for %q", format)
		}
	}
	if err != nil {
		t.Fatalf("%q: parse: %v", args, err)
	}
	return g
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestExportRoundTrip exports a crawled site and a database with hostile strings in every
// format, parses each export back and compares its nodes and edges with the database.
func TestExportRoundTrip(t *testing.T) {
	crawled, _ := crawlReportSite(t)
	dbs := map[string]string{"crawled": crawled, "nasty": nastyDB(t)}
	for name, db := range dbs {
		nodes, edges := dbGraph(t, db)
		want := wantGraph(t, nodes, edges)
		if len(want.Nodes) < 4 || len(want.Edges) < 4 {
			t.Fatalf("%s: only %d nodes and %d edges", name, len(want.Nodes), len(want.Edges))
		}
		for _, format := range export.Formats() {
			t.Run(name+"/"+format, func(t *testing.T) {
				got := exportAndParse(t, t.TempDir(), format, "--db", db)
				if d := got.Diff(want); d != "" {
					t.Errorf("export differs from the database:\n%s", d)
				}
			})
		}
		for _, format := range []string{export.FormatCSV, export.FormatTSV} {
			t.Run(name+"/"+format+"-neo4j", func(t *testing.T) {
				got := exportAndParse(t, t.TempDir(), format, "--db", db, "--neo4j")
				want := wantGraph(t, nodes, edges)
				want.Neo4j(export.LevelPage)
				if d := got.Diff(want); d != "" {
					t.Errorf("export differs from the database:\n%s", d)
				}
			})
		}
	}
}

func TestExportNeo4jHeaders(t *testing.T) {
	db := nastyDB(t)
	base := filepath.Join(t.TempDir(), "g")
	if code, _, stderr := runCmd(t, "export", "--db", db, "--format", "csv", "--neo4j", "--out", base); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	nodes, edges := string(readFile(t, base+".nodes.csv")), string(readFile(t, base+".edges.csv"))
	for _, want := range []string{"id:ID(Page),", "status:int", ":LABEL\n"} {
		if !strings.Contains(nodes, want) {
			t.Errorf("nodes header lacks %q: %.200s", want, nodes)
		}
	}
	if !strings.HasPrefix(edges, ":START_ID(Page),:END_ID(Page),:TYPE,rel:string[],") || !strings.Contains(edges, ",LINK,") || !strings.Contains(edges, ",CANONICAL,") {
		t.Errorf("edges: %.300s", edges)
	}
	if err := exporttest.CheckNeo4j([]byte(nodes), []byte(edges), ','); err != nil {
		t.Errorf("not what neo4j-admin imports: %v", err)
	}
}

// TestExportFilters checks that --internal-only, --states and --level reach the exporter.
func TestExportFilters(t *testing.T) {
	db, base := crawlReportSite(t)
	nodes, _ := dbGraph(t, db)
	count := func(keep func(crawl.Node) bool) int {
		n := 0
		for _, x := range nodes {
			if keep(x) {
				n++
			}
		}
		return n
	}
	dir := t.TempDir()

	g := exportAndParse(t, dir, "jsonl", "--db", db, "--internal-only")
	if want := count(func(n crawl.Node) bool { return n.State != crawl.StateExternal }); len(g.Nodes) != want || want == len(nodes) {
		t.Errorf("--internal-only: %d nodes, want %d of %d", len(g.Nodes), want, len(nodes))
	}
	for _, n := range g.Nodes {
		if n["state"] == "external" {
			t.Errorf("--internal-only kept %v", n)
		}
	}

	g = exportAndParse(t, dir, "jsonl", "--db", db, "--states", "failed, done")
	want := count(func(n crawl.Node) bool { return n.State == crawl.StateDone || n.State == crawl.StateFailed })
	if len(g.Nodes) != want {
		t.Errorf("--states failed,done: %d nodes, want %d", len(g.Nodes), want)
	}
	for _, e := range g.Edges {
		if g.Nodes[e["source"]] == nil || g.Nodes[e["target"]] == nil {
			t.Errorf("--states: edge %v leaves the kept nodes", e)
		}
	}

	g = exportAndParse(t, dir, "graphml", "--db", db, "--level", "host")
	hosts := map[string]bool{}
	for _, n := range g.Nodes {
		hosts[n["host"]] = true
	}
	if len(g.Nodes) != 2 || !hosts["127.0.0.1"] || !hosts["elsewhere.invalid"] {
		t.Errorf("--level host: nodes %v (site %s)", g.Nodes, base)
	}
}

// TestExportWritesFilesAtomically checks the output files and that no temporary file is
// left behind.
func TestExportWritesFilesAtomically(t *testing.T) {
	db := nastyDB(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "graph.gexf")
	code, stdout, stderr := runCmd(t, "export", "--db", db, "--format", "gexf", "--out", out)
	if code != exitOK || stdout != "" || !strings.Contains(stderr, "wrote "+out) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// A second export replaces the first.
	if code, _, stderr := runCmd(t, "export", "--db", db, "--format", "csv", "--out", filepath.Join(dir, "graph")); code != exitOK {
		t.Fatalf("csv: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCmd(t, "export", "--db", db, "--format", "gexf", "--out", out); code != exitOK {
		t.Fatalf("again: exit %d: %s", code, stderr)
	}
	if got := dirNames(t, dir); !slices.Equal(got, []string{"graph.edges.csv", "graph.gexf", "graph.nodes.csv"}) {
		t.Errorf("files %q", got)
	}
	info, err := os.Stat(out)
	if err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v", info.Mode(), err)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestExportErrors checks that each bad input gets one line naming the problem, the exit
// status the help text promises, and no output file.
func TestExportErrors(t *testing.T) {
	db := nastyDB(t)
	dir := t.TempDir()
	textFile := writeFile(t, dir, "notes.txt", "these are notes, not a database\n")
	emptyFile := writeFile(t, dir, "empty.db", "")
	foreign := filepath.Join(dir, "foreign.db")
	fb, err := bolt.Open(foreign, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := fb.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("sessions")); return err }); err != nil {
		t.Fatal(err)
	}
	fb.Close()
	outDir := filepath.Join(dir, "out")
	if err := os.Mkdir(outDir, 0o755); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown format", []string{"--format", "xml"}, exitUsage, `--format "xml"`},
		{"unknown level", []string{"--level", "site"}, exitUsage, `--level "site"`},
		{"unknown state", []string{"--states", "done,finished"}, exitUsage, `unknown state "finished"`},
		{"neo4j graphml", []string{"--neo4j"}, exitUsage, "--neo4j applies to --format csv or tsv"},
		{"csv to stdout", []string{"--format", "csv"}, exitUsage, "give --out BASE"},
		{"tsv to dash", []string{"--format", "tsv", "--out", "-"}, exitUsage, "give --out BASE"},
		{"missing db", []string{"--db", filepath.Join(dir, "nope.db")}, exitUsage, "nope.db does not exist"},
		{"text file", []string{"--db", textFile}, exitUsage, "not a crawl database"},
		{"empty file", []string{"--db", emptyFile}, exitUsage, "not a crawl database"},
		{"foreign bbolt", []string{"--db", foreign}, exitUsage, "not a crawl database"},
		{"directory db", []string{"--db", dir}, exitUsage, "not a crawl database"},
		{"missing out dir", []string{"--out", filepath.Join(outDir, "no", "g.graphml")}, exitUsage, "cannot write " + filepath.Join(outDir, "no", "g.graphml")},
		{"out under a file", []string{"--format", "csv", "--out", filepath.Join(textFile, "g")}, exitUsage, "cannot write " + filepath.Join(textFile, "g.nodes.csv")},
		{"out is a directory", []string{"--out", outDir}, exitUsage, "it is a directory"},
		{"out is the db", []string{"--out", db}, exitUsage, "it is the database"},
		{"dot too large", []string{"--format", "dot", "--max-nodes", "2", "--out", filepath.Join(outDir, "g.dot")}, exitUsage, "over --max-nodes 2; use --format graphml"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"export", "--db", db}, c.args...)
			code, stdout, stderr := runCmd(t, args...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, c.code, c.want)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "crawl export: ") {
				t.Errorf("want one line, got %q", stderr)
			}
			if strings.Contains(stderr, ".tmp-") {
				t.Errorf("stderr names the temporary file: %q", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q", stdout)
			}
			if names := dirNames(t, outDir); len(names) > 0 {
				t.Errorf("left files %q", names)
			}
		})
	}
}

// TestBusyDatabase opens the database for writing, as a running crawl does, and checks that
// crawl, status, export and report give up at once with the same message and exit status
// instead of waiting.
func TestBusyDatabase(t *testing.T) {
	path := nastyDB(t)
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // after the parallel subtests
	dir := t.TempDir()
	seeds := writeFile(t, dir, "seeds.txt", "http://127.0.0.1:1/\n")
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"crawl", []string{"--seeds", seeds, "--db", path, "--quiet"}, "crawl: " + path + " is in use by a running crawl; wait for it to end or stop it\n"},
		{"status", []string{"status", "--db", path}, "crawl status: " + path + " is in use by a running crawl; wait for it to end or stop it\n"},
		{"export", []string{"export", "--db", path, "--out", filepath.Join(out, "g.graphml")}, "crawl export: " + path + " is in use by a running crawl; wait for it to end or stop it\n"},
		{"report", []string{"report", "--db", path}, "crawl report: " + path + " is in use by a running crawl; wait for it to end or stop it\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel() // each waits out the lock timeout
			code, stdout, stderr := runCmd(t, c.args...)
			if code != exitError || stderr != c.want || stdout != "" {
				t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit %d and %q", c.args, code, stdout, stderr, exitError, c.want)
			}
		})
	}
	t.Cleanup(func() {
		if names := dirNames(t, out); len(names) > 0 {
			t.Errorf("left files %q", names)
		}
	})
}

// TestExportInterrupted checks that a cancelled export removes its temporary files.
func TestExportInterrupted(t *testing.T) {
	db := nastyDB(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr strings.Builder
	e := &env{stdout: &stdout, stderr: &stderr, signals: make(chan os.Signal), getenv: noEnv}
	code := dispatch(ctx, e, []string{"export", "--db", db, "--format", "csv", "--out", filepath.Join(dir, "g")})
	if code != exitInterrupted || !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	if names := dirNames(t, dir); len(names) > 0 {
		t.Errorf("left files %q", names)
	}
}

// TestExportCarriesPagesReadInPart checks that every format carries the truncated attribute
// and the note of a partial parse in error, and the neo4j header types truncated.
func TestExportCarriesPagesReadInPart(t *testing.T) {
	db := incompleteDB(t)
	nodes, edges := dbGraph(t, db)
	const root = "http://example.test/"
	for _, format := range export.Formats() {
		for _, neo4j := range []bool{false, true} {
			if neo4j && format != export.FormatCSV && format != export.FormatTSV {
				continue
			}
			t.Run(fmt.Sprintf("%s/neo4j=%v", format, neo4j), func(t *testing.T) {
				args := []string{"--db", db}
				want := wantGraph(t, nodes, edges)
				if neo4j {
					args = append(args, "--neo4j")
					want.Neo4j(export.LevelPage)
				}
				got := exportAndParse(t, t.TempDir(), format, args...)
				if d := got.Diff(want); d != "" {
					t.Errorf("export differs from the database:\n%s", d)
				}
				byURL := map[string]map[string]string{}
				for _, n := range got.Nodes {
					byURL[n["url"]] = n
				}
				for u, w := range map[string][2]string{
					root: {"false", ""}, root + "big": {"true", ""}, root + "deep": {"false", partialNote},
					root + "both": {"true", "parse " + root + "both: unexpected EOF"},
				} {
					if n := byURL[u]; n["truncated"] != w[0] || n["error"] != w[1] {
						t.Errorf("%s: truncated %q, error %q; want %q, %q", u, n["truncated"], n["error"], w[0], w[1])
					}
				}
			})
		}
	}
	base := filepath.Join(t.TempDir(), "neo")
	if code, _, stderr := runCmd(t, "export", "--db", db, "--format", "csv", "--neo4j", "--out", base); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if nodes := string(readFile(t, base+".nodes.csv")); !strings.Contains(nodes, ",error,truncated:boolean,") {
		t.Errorf("neo4j nodes header: %.200s", nodes)
	}
}
