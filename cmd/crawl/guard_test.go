package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler/crawltest"
	"github.com/crawl-project/crawl/store/storetest"
)

// nodes reads a crawl database's nodes by URL.
func nodes(t *testing.T, db string) map[string]crawl.Node {
	t.Helper()
	return storetest.ReadGraph(t, db).ByURL
}

// TestPrivateAddressesAreRefused: a seed page on loopback links pages of another loopback
// address. With --scope all they are in scope, but their host is no seed host: they are
// recorded as skipped (private-address), not retried and not held against the host (which
// would park it and skip the rest as host-unreachable), and the host gets no request at all,
// robots.txt included; --allow-private-addresses fetches them.
func TestPrivateAddressesAreRefused(t *testing.T) {
	other := crawltest.NewHost(t, "127.0.0.2", nil)
	other.Set("/", "<title>internal</title>")
	seed := crawltest.NewHost(t, "127.0.0.1", nil)
	links := `<a href="/a">a</a>`
	for _, p := range []string{"/", "/b", "/c", "/d"} {
		links += ` <a href="` + other.URL + p + `">internal</a>`
	}
	seed.Set("/", "<title>seed</title>"+links)
	seed.Set("/a", "<title>a</title>")
	internal := other.URL + "/"

	dir := t.TempDir()
	seeds := writeFile(t, dir, "seeds.txt", seed.URL+"/\n")
	// With robots.txt, its request is the one refused; without, the page's.
	for _, robots := range []string{"--ignore-robots=false", "--ignore-robots"} {
		t.Run(robots, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "refused.db")
			code, stdout, stderr := runCmd(t, "--seeds", seeds, "--db", db, "--scope", "all", "--host-rate", "0",
				"--retries", "2", "--max-host-errors", "2", "--backoff", "1h", robots)
			if code != exitOK {
				t.Fatalf("exit %d:\n%s\n%s", code, stdout, stderr)
			}
			got := nodes(t, db)
			for _, p := range []string{"/", "/b", "/c", "/d"} {
				if n := got[other.URL+p]; n.State != crawl.StateSkipped || n.Error != crawl.ReasonPrivateAddress {
					t.Errorf("%s: state %v, error %q; want skipped, %q", other.URL+p, n.State, n.Error, crawl.ReasonPrivateAddress)
				}
			}
			for _, want := range []string{"retries         0 (0 backoffs", "hosts parked    0"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("summary lacks %q:\n%s", want, stdout)
				}
			}
			if n := got[seed.URL+"/a"]; n.State != crawl.StateDone {
				t.Errorf("the seed host's /a: state %v; want done", n.State)
			}
			if p := other.Paths(); len(p) > 0 {
				t.Fatalf("the refused host got requests: %v", p)
			}
		})
	}

	db := filepath.Join(dir, "allowed.db")
	code, stdout, stderr := runCmd(t, "--seeds", seeds, "--db", db, "--scope", "all", "--host-rate", "0", "--allow-private-addresses")
	if code != exitOK {
		t.Fatalf("exit %d:\n%s\n%s", code, stdout, stderr)
	}
	if n := nodes(t, db)[internal]; n.State != crawl.StateDone || n.Title != "internal" {
		t.Errorf("with --allow-private-addresses, %s: state %v, title %q; want done, internal", internal, n.State, n.Title)
	}
}

// TestHeaderReachesOnlyItsHosts: a credential given with --header reaches the seed host and
// never another host, however the crawl is led there: a page redirect, a robots.txt redirect
// and the Sitemap line of the robots.txt it leads to. A header named for the other host
// reaches that host only. Under --scope host the other host gets no request at all.
func TestHeaderReachesOnlyItsHosts(t *testing.T) {
	other := crawltest.NewHost(t, "127.0.0.2", nil)
	seed := crawltest.NewHost(t, "127.0.0.1", nil)
	other.Set("/robots.txt", "User-agent: *\nAllow: /\nSitemap: "+other.URL+"/sitemap.xml\n")
	other.Set("/sitemap.xml", "<urlset><url><loc>"+other.URL+"/listed</loc></url><url><loc>"+seed.URL+"/from-sitemap</loc></url></urlset>")
	other.Set("/landing", "<title>landing</title>")
	other.Set("/listed", "<title>listed</title>")
	seed.Set("/robots.txt", "->"+other.URL+"/robots.txt")
	seed.Set("/", `<title>seed</title><a href="/go">go</a>`)
	seed.Set("/go", "->"+other.URL+"/landing")
	seed.Set("/from-sitemap", "<title>from the sitemap</title>")

	tests := []struct {
		name       string
		flags      []string
		otherPaths []string // what the other host is asked for, at least once each; nil for nothing
	}{
		{"scope all", []string{"--scope", "all", "--allow-private-addresses"}, []string{"/landing", "/listed", "/robots.txt", "/sitemap.xml"}},
		{"scope host", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other.Log.Reset()
			seed.Log.Reset()
			dir := t.TempDir()
			seeds := writeFile(t, dir, "seeds.txt", seed.URL+"/\n")
			args := append([]string{"--seeds", seeds, "--db", filepath.Join(dir, "c.db"), "--host-rate", "0", "--host-concurrency", "1",
				"--workers", "1", "--sitemaps", "--header", "Authorization: Bearer s3cret", "--header", other.HostPort() + "=X-Other: o"}, tt.flags...)
			code, stdout, stderr := runCmd(t, args...)
			if code != exitOK {
				t.Fatalf("exit %d:\n%s\n%s", code, stdout, stderr)
			}
			if got := slices.Compact(slices.Sorted(slices.Values(other.Paths()))); !slices.Equal(got, tt.otherPaths) {
				t.Errorf("other host asked for %q, want %q", got, tt.otherPaths)
			}
			for _, r := range other.Log.Arrivals("") {
				if v := r.Header.Get("Authorization"); v != "" {
					t.Errorf("other host got Authorization %q with %s", v, r.Path())
				}
				if r.Header.Get("X-Other") != "o" {
					t.Errorf("other host's %s lacks its own header", r.Path())
				}
			}
			paths := seed.Paths()
			if !strings.Contains(strings.Join(paths, " "), "/go") {
				t.Errorf("seed host asked for %v; want /go among them", paths)
			}
			for _, r := range seed.Log.Arrivals("") {
				if r.Header.Get("Authorization") != "Bearer s3cret" || r.Header.Get("X-Other") != "" {
					t.Errorf("seed host's %s: Authorization %q, X-Other %q; want only the seed's header", r.Path(), r.Header.Get("Authorization"), r.Header.Get("X-Other"))
				}
			}
		})
	}
}

// TestResumedSeedHostsKeepTheirHeadersAndAddresses: a resumed crawl whose seeds file no
// longer names a host of an earlier run still treats it as a seed host: its pending pages
// get the seed headers and its loopback address is not refused.
func TestResumedSeedHostsKeepTheirHeadersAndAddresses(t *testing.T) {
	first := crawltest.NewHost(t, "127.0.0.1", nil)
	first.Set("/", `<title>first</title><a href="/a">a</a>`)
	first.Set("/a", "<title>a</title>")
	second := crawltest.NewHost(t, "127.0.0.3", nil)
	second.Set("/", "<title>second</title>")
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	flags := []string{"--db", db, "--host-rate", "0", "--ignore-robots", "--header", "Authorization: Bearer s3cret"}

	seeds := writeFile(t, dir, "first.txt", first.URL+"/\n")
	if code, _, stderr := runCmd(t, append([]string{"--seeds", seeds, "--max-pages", "1"}, flags...)...); code != exitOK {
		t.Fatalf("first run: exit %d:\n%s", code, stderr)
	}
	if n := nodes(t, db)[first.URL+"/a"]; n.State != crawl.StatePending {
		t.Fatalf("after the first run /a is %v; want it left pending", n.State)
	}
	seeds = writeFile(t, dir, "second.txt", second.URL+"/\n")
	if code, _, stderr := runCmd(t, append([]string{"--seeds", seeds}, flags...)...); code != exitOK {
		t.Fatalf("second run: exit %d:\n%s", code, stderr)
	}
	got := nodes(t, db)
	for _, u := range []string{first.URL + "/a", second.URL + "/"} {
		if n := got[u]; n.State != crawl.StateDone {
			t.Errorf("%s: state %v, error %q; want done", u, n.State, n.Error)
		}
	}
	for _, h := range []*crawltest.Host{first, second} {
		for _, r := range h.Log.Arrivals("") {
			if r.Header.Get("Authorization") != "Bearer s3cret" {
				t.Errorf("%s%s was asked without the seed header", h.URL, r.Path())
			}
		}
	}
}

func TestHeaderFlagErrors(t *testing.T) {
	checkCrawlFlagErrors(t, []flagError{
		{[]string{"--header", "X-Split: a\r\nInjected: b"}, `--header "X-Split: a\r\nInjected: b": header value of X-Split holds a control character`},
		{[]string{"--header", "X-Nul: a\x00"}, `--header "X-Nul: a\x00"`},
		{[]string{"--header", "Bad Name: x"}, `--header "Bad Name: x": header name "Bad Name" is not a valid token`},
		{[]string{"--header", "example.com=NoColon"}, "want 'Name: value'"},
	})
	// One line: the value's CR and LF are shown escaped.
	dir := t.TempDir()
	seeds := writeFile(t, dir, "seeds.txt", "http://127.0.0.1:1/\n")
	_, _, stderr := runCmd(t, "--seeds", seeds, "--db", filepath.Join(dir, "c.db"), "--header", "X: a\r\nb")
	if strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr is not one line:\n%s", stderr)
	}
}
