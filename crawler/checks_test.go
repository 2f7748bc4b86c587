package crawler_test

import (
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/store/storetest"
)

// checkSite is a seed host on 127.0.0.1 whose pages load requisites (some missing, one on a
// server that refuses HEAD, one moved, one disallowed by robots.txt, one on another host)
// and link to another host on 127.0.0.2.
type checkSite struct {
	seed, other *crawltest.Host
	h           *harness
}

func newCheckSite(t *testing.T) *checkSite {
	s := &checkSite{other: crawltest.NewHost(t, "127.0.0.2", map[string]string{
		"/ext": "<title>ext</title>", "/cdn.png": "png",
	})}
	o := s.other.URL
	pages := crawltest.NewPages(map[string]string{
		"/robots.txt": "User-agent: *\nDisallow: /private/\n",
		"/": `<title>home</title><link rel=stylesheet href=/s.css><script src=/app.js></script>
			<img src=/logo.png alt=Logo><img src=/missing.png><img src=/nohead.png><img src=/moved.png>
			<img src=/private/secret.png><img src=` + o + `/cdn.png><iframe src=/frame.html></iframe>
			<a href=/about>about</a><a href=` + o + `/ext>ext</a><a href=` + o + `/dead>dead</a>`,
		"/about":      `<title>about</title><img src=/logo.png><a href=/>home</a>`,
		"/frame.html": `<title>frame</title><a href=/hidden>not crawled</a>`,
		"/s.css":      "body{}",
		"/app.js":     "go()",
		"/logo.png":   "png",
		"/moved.png":  "->/logo2.png",
		"/logo2.png":  "png",
	})
	seed := crawltest.Record(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/nohead.png" {
			if r.Method == http.MethodHead {
				w.WriteHeader(http.StatusMethodNotAllowed)
				return
			}
			w.Header().Set("Content-Type", "image/png")
			w.Write([]byte("a png of 17 bytes"))
			return
		}
		pages.ServeHTTP(w, r)
	}))
	s.seed = &crawltest.Host{Server: crawltest.ServeOn(t, "127.0.0.1:0", seed), Pages: pages, Log: seed}
	s.h = &harness{t: t, log: seed, srv: s.seed.Server, dbPath: filepath.Join(t.TempDir(), "crawl.db"), resolve: map[string]string{}}
	return s
}

func requests(log *crawltest.Recorder) []string {
	var out []string
	for _, a := range log.Arrivals("") {
		out = append(out, a.Method+" "+a.Target)
	}
	slices.Sort(out)
	return out
}

// Page requisites on the crawl's hosts are checked by default: one HEAD each (a GET where
// HEAD is refused), after robots.txt, never crawled for links; the others, and links out of
// the scope, are recorded as external. A later run with --check-external checks the external
// links the first recorded, and a run after it requests nothing: checks are recorded.
func TestChecks(t *testing.T) {
	s := newCheckSite(t)
	sum := s.h.run(s.h.config([]string{s.seed.URL + "/"}))
	want := []string{"GET /", "GET /about", "GET /nohead.png", "GET /robots.txt", "HEAD /app.js", "HEAD /frame.html",
		"HEAD /logo.png", "HEAD /logo2.png", "HEAD /missing.png", "HEAD /moved.png", "HEAD /nohead.png", "HEAD /s.css"}
	if got := requests(s.seed.Log); !slices.Equal(got, want) {
		t.Errorf("seed host requests\n got %q\nwant %q", got, want)
	}
	if got := requests(s.other.Log); len(got) != 0 {
		t.Errorf("other host requests %q, want none", got)
	}
	// Eight HEADs and a GET: checks, not pages; the 404 is their error, the 405 is not.
	if sum.Checks != 9 || sum.CheckErrors != 1 || sum.Responses != 2 {
		t.Errorf("summary: %d checks, %d errors, %d page responses; want 9, 1, 2", sum.Checks, sum.CheckErrors, sum.Responses)
	}

	g := storetest.ReadGraph(t, s.h.dbPath)
	u := func(p string) string { return s.seed.URL + p }
	type check struct {
		state  crawl.State
		status int
		ctype  string
		size   int64
		check  bool
	}
	for url, want := range map[string]check{
		u("/logo.png"):           {crawl.StateDone, 200, "text/plain", 3, true},
		u("/missing.png"):        {crawl.StateDone, 404, "text/plain", 19, true},
		u("/nohead.png"):         {crawl.StateDone, 200, "image/png", 17, true},
		u("/moved.png"):          {crawl.StateDone, 301, "text/html", -1, true},
		u("/logo2.png"):          {crawl.StateDone, 200, "text/plain", 3, true},
		u("/frame.html"):         {crawl.StateDone, 200, "text/html", int64(len(`<title>frame</title><a href=/hidden>not crawled</a>`)), true},
		u("/private/secret.png"): {crawl.StateBlocked, 0, "", 0, true},
		s.other.URL + "/cdn.png": {crawl.StateExternal, 0, "", 0, false},
		s.other.URL + "/ext":     {crawl.StateExternal, 0, "", 0, false},
		u("/about"):              {crawl.StateDone, 200, "text/html", 57, false},
	} {
		n := g.ByURL[url]
		if got := (check{n.State, n.Status, n.ContentType, n.Size, n.Check}); got != want {
			t.Errorf("%s: %+v, want %+v", url, got, want)
		}
		if n.Check && n.Facts != nil {
			t.Errorf("%s: a check has facts", url)
		}
	}
	if _, ok := g.ByURL[u("/hidden")]; ok {
		t.Error("a checked page was read for links")
	}
	if n := g.ByURL[u("/")]; n.Facts == nil || !n.Facts.HasTitle {
		t.Errorf("home page facts %+v", n.Facts)
	}
	kinds := map[string]crawl.EdgeKind{}
	for _, e := range g.Edges {
		if e.From == u("/") {
			kinds[strings.TrimPrefix(strings.TrimPrefix(e.To, s.seed.URL), s.other.URL)] = e.Kind
		}
	}
	wantKinds := map[string]crawl.EdgeKind{"/s.css": crawl.KindStylesheet, "/app.js": crawl.KindScript, "/logo.png": crawl.KindImage,
		"/missing.png": crawl.KindImage, "/nohead.png": crawl.KindImage, "/moved.png": crawl.KindImage, "/private/secret.png": crawl.KindImage,
		"/cdn.png": crawl.KindImage, "/frame.html": crawl.KindFrame, "/about": crawl.KindLink, "/ext": crawl.KindLink, "/dead": crawl.KindLink}
	if !reflect.DeepEqual(kinds, wantKinds) {
		t.Errorf("edges of the home page\n got %v\nwant %v", kinds, wantKinds)
	}

	// The same crawl with --check-external: the external links of the pages recorded are
	// checked, once each, after the other host's robots.txt; requisites of other hosts are not.
	s.seed.Log.Reset()
	withExternal := func(c *crawler.Config) { c.CheckExternal = true }
	s.h.run(s.h.config([]string{s.seed.URL + "/"}, withExternal))
	if got := requests(s.seed.Log); len(got) != 0 {
		t.Errorf("seed host requests %q on the rerun, want none", got)
	}
	if got, want := requests(s.other.Log), []string{"GET /robots.txt", "HEAD /dead", "HEAD /ext"}; !slices.Equal(got, want) {
		t.Errorf("other host requests %q, want %q", got, want)
	}
	g = storetest.ReadGraph(t, s.h.dbPath)
	for path, status := range map[string]int{"/ext": 200, "/dead": 404} {
		if n := g.ByURL[s.other.URL+path]; n.State != crawl.StateDone || n.Status != status || !n.Check || !n.External || !n.OutOfScope() {
			t.Errorf("%s: %+v", path, n)
		}
	}

	// Recorded checks are not made again.
	s.other.Log.Reset()
	s.h.run(s.h.config([]string{s.seed.URL + "/"}, withExternal))
	if got := append(requests(s.seed.Log), requests(s.other.Log)...); len(got) != 0 {
		t.Errorf("requests %q on the third run, want none", got)
	}
}

// With requisites off, pages are read for links only, as before requisites were.
func TestChecksOff(t *testing.T) {
	s := newCheckSite(t)
	s.h.run(s.h.config([]string{s.seed.URL + "/"}, func(c *crawler.Config) { c.Assets = crawler.AssetsOff }))
	if got, want := requests(s.seed.Log), []string{"GET /", "GET /about", "GET /robots.txt"}; !slices.Equal(got, want) {
		t.Errorf("requests %q, want %q", got, want)
	}
	for _, e := range storetest.ReadGraph(t, s.h.dbPath).Edges {
		if e.Kind.Requisite() {
			t.Errorf("requisite edge %s -> %s", e.From, e.To)
		}
	}
}
