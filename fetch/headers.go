package fetch

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// Where a HeaderRule is sent, besides one named host.
const (
	SeedHosts = ""  // the crawl's seed hosts (Config.SeedHost)
	AnyHost   = "*" // every host: an explicit choice, since it hands the value to any site
)

// HeaderRule is an extra request header and the hosts it goes to. Headers are chosen for each
// request from its own URL's host, so a redirect, a robots.txt or a sitemap on another host
// gets that host's headers, never those meant for the host it came from.
type HeaderRule struct {
	// Host is SeedHosts, AnyHost, or a host name or IP address; with ":port" the rule applies
	// to that port only, else to every port and both http and https.
	Host  string
	Name  string
	Value string
}

// ParseHeaderRule reads a header as the command line gives it: "Name: value" for the seeds'
// hosts, "HOST=Name: value" for one host (a name or address, with :port for one port only),
// "*=Name: value" for every host. A header name cannot hold '=', so the text before the first
// '=' is taken as the host when it is one. The name must be a token and the value free of
// control characters (CR, LF, NUL...): either would make every request fail.
func ParseHeaderRule(s string) (HeaderRule, error) {
	if host, rest, ok := strings.Cut(s, "="); ok && (host == AnyHost || validHostSpec(host)) {
		if name, _, ok := strings.Cut(rest, ":"); ok && httpguts.ValidHeaderFieldName(strings.TrimSpace(name)) {
			r, err := parseHeader(rest)
			r.Host = strings.ToLower(host)
			return r, err
		}
	}
	return parseHeader(s)
}

func parseHeader(s string) (HeaderRule, error) {
	name, value, ok := strings.Cut(s, ":")
	name, value = strings.TrimSpace(name), strings.Trim(value, " \t")
	switch {
	case !ok || name == "":
		return HeaderRule{}, errors.New("want 'Name: value', 'HOST=Name: value' or '*=Name: value'")
	case !httpguts.ValidHeaderFieldName(name):
		return HeaderRule{}, fmt.Errorf("header name %q is not a valid token", name)
	case !httpguts.ValidHeaderFieldValue(value):
		return HeaderRule{}, fmt.Errorf("header value of %s holds a control character (CR, LF, NUL...)", name)
	}
	return HeaderRule{Name: http.CanonicalHeaderKey(name), Value: value}, nil
}

// validHostSpec reports whether s is a host name or IP address, with an optional port.
func validHostSpec(s string) bool {
	_, _, err := splitHostSpec(s)
	return err == nil
}

// splitHostSpec splits a rule's host into a lower-case host name (IPv6 without brackets) and
// a port ("" for any).
func splitHostSpec(s string) (host, port string, err error) {
	host = s
	if h, p, err := net.SplitHostPort(s); err == nil {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", "", fmt.Errorf("bad port in %q", s)
		}
		host, port = h, p
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1]
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return strings.ToLower(host), port, nil
	}
	if host == "" || strings.Trim(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") != "" {
		return "", "", fmt.Errorf("%q is not a host name", s)
	}
	return strings.ToLower(host), port, nil
}

// headerRules are a client's HeaderRules, ready to match request URLs.
type headerRules []headerRule

type headerRule struct {
	HeaderRule
	host, port string // a named host's lower-case name and port ("" for any)
}

// newHeaderRules prepares rules for matching. Rules are expected to be as ParseHeaderRule
// makes them; a named host that is not a host name matches no URL.
func newHeaderRules(rules []HeaderRule) headerRules {
	out := make(headerRules, 0, len(rules))
	for _, r := range rules {
		hr := headerRule{HeaderRule: r}
		if r.Host != SeedHosts && r.Host != AnyHost {
			var err error
			if hr.host, hr.port, err = splitHostSpec(r.Host); err != nil {
				hr.host, hr.port = r.Host, "" // not a host name: no URL has it
			}
		}
		out = append(out, hr)
	}
	return out
}

// add adds to h the headers meant for u's host.
func (rs headerRules) add(h http.Header, u *url.URL, seedHost func(string) bool) {
	if len(rs) == 0 {
		return
	}
	var key string // u's host as a scope records it, for the seed-host rules
	for _, r := range rs {
		switch r.Host {
		case AnyHost:
		case SeedHosts:
			if seedHost == nil {
				continue
			}
			if key == "" {
				key = hostKey(u)
			}
			if !seedHost(key) {
				continue
			}
		default:
			if !strings.EqualFold(u.Hostname(), r.host) || (r.port != "" && r.port != portOf(u)) {
				continue
			}
		}
		h.Add(r.Name, r.Value)
	}
}

// hostKey returns u's host as a normalised URL and so a crawl's scope has it: lower-case,
// without the scheme's default port.
func hostKey(u *url.URL) string {
	host := strings.ToLower(u.Host)
	if p := u.Port(); p != "" && p == defaultPort(u.Scheme) {
		host = strings.TrimSuffix(host, ":"+p)
	}
	return host
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	return defaultPort(u.Scheme)
}

// defaultPort is the port a URL of scheme (or a proxy URL) means when it names none.
func defaultPort(scheme string) string {
	switch strings.ToLower(scheme) {
	case "https":
		return "443"
	case "socks5", "socks5h":
		return "1080"
	}
	return "80"
}
