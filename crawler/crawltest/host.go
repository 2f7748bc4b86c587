package crawltest

import (
	"net"
	"net/http/httptest"
	"strings"
	"testing"
)

// Host is a site of pages a test writes (see Pages) on a loopback address of its own, that
// records every request with its headers: a seed host on 127.0.0.1 and other hosts on
// 127.0.0.2, 127.0.0.3 ..., for the rules that tell hosts apart (private addresses,
// headers for one host only, redirects to another host).
type Host struct {
	*httptest.Server
	Pages *Pages
	Log   *Recorder
}

// NewHost serves pages (by path; nil for none yet) on ip, a free port, until t ends.
func NewHost(t testing.TB, ip string, pages map[string]string) *Host {
	t.Helper()
	h := &Host{Pages: NewPages(pages)}
	h.Log = Record(h.Pages).KeepHeaders()
	h.Server = ServeOn(t, net.JoinHostPort(ip, "0"), h.Log)
	return h
}

// Set adds or replaces the page at path (see Pages).
func (h *Host) Set(path, body string) { h.Pages.Set(path, body) }

// Paths are the paths requested, in arrival order.
func (h *Host) Paths() []string {
	var out []string
	for _, a := range h.Log.Arrivals("") {
		out = append(out, a.Path())
	}
	return out
}

// HostPort is the host's host:port, as its URLs have it.
func (h *Host) HostPort() string { return strings.TrimPrefix(h.URL, "http://") }
