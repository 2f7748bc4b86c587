package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/crawl-project/crawl/crawler/crawltest"
)

func TestNonPublicAddresses(t *testing.T) {
	tests := []struct {
		ip  string
		why string // "" for a public address
	}{
		{"8.8.8.8", ""},
		{"1.1.1.1", ""},
		{"100.63.255.255", ""},
		{"100.128.0.0", ""},
		{"172.32.0.1", ""},
		{"2606:4700:4700::1111", ""},
		{"64:ff9b::808:808", ""},  // NAT64 of 8.8.8.8
		{"2002:808:808::1", ""},   // 6to4 of 8.8.8.8
		{"::ffff:8.8.8.8", ""},    // IPv4-mapped 8.8.8.8
		{"127.0.0.1", "loopback"}, // the whole of 127/8
		{"127.0.0.2", "loopback"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"169.254.169.254", "link-local"},
		{"100.64.0.1", "CGNAT"},
		{"100.127.255.254", "CGNAT"},
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "this network"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"255.255.255.255", "reserved"},
		{"240.0.0.1", "reserved"},
		{"192.0.0.8", "IETF"},
		{"192.0.2.1", "documentation"},
		{"198.18.0.1", "benchmarking"},
		{"::1", "loopback"},
		{"::", "unspecified"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"fc00::1", "private"},
		{"fd12:3456::1", "private"},
		{"ff02::1", "multicast"},
		{"::ffff:127.0.0.1", "loopback"},
		{"::ffff:169.254.169.254", "link-local"},
		{"::ffff:10.0.0.1", "private"},
		{"64:ff9b::a9fe:a9fe", "link-local"}, // NAT64 of 169.254.169.254
		{"64:ff9b::7f00:1", "loopback"},
		{"2002:a00:1::1", "private"}, // 6to4 of 10.0.0.1
		{"::127.0.0.1", "not a global unicast"},
		{"64:ff9b:1::1", "not a global unicast"},
		{"100::1", "not a global unicast"},
		{"2001:db8::1", "documentation"},
		{"2001::1", "IETF"},
		{"3fff::1", "documentation"},
	}
	for _, tt := range tests {
		ip := netip.MustParseAddr(tt.ip)
		got := nonPublic(ip)
		if (tt.why == "") != (got == "") || !strings.Contains(got, tt.why) {
			t.Errorf("nonPublic(%s) = %q, want %q", tt.ip, got, tt.why)
		}
	}
}

// TestGuardRefusesOtherHostsOnPrivateAddresses: with RefusePrivateAddresses, a seed host on
// loopback is fetched; another loopback host is refused before anything is sent to it,
// whether asked for directly, by a redirect or by a robots.txt redirect; a host given an
// address by Resolve is the user's choice and is fetched.
func TestGuardRefusesOtherHostsOnPrivateAddresses(t *testing.T) {
	seedSite := crawltest.NewHost(t, "127.0.0.1", map[string]string{"/": "seed"})
	other := crawltest.NewHost(t, "127.0.0.2", map[string]string{"/": "other", "/robots.txt": "User-agent: *\nDisallow: /\n"})
	seedSite.Set("/go", "->"+other.URL+"/")
	seedSite.Set("/robots.txt", "->"+other.URL+"/robots.txt")
	otherPort := other.Listener.Addr().(*net.TCPAddr).Port
	named := fmt.Sprintf("named.test:%d", otherPort)
	c := NewClient(Config{
		RefusePrivateAddresses: true,
		SeedHost:               isHost(seedSite.HostPort()),
		Resolve:                map[string]string{named: other.Listener.Addr().String()},
	})
	ctx := context.Background()

	if resp, err := c.Get(ctx, mustURL(t, seedSite.URL+"/"), nil); err != nil || string(resp.Body) != "seed" {
		t.Fatalf("seed host: %v", err)
	}
	for _, u := range []string{other.URL + "/", fmt.Sprintf("http://[::ffff:127.0.0.2]:%d/", otherPort)} {
		_, err := c.Get(ctx, mustURL(t, u), nil)
		if !errors.Is(err, ErrPrivateAddress) || Retriable(err) || !strings.Contains(err.Error(), "127.0.0.2 is loopback") {
			t.Errorf("Get %s: %v; want ErrPrivateAddress naming the address, not retriable", u, err)
		}
	}
	resp, err := c.Get(ctx, mustURL(t, seedSite.URL+"/go"), nil)
	if err != nil || resp.Status != http.StatusMovedPermanently || resp.Location == nil || resp.Location.Host != other.HostPort() {
		t.Errorf("redirect to a refused address: %+v, %v; want the 301 as the answer, not followed", resp, err)
	}
	v, err := NewRobotsCache(c, "crawl").Check(ctx, mustURL(t, seedSite.URL+"/page"))
	if err != nil || !v.Allowed || v.Fetched == nil || v.Fetched.Status != http.StatusMovedPermanently {
		t.Errorf("seed's robots.txt redirected to a refused address: %+v, %v; want allowed, recorded as the 301", v, err)
	}
	_, err = NewRobotsCache(c, "crawl").Check(ctx, mustURL(t, other.URL+"/page"))
	if !errors.Is(err, ErrPrivateAddress) || errors.Is(err, ErrRobotsUnavailable) {
		t.Errorf("robots.txt of a refused host: %v; want ErrPrivateAddress, not ErrRobotsUnavailable", err)
	}
	if got := other.Paths(); len(got) > 0 {
		t.Fatalf("the refused host got requests: %v", got)
	}

	if resp, err := c.Get(ctx, mustURL(t, "http://"+named+"/"), nil); err != nil || string(resp.Body) != "other" {
		t.Errorf("Resolve host: %v; want it fetched", err)
	}
	open := NewClient(Config{})
	if resp, err := open.Get(ctx, mustURL(t, other.URL+"/"), nil); err != nil || string(resp.Body) != "other" {
		t.Errorf("without RefusePrivateAddresses: %v; want it fetched", err)
	}
}

// dnsServer serves DNS on UDP loopback, answering every A question with ip and every other
// question with no record, and returns a resolver that asks it and the number of questions.
func dnsServer(t *testing.T, ip netip.Addr) (*net.Resolver, *atomic.Int32) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	var questions atomic.Int32
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return // closed
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			questions.Add(1)
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired})
			b.StartQuestions()
			b.Question(q)
			b.StartAnswers()
			if q.Type == dnsmessage.TypeA {
				b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET}, dnsmessage.AResource{A: ip.As4()})
			}
			if msg, err := b.Finish(); err == nil {
				pc.WriteTo(msg, from)
			}
		}
	}()
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
	return r, &questions
}

// TestGuardChecksTheResolvedAddress: a name that is not a seed host nor given by Resolve, but
// that resolves to loopback (a DNS rebinding attack's second answer), is refused at dial
// time: the check sees the address dialled, whatever an earlier lookup said.
func TestGuardChecksTheResolvedAddress(t *testing.T) {
	s := crawltest.NewHost(t, "127.0.0.1", map[string]string{"/": "internal"})
	resolver, questions := dnsServer(t, netip.MustParseAddr("127.0.0.1"))
	u := mustURL(t, fmt.Sprintf("http://rebind.test:%d/", s.Listener.Addr().(*net.TCPAddr).Port))
	ctx := context.Background()

	_, err := NewClient(Config{RefusePrivateAddresses: true, Resolver: resolver}).Get(ctx, u, nil)
	if !errors.Is(err, ErrPrivateAddress) {
		t.Errorf("Get %s: %v; want ErrPrivateAddress", u, err)
	}
	if questions.Load() == 0 {
		t.Fatal("the test resolver was not asked: the name was not resolved through it")
	}
	if got := s.Paths(); len(got) > 0 {
		t.Fatalf("the loopback server got requests: %v", got)
	}
	// The same name is fetched when it is a seed host, or when nothing is refused: the
	// refusal above came from the guard, not from the resolution.
	for name, cfg := range map[string]Config{
		"seed host":  {RefusePrivateAddresses: true, Resolver: resolver, SeedHost: isHost(u.Host)},
		"no refusal": {Resolver: resolver},
	} {
		if resp, err := NewClient(cfg).Get(ctx, u, nil); err != nil || string(resp.Body) != "internal" {
			t.Errorf("%s: %v; want the page", name, err)
		}
	}
}

// TestGuardBehindAProxy: through a proxy the guard cannot see where a name resolves; it lets
// names through to the proxy, which the user chose and which may be on a private address,
// and refuses URLs whose host is a non-public address literal without sending them.
func TestGuardBehindAProxy(t *testing.T) {
	var asked atomic.Value
	proxy := crawltest.ServeOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Store(r.URL.String())
		fmt.Fprint(w, "via proxy")
	}))
	for _, v := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"} {
		t.Setenv(v, "")
	}
	t.Setenv("HTTP_PROXY", proxy.URL)
	c := NewClient(Config{RefusePrivateAddresses: true})
	ctx := context.Background()

	resp, err := c.Get(ctx, mustURL(t, "http://public.test/page"), nil)
	if err != nil || string(resp.Body) != "via proxy" || asked.Load() != "http://public.test/page" {
		t.Fatalf("name through the proxy: %v (proxy asked for %v)", err, asked.Load())
	}
	for _, u := range []string{"http://10.1.2.3/", "http://169.254.169.254/latest/meta-data/", "http://[fd00::1]/"} {
		asked.Store("")
		_, err := c.Get(ctx, mustURL(t, u), nil)
		if !errors.Is(err, ErrPrivateAddress) || asked.Load() != "" {
			t.Errorf("Get %s through the proxy: %v (proxy asked for %q); want ErrPrivateAddress, nothing sent", u, err, asked.Load())
		}
	}
}
