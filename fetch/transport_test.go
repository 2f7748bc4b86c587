package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestGetTarpitIsCutOff: a server that answers at once but trickles its body, one byte every
// 50 ms, never trips the first-byte timeout; the whole-response timeout cuts it off.
func TestGetTarpitIsCutOff(t *testing.T) {
	sent := make(chan int, 1)
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusOK)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		n := 0
		for {
			if _, err := w.Write([]byte("x")); err != nil {
				break
			}
			w.(http.Flusher).Flush()
			n++
			select {
			case <-tick.C:
			case <-r.Context().Done():
				sent <- n
				return
			}
		}
		sent <- n
	}))
	c := NewClient(Config{Timeout: 300 * time.Millisecond, FirstByteTimeout: 10 * time.Second})
	resp, err := c.Get(context.Background(), mustURL(t, srv.URL), nil)
	if err == nil {
		t.Fatalf("Get = %d bytes, want a timeout", len(resp.Body))
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get: %v, want context.DeadlineExceeded", err)
	}
	if !Retriable(err) {
		t.Errorf("Retriable(%v) = false, want true for a timeout", err)
	}
	// The server stops when the client hangs up: the connection was closed, not left open.
	if n := <-sent; n < 2 {
		t.Errorf("server wrote %d bytes before the cut; the body did trickle", n)
	}
}

func TestGetFirstByteTimeout(t *testing.T) {
	srv := blockingServer(t, false, nil)
	c := NewClient(Config{Timeout: time.Hour, FirstByteTimeout: 100 * time.Millisecond})
	_, err := c.Get(context.Background(), mustURL(t, srv.URL), nil)
	if err == nil || !strings.Contains(err.Error(), "timeout awaiting response headers") {
		t.Fatalf("Get: %v, want a response header timeout", err)
	}
	if !Retriable(err) {
		t.Errorf("Retriable(%v) = false", err)
	}
}

// silentListener accepts TCP connections and never says a word, like a TLS port that hangs.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

func TestGetTLSHandshakeTimeout(t *testing.T) {
	addr := silentListener(t)
	c := NewClient(Config{Timeout: time.Hour, TLSTimeout: 100 * time.Millisecond})
	_, err := c.Get(context.Background(), mustURL(t, "https://"+addr+"/"), nil)
	if err == nil || !strings.Contains(err.Error(), "TLS handshake timeout") {
		t.Fatalf("Get: %v, want a TLS handshake timeout", err)
	}
}

func TestGetTLSVerification(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "secret")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	tests := []struct {
		name     string
		insecure bool
		wantErr  bool
	}{
		{"verified by default", false, true},
		{"insecure", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := NewClient(Config{Insecure: tt.insecure}).Get(context.Background(), mustURL(t, srv.URL), nil)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Get of a self-signed server = %d, want a certificate error", resp.Status)
				}
				if Retriable(err) {
					t.Errorf("Retriable(%v) = true; a bad certificate does not get better", err)
				}
				return
			}
			if err != nil || string(resp.Body) != "secret" {
				t.Fatalf("Get = %v, %v", resp, err)
			}
		})
	}
}

func TestGetHTTP2(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.Proto)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	// The custom DialContext (for Resolve) must not turn HTTP/2 off.
	resp, err := NewClient(Config{Insecure: true}).Get(context.Background(), mustURL(t, srv.URL), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Proto != "HTTP/2.0" || string(resp.Body) != "HTTP/2.0" {
		t.Errorf("protocol %q, server saw %q; want HTTP/2.0", resp.Proto, resp.Body)
	}
}

// cookieServer answers /set with a cookie and a redirect to /check, and /check with the
// cookie it was sent.
func cookieServer(t *testing.T) *httptest.Server {
	return newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/set":
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "s3cr3t", Path: "/"})
			http.Redirect(w, r, "/check", http.StatusFound)
		default:
			c, err := r.Cookie("session")
			if err != nil {
				fmt.Fprint(w, "none")
				return
			}
			fmt.Fprint(w, c.Value)
		}
	}))
}

func TestGetCookies(t *testing.T) {
	srv := cookieServer(t)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	resolve := map[string]string{"a.test:" + port: "127.0.0.1:" + port, "b.test:" + port: "127.0.0.1:" + port}
	tests := []struct {
		name      string
		noCookies bool
		// body of /check on a.test: through the redirect from /set, then on its own; then on b.test
		viaRedirect, later, otherHost string
	}{
		{"kept per host", false, "s3cr3t", "s3cr3t", "none"},
		{"off", true, "none", "none", "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewClient(Config{NoCookies: tt.noCookies, Resolve: resolve})
			get := func(u string) string {
				resp, err := c.Get(context.Background(), mustURL(t, u), nil)
				if err != nil {
					t.Fatal(err)
				}
				return string(resp.Body)
			}
			a, b := "http://a.test:"+port, "http://b.test:"+port
			if got := get(a + "/set"); got != tt.viaRedirect {
				t.Errorf("after the redirect: cookie %q, want %q", got, tt.viaRedirect)
			}
			if got := get(a + "/check"); got != tt.later {
				t.Errorf("later request: cookie %q, want %q", got, tt.later)
			}
			if got := get(b + "/check"); got != tt.otherHost {
				t.Errorf("other host: cookie %q, want %q", got, tt.otherHost)
			}
		})
	}
}

func TestGetProxyFromEnvironment(t *testing.T) {
	proxied := make(chan string, 4)
	proxy := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied <- r.RequestURI
		fmt.Fprint(w, "via proxy")
	}))
	direct := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "direct")
	}))
	_, port, _ := net.SplitHostPort(direct.Listener.Addr().String())
	resolve := map[string]string{"site.test:" + port: "127.0.0.1:" + port}
	tests := []struct {
		name, noProxy, want string
	}{
		{"HTTP_PROXY", "", "via proxy"},
		{"NO_PROXY", "site.test", "direct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "REQUEST_METHOD"} {
				t.Setenv(k, "")
			}
			t.Setenv("HTTP_PROXY", proxy.URL)
			t.Setenv("NO_PROXY", tt.noProxy)
			// The name is resolved by the proxy; Resolve applies to direct connections only.
			c := NewClient(Config{Resolve: resolve})
			u := "http://site.test:" + port + "/page"
			resp, err := c.Get(context.Background(), mustURL(t, u), nil)
			if err != nil {
				t.Fatal(err)
			}
			if string(resp.Body) != tt.want {
				t.Fatalf("body %q, want %q", resp.Body, tt.want)
			}
			if tt.want == "via proxy" {
				if got := <-proxied; got != u {
					t.Errorf("proxy asked for %q, want %q", got, u)
				}
			}
		})
	}
}
