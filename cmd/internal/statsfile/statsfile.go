// Package statsfile is the JSON format of crawl's hidden --stats-file flag: crawl writes it and
// crawlbench reads it, so both use this one type and the format cannot drift between them.
package statsfile

// Report is the document --stats-file holds.
type Report struct {
	ElapsedSeconds float64 `json:"elapsed_s"`
	Fetched        int64   `json:"fetched"`
	Failed         int64   `json:"failed"`
	Bytes          int64   `json:"bytes"`
	Links          int64   `json:"links"`
	NewURLs        int64   `json:"new_urls"`
	Committed      int64   `json:"committed"`
	Commits        int64   `json:"commits"`
	HeapInusePeak  uint64  `json:"heap_inuse_peak_bytes"`
	HeapInuseEnd   uint64  `json:"heap_inuse_end_bytes"`
	// From /proc/self/status when the crawl ended (Linux): peak and current resident set,
	// the latter split into anonymous memory and mapped files (the database).
	VmHWM   uint64  `json:"vm_hwm_bytes"`
	VmRSS   uint64  `json:"vm_rss_bytes"`
	RssAnon uint64  `json:"rss_anon_bytes"`
	RssFile uint64  `json:"rss_file_bytes"`
	Stages  []Stage `json:"stages"`
}

// Stage is one pipeline stage's figures.
type Stage struct {
	Name           string  `json:"name"`
	Width          int     `json:"width"`
	Items          int64   `json:"items"`
	BusySeconds    float64 `json:"busy_s"`
	BlockedSeconds float64 `json:"blocked_s"`
	QueueAvg       float64 `json:"queue_avg"`
	QueuePeak      int     `json:"queue_peak"`
	QueueCap       int     `json:"queue_cap"`
}
