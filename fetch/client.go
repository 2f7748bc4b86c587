// Package fetch gets pages over HTTP the way a polite crawler must: bounded in time and
// size, with redirects recorded hop by hop, robots.txt obeyed and retries with backoff.
package fetch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpproxy"
	"golang.org/x/net/publicsuffix"

	"github.com/crawl-project/crawl/parse"
)

// Config configures a Client.
type Config struct {
	UserAgent string
	// Timeout bounds a whole fetch, redirects and body included (default 60s): it is what cuts
	// off a server that trickles its answer a byte at a time.
	Timeout time.Duration
	// ConnectTimeout bounds establishing a TCP connection, name resolution included (default 10s).
	ConnectTimeout time.Duration
	// TLSTimeout bounds a TLS handshake (default 10s).
	TLSTimeout time.Duration
	// FirstByteTimeout bounds the wait for response headers once the request is sent (default 10s).
	FirstByteTimeout time.Duration
	MaxBody          int64 // bytes of (decompressed) body kept; the rest is cut (default 10 MiB)
	// BodyBudget, when set, bounds the bytes of bodies held at once (see BodyBudget): each
	// Response holds its part until Release. It must be at least MaxBody+1 bytes.
	BodyBudget   *BodyBudget
	MaxRedirects int               // redirect hops followed (default 10)
	Resolve      map[string]string // "host:port" -> "addr:port", like curl --resolve
	// Headers are extra request headers, e.g. Authorization for a staging site, each sent
	// only to the hosts its rule names.
	Headers []HeaderRule
	// SeedHost reports whether a host (host[:port] as in a normalised URL: lower-case, no
	// default port) is one of the crawl's seed hosts. Their requests get the SeedHosts
	// headers and may go to non-public addresses. It is asked per request, so hosts added
	// after the client is made count. nil: no host is a seed host.
	SeedHost func(host string) bool
	// InScope reports whether a URL is within the crawl's scope: robots.txt and sitemap
	// redirects out of it are not followed, and sitemap files out of it are not fetched.
	// nil: every URL is.
	InScope func(*url.URL) bool
	// RefusePrivateAddresses refuses connections to loopback, private, link-local and other
	// non-public addresses (ErrPrivateAddress), except for seed hosts, Resolve hosts and
	// the proxy, so that a page cannot send the crawler to internal services. It and
	// Resolver apply to the default transport, not to a Transport given below.
	RefusePrivateAddresses bool
	// Resolver resolves host names (nil: net.DefaultResolver).
	Resolver *net.Resolver
	// Insecure skips TLS certificate verification (for staging sites with self-signed certificates).
	Insecure bool
	// NoCookies turns off the cookie jar; by default cookies a site sets are sent back to it
	// for the rest of the crawl, as a browser would.
	NoCookies bool
	Transport http.RoundTripper // optional; replaces the default transport (tests)

	// IdleConnsPerHost is how many kept-alive connections to one host are kept for reuse
	// (default 4). Set it to the requests in flight per host: with fewer, every request
	// beyond it dials a new connection and leaves one in TIME_WAIT.
	IdleConnsPerHost int
}

// Client fetches pages. It is safe for concurrent use.
type Client struct {
	cfg     Config
	http    *http.Client
	jar     http.CookieJar // nil with NoCookies
	headers headerRules
	// stream, when set, reads the body of a 2xx answer as it arrives instead of keeping it
	// (see getStream); only ever set on a copy of the client made for one fetch.
	stream func(io.Reader) error
}

// Hop is a redirect answered on the way to the final response.
type Hop struct {
	URL    *url.URL
	Status int
}

// Response is a fetched page.
type Response struct {
	URL         *url.URL // where the body came from, after the followed redirects
	Hops        []Hop    // redirects followed, in order, starting at the requested URL
	Status      int
	Header      http.Header
	ContentType string   // media type, lower-case, without parameters
	Location    *url.URL // for a redirect that was not followed: its normalised target
	Body        []byte
	Truncated   bool   // the body was longer than MaxBody
	Proto       string // protocol of the final response, e.g. "HTTP/2.0"
	Duration    time.Duration
	// Length is, for a Check, the body's length: Content-Length, or the bytes a GET read
	// (at most MaxBody, then Truncated); -1 when a HEAD's answer does not say. Get leaves it 0.
	Length int64

	// Sent is when the last request (the last hop's) was written to the connection: a
	// server sees requests spaced as their writes are, not as their starts, which wait
	// for a connection first.
	Sent time.Time

	budget *BodyBudget // that Body holds held bytes of, until Release
	held   int64
}

// ErrRedirectLoop reports a redirect chain that comes back to a URL it already visited.
var ErrRedirectLoop = errors.New("redirect loop")

// NewClient returns a client for cfg.
func NewClient(cfg Config) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 10 << 20
	}
	if cfg.MaxRedirects <= 0 {
		cfg.MaxRedirects = 10
	}
	if cfg.IdleConnsPerHost <= 0 {
		cfg.IdleConnsPerHost = 4
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	if cfg.TLSTimeout <= 0 {
		cfg.TLSTimeout = 10 * time.Second
	}
	if cfg.FirstByteTimeout <= 0 {
		cfg.FirstByteTimeout = 10 * time.Second
	}
	rt := cfg.Transport
	if rt == nil {
		rt = newTransport(&cfg)
	}
	c := &Client{
		cfg:     cfg,
		headers: newHeaderRules(cfg.Headers),
		http: &http.Client{
			Transport: rt,
			// Redirects are followed by Get, one hop at a time, so that each is recorded.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	if !cfg.NoCookies {
		// The public suffix list keeps a site from setting cookies for a whole TLD.
		jar, err := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
		if err == nil { // cookiejar.New never fails today
			c.jar = jar
		}
	}
	return c
}

func newTransport(cfg *Config) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = cfg.IdleConnsPerHost
	t.MaxIdleConns = 1024
	t.TLSHandshakeTimeout = cfg.TLSTimeout
	t.ResponseHeaderTimeout = cfg.FirstByteTimeout
	// A custom DialContext turns HTTP/2 off unless it is asked for explicitly.
	t.ForceAttemptHTTP2 = true
	if cfg.Insecure {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	d := newDialer(cfg)
	// HTTP_PROXY, HTTPS_PROXY and NO_PROXY are read now rather than once per process, as
	// http.ProxyFromEnvironment does, so that each client sees the environment it starts in.
	t.Proxy = d.proxyFunc(httpproxy.FromEnvironment())
	t.DialContext = d.DialContext
	return t
}

// Get fetches u, following redirects while follow approves the next hop and the hop limit
// allows; a redirect that is not followed is returned as the response, with Location set.
func (c *Client) Get(ctx context.Context, u *url.URL, follow func(*url.URL) bool) (*Response, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()

	var seen map[string]bool // the chain's URLs, from its first redirect on
	var hops []Hop
	var last *Response // the redirect being followed
	for {
		resp, err := c.once(ctx, u, http.MethodGet, false)
		if err != nil {
			if last != nil && errors.Is(err, ErrPrivateAddress) {
				last.Duration = time.Since(start)
				return last, nil // the redirect is not followed: it is the answer
			}
			last.Release()
			return nil, err
		}
		resp.Hops = hops
		resp.Duration = time.Since(start)
		if resp.Location == nil {
			last.Release()
			return resp, nil
		}
		next := resp.Location
		key := next.String()
		if seen == nil {
			seen = map[string]bool{u.String(): true}
		}
		if seen[key] {
			resp.Release()
			last.Release()
			return nil, fmt.Errorf("fetch %s: %w at %s", hopsStart(hops, u), ErrRedirectLoop, next)
		}
		if len(hops) >= c.cfg.MaxRedirects || (follow != nil && !follow(next)) {
			last.Release()
			return resp, nil
		}
		seen[key] = true
		last.Release()
		last = resp
		hops = append(hops, Hop{URL: u, Status: resp.Status})
		u = next
	}
}

// CloseIdleConnections closes kept-alive connections, e.g. when a crawl ends.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

func hopsStart(hops []Hop, u *url.URL) *url.URL {
	if len(hops) > 0 {
		return hops[0].URL
	}
	return u
}

// Check requests u to learn its status, type and size, not its content: with method HEAD,
// or GET for a server that refuses HEAD, whose body is then read and dropped, its bytes
// counted up to MaxBody. It takes nothing of the BodyBudget. One request: a redirect is the
// answer, with Location set.
func (c *Client) Check(ctx context.Context, u *url.URL, method string) (*Response, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	resp, err := c.once(ctx, u, method, true)
	if err != nil {
		return nil, err
	}
	resp.Duration = time.Since(start)
	return resp, nil
}

// HEADRefused reports whether a status answering a HEAD says the server does not take HEAD
// requests for the URL (405 Method Not Allowed, 501 Not Implemented): a GET is to be tried.
func HEADRefused(status int) bool {
	return status == http.StatusMethodNotAllowed || status == http.StatusNotImplemented
}

// once makes one request without following redirects. A check keeps no body (see Check).
func (c *Client) once(ctx context.Context, u *url.URL, method string, check bool) (*Response, error) {
	// An HTTP/2 transport reports the write from its own goroutine.
	var sentAt atomic.Int64
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { sentAt.Store(time.Now().UnixNano()) },
	})
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	c.headers.add(req.Header, u, c.cfg.SeedHost)
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	req.Header.Set("Accept-Encoding", acceptEncoding)
	if req.Header.Get("Accept") == "" {
		accept := "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
		if check {
			accept = "*/*"
		}
		req.Header.Set("Accept", accept)
	}
	// The transport is called directly: http.Client parses a redirect's Location before
	// CheckRedirect can refuse the hop, and fails the whole request when it is malformed.
	// So the cookie jar, which http.Client would apply, is applied here, hop by hop.
	if c.jar != nil {
		for _, ck := range c.jar.Cookies(u) {
			req.AddCookie(ck)
		}
	}
	resp, err := c.http.Transport.RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, unwrapURLError(err))
	}
	defer resp.Body.Close()
	if c.jar != nil {
		if rc := resp.Cookies(); len(rc) > 0 {
			c.jar.SetCookies(u, rc)
		}
	}

	sent := time.Now()
	if ns := sentAt.Load(); ns != 0 {
		sent = time.Unix(0, ns)
	}
	out := &Response{URL: u, Status: resp.StatusCode, Header: resp.Header, Proto: resp.Proto, Sent: sent}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil {
			out.ContentType = mt
		} else {
			out.ContentType = strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
		}
	}
	if isRedirect(resp.StatusCode) {
		if loc := resp.Header.Get("Location"); loc != "" {
			if next, err := parse.Resolve(u, loc); err == nil {
				out.Location = next
			}
		}
	}
	if check {
		return out, c.dropBody(out, resp, method)
	}
	decoded, err := decodeBody(resp)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	if c.stream != nil && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		if err := c.stream(decoded); err != nil {
			return nil, fmt.Errorf("fetch %s: reading body: %w", u, unwrapURLError(err))
		}
		return out, nil
	}
	length := resp.ContentLength
	if decoded != io.Reader(resp.Body) {
		length = -1 // Content-Length counted the encoded bytes
	}
	body, held, err := readBody(ctx, decoded, length, c.cfg.MaxBody, c.cfg.BodyBudget)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: reading body: %w", u, unwrapURLError(err))
	}
	if int64(len(body)) > c.cfg.MaxBody {
		body, out.Truncated = body[:c.cfg.MaxBody], true
	}
	out.Body, out.budget, out.held = body, c.cfg.BodyBudget, held
	return out, nil
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// unwrapURLError drops net/http's *url.Error wrapper, whose message repeats the method and URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// IsHTML reports whether a media type is one the crawler parses for links.
func IsHTML(mediaType string) bool {
	return mediaType == "text/html" || mediaType == "application/xhtml+xml"
}

// dropBody reads a check's body, if a GET has one, to count it and to let the connection be
// kept alive, and sets the answer's Length. Nothing is decoded: the length is of the body
// as it travels. A body past MaxBody is cut there and marked Truncated.
func (c *Client) dropBody(out *Response, resp *http.Response, method string) error {
	out.Length = resp.ContentLength
	if method == http.MethodHead {
		return nil
	}
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, c.cfg.MaxBody+1))
	if err != nil {
		return fmt.Errorf("fetch %s: reading body: %w", out.URL, unwrapURLError(err))
	}
	out.Length = n
	if n > c.cfg.MaxBody {
		out.Length, out.Truncated = c.cfg.MaxBody, true
	}
	return nil
}
