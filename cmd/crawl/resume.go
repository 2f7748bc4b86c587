package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/crawl-project/crawl/crawler"
)

// printConfigChanged explains, on one line, why a rerun was refused.
func printConfigChanged(w io.Writer, dbPath string, err error) {
	var ce *crawler.ConfigChangedError
	if !errors.As(err, &ce) {
		fmt.Fprintf(w, "crawl: %v\n", err)
		return
	}
	was, now := ce.Sides()
	fmt.Fprintf(w, "crawl: %s was crawled with %s, this run has %s; rerun with the same flags or pass --reconfigure\n",
		dbPath, was, now)
}

// printResumeNotes tells what the start of the run changed in a recorded crawl.
func printResumeNotes(w io.Writer, r crawler.ResumeInfo) {
	if len(r.Reconfigured) > 0 {
		var now []string
		for _, c := range r.Reconfigured {
			now = append(now, c.Now)
		}
		fmt.Fprintf(w, "crawl: reconfigured to %s: %d URLs queued, %d dropped as too deep, %d dropped as out of scope\n",
			strings.Join(now, " and "), r.Rescope.Requeued, r.Rescope.TooDeep, r.Rescope.OutOfScope)
	}
	if r.NewSeeds > 0 && r.Resumed {
		fmt.Fprintf(w, "crawl: %d new seed(s) added to the crawl\n", r.NewSeeds)
	}
	if r.RetryFailed > 0 {
		fmt.Fprintf(w, "crawl: retrying %d failed URL(s)\n", r.RetryFailed)
	}
}
