package crawltest

import (
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// RequestLog records the requests served by a Site. It is safe for
// concurrent use. Requests are keyed "host/path?query", where host is the
// site's host name (on a single-host site, always that name whatever the
// Host header was) and path?query is the request target, e.g.
// "site.test/p3.html" or "h2.test/catalog/item?id=3&view=full".
// Requests for /robots.txt and for unknown paths are recorded too.
type RequestLog struct {
	site *Site

	mu           sync.Mutex
	counts       map[string]int         // by host/path?query
	pathCounts   map[string]int         // by path?query
	times        map[string][]time.Time // arrival times by host; their number is the host's count
	total        int
	notFound     int
	inflight     int
	peak         int
	hostInflight map[string]int
	hostPeak     map[string]int
}

func newRequestLog(s *Site) *RequestLog {
	l := &RequestLog{site: s, hostInflight: map[string]int{}}
	l.clear()
	return l
}

func (l *RequestLog) clear() {
	l.counts = map[string]int{}
	l.pathCounts = map[string]int{}
	l.times = map[string][]time.Time{}
	l.total, l.notFound = 0, 0
	l.peak = l.inflight
	l.hostPeak = map[string]int{}
	for h, n := range l.hostInflight {
		if n > 0 {
			l.hostPeak[h] = n
		}
	}
}

// begin records the start of a request and returns the function that
// records its end with the response status (0 if abandoned).
func (l *RequestLog) begin(host, target string) func(status int) {
	l.mu.Lock()
	now := time.Now()
	l.counts[host+target]++
	l.pathCounts[target]++
	l.times[host] = append(l.times[host], now)
	l.total++
	l.inflight++
	l.peak = max(l.peak, l.inflight)
	l.hostInflight[host]++
	l.hostPeak[host] = max(l.hostPeak[host], l.hostInflight[host])
	l.mu.Unlock()
	return func(status int) {
		l.mu.Lock()
		l.inflight--
		l.hostInflight[host]--
		if status == 404 {
			l.notFound++
		}
		l.mu.Unlock()
	}
}

// canonHost maps a host name (port allowed) to the name used in the log.
func (l *RequestLog) canonHost(host string) string {
	host = strings.ToLower(hostOnly(host))
	if h := l.site.route(host); h >= 0 {
		return l.site.cfg.Hosts[h]
	}
	return host
}

// Count returns how many times a target was requested. The target is an
// absolute URL ("http://127.0.0.1:41234/p3.html"; fragment ignored), a
// "host/path?query" key ("site.test/p3.html"), or a path alone ("/p3.html"),
// which counts requests for that path on every host.
func (l *RequestLog) Count(target string) int {
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
		key = l.canonHost(u.Host) + p
	default:
		i := strings.IndexByte(target, '/')
		if i < 0 {
			return 0
		}
		key = l.canonHost(target[:i]) + target[i:]
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[key]
}

// Counts returns a copy of the request counts by "host/path?query" key.
func (l *RequestLog) Counts() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := make(map[string]int, len(l.counts))
	for k, v := range l.counts {
		m[k] = v
	}
	return m
}

// HostCount returns the number of requests to a host.
func (l *RequestLog) HostCount(host string) int {
	h := l.canonHost(host)
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.times[h])
}

// Total returns the number of requests.
func (l *RequestLog) Total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// Distinct returns the number of distinct "host/path?query" keys requested.
func (l *RequestLog) Distinct() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.counts)
}

// NotFound returns the number of requests answered 404.
func (l *RequestLog) NotFound() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.notFound
}

// Duplicates returns the number of repeated requests: the total minus the
// number of distinct keys. Zero means every target was fetched once.
func (l *RequestLog) Duplicates() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total - len(l.counts)
}

// DuplicateKeys returns the sorted keys requested more than once.
func (l *RequestLog) DuplicateKeys() []string {
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

// PeakConcurrent returns the largest number of requests in progress at
// once, for one host, or overall when host is "".
func (l *RequestLog) PeakConcurrent(host string) int {
	if host == "" {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.peak
	}
	h := l.canonHost(host)
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hostPeak[h]
}

// Times returns the arrival times of the requests to a host in arrival
// order, or of all requests when host is "".
func (l *RequestLog) Times(host string) []time.Time {
	var h string
	if host != "" {
		h = l.canonHost(host)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if host != "" {
		return slices.Clone(l.times[h])
	}
	var all []time.Time
	for _, ts := range l.times {
		all = append(all, ts...)
	}
	slices.SortFunc(all, func(a, b time.Time) int { return a.Compare(b) })
	return all
}

// Reset forgets all recorded requests. Peaks restart from the number of
// requests still in progress.
func (l *RequestLog) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clear()
}
