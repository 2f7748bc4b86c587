package crawler

import (
	"time"

	"github.com/crawl-project/crawl/fetch"
	"github.com/crawl-project/crawl/store"
)

// maxCrawlDelay caps a robots.txt Crawl-delay, as the robots cache does.
const maxCrawlDelay = 30 * time.Second

// hostRecord turns a fetched robots.txt into the host record the writer keeps.
func hostRecord(f *fetch.RobotsFile, token string) *store.HostRecord {
	rules := f.Rules()
	rec := &store.HostRecord{
		Origin:          f.Origin,
		RobotsStatus:    f.Status,
		Robots:          f.Body,
		RobotsFetchedAt: f.FetchedAt,
		Sitemaps:        rules.Sitemaps(),
	}
	if d, ok := rules.Group(token).CrawlDelay(); ok {
		rec.CrawlDelay = min(d, maxCrawlDelay)
	}
	return rec
}

// robotsFile is the inverse of hostRecord, for a record that holds a robots.txt.
func robotsFile(h store.HostRecord) (fetch.RobotsFile, bool) {
	if h.RobotsFetchedAt.IsZero() {
		return fetch.RobotsFile{}, false
	}
	return fetch.RobotsFile{Origin: h.Origin, Status: h.RobotsStatus, Body: h.Robots, FetchedAt: h.RobotsFetchedAt}, true
}
