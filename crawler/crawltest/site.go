// Package crawltest provides deterministic generated websites for tests and
// benchmarks of the crawler, in the spirit of net/http/httptest.
//
// A Site is an http.Handler that serves one or more generated hosts. Every
// page is rendered on demand from a per-page pseudo-random generator seeded
// by (Seed, host, page), so building a site is instant whatever its size and
// the same SiteConfig always yields byte-identical responses.
//
// Besides serving, a Site knows its own link graph: Links returns the links
// of one page and Reachable computes the pages a crawl would reach from given
// roots, so a test can compare a crawl against the truth. Its Recorder
// records what was requested, how often, when and how concurrently.
//
// URLs are formed from a base such as the URL of an httptest.Server
// ("http://127.0.0.1:41234"):
//
//   - a site with one host answers on any Host header, and its page URLs are
//     base+path, e.g. "http://127.0.0.1:41234/p3.html";
//   - a site with several hosts routes by the Host header, and its page URLs
//     keep the scheme and port of base but use the host name, e.g.
//     "http://h2.test:41234/p3.html" (for a client that resolves every host
//     name to the server's address).
//
// Pages link to each other with root-relative, document-relative, absolute
// and protocol-relative hrefs, some with #fragments; some page URLs carry a
// query string. Each page i links to page i+1 (the last page links to "/"),
// so every page of a host is reachable from its root.
package crawltest

import (
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// SiteConfig describes a generated site. Zero fields take the defaults
// noted below.
type SiteConfig struct {
	// Seed selects the site; the same config yields byte-identical pages.
	Seed int64
	// Pages is the number of pages per host (default 100). Page 0 is "/".
	Pages int
	// Hosts lists the host names served (default one host, "site.test").
	Hosts []string
	// MinLinks and MaxLinks bound the number of links per page (default
	// 20..60). At least one link (to the next page) is always present.
	MinLinks, MaxLinks int
	// MinBytes and MaxBytes bound the HTML size of a page (default
	// 10 KiB..30 KiB). A page whose links alone exceed MaxBytes is larger.
	MinBytes, MaxBytes int
	// CrossHostFraction is the fraction of links to pages of another host
	// of the site (absolute URLs). Ignored with a single host.
	CrossHostFraction float64
	// BrokenFraction is the fraction of links to paths that answer 404.
	BrokenFraction float64
	// ExternalFraction is the fraction of links to hosts outside the site
	// (under the reserved .invalid top-level domain).
	ExternalFraction float64
	// RedirectFraction is the fraction of links to pages of the same host
	// written through a redirect: "/moved" + the page's path answers 301 to
	// the page. Zero leaves the site exactly as it is without the field.
	RedirectFraction float64
	// Assets is the number of page requisites each page loads: a stylesheet, a script and a
	// logo that every page shares, then images of the page's own (/img/<page>-<k>.jpg). They
	// answer 200 with a small body. Zero leaves the site exactly as it is without the field.
	Assets int
	// Robots is the body served at /robots.txt; empty means 404.
	Robots string
	// Latency delays every response by this duration, to emulate a network.
	Latency time.Duration
}

// Site serves a generated website. It is an http.Handler that routes by
// the host name of the request (port ignored) to that host's pages; a site
// with a single host serves it for any Host header, a site with several
// hosts answers 404 for an unknown host.
type Site struct {
	cfg       SiteConfig
	hostIndex map[string]int
	hostSeed  []uint64
	log       *Recorder
	// rendered are answers made ahead by Prerender, by "host/path?query" key.
	rendered map[string]*rendered
}

const (
	defaultPages    = 100
	defaultHost     = "site.test"
	defaultMinLinks = 20
	defaultMaxLinks = 60
	defaultMinBytes = 10 << 10
	defaultMaxBytes = 30 << 10
)

// NewSite returns a site for cfg with defaults applied. It does no
// rendering; pages are produced on request.
func NewSite(cfg SiteConfig) *Site {
	if cfg.Pages <= 0 {
		cfg.Pages = defaultPages
	}
	if len(cfg.Hosts) == 0 {
		cfg.Hosts = []string{defaultHost}
	}
	hosts := make([]string, len(cfg.Hosts))
	for i, h := range cfg.Hosts {
		hosts[i] = strings.ToLower(h)
	}
	cfg.Hosts = hosts
	if cfg.MinLinks <= 0 && cfg.MaxLinks <= 0 {
		cfg.MinLinks, cfg.MaxLinks = defaultMinLinks, defaultMaxLinks
	}
	cfg.MinLinks = max(cfg.MinLinks, 1)
	cfg.MaxLinks = max(cfg.MaxLinks, cfg.MinLinks)
	if cfg.MinBytes <= 0 && cfg.MaxBytes <= 0 {
		cfg.MinBytes, cfg.MaxBytes = defaultMinBytes, defaultMaxBytes
	}
	cfg.MinBytes = max(cfg.MinBytes, 0)
	cfg.MaxBytes = max(cfg.MaxBytes, cfg.MinBytes)
	if len(cfg.Hosts) < 2 {
		cfg.CrossHostFraction = 0
	}
	s := &Site{
		cfg:       cfg,
		hostIndex: make(map[string]int, len(cfg.Hosts)),
		hostSeed:  make([]uint64, len(cfg.Hosts)),
	}
	for i, h := range cfg.Hosts {
		if _, dup := s.hostIndex[h]; dup {
			panic("crawltest: duplicate host " + strconv.Quote(h))
		}
		s.hostIndex[h] = i
		f := fnv.New64a()
		f.Write([]byte(h))
		s.hostSeed[i] = f.Sum64()
	}
	s.log = newRecorder(s.serve, s.logHost)
	return s
}

// Config returns the configuration of the site with defaults applied.
func (s *Site) Config() SiteConfig {
	c := s.cfg
	c.Hosts = append([]string(nil), s.cfg.Hosts...)
	return c
}

// Hosts returns the host names of the site.
func (s *Site) Hosts() []string { return append([]string(nil), s.cfg.Hosts...) }

// Log returns the site's recorder: every request it served.
func (s *Site) Log() *Recorder { return s.log }

// logHost maps a host name (port allowed) to the name the log keys its requests with.
func (s *Site) logHost(host string) string {
	host = strings.ToLower(hostOnly(host))
	if h := s.route(host); h >= 0 {
		return s.cfg.Hosts[h]
	}
	return host
}

// Path returns the path (with query, if the page has one) of page i,
// e.g. "/", "/p3.html" or "/catalog/item?id=13&view=full". Paths are the
// same on every host.
func (s *Site) Path(page int) string {
	if page < 0 || page >= s.cfg.Pages {
		panic("crawltest: page " + strconv.Itoa(page) + " out of range")
	}
	return pagePath(page)
}

// URL returns the URL of a page of host as seen through base, e.g.
// URL("h2.test", 3, "http://127.0.0.1:41234") is
// "http://h2.test:41234/p3.html" on a site with several hosts and
// "http://127.0.0.1:41234/p3.html" on a site with one host. An empty base
// means "http://" + host. It panics for an unknown host or page.
func (s *Site) URL(host string, page int, base string) string {
	h := s.mustHost(host)
	return s.origins(base)(h) + s.Path(page)
}

// Roots returns the root URL ("/") of every host as seen through base.
func (s *Site) Roots(base string) []string {
	o := s.origins(base)
	roots := make([]string, len(s.cfg.Hosts))
	for h := range s.cfg.Hosts {
		roots[h] = o(h) + "/"
	}
	return roots
}

// PageOf maps a URL of the site back to its host and page. The URL's port
// and fragment are ignored; on a single-host site any host name matches.
func (s *Site) PageOf(rawURL string) (host string, page int, ok bool) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", 0, false
	}
	h := s.route(u.Hostname())
	if h < 0 {
		return "", 0, false
	}
	p, ok := s.parsePage(u.Path, u.RawQuery)
	if !ok {
		return "", 0, false
	}
	return s.cfg.Hosts[h], p, true
}

// route returns the host index serving hostname, or -1.
func (s *Site) route(hostname string) int {
	if len(s.cfg.Hosts) == 1 {
		return 0
	}
	if h, ok := s.hostIndex[strings.ToLower(strings.TrimSuffix(hostname, "."))]; ok {
		return h
	}
	return -1
}

func (s *Site) mustHost(host string) int {
	if h, ok := s.hostIndex[strings.ToLower(host)]; ok {
		return h
	}
	if len(s.cfg.Hosts) == 1 {
		return 0
	}
	panic("crawltest: unknown host " + strconv.Quote(host))
}

// origins returns a function giving "scheme://authority" of each host as
// seen through base (see URL).
func (s *Site) origins(base string) func(h int) string {
	scheme, authority := "http", ""
	if base != "" {
		u, err := url.Parse(base)
		if err != nil || u.Host == "" {
			panic("crawltest: bad base URL " + strconv.Quote(base))
		}
		scheme, authority = u.Scheme, u.Host
	}
	if len(s.cfg.Hosts) == 1 {
		if authority == "" {
			authority = s.cfg.Hosts[0]
		}
		o := scheme + "://" + authority
		return func(int) string { return o }
	}
	port := ""
	if authority != "" {
		if _, p, err := net.SplitHostPort(authority); err == nil {
			port = ":" + p
		}
	}
	list := make([]string, len(s.cfg.Hosts))
	for i, h := range s.cfg.Hosts {
		list[i] = scheme + "://" + h + port
	}
	return func(h int) string { return list[h] }
}

// ServeHTTP serves the pages, 404 for anything else, and /robots.txt when
// configured. Every request is recorded in the log.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.log.ServeHTTP(w, r) }

// serve answers a request after the configured latency.
func (s *Site) serve(w http.ResponseWriter, r *http.Request, a Arrival) {
	if d := s.cfg.Latency; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if s.rendered != nil {
		if c, ok := s.rendered[a.Key()]; ok {
			c.write(w, r)
			return
		}
	}
	s.answer(w, r)
}

// answer serves a request at once.
func (s *Site) answer(w http.ResponseWriter, r *http.Request) {
	h := s.route(hostOnly(r.Host))
	if h < 0 {
		notFound(w, r)
		return
	}
	if r.URL.Path == "/robots.txt" {
		if s.cfg.Robots == "" {
			notFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(s.cfg.Robots)))
		if r.Method != http.MethodHead {
			_, _ = w.Write([]byte(s.cfg.Robots))
		}
		return
	}
	if rest, moved := strings.CutPrefix(r.URL.Path, redirectPrefix); moved && s.cfg.RedirectFraction > 0 {
		if _, ok := s.parsePage(rest, r.URL.RawQuery); ok {
			if r.URL.RawQuery != "" {
				rest += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, rest, http.StatusMovedPermanently)
			return
		}
	}
	if s.cfg.Assets > 0 && (strings.HasPrefix(r.URL.Path, "/static/") || strings.HasPrefix(r.URL.Path, "/img/")) {
		serveAsset(w, r)
		return
	}
	page, ok := s.parsePage(r.URL.Path, r.URL.RawQuery)
	if !ok {
		notFound(w, r)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	body := s.render(h, page, s.origins(scheme+"://"+r.Host))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// assetBody is the body of every page requisite of a site with Assets.
var assetBody = strings.Repeat("asset bytes ", 85)

var assetTypes = map[string]string{".css": "text/css", ".js": "text/javascript", ".png": "image/png", ".jpg": "image/jpeg"}

func serveAsset(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", assetTypes[path.Ext(r.URL.Path)])
	w.Header().Set("Content-Length", strconv.Itoa(len(assetBody)))
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, assetBody)
	}
}

const notFoundBody = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>404 Not Found</title></head>\n" +
	"<body><h1>Not Found</h1><p>The requested page does not exist.</p></body></html>\n"

func notFound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(notFoundBody)))
	w.WriteHeader(http.StatusNotFound)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(notFoundBody))
	}
}

// hostOnly strips the port from a host[:port] string.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}
