package fetch

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// TestCause fetches from real loopback servers that fail in each way and checks the cause
// named; causes that need other networks (DNS) are checked on the errors themselves.
func TestCause(t *testing.T) {
	// A port nothing listens on: connection refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/"
	ln.Close()
	// A server that never answers: timeout.
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer slow.Close()
	defer close(hang)
	// A TLS server with a certificate nobody trusts.
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer tlsSrv.Close()
	c := NewClient(Config{FirstByteTimeout: 200 * time.Millisecond, Timeout: 5 * time.Second})
	for _, tc := range []struct {
		url, want string
	}{
		{refused, CauseRefused},
		{slow.URL + "/", CauseTimeout},
		{tlsSrv.URL + "/", CauseTLS},
	} {
		u, _ := url.Parse(tc.url)
		resp, err := c.Get(context.Background(), u, nil)
		resp.Release()
		if got := Cause(err); got != tc.want {
			t.Errorf("%s: Cause(%v) = %q, want %q", tc.url, err, got, tc.want)
		}
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{fmt.Errorf("%w: %w", ErrRobotsUnavailable, &StatusError{URL: "http://a.test/robots.txt", Status: 503}), "HTTP 503"},
		{fmt.Errorf("get: %w", ErrRedirectLoop), CauseRedirect},
		{tls.RecordHeaderError{Msg: "x"}, CauseTLS},
		{fmt.Errorf("dial: %w", &net.DNSError{Err: "no such host", Name: "a.test", IsNotFound: true}), CauseDNS},
		{fmt.Errorf("something else"), CauseOther},
	} {
		if got := Cause(tc.err); got != tc.want {
			t.Errorf("Cause(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
