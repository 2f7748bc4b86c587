// Package fetch gets pages over HTTP the way a polite crawler must: bounded in time and
// size, with redirects recorded hop by hop, robots.txt obeyed and retries with backoff.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"time"

	"github.com/crawl-project/crawl/parse"
)

// Config configures a Client.
type Config struct {
	UserAgent    string
	Timeout      time.Duration     // whole request, including reading the body (default 60s)
	MaxBody      int64             // bytes of (decompressed) body kept; the rest is cut (default 10 MiB)
	MaxRedirects int               // redirect hops followed (default 10)
	Header       http.Header       // extra request headers, e.g. Authorization for a staging site
	Resolve      map[string]string // "host:port" -> "addr:port", like curl --resolve
	Transport    http.RoundTripper // optional; replaces the default transport (tests)

	// IdleConnsPerHost is how many kept-alive connections to one host are kept for reuse
	// (default 4). Set it to the requests in flight per host: with fewer, every request
	// beyond it dials a new connection and leaves one in TIME_WAIT.
	IdleConnsPerHost int
}

// Client fetches pages. It is safe for concurrent use.
type Client struct {
	cfg  Config
	http *http.Client
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
	Truncated   bool // the body was longer than MaxBody
	Duration    time.Duration

	// Sent is when the last request (the last hop's) was written to the connection: a
	// server sees requests spaced as their writes are, not as their starts, which wait
	// for a connection first.
	Sent time.Time
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
	rt := cfg.Transport
	if rt == nil {
		rt = newTransport(cfg.Resolve, cfg.IdleConnsPerHost)
	}
	return &Client{
		cfg: cfg,
		http: &http.Client{
			Transport: rt,
			// Redirects are followed by Get, one hop at a time, so that each is recorded.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

func newTransport(resolve map[string]string, idlePerHost int) *http.Transport {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = idlePerHost
	t.MaxIdleConns = 1024
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 10 * time.Second
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if to, ok := resolve[addr]; ok {
			addr = to
		}
		return dialer.DialContext(ctx, network, addr)
	}
	return t
}

// Get fetches u, following redirects while follow approves the next hop and the hop limit
// allows; a redirect that is not followed is returned as the response, with Location set.
func (c *Client) Get(ctx context.Context, u *url.URL, follow func(*url.URL) bool) (*Response, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()

	seen := map[string]bool{u.String(): true}
	var hops []Hop
	for {
		resp, err := c.once(ctx, u)
		if err != nil {
			return nil, err
		}
		resp.Hops = hops
		resp.Duration = time.Since(start)
		if resp.Location == nil {
			return resp, nil
		}
		next := resp.Location
		if seen[next.String()] {
			return nil, fmt.Errorf("fetch %s: %w at %s", hopsStart(hops, u), ErrRedirectLoop, next)
		}
		if len(hops) >= c.cfg.MaxRedirects || (follow != nil && !follow(next)) {
			return resp, nil
		}
		seen[next.String()] = true
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

// once makes one request without following redirects.
func (c *Client) once(ctx context.Context, u *url.URL) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	for k, vs := range c.cfg.Header {
		req.Header[k] = vs
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
	}
	var sent time.Time
	req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { sent = time.Now() },
	}))
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, unwrapURLError(err))
	}
	defer resp.Body.Close()

	out := &Response{URL: u, Status: resp.StatusCode, Header: resp.Header, Sent: sent}
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
	body, err := readAll(io.LimitReader(resp.Body, c.cfg.MaxBody+1), resp.ContentLength, c.cfg.MaxBody)
	if int64(len(body)) > c.cfg.MaxBody {
		body, out.Truncated = body[:c.cfg.MaxBody], true
	} else if err != nil {
		return nil, fmt.Errorf("fetch %s: reading body: %w", u, unwrapURLError(err))
	}
	out.Body = body
	return out, nil
}

// readAll is io.ReadAll with the buffer sized from the response's Content-Length up front
// (capped at max), instead of growing it from 512 bytes by copying.
func readAll(r io.Reader, contentLength, max int64) ([]byte, error) {
	size := int64(512)
	if contentLength > 0 {
		size = min(contentLength, max) + 1 // +1: the EOF read needs room to report
	}
	b := make([]byte, 0, size)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // let append pick the next size
		}
	}
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
