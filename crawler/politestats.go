package crawler

import "sync/atomic"

// politeStats counts what the politeness rules did: retries, backoffs, parked hosts and
// robots.txt traffic.
type politeStats struct {
	backoffs          atomic.Int64
	retryAfters       atomic.Int64
	parked            atomic.Int64
	hostSkipped       atomic.Int64
	robotsUnavailable atomic.Int64
	robotsFetched     atomic.Int64
	robotsRestored    atomic.Int64
	sitemapURLs       atomic.Int64
}

// Politeness is the part of a Summary about politeness and failing hosts.
type Politeness struct {
	Backoffs    int64 // times a host was held back after a failure
	RetryAfters int64 // of those, how many waited for a server's Retry-After
	HostsParked int64 // hosts that failed too often in a row and were given up for the run
	// HostUnreachableSkipped counts URLs recorded as skipped because their host was parked.
	HostUnreachableSkipped int64
	// RobotsUnavailable counts URLs recorded as failed because their robots.txt never answered.
	RobotsUnavailable int64
	RobotsFetched     int64 // robots.txt files fetched
	RobotsRestored    int64 // robots.txt files read from the database instead of fetched
	SitemapURLs       int64 // URLs queued from sitemaps
}

func (p *politeStats) snapshot() Politeness {
	return Politeness{
		Backoffs:               p.backoffs.Load(),
		RetryAfters:            p.retryAfters.Load(),
		HostsParked:            p.parked.Load(),
		HostUnreachableSkipped: p.hostSkipped.Load(),
		RobotsUnavailable:      p.robotsUnavailable.Load(),
		RobotsFetched:          p.robotsFetched.Load(),
		RobotsRestored:         p.robotsRestored.Load(),
		SitemapURLs:            p.sitemapURLs.Load(),
	}
}
