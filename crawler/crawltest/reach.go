package crawltest

import (
	"strings"
)

// LinkKind classifies a generated link.
type LinkKind int

const (
	// LinkPage is a link to a page of the same host (possibly the page
	// itself, e.g. a fragment-only href).
	LinkPage LinkKind = iota
	// LinkCrossHost is a link to a page of another host of the site.
	LinkCrossHost
	// LinkBroken is a link to a path of the same host that answers 404.
	LinkBroken
	// LinkExternal is a link to a host outside the site (never served).
	LinkExternal
	// LinkRedirect is a link to a page of the same host through a URL that
	// answers 301 to it (see SiteConfig.RedirectFraction).
	LinkRedirect
)

func (k LinkKind) String() string {
	switch k {
	case LinkPage:
		return "page"
	case LinkCrossHost:
		return "cross-host"
	case LinkBroken:
		return "broken"
	case LinkExternal:
		return "external"
	case LinkRedirect:
		return "redirect"
	}
	return "LinkKind(?)"
}

// Link is one <a> element of a generated page.
type Link struct {
	Href     string   // attribute value as written (HTML entities decoded)
	URL      string   // absolute target resolved against the page URL, without fragment
	Fragment string   // fragment of the href, without '#'; "" if none
	Text     string   // anchor text
	Rel      string   // rel attribute; "" if absent
	Kind     LinkKind // what the target is
	Host     string   // host of the target page; "" for broken and external links
	Page     int      // target page; -1 for broken and external links
}

// Nofollow reports whether the rel attribute contains "nofollow".
func (l Link) Nofollow() bool { return hasNofollow(l.Rel) }

func hasNofollow(rel string) bool {
	for _, t := range strings.Fields(rel) {
		if strings.EqualFold(t, "nofollow") {
			return true
		}
	}
	return false
}

// Links returns the links of a page of host in document order, with URLs
// as seen through base (see URL). The page served to a request whose Host
// header matches base contains exactly these links.
func (s *Site) Links(host string, page int, base string) []Link {
	h := s.mustHost(host)
	s.Path(page) // range check
	origin := s.origins(base)
	specs := s.specs(h, page)
	out := make([]Link, len(specs))
	for k := range specs {
		sp := &specs[k]
		href, abs := s.href(sp, page, origin)
		l := Link{Href: href, URL: abs, Fragment: sp.frag, Text: sp.text, Rel: sp.rel, Kind: sp.kind, Page: -1}
		if sp.kind == LinkPage || sp.kind == LinkCrossHost || sp.kind == LinkRedirect {
			l.Host, l.Page = s.cfg.Hosts[sp.host], sp.page
		}
		out[k] = l
	}
	return out
}

// ReachOptions controls Reachable.
type ReachOptions struct {
	// MaxDepth is the largest depth reached; roots have depth 0. A negative
	// value means no limit.
	MaxDepth int
	// SameHostOnly restricts the crawl to the hosts of the roots.
	SameHostOnly bool
	// HonorNofollow ignores links whose rel contains "nofollow".
	HonorNofollow bool
}

// Reach is the expected outcome of a breadth-first crawl. Every map goes
// from absolute URL (without fragment) to the smallest depth at which the
// crawl meets it, and holds only entries of depth <= MaxDepth.
type Reach struct {
	// Pages are the pages fetched (status 200).
	Pages map[string]int
	// Broken are the URLs fetched that answer 404.
	Broken map[string]int
	// External are the off-site URLs linked from fetched pages; never
	// fetched.
	External map[string]int
	// OutOfScope are pages of other hosts of the site linked from fetched
	// pages but excluded by SameHostOnly; never fetched.
	OutOfScope map[string]int
	// Redirects are the URLs fetched that answer 301 to a page. The page
	// they lead to is at their depth: a redirect moves a page, it adds no hop.
	Redirects map[string]int
}

// MaxDepth returns the largest depth among Pages.
func (r *Reach) MaxDepth() int {
	m := 0
	for _, d := range r.Pages {
		m = max(m, d)
	}
	return m
}

// Reachable computes, from the generator and without crawling, the pages a
// breadth-first crawl from roots reaches up to maxDepth (negative: no
// limit), following every link including rel="nofollow" ones. With
// sameHostOnly it stays on the hosts of the roots. Roots are page URLs of
// the site, e.g. site.Roots(srv.URL) or srv.URL+"/"; the results use the
// scheme and port of the first root. It panics on a root that is not a page.
func (s *Site) Reachable(roots []string, maxDepth int, sameHostOnly bool) *Reach {
	return s.ReachableWith(roots, ReachOptions{MaxDepth: maxDepth, SameHostOnly: sameHostOnly})
}

// ReachableWith is Reachable with all options.
func (s *Site) ReachableWith(roots []string, opt ReachOptions) *Reach {
	res := &Reach{
		Pages:      map[string]int{},
		Broken:     map[string]int{},
		External:   map[string]int{},
		OutOfScope: map[string]int{},
		Redirects:  map[string]int{},
	}
	if len(roots) == 0 {
		return res
	}
	origin := s.origins(rootBase(roots[0]))
	pages := s.cfg.Pages
	depth := make([]int32, len(s.cfg.Hosts)*pages)
	for k := range depth {
		depth[k] = -1
	}
	inScope := make([]bool, len(s.cfg.Hosts))
	var queue []int
	for _, root := range roots {
		host, page, ok := s.PageOf(root)
		if !ok {
			panic("crawltest: root " + root + " is not a page of the site")
		}
		h := s.hostIndex[host]
		inScope[h] = true
		if id := h*pages + page; depth[id] < 0 {
			depth[id] = 0
			queue = append(queue, id)
		}
	}
	if !opt.SameHostOnly {
		for h := range inScope {
			inScope[h] = true
		}
	}
	note := func(m map[string]int, u string, d int) {
		if _, seen := m[u]; !seen {
			m[u] = d
		}
	}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		d := int(depth[id])
		if opt.MaxDepth >= 0 && d >= opt.MaxDepth {
			continue
		}
		h, page := id/pages, id%pages
		for _, sp := range s.specs(h, page) {
			if opt.HonorNofollow && hasNofollow(sp.rel) {
				continue
			}
			switch {
			case sp.kind == LinkExternal:
				note(res.External, sp.path, d+1)
			case sp.kind == LinkBroken:
				note(res.Broken, origin(sp.host)+sp.path, d+1)
			case !inScope[sp.host]:
				note(res.OutOfScope, origin(sp.host)+pagePath(sp.page), d+1)
			case sp.kind == LinkRedirect:
				note(res.Redirects, origin(sp.host)+redirectPrefix+pagePath(sp.page), d+1)
				if t := sp.host*pages + sp.page; depth[t] < 0 {
					depth[t] = int32(d + 1)
					queue = append(queue, t)
				}
			default:
				if t := sp.host*pages + sp.page; depth[t] < 0 {
					depth[t] = int32(d + 1)
					queue = append(queue, t)
				}
			}
		}
	}
	for id, d := range depth {
		if d >= 0 {
			res.Pages[origin(id/pages)+pagePath(id%pages)] = int(d)
		}
	}
	return res
}

// rootBase returns "scheme://authority" of a root URL.
func rootBase(root string) string {
	i := strings.Index(root, "://")
	if i < 0 {
		return ""
	}
	rest := root[i+3:]
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		rest = rest[:j]
	}
	return root[:i+3] + rest
}
