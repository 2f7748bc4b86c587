package main

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/store/report"
	"github.com/crawl-project/crawl/store/storetest"
)

// partialNote is the note the crawler records on a page whose links past a nesting limit
// were read by the token scanner: a partial parse.
const partialNote = "nested deeper than 512 elements: links read by the token scanner"

// incompleteDB writes, through store.Writer as a crawl does, a crawl with pages read only
// in part: /big cut at the size limit, /deep parsed in part, /both both, and whole pages
// (/, /ok) besides a failed one (/down), whose error is no partial parse.
func incompleteDB(t *testing.T) string {
	t.Helper()
	const root = "http://example.test/"
	db, path := storetest.Create(t, "incomplete.db", root)
	defer db.Close()
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	w := db.Writer(-1)
	commit := func(u string, page crawl.Node, links ...string) {
		t.Helper()
		r := crawl.Result{ID: storetest.Node(t, db, u).ID, Host: "example.test", Page: page}
		for _, l := range links {
			r.Links = append(r.Links, crawl.Link{URL: l, Host: "example.test", Kind: crawl.KindLink, Count: 1, InScope: true, Follow: true})
		}
		if _, err := w.Commit([]crawl.Result{r}); err != nil {
			t.Fatal(err)
		}
	}
	page := func(truncated bool, note string) crawl.Node {
		return crawl.Node{State: crawl.StateDone, Status: 200, ContentType: "text/html", Size: 2048, FetchedAt: at,
			Truncated: truncated, Error: note}
	}
	commit(root, page(false, ""), root+"big", root+"deep", root+"both", root+"ok", root+"down")
	commit(root+"ok", page(false, ""), root+"deep")
	commit(root+"big", page(true, ""))
	commit(root+"deep", page(false, partialNote))
	commit(root+"both", page(true, "parse "+root+"both: unexpected EOF"))
	commit(root+"down", crawl.Node{State: crawl.StateFailed, FetchedAt: at, Error: "connection refused"})
	return path
}

// TestStatusCountsPagesReadInPart checks that crawl status shows the truncated bodies and
// the partial parses, in text and JSON, and "none" when there are none.
func TestStatusCountsPagesReadInPart(t *testing.T) {
	db := incompleteDB(t)
	if r := statusJSON(t, db); r.Truncated != 2 || r.PartialParses != 2 || r.States["done"] != 5 || r.States["failed"] != 1 {
		t.Errorf("status --json: truncated %d, partial_parses %d, states %v; want 2, 2", r.Truncated, r.PartialParses, r.States)
	}
	code, out, stderr := runCmd(t, "status", "--db", db, "--json")
	if code != exitOK || !strings.Contains(out, `"truncated": 2,`) || !strings.Contains(out, `"partial_parses": 2`) {
		t.Errorf("status --json: exit %d, %s%s", code, out, stderr)
	}
	code, out, stderr = runCmd(t, "status", "--db", db)
	if code != exitOK || !strings.Contains(out, "\nRead in part    2 truncated at --max-body, 2 parsed in part\n") {
		t.Errorf("status: exit %d:\n%s%s", code, out, stderr)
	}

	whole := nastyDB(t)
	if r := statusJSON(t, whole); r.Truncated != 0 || r.PartialParses != 0 {
		t.Errorf("a crawl read whole: truncated %d, partial_parses %d", r.Truncated, r.PartialParses)
	}
	if code, out, _ := runCmd(t, "status", "--db", whole); code != exitOK || !strings.Contains(out, "\nRead in part    none\n") {
		t.Errorf("status of a crawl read whole:\n%s", out)
	}
}

// TestTruncatedBodyIsVisible crawls a page longer than --max-body and checks that the cut is
// shown by status, report and export, and that it cost the links past the cut.
func TestTruncatedBodyIsVisible(t *testing.T) {
	filler := strings.Repeat("<p>filler text</p>\n", 200)
	pages := map[string]string{
		"/":      `<title>Home</title><a href="/long">long</a> <a href="/short">short</a>`,
		"/long":  `<title>Long</title><a href="/early">early</a>` + filler + `<a href="/late">late</a>`,
		"/short": `<title>Short</title>`, "/early": `<title>Early</title>`, "/late": `<title>Late</title>`,
	}
	srv := httptest.NewServer(crawltest.NewPages(pages))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	seeds := writeFile(t, dir, "seeds.txt", srv.URL+"/\n")
	db := filepath.Join(dir, "crawl.db")
	code, summary, stderr := runCmd(t, "--seeds", seeds, "--db", db, "--host-rate", "0", "--max-body", "1000")
	if code != exitOK {
		t.Fatalf("crawl: exit %d\n%s", code, stderr)
	}
	if want := "read in part    1 truncated at --max-body, 0 parsed in part\n"; !strings.Contains(summary, want) {
		t.Errorf("summary lacks %q:\n%s", want, summary)
	}

	if r := statusJSON(t, db); r.Truncated != 1 || r.PartialParses != 0 || r.URLs != 4 {
		t.Errorf("status: truncated %d, partial parses %d, %d URLs; want 1, 0 and 4 (/late lost)", r.Truncated, r.PartialParses, r.URLs)
	}

	code, out, stderr := runCmd(t, "report", "--db", db, "--json")
	var rep report.Report
	if code != exitOK || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("report: exit %d\n%s%s", code, out, stderr)
	}
	want := report.IncompleteSection{Total: 1, Truncated: 1, Items: []report.IncompletePage{
		{URL: srv.URL + "/long", Status: 200, Bytes: 1000, Truncated: true, LinkedFrom: 1}}}
	if got, _ := json.Marshal(rep.Incomplete); string(got) != string(mustJSON(t, want)) {
		t.Errorf("report incomplete: %s, want %s", got, mustJSON(t, want))
	}

	g := exportAndParse(t, dir, "csv", "--db", db)
	truncated := map[string]string{}
	for _, n := range g.Nodes {
		truncated[strings.TrimPrefix(n["url"], srv.URL)] = n["truncated"]
	}
	if want := map[string]string{"/": "false", "/long": "true", "/short": "false", "/early": "false"}; fmt.Sprint(truncated) != fmt.Sprint(want) {
		t.Errorf("csv truncated by path %v, want %v", truncated, want)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDeepPageKeepsItsLinks: a page nested deeper than the tree builder goes is read by the
// token scanner: its links, those before the deep part and inside it, are recorded, and the
// page's note, the summary and status say it was read in part.
func TestDeepPageKeepsItsLinks(t *testing.T) {
	deep := `<title>Deep</title><a href="/before">before</a>` + strings.Repeat("<div>", 600) +
		`<a href="/inside">inside</a>` + strings.Repeat("</div>", 600)
	pages := map[string]string{"/": deep, "/before": `<title>B</title>`, "/inside": `<title>I</title>`}
	srv := httptest.NewServer(crawltest.NewPages(pages))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	seeds := writeFile(t, dir, "seeds.txt", srv.URL+"/\n")
	db := filepath.Join(dir, "crawl.db")
	code, summary, stderr := runCmd(t, "--seeds", seeds, "--db", db, "--host-rate", "0")
	if code != exitOK {
		t.Fatalf("crawl: exit %d\n%s", code, stderr)
	}
	if want := "read in part    0 truncated at --max-body, 1 parsed in part\n"; !strings.Contains(summary, want) {
		t.Errorf("summary lacks %q:\n%s", want, summary)
	}
	g := readGraph(t, db)
	home := g.nodes[srv.URL+"/"]
	if home.State != crawl.StateDone || home.OutLinks != 2 || !strings.Contains(home.Error, "nested deeper than 512 elements") {
		t.Errorf("home page: %+v; want done with its 2 links and a note", home)
	}
	for _, p := range []string{"/before", "/inside"} {
		if n := g.nodes[srv.URL+p]; n.State != crawl.StateDone {
			t.Errorf("%s: %v, want fetched", p, n.State)
		}
	}
	if r := statusJSON(t, db); r.PartialParses != 1 {
		t.Errorf("status: %d partial parses, want 1", r.PartialParses)
	}
}
