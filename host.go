package crawl

import "time"

// HostRecord is what the crawl keeps about one origin (scheme://host[:port]), the scope of a
// robots.txt.
type HostRecord struct {
	Origin string
	// RobotsStatus is the HTTP status robots.txt answered; 0 when it gave no usable answer
	// (a redirect loop), which allows everything like a 404.
	RobotsStatus    int
	Robots          []byte    // the robots.txt body of a 2xx answer, at most 500 KiB
	RobotsFetchedAt time.Time // zero when robots.txt was never fetched
	CrawlDelay      time.Duration
	Sitemaps        []string  // the Sitemap lines of robots.txt
	SitemapsReadAt  time.Time // when the crawl last seeded its frontier from the sitemaps
}
