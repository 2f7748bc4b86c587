package crawler

import (
	"github.com/crawl-project/crawl/fetch"
	"github.com/crawl-project/crawl/store"
)

// hostRecord turns the verdict that fetched a robots.txt into the host record the writer
// keeps. The crawl delay is the verdict's, already capped by the robots cache.
func hostRecord(v fetch.RobotsVerdict) *store.HostRecord {
	f := v.Fetched
	return &store.HostRecord{
		Origin:          f.Origin,
		RobotsStatus:    f.Status,
		Robots:          f.Body,
		RobotsFetchedAt: f.FetchedAt,
		Sitemaps:        f.Rules().Sitemaps(),
		CrawlDelay:      v.CrawlDelay,
	}
}

// robotsFile is the inverse of hostRecord, for a record that holds a robots.txt.
func robotsFile(h store.HostRecord) (fetch.RobotsFile, bool) {
	if h.RobotsFetchedAt.IsZero() {
		return fetch.RobotsFile{}, false
	}
	return fetch.RobotsFile{Origin: h.Origin, Status: h.RobotsStatus, Body: h.Robots, FetchedAt: h.RobotsFetchedAt}, true
}
