// Package crawl is the vocabulary of a crawl: the values the crawler, the parser, the fetcher
// and the store pass to each other, and the names that are part of the database format (the
// states of a URL, the kinds of edge, the reasons recorded for URLs that are not fetched).
//
// It holds value types and constants only and imports nothing of this module, so that every
// package can speak it without depending on another's implementation: parsing a page needs
// no database, and a store other than bbolt (a cluster's, a test's fake) records the same
// words. What a value means on disk, and how it is checked and capped, is the store's.
package crawl
