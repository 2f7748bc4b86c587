package main

import (
	"net"
	"net/http"
	"sort"
	"time"

	"github.com/crawl-project/crawl/crawler/crawltest"
)

// server serves a handler on a free port of 127.0.0.1.
type server struct {
	srv  *http.Server
	base string // "http://127.0.0.1:PORT"
	port string
}

// listen starts a server for h. What the scenarios serve records its requests itself: a
// crawltest.Site, or a handler behind a crawltest.Recorder.
func listen(h http.Handler) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{base: "http://" + ln.Addr().String()}
	_, s.port, _ = net.SplitHostPort(ln.Addr().String())
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

func (s *server) close() { s.srv.Close() }

// hostRates is what the server saw of the spacing of each host's requests.
type hostRates struct {
	minGap      time.Duration // shortest time between two requests to one host
	gaps, short int           // gaps between consecutive requests to one host; those under the interval
	shortBy10ms int           // of those, the ones more than 10 ms under it
	// unexplained counts those of shortBy10ms that are neither a host's first gap (its first
	// request waits for the server to accept a new connection) nor right after a gap
	// that is longer by as much (together they span two intervals: the request between
	// was handled late, it was not sent early).
	unexplained int
	maxIn1s     int // most requests to one host within any 1 s
	maxIn10s    int // most requests to one host within any 10 s
	busiest     int // requests to the host with the most
}

// measureRates reads the request log for the spacing of every host's requests, against
// the interval the crawl was asked to keep. The log's times are taken when the handler
// runs, so they carry the server's own scheduling delay: a gap shrinks when the request
// that opens it was handled late.
func measureRates(log *crawltest.Recorder, hosts []string, interval time.Duration) hostRates {
	r := hostRates{minGap: -1}
	for _, h := range hosts {
		ts := log.Times(h)
		sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
		r.busiest = max(r.busiest, len(ts))
		r.maxIn1s = max(r.maxIn1s, mostWithin(ts, time.Second))
		r.maxIn10s = max(r.maxIn10s, mostWithin(ts, 10*time.Second))
		for i := 1; i < len(ts); i++ {
			g := ts[i].Sub(ts[i-1])
			r.gaps++
			if r.minGap < 0 || g < r.minGap {
				r.minGap = g
			}
			if g < interval {
				r.short++
			}
			if g < interval-10*time.Millisecond {
				r.shortBy10ms++
				if i >= 2 && ts[i].Sub(ts[i-2]) < 2*interval-time.Millisecond {
					r.unexplained++
				}
			}
		}
	}
	return r
}

// mostWithin returns the most times of sorted ts that fall within any window of length d.
func mostWithin(ts []time.Time, d time.Duration) int {
	most, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= d {
			j++
		}
		most = max(most, i-j+1)
	}
	return most
}
