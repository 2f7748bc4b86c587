package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/net/publicsuffix"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/store"
)

// Seeds come from the arguments, -u URL, --seeds FILE and --seeds - (standard input), in
// any mix. A URL typed on the command line may be a bare host, which is crawled over https;
// a seeds file must hold absolute URLs, so that a typo in a file of thousands is never
// crawled as a host.

// stdinName labels the seeds read from standard input in their errors.
const stdinName = "standard input"

// seedArgs checks the arguments of the crawl command: URLs or bare hosts. A word that is
// neither, first on the line, is taken for a mistyped command.
func seedArgs(cmd *cobra.Command, args []string) error {
	for i, a := range args {
		if strings.Contains(a, "://") || bareHost(a) {
			continue
		}
		if _, err := os.Stat(a); err == nil {
			return badUsage(cmd, "%s is a file, not a URL: give a seeds file with --seeds %s", a, a)
		}
		if i == 0 && !strings.ContainsAny(a, "./:") {
			msg := fmt.Sprintf("unknown command %q", a)
			if s := cmd.SuggestionsFor(a); len(s) > 0 {
				msg += fmt.Sprintf(" (did you mean %q?)", s[0])
			}
			return badUsage(cmd, "%s", msg)
		}
		return badUsage(cmd, "%q is not a URL: write it with its scheme, e.g. https://%s", a, strings.TrimLeft(a, "/"))
	}
	return nil
}

// bareHost reports whether s is a host name with no scheme, as a person types it:
// example.org, example.org/docs, localhost:8080, 127.0.0.1. A name must end in a public
// suffix (org, co.uk, ...) unless it has a port, so that a file name such as urls.txt is
// not crawled as a host.
func bareHost(s string) bool {
	hostport, _, _ := strings.Cut(s, "/")
	hostport, _, _ = strings.Cut(hostport, "?")
	if hostport == "" || strings.ContainsAny(hostport, " @#") {
		return false
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, ""
	} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return false
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || net.ParseIP(strings.Trim(host, "[]")) != nil {
		return true
	}
	if !strings.Contains(host, ".") || strings.HasPrefix(host, ".") || strings.Contains(host, "..") {
		return false
	}
	for _, r := range host {
		if !(r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r > 0x7f) {
			return false
		}
	}
	if port != "" {
		return true
	}
	_, icann := publicsuffix.PublicSuffix(host)
	return icann
}

// collectSeeds gathers the seeds of a crawl from every source, normalised and without
// repeats, and reports bad ones. It returns exitOK with the seeds, or the exit code.
func collectSeeds(e *env, f *crawlFlags, args []string) ([]string, int) {
	var seeds []string
	seen := map[string]bool{}
	add := func(u string) {
		if !seen[u] {
			seen[u] = true
			seeds = append(seeds, u)
		}
	}
	for _, a := range append(append([]string(nil), args...), f.urls...) {
		raw, bare := a, !strings.Contains(a, "://") && bareHost(a)
		if bare {
			raw = "https://" + a
		}
		u, err := crawler.NormalizeSeed(raw)
		if err != nil {
			fmt.Fprintf(e.stderr, "crawl: seed %q: %v\n", a, err)
			return nil, exitUsage
		}
		if bare {
			fmt.Fprintf(e.stderr, "crawl: %s has no scheme: crawling %s\n", a, u)
		}
		add(u.String())
	}
	if f.seeds != "" {
		var (
			fromFile []string
			bad      []*crawler.SeedError
			err      error
		)
		if f.seeds == "-" {
			fromFile, bad, err = crawler.ReadSeeds(e.stdin, stdinName)
		} else {
			fromFile, bad, err = crawler.ReadSeedsFile(f.seeds)
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "crawl: %v\n", err)
			return nil, exitUsage
		}
		for _, line := range crawler.SeedErrorLines(bad) {
			fmt.Fprintf(e.stderr, "crawl: bad seed: %s\n", line)
		}
		name := f.seeds
		if name == "-" {
			name = stdinName
		}
		if len(bad) > 0 && !f.skipBadSeeds {
			fmt.Fprintf(e.stderr, "crawl: %d bad line(s) in %s; fix them or pass --skip-bad-seeds\n", len(bad), name)
			return nil, exitUsage
		}
		if len(fromFile) == 0 && len(seeds) == 0 {
			fmt.Fprintf(e.stderr, "crawl: %s has no seed URLs\n", name)
			return nil, exitUsage
		}
		for _, s := range fromFile {
			add(s)
		}
	}
	if len(seeds) == 0 {
		fmt.Fprintln(e.stderr, "crawl: no seed URL: give URLs as arguments, with -u URL, or in a file with --seeds FILE (- for standard input)")
		fmt.Fprintln(e.stderr, "Run 'crawl --help' for usage.")
		return nil, exitUsage
	}
	return seeds, exitOK
}

// alreadyComplete reports a run that found nothing to do: a resumed crawl whose frontier was
// empty, with no new seed and nothing to retry.
func alreadyComplete(r crawler.ResumeInfo, s crawler.Summary) bool {
	return r.Resumed && r.SeedsQueued == 0 && r.RetryFailed == 0 && len(r.Reconfigured) == 0 &&
		s.Committed == 0 && s.Pending == 0 && s.InFlight == 0 && s.Responses == 0 && s.Failed == 0
}

// printComplete says, in place of a summary of zeros, that the crawl was complete already.
func printComplete(w io.Writer, db *store.DB) {
	var st store.Status
	_ = db.View(func(s *store.Snapshot) (err error) {
		st, err = s.Status()
		return err
	})
	fmt.Fprintf(w, "Crawl complete: %s has nothing left to fetch (%d URLs recorded, %d fetched).\n", db.Path(), st.URLs, st.ByState[crawl.StateDone])
	fmt.Fprintf(w, "See 'crawl status --db %s' and 'crawl report --db %s'; --retry-failed fetches the failed URLs again.\n", db.Path(), db.Path())
}

// seedsShown is how many seeds' errors the no-seed message lists.
const seedsShown = 3

// checkSeedsFetched returns exitNoSeed, after saying why, when none of the seeds of this
// command line was fetched: each failed (no answer, or its robots.txt none), was blocked by
// robots.txt or skipped. A seed fetched in an earlier run counts as fetched.
func checkSeedsFetched(stderr io.Writer, db *store.DB, seeds []string) int {
	var reasons []string
	fetched := false
	err := db.View(func(s *store.Snapshot) error {
		for _, u := range seeds {
			n, found, err := s.Lookup(u)
			if err != nil {
				return err
			}
			switch {
			case !found, n.State == crawl.StateDone, n.State == crawl.StatePending:
				fetched = true // pending: the budget ended the run first, nothing failed
				return nil
			}
			why := n.Error
			if why == "" {
				why = n.State.String()
			}
			reasons = append(reasons, fmt.Sprintf("%s: %s", u, why))
		}
		return nil
	})
	if err != nil {
		fmt.Fprintf(stderr, "crawl: %v\n", err)
		return exitError
	}
	if fetched || len(reasons) == 0 {
		return exitOK
	}
	more := ""
	if len(reasons) > seedsShown {
		more = fmt.Sprintf(" (and %d more)", len(reasons)-seedsShown)
		reasons = reasons[:seedsShown]
	}
	fmt.Fprintf(stderr, "crawl: no seed could be fetched: %s%s\n", strings.Join(reasons, "; "), more)
	return exitNoSeed
}
