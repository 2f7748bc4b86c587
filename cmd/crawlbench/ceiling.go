package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// ceiling is what a plain concurrent GET loop achieves over the same URLs: no parsing, no
// storing, no scheduling. The crawl's throughput is reported as a share of it.
type ceilingResult struct {
	requests, bytes, errors int64
	wall                    time.Duration
	cpu                     time.Duration // this process's CPU time over the loop (server included)
}

// getLoop fetches every URL with the given concurrency, and goes on over them again until
// minTime has passed; every host name dials addr. One pass over 20,000 URLs takes well
// under a second, short enough for a burst of load from elsewhere on the machine to move
// the result by half.
func getLoop(urls []string, workers int, addr string, minTime time.Duration) ceilingResult {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	tr := &http.Transport{
		MaxIdleConns:        workers,
		MaxIdleConnsPerHost: workers,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var next, bytes, errs, total atomic.Int64
	var wg sync.WaitGroup
	cpu0 := selfCPU()
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(len(urls)) && time.Since(start) >= minTime {
					return // every URL was requested, and the loop has run long enough
				}
				total.Add(1)
				u := urls[i%int64(len(urls))]
				resp, err := client.Get(u)
				if err != nil {
					errs.Add(1)
					continue
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				bytes.Add(n)
			}
		}()
	}
	wg.Wait()
	return ceilingResult{
		requests: total.Load(), bytes: bytes.Load(), errors: errs.Load(),
		wall: time.Since(start), cpu: selfCPU() - cpu0,
	}
}
