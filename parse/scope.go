package parse

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// ScopeMode says how far from its seeds a crawl may go.
type ScopeMode string

// The scope modes.
const (
	ScopeHost   ScopeMode = "host"   // only the seeds' hosts (host:port)
	ScopeDomain ScopeMode = "domain" // the seeds' registrable domains and their subdomains
	ScopeAll    ScopeMode = "all"    // anywhere
)

// ParseScopeMode validates a --scope value.
func ParseScopeMode(s string) (ScopeMode, error) {
	switch m := ScopeMode(s); m {
	case ScopeHost, ScopeDomain, ScopeAll:
		return m, nil
	}
	return "", fmt.Errorf("unknown scope %q (want host, domain or all)", s)
}

// Scope decides which URLs a crawl fetches. Out-of-scope links are still recorded.
type Scope struct {
	mode    ScopeMode
	hosts   map[string]bool // host[:port] for ScopeHost, registrable domain for ScopeDomain
	seeds   map[string]bool // the seeds' host[:port], whatever the mode
	include []*regexp.Regexp
	exclude []*regexp.Regexp
}

// NewScope builds a scope around the seeds. A URL is in scope when its host (or domain) matches a
// seed's, it matches at least one include pattern (if any are given) and no exclude pattern.
func NewScope(mode ScopeMode, seeds []*url.URL, include, exclude []string) (*Scope, error) {
	s := &Scope{mode: mode, hosts: make(map[string]bool)}
	for _, u := range seeds {
		s.AddSeed(u)
	}
	for _, p := range include {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("--include %q: %w", p, err)
		}
		s.include = append(s.include, re)
	}
	for _, p := range exclude {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("--exclude %q: %w", p, err)
		}
		s.exclude = append(s.exclude, re)
	}
	return s, nil
}

// AddSeed widens the scope to a seed's host or domain.
func (s *Scope) AddSeed(u *url.URL) {
	if s.seeds == nil {
		s.seeds = make(map[string]bool)
	}
	s.seeds[u.Host] = true
	switch s.mode {
	case ScopeHost:
		s.hosts[u.Host] = true
	case ScopeDomain:
		s.hosts[Domain(u.Hostname())] = true
	}
}

// Contains reports whether u, a normalised URL, may be fetched.
func (s *Scope) Contains(u *url.URL) bool {
	if !s.containsHost(u.Host) {
		return false
	}
	if len(s.include) == 0 && len(s.exclude) == 0 {
		return true // most crawls have no patterns: no need to build the URL's string
	}
	return s.matches(u.String())
}

// ContainsLink is Contains for a link's URL, judged on the strings the link holds.
func (s *Scope) ContainsLink(l Link) bool {
	return s.containsHost(l.Host) && s.matches(l.URL)
}

// Excluded reports whether a URL string matches an exclude pattern: the crawl neither
// crawls nor checks it.
func (s *Scope) Excluded(u string) bool {
	for _, re := range s.exclude {
		if re.MatchString(u) {
			return true
		}
	}
	return false
}

// IsSeedHost reports whether host (host[:port], as url.URL.Host of a normalised URL) is the
// host of a seed, in any mode: the user named it, so it gets the crawl's credentials.
func (s *Scope) IsSeedHost(host string) bool { return s.seeds[host] }

// ContainsHost reports whether the mode admits a URL with host, whatever its path: the scope
// of robots.txt redirects and of sitemap files.
func (s *Scope) ContainsHost(host string) bool { return s.containsHost(host) }

// containsHost reports whether the mode admits a URL with host (host[:port], as url.URL.Host).
func (s *Scope) containsHost(host string) bool {
	switch s.mode {
	case ScopeHost:
		return s.hosts[host]
	case ScopeDomain:
		return s.hosts[Domain((&url.URL{Host: host}).Hostname())]
	}
	return true
}

// matches reports whether a URL string passes the include and exclude patterns.
func (s *Scope) matches(str string) bool {
	if len(s.include) > 0 {
		ok := false
		for _, re := range s.include {
			if re.MatchString(str) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return !s.Excluded(str)
}

// Domain returns the registrable domain of a host name (example.co.uk for www.example.co.uk),
// or the host itself for IP addresses, single-label names and public suffixes.
func Domain(host string) string {
	host = strings.Trim(host, "[]")
	d, err := publicsuffix.EffectiveTLDPlusOne(strings.TrimSuffix(host, "."))
	if err != nil {
		return host
	}
	return d
}
