package main

// Exit codes, the same in every command.
const (
	exitOK          = 0
	exitError       = 1 // the crawl or command failed at run time
	exitUsage       = 2 // bad command line or bad input
	exitNoSeed      = 3 // a crawl could fetch none of its seeds
	exitFindings    = 4 // crawl report --fail-on: a finding of the kinds named exists
	exitInterrupted = 130
)

// exitCodes documents the exit codes: crawl --help, the man page and the README's table are
// made from it (a test holds the README to it).
var exitCodes = []struct {
	code    int
	meaning string
}{
	{exitOK, "done: the crawl ended as asked (nothing left to fetch, or --max-pages reached; a rerun of a finished crawl says it is complete), or the command did its work"},
	{exitError, "failed at run time: a write error, a damaged database, a database in use by a running crawl; a --cluster server unreachable or without JetStream, a --node-id already running"},
	{exitUsage, "bad command line or input: an unknown command or flag, a bad value, a bad seed or seeds file, a bad config file or CRAWL_ variable, a --db that is not a crawl database, crawl settings that differ from those the --cluster crawl was created with"},
	{exitNoSeed, "no seed could be fetched: every seed of the command failed (connection refused, DNS, timeout, TLS; its robots.txt unavailable), was blocked by robots.txt or was skipped; the summary counts the errors by cause"},
	{exitFindings, "crawl report --fail-on found what it names (broken links, redirects, ...): the report and --junit file are written whole first, and stderr lists the counts"},
	{exitInterrupted, "interrupted by Ctrl-C (SIGINT) or SIGTERM: the summary is printed, every fetched page is recorded, and rerunning the command resumes the crawl"},
}
