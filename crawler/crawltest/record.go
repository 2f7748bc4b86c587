package crawltest

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Recorder is an http.Handler that serves every request with another handler and records
// it: when it arrived, on which host and for which target, how it was answered, and how
// many requests were in progress at once. A hook set with OnRequest sees each request as it
// arrives. Every test server of the crawl is one, so that a test asks the same questions of
// any of them. It is safe for concurrent use.
//
// Requests are keyed "host/path?query", where host is the request's host name in lower
// case without its port (a Site's name for it on a Site: on a single-host site, always that
// name) and path?query is the request target, e.g. "site.test/p3.html" or
// "h2.test/catalog/item?id=3&view=full".
type Recorder struct {
	serve func(http.ResponseWriter, *http.Request, Arrival)
	canon func(host string) string // the host name of the log for a Host header

	mu           sync.Mutex
	hook         func(*http.Request, Arrival)
	keepHeaders  bool
	gen          int // Reset calls: an answer to a request from before one is not recorded
	arrivals     []Arrival
	counts       map[string]int // by host/path?query
	pathCounts   map[string]int // by path?query
	hostCounts   map[string]int
	notFound     int
	inflight     int
	peak         int
	hostInflight map[string]int
	hostPeak     map[string]int
}

// Arrival is one request as a Recorder saw it.
type Arrival struct {
	Seq    int    // its number among the requests since the recorder started or was Reset, from 1
	Host   string // the log's host name (see Recorder)
	Target string // path?query
	Method string // GET, HEAD...
	N      int    // requests for Host+Target so far, this one included
	At     time.Time
	// Status is the status of the answer once it is written: 0 while none is, and for a
	// request the handler answered nothing (abandoned, or its connection taken over).
	Status int
	Header http.Header // the request's headers, with KeepHeaders
}

// Key is the arrival's "host/path?query" key.
func (a Arrival) Key() string { return a.Host + a.Target }

// Path is the arrival's target without its query.
func (a Arrival) Path() string {
	p, _, _ := strings.Cut(a.Target, "?")
	return p
}

// Record returns a Recorder serving with h.
func Record(h http.Handler) *Recorder {
	return newRecorder(func(w http.ResponseWriter, r *http.Request, _ Arrival) { h.ServeHTTP(w, r) }, nil)
}

// RecordFunc returns a Recorder serving with fn, which is given each request's arrival: a
// handler that answers the n-th request for a URL differently reads a.N.
func RecordFunc(fn func(w http.ResponseWriter, r *http.Request, a Arrival)) *Recorder {
	return newRecorder(fn, nil)
}

func newRecorder(serve func(http.ResponseWriter, *http.Request, Arrival), canon func(string) string) *Recorder {
	if canon == nil {
		canon = func(h string) string { return strings.ToLower(hostOnly(h)) }
	}
	rec := &Recorder{serve: serve, canon: canon, hostInflight: map[string]int{}}
	rec.clear()
	return rec
}

// OnRequest makes fn see every request from now on, after it is recorded and before it is
// served; fn may block, holding the request. nil removes the hook.
func (l *Recorder) OnRequest(fn func(r *http.Request, a Arrival)) {
	l.mu.Lock()
	l.hook = fn
	l.mu.Unlock()
}

// KeepHeaders makes the recorder keep a copy of the headers of every request from now on,
// in Arrival.Header.
func (l *Recorder) KeepHeaders() *Recorder {
	l.mu.Lock()
	l.keepHeaders = true
	l.mu.Unlock()
	return l
}

// ServeHTTP records the request, lets the hook see it, and serves it.
func (l *Recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.URL.Path
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	host := l.canon(r.Host)
	a, gen, hook := l.begin(host, target, r.Method, r.Header)
	if hook != nil {
		hook(r, a)
	}
	status := 0
	defer func() { l.end(a.Seq, gen, host, status) }() // a handler's panic ends the request too
	status = ServeStatus(w, r, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { l.serve(w, r, a) }))
}

// begin records the arrival of a request and returns it, the recorder's generation and
// the hook.
func (l *Recorder) begin(host, target, method string, header http.Header) (Arrival, int, func(*http.Request, Arrival)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := host + target
	l.counts[key]++
	l.pathCounts[target]++
	l.hostCounts[host]++
	a := Arrival{Seq: len(l.arrivals) + 1, Host: host, Target: target, Method: method, N: l.counts[key], At: time.Now()}
	if l.keepHeaders {
		a.Header = header.Clone()
	}
	l.arrivals = append(l.arrivals, a)
	l.inflight++
	l.peak = max(l.peak, l.inflight)
	l.hostInflight[host]++
	l.hostPeak[host] = max(l.hostPeak[host], l.hostInflight[host])
	return a, l.gen, l.hook
}

// end records the end of request seq of generation gen, and its status.
func (l *Recorder) end(seq, gen int, host string, status int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inflight--
	l.hostInflight[host]--
	if gen != l.gen {
		return // it arrived before a Reset, which forgot it
	}
	l.arrivals[seq-1].Status = status
	if status == http.StatusNotFound {
		l.notFound++
	}
}

func (l *Recorder) clear() {
	l.gen++
	l.arrivals = nil
	l.counts = map[string]int{}
	l.pathCounts = map[string]int{}
	l.hostCounts = map[string]int{}
	l.notFound = 0
	l.peak = l.inflight
	l.hostPeak = map[string]int{}
	for h, n := range l.hostInflight {
		if n > 0 {
			l.hostPeak[h] = n
		}
	}
}

// Count returns how many times a target was requested. The target is an absolute URL
// ("http://127.0.0.1:41234/p3.html"; fragment ignored), a "host/path?query" key
// ("site.test/p3.html"), or a path alone ("/p3.html"), which counts requests for that path
// on every host.
func (l *Recorder) Count(target string) int {
	var key string
	switch {
	case strings.HasPrefix(target, "/"):
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.pathCounts[target]
	case strings.Contains(target, "://"):
		u, err := url.Parse(target)
		if err != nil {
			return 0
		}
		p := u.Path
		if p == "" {
			p = "/"
		}
		if u.RawQuery != "" {
			p += "?" + u.RawQuery
		}
		key = l.canon(u.Host) + p
	default:
		i := strings.IndexByte(target, '/')
		if i < 0 {
			return 0
		}
		key = l.canon(target[:i]) + target[i:]
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[key]
}

// Counts returns a copy of the request counts by "host/path?query" key.
func (l *Recorder) Counts() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return clone(l.counts)
}

// TargetCounts returns a copy of the request counts by path?query, all hosts together.
func (l *Recorder) TargetCounts() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return clone(l.pathCounts)
}

func clone(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// HostCount returns the number of requests to a host.
func (l *Recorder) HostCount(host string) int {
	h := l.canon(host)
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hostCounts[h]
}

// Total returns the number of requests.
func (l *Recorder) Total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.arrivals)
}

// Distinct returns the number of distinct "host/path?query" keys requested.
func (l *Recorder) Distinct() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.counts)
}

// NotFound returns the number of requests answered 404.
func (l *Recorder) NotFound() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.notFound
}

// Duplicates returns the number of repeated requests: the total minus the number of
// distinct keys. Zero means every target was requested once.
func (l *Recorder) Duplicates() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.arrivals) - len(l.counts)
}

// DuplicateKeys returns the sorted keys requested more than once.
func (l *Recorder) DuplicateKeys() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var keys []string
	for k, n := range l.counts {
		if n > 1 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// PeakConcurrent returns the largest number of requests in progress at once, for one host,
// or overall when host is "".
func (l *Recorder) PeakConcurrent(host string) int {
	if host == "" {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.peak
	}
	h := l.canon(host)
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hostPeak[h]
}

// Arrivals returns the requests to a host in arrival order, or all requests when host is "".
func (l *Recorder) Arrivals(host string) []Arrival {
	var h string
	if host != "" {
		h = l.canon(host)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if host == "" {
		return slices.Clone(l.arrivals)
	}
	var out []Arrival
	for _, a := range l.arrivals {
		if a.Host == h {
			out = append(out, a)
		}
	}
	return out
}

// Times returns the arrival times of the requests to a host in arrival order, or of all
// requests when host is "".
func (l *Recorder) Times(host string) []time.Time {
	arrivals := l.Arrivals(host)
	ts := make([]time.Time, len(arrivals))
	for i, a := range arrivals {
		ts[i] = a.At
	}
	return ts
}

// Reset forgets all recorded requests. Peaks restart from the number of requests still in
// progress.
func (l *Recorder) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clear()
}

// ServeStatus serves r with h and returns the status h answered with: 0 if it wrote nothing
// (it gave up, or took the connection over).
func ServeStatus(w http.ResponseWriter, r *http.Request, h http.Handler) int {
	sw := &statusWriter{ResponseWriter: w}
	h.ServeHTTP(sw, r)
	return sw.status
}

// statusWriter notes the status a handler answers with. It passes on Flush and Hijack, which
// test servers use to stream a body or drop a connection.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		if w.status == 0 {
			w.status = http.StatusOK
		}
		f.Flush()
	}
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("crawltest: the response writer cannot be hijacked")
	}
	return h.Hijack()
}

// Unwrap gives http.ResponseController the writer underneath.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
