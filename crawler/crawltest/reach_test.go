package crawltest

import (
	"maps"
	"testing"
	"time"
)

func TestReachableTiny(t *testing.T) {
	// One link per page: the chain / -> 1 -> 2 -> 3 -> /.
	s := NewSite(SiteConfig{Pages: 4, MinLinks: 1, MaxLinks: 1, MinBytes: 100, MaxBytes: 200})
	base := "http://127.0.0.1:8080"
	want := map[string]int{
		base + "/":                            0,
		base + "/docs/s1/p1.html":             1,
		base + "/blog/2017/03/p2.html":        2,
		base + "/catalog/item?id=3&view=full": 3,
	}
	got := s.Reachable([]string{base + "/"}, -1, true)
	if !maps.Equal(got.Pages, want) {
		t.Errorf("Pages = %v, want %v", got.Pages, want)
	}
	if len(got.Broken)+len(got.External)+len(got.OutOfScope) != 0 {
		t.Errorf("unexpected targets: %+v", got)
	}
	got = s.Reachable([]string{base + "/"}, 2, true)
	delete(want, base+"/catalog/item?id=3&view=full")
	if !maps.Equal(got.Pages, want) {
		t.Errorf("maxDepth 2: Pages = %v, want %v", got.Pages, want)
	}
	got = s.Reachable([]string{base + "/blog/2017/03/p2.html"}, -1, true)
	want = map[string]int{
		base + "/blog/2017/03/p2.html":        0,
		base + "/catalog/item?id=3&view=full": 1,
		base + "/":                            2,
		base + "/docs/s1/p1.html":             3,
	}
	if !maps.Equal(got.Pages, want) {
		t.Errorf("from page 2: Pages = %v, want %v", got.Pages, want)
	}

	// Two links per page: next and home, so page i has depth i from "/".
	s = NewSite(SiteConfig{Pages: 6, MinLinks: 2, MaxLinks: 2, MinBytes: 100, MaxBytes: 200})
	got = s.Reachable([]string{"http://site.test/"}, -1, true)
	for page := range 6 {
		if d, ok := got.Pages[s.URL("site.test", page, "")]; !ok || d != page {
			t.Errorf("page %d: depth %d, %v", page, d, ok)
		}
	}
}

// bfs computes reachability independently, from Links.
func bfs(s *Site, host, base string, maxDepth int) map[string]int {
	depth := map[string]int{s.URL(host, 0, base): 0}
	queue := []Link{{URL: s.URL(host, 0, base), Host: host, Page: 0}}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		d := depth[cur.URL]
		if maxDepth >= 0 && d >= maxDepth {
			continue
		}
		for _, l := range s.Links(cur.Host, cur.Page, base) {
			if l.Kind != LinkPage {
				continue
			}
			if _, seen := depth[l.URL]; !seen {
				depth[l.URL] = d + 1
				queue = append(queue, l)
			}
		}
	}
	return depth
}

func TestReachableCoversAllPages(t *testing.T) {
	s := NewSite(SiteConfig{Seed: 3, Pages: 2000, BrokenFraction: 0.02, ExternalFraction: 0.03})
	base := "http://127.0.0.1:41234"
	got := s.Reachable([]string{base + "/"}, -1, true)
	if len(got.Pages) != 2000 {
		t.Fatalf("reached %d pages, want 2000", len(got.Pages))
	}
	if want := bfs(s, "site.test", base, -1); !maps.Equal(got.Pages, want) {
		t.Error("Reachable differs from a BFS over Links")
	}
	levels := map[int]int{}
	for _, d := range got.Pages {
		levels[d]++
	}
	if got.MaxDepth() < 4 || len(levels) != got.MaxDepth()+1 {
		t.Errorf("depth levels %v", levels)
	}
	if len(got.Broken) == 0 || len(got.External) == 0 || len(got.OutOfScope) != 0 {
		t.Errorf("broken %d, external %d, out of scope %d", len(got.Broken), len(got.External), len(got.OutOfScope))
	}
	for u, d := range got.Broken {
		if code, _, _ := get(t, s, u); code != 404 || d < 1 {
			t.Errorf("broken %s: status %d depth %d", u, code, d)
		}
	}

	limited := s.Reachable([]string{base + "/"}, 3, true)
	if want := bfs(s, "site.test", base, 3); !maps.Equal(limited.Pages, want) {
		t.Error("maxDepth 3: Reachable differs from a BFS over Links")
	}
	for _, m := range []map[string]int{limited.Pages, limited.Broken, limited.External} {
		for u, d := range m {
			if d > 3 {
				t.Errorf("%s at depth %d > 3", u, d)
			}
		}
	}

	nofollow := s.ReachableWith([]string{base + "/"}, ReachOptions{MaxDepth: -1, SameHostOnly: true, HonorNofollow: true})
	if len(nofollow.Pages) != 2000 {
		t.Errorf("nofollow: reached %d pages", len(nofollow.Pages))
	}
	for u, d := range nofollow.Pages {
		if d < got.Pages[u] {
			t.Errorf("%s: depth %d without nofollow links < %d with them", u, d, got.Pages[u])
		}
	}
}

func TestReachableMultiHost(t *testing.T) {
	hosts := []string{"h1.test", "h2.test", "h3.test"}
	s := NewSite(SiteConfig{Seed: 5, Pages: 300, Hosts: hosts, CrossHostFraction: 0.1, MinLinks: 5, MaxLinks: 10})
	base := "http://127.0.0.1:8080"
	one := s.Reachable([]string{s.URL("h2.test", 0, base)}, -1, true)
	if len(one.Pages) != 300 || len(one.OutOfScope) == 0 {
		t.Fatalf("one host: %d pages, %d out of scope", len(one.Pages), len(one.OutOfScope))
	}
	for u := range one.Pages {
		if h, _, _ := s.PageOf(u); h != "h2.test" {
			t.Fatalf("host-scoped crawl reached %s", u)
		}
	}
	for u := range one.OutOfScope {
		if h, _, ok := s.PageOf(u); !ok || h == "h2.test" {
			t.Fatalf("out of scope %s", u)
		}
	}
	all := s.Reachable(s.Roots(base), -1, true)
	if len(all.Pages) != 900 || len(all.OutOfScope) != 0 {
		t.Errorf("all roots: %d pages, %d out of scope", len(all.Pages), len(all.OutOfScope))
	}
	free := s.Reachable([]string{s.URL("h2.test", 0, base)}, -1, false)
	if len(free.Pages) <= 300 {
		t.Errorf("unscoped crawl reached only %d pages", len(free.Pages))
	}
	for u := range free.Pages {
		if h, _, _ := s.PageOf(u); u[:len("http://"+h+":8080/")] != "http://"+h+":8080/" {
			t.Fatalf("%s not formed with the base port", u)
		}
	}
}

func TestLargeSiteIsCheap(t *testing.T) {
	// NewSite renders nothing: building a site costs the same whatever its size.
	build := func(pages int) float64 {
		return testing.AllocsPerRun(5, func() { NewSite(SiteConfig{Seed: 9, Pages: pages}) })
	}
	if small, large := build(20), build(20000); large != small {
		t.Errorf("NewSite allocates %v times for 20000 pages, %v for 20", large, small)
	}
	start := time.Now()
	s := NewSite(SiteConfig{Seed: 9, Pages: 20000})
	got := s.Reachable([]string{"http://127.0.0.1:1/"}, -1, true)
	if len(got.Pages) != 20000 {
		t.Errorf("reached %d of 20000 pages", len(got.Pages))
	}
	t.Logf("20000 pages: max depth %d, reachability in %v", got.MaxDepth(), time.Since(start))
}
