package crawler_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/crawl-project/crawl"
)

// Link-level robots directives: rel=nofollow, <meta name=robots|crawl>, X-Robots-Tag; the
// edges that are recorded but not followed: rel=canonical and rel=alternate hreflang; and
// noindex, recorded on the page.
func TestLinkLevelRobotsDirectives(t *testing.T) {
	pages := map[string]struct {
		header string // X-Robots-Tag
		ctype  string // Content-Type, when not HTML
		body   string
	}{
		"/": {body: `<head>
			<link rel="canonical" href="/canon-only">
			<link rel="canonical" href="/canon-linked">
			<link rel="alternate" hreflang="de" href="/de/">
			<link rel="alternate" type="application/rss+xml" href="/feed.xml">
			</head>
			<a href="/ok">ok</a> <a rel="nofollow" href="/nf">nf</a> <a rel="sponsored NOFOLLOW" href="/ad">ad</a>
			<a href="/meta-robots">m</a> <a href="/meta-crawl">m</a> <a href="/meta-other">m</a>
			<a href="/header">h</a> <a href="/header-crawl">h</a> <a href="/header-other">h</a>
			<a href="/meta-noindex">n</a> <a href="/header-other-noindex">n</a> <a href="/doc.pdf">pdf</a>`},
		"/ok":                   {body: `<a href="/canon-linked">followable link to a canonical URL</a>`},
		"/meta-robots":          {body: `<meta name="robots" content="noindex, nofollow"><a href="/from-meta-robots">x</a>`},
		"/meta-crawl":           {body: `<meta name="CRAWL" content="nofollow"><a href="/from-meta-crawl">x</a>`},
		"/meta-other":           {body: `<meta name="otherbot" content="nofollow"><a href="/from-meta-other">x</a>`},
		"/header":               {header: "nofollow", body: `<a href="/from-header">x</a>`},
		"/header-crawl":         {header: "crawl: noindex, nofollow", body: `<a href="/from-header-crawl">x</a>`},
		"/header-other":         {header: "otherbot: nofollow", body: `<a href="/from-header-other">x</a>`},
		"/canon-linked":         {},
		"/from-meta-other":      {},
		"/from-header-other":    {},
		"/meta-noindex":         {body: `<meta name="robots" content="NOINDEX">`},
		"/header-other-noindex": {header: "otherbot: noindex"},
		"/doc.pdf":              {header: "noindex", ctype: "application/pdf", body: "%PDF-1.4"},
	}
	s := newTrapSite(t, func(w http.ResponseWriter, r *http.Request) {
		p, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if p.header != "" {
			w.Header().Set("X-Robots-Tag", p.header)
		}
		if p.ctype != "" {
			w.Header().Set("Content-Type", p.ctype)
			fmt.Fprint(w, p.body)
			return
		}
		fmt.Fprintf(w, "<!doctype html><title>%s</title>%s", r.URL.Path, p.body)
	})
	s.crawl(s.config())
	log, dups := s.fetched()
	if len(dups) > 0 {
		t.Errorf("requested more than once: %v", dups)
	}
	for path := range pages {
		if log[path] != 1 {
			t.Errorf("%s requested %d times, want 1", path, log[path])
		}
	}
	if len(log) != len(pages) {
		t.Errorf("server saw %v, want exactly the %d pages that are followed", keys(log), len(pages))
	}

	st := s.stored()
	u := func(path string) string { return s.srv.URL + path }
	edges := []struct {
		src, dst string
		kind     crawl.EdgeKind
		rel      string
	}{
		{"/", "/canon-only", crawl.KindCanonical, "canonical"},
		{"/", "/canon-linked", crawl.KindCanonical, "canonical"},
		{"/", "/de/", crawl.KindAlternate, "alternate"},
		{"/", "/nf", crawl.KindLink, "nofollow"},
		{"/", "/ad", crawl.KindLink, "sponsored nofollow"},
		{"/ok", "/canon-linked", crawl.KindLink, ""},
		{"/meta-robots", "/from-meta-robots", crawl.KindLink, ""},
		{"/meta-crawl", "/from-meta-crawl", crawl.KindLink, ""},
		{"/header", "/from-header", crawl.KindLink, ""},
		{"/header-crawl", "/from-header-crawl", crawl.KindLink, ""},
	}
	for _, e := range edges {
		found := false
		for _, got := range st.edges {
			if got.From == u(e.src) && got.To == u(e.dst) {
				found = true
				if got.Kind != e.kind || got.Rel != e.rel {
					t.Errorf("edge %s -> %s: %v rel %q, want %v rel %q", e.src, e.dst, got.Kind, got.Rel, e.kind, e.rel)
				}
			}
		}
		if !found {
			t.Errorf("no edge %s -> %s", e.src, e.dst)
		}
	}
	if _, ok := st.nodes[u("/feed.xml")]; ok {
		t.Error("rel=alternate without hreflang recorded as an edge")
	}
	// Targets of links that are not followed are in the graph, skipped, never fetched; a
	// canonical URL that a page also links to is fetched through that link.
	for _, path := range []string{"/canon-only", "/de/", "/nf", "/ad", "/from-meta-robots", "/from-meta-crawl", "/from-header", "/from-header-crawl"} {
		if n := st.nodes[u(path)]; n.State != crawl.StateSkipped || n.Error != crawl.ReasonNofollow {
			t.Errorf("%s = %v %q, want skipped for %s", path, n.State, n.Error, crawl.ReasonNofollow)
		}
	}
	if n := st.nodes[u("/canon-linked")]; n.State != crawl.StateDone {
		t.Errorf("/canon-linked = %v, want done", n.State)
	}
	// noindex, in a meta tag or a header (for us, or for every crawler), marks the page.
	for path, want := range map[string]bool{
		"/": false, "/ok": false, "/meta-robots": true, "/meta-noindex": true, "/header-crawl": true,
		"/header": false, "/header-other-noindex": false, "/doc.pdf": true,
	} {
		if n := st.nodes[u(path)]; n.State != crawl.StateDone || n.NoIndex != want {
			t.Errorf("%s: %v, noindex %v; want done, noindex %v", path, n.State, n.NoIndex, want)
		}
	}
}
