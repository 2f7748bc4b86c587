package crawler

import (
	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/fetch"
)

// hostRecord turns the verdict that fetched a robots.txt into the host record the writer
// keeps. The crawl delay is the verdict's, already capped by the robots cache.
func hostRecord(v fetch.RobotsVerdict) *crawl.HostRecord {
	f := v.Fetched
	return &crawl.HostRecord{
		Origin:          f.Origin,
		RobotsStatus:    f.Status,
		Robots:          f.Body,
		RobotsFetchedAt: f.FetchedAt,
		Sitemaps:        f.Rules().Sitemaps(),
		CrawlDelay:      v.CrawlDelay,
	}
}

// robotsFile is the inverse of hostRecord, for a record that holds a robots.txt.
func robotsFile(h crawl.HostRecord) (fetch.RobotsFile, bool) {
	if h.RobotsFetchedAt.IsZero() {
		return fetch.RobotsFile{}, false
	}
	return fetch.RobotsFile{Origin: h.Origin, Status: h.RobotsStatus, Body: h.Robots, FetchedAt: h.RobotsFetchedAt}, true
}

// robotsStore is a RobotsChecker that can read the robots.txt files recorded in the database.
type robotsStore interface {
	UseStored(fetch.StoredRobots)
}

// useStoredRobots lets the robots checker read robots.txt from the database when it does not
// hold an origin, before fetching it: a resumed crawl then does not fetch again, within their
// 24 hours, the files earlier runs fetched, and an origin the checker dropped to stay within
// its bound comes back without a request. Reading on demand, rather than loading every
// recorded file at start, keeps memory bounded on crawls of very many hosts.
func (c *Crawler) useStoredRobots() {
	r, ok := c.cfg.Robots.(robotsStore)
	if !ok {
		return
	}
	r.UseStored(func(origin string) (fetch.RobotsFile, bool) {
		h, ok, err := c.db.Host(origin)
		if err != nil {
			// A record that cannot be read is replaced once robots.txt is fetched again.
			c.cfg.Log.Warn("stored robots.txt unreadable, fetching it again", "origin", origin, "err", err)
			return fetch.RobotsFile{}, false
		}
		if !ok {
			return fetch.RobotsFile{}, false
		}
		return robotsFile(h)
	})
}
