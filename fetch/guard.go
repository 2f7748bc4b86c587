package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// ErrPrivateAddress reports a connection refused because the address it would reach is not a
// public one (loopback, private, link-local, CGNAT...), and its host is not one the user named
// (a seed host or a Resolve entry). Trying again cannot help, and the host did not fail.
var ErrPrivateAddress = errors.New("private address refused")

// dialer opens the transport's connections. A host listed in Resolve goes to its address;
// any other goes where its name resolves, and when RefusePrivateAddresses is set the address
// is checked once resolved, in the dialer's Control hook: the address actually dialled is
// the one checked, so a name that resolves differently the second time (DNS rebinding)
// cannot slip through.
type dialer struct {
	plain   *net.Dialer
	guarded *net.Dialer // plain, with the check; nil when nothing is refused
	resolve map[string]string
	// seedHost reports whether a host is a seed host (see Config.SeedHost); asked at dial
	// time, since a resumed crawl adds earlier runs' seeds after the client is made.
	seedHost func(host string) bool
	// proxies holds the addresses (host:port) of the proxies requests went through: the user
	// configured them, so they are dialled whatever their address.
	proxies sync.Map
}

func newDialer(cfg *Config) *dialer {
	d := &dialer{
		plain:    &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second, Resolver: cfg.Resolver},
		resolve:  cfg.Resolve,
		seedHost: cfg.SeedHost,
	}
	if cfg.RefusePrivateAddresses {
		g := *d.plain
		g.ControlContext = refuseNonPublic
		d.guarded = &g
	}
	return d
}

// DialContext is the transport's dial function.
func (d *dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if to, ok := d.resolve[addr]; ok {
		return d.plain.DialContext(ctx, network, to)
	}
	if d.guarded == nil || d.exempt(addr) {
		return d.plain.DialContext(ctx, network, addr)
	}
	return d.guarded.DialContext(ctx, network, addr)
}

// exempt reports whether addr (host:port, as the transport dials it) may be on any address:
// a seed host's or a proxy's.
func (d *dialer) exempt(addr string) bool {
	if _, ok := d.proxies.Load(addr); ok {
		return true
	}
	if d.seedHost == nil {
		return false
	}
	if d.seedHost(addr) {
		return true
	}
	// A URL's host leaves out its scheme's default port; the transport's address has it.
	host, port, err := net.SplitHostPort(addr)
	if err != nil || (port != "80" && port != "443") {
		return false
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return d.seedHost(host)
}

// proxyFunc returns the transport's Proxy function: HTTP_PROXY, HTTPS_PROXY and NO_PROXY as
// env holds them. Through a proxy the guard cannot see the address a name resolves to (the
// proxy resolves it), so it refuses only a URL whose host is a non-public IP literal.
func (d *dialer) proxyFunc(env *httpproxy.Config) func(*http.Request) (*url.URL, error) {
	proxy := env.ProxyFunc()
	return func(r *http.Request) (*url.URL, error) {
		p, err := proxy(r.URL)
		if err != nil || p == nil || d.guarded == nil {
			return p, err
		}
		d.proxies.Store(hostPort(p), struct{}{})
		if d.exempt(hostPort(r.URL)) {
			return p, nil
		}
		if ip, err := netip.ParseAddr(r.URL.Hostname()); err == nil {
			if err := checkPublic(ip); err != nil {
				return nil, err
			}
		}
		return p, nil
	}
}

// hostPort is the address the transport dials for u: its host with the port made explicit.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = defaultPort(u.Scheme)
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// refuseNonPublic is a net.Dialer ControlContext: it runs once the socket exists and before it
// connects, with the resolved address.
func refuseNonPublic(_ context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot read the address %q", ErrPrivateAddress, address)
	}
	return checkPublic(ap.Addr())
}

func checkPublic(ip netip.Addr) error {
	if why := nonPublic(ip); why != "" {
		return fmt.Errorf("%w: %s is %s", ErrPrivateAddress, ip, why)
	}
	return nil
}

// nonPublic says why ip is not a public unicast address, or returns "" when it is one. The
// ranges are those of the IANA special-purpose address registries that are not globally
// reachable, and IPv6 forms that carry an IPv4 address are judged by that address.
func nonPublic(ip netip.Addr) string {
	ip = ip.WithZone("").Unmap() // ::ffff:10.0.0.1 is 10.0.0.1
	switch {
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate():
		return "private"
	case ip.IsLinkLocalUnicast():
		return "link-local"
	case ip.IsMulticast():
		return "multicast"
	}
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			return nonPublic(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(ip):
			return nonPublic(netip.AddrFrom4([4]byte(b[2:6])))
		case !globalUnicast6.Contains(ip):
			return "not a global unicast address"
		}
	}
	for _, r := range reserved {
		if r.prefix.Contains(ip) {
			return r.why
		}
	}
	return ""
}

var (
	nat64          = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052: the last 32 bits are IPv4
	sixToFour      = netip.MustParsePrefix("2002::/16")    // RFC 3056: bits 16-47 are IPv4
	globalUnicast6 = netip.MustParsePrefix("2000::/3")     // all of IPv6 allocated for the internet
)

// reserved lists the special-purpose ranges netip's predicates leave out.
var reserved = []struct {
	prefix netip.Prefix
	why    string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), `in "this network" (0.0.0.0/8)`},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (CGNAT, 100.64.0.0/10)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved for IETF protocols (192.0.0.0/24)"},
	{netip.MustParsePrefix("192.0.2.0/24"), "for documentation (192.0.2.0/24)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "for benchmarking (198.18.0.0/15)"},
	{netip.MustParsePrefix("198.51.100.0/24"), "for documentation (198.51.100.0/24)"},
	{netip.MustParsePrefix("203.0.113.0/24"), "for documentation (203.0.113.0/24)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved (240.0.0.0/4)"},
	{netip.MustParsePrefix("2001::/23"), "reserved for IETF protocols (2001::/23)"},
	{netip.MustParsePrefix("2001:db8::/32"), "for documentation (2001:db8::/32)"},
	{netip.MustParsePrefix("3fff::/20"), "for documentation (3fff::/20)"},
}
