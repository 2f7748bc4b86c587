package crawl

import (
	"net/url"
	"slices"
)

// PageFacts are what an audit reads in a page's HTML besides its title (Node.Title) and
// links: the text search engines show and index. Texts are white-space-collapsed.
type PageFacts struct {
	// HasTitle: the page has a <title> element; Node.Title holds its text, perhaps empty.
	HasTitle bool
	// Description is the content of the first <meta name=description>; HasDescription says
	// whether there is one (an empty content is an empty description, not a missing one).
	Description    string
	HasDescription bool
	H1             string // the text of the first <h1>
	H1Count        int    // <h1> elements on the page
	// Canonical is the URL of the first <link rel=canonical>, resolved and normalised; ""
	// when there is none.
	Canonical string
	// Hreflang lists the hreflang values of the page's <link rel=alternate hreflang>
	// links, space-separated, in document order (the URLs are the page's alternate edges).
	Hreflang string
	Lang     string // the lang attribute of <html>
	// Words counts the words of the page's text: runs of characters between white space,
	// outside <title>, <script>, <style>, <noscript>, <template> and other elements whose
	// text is not shown; blocks, cells and line breaks separate words, inline elements
	// (<b>S</b>tart) do not.
	Words int
}

// Targets are the fragment identifiers a page defines, for checking links to page#part:
// the ids of its elements and the names of its <a> elements, each as a 32-bit hash, sorted
// and distinct. Hashes keep the set compact (4 bytes an id, whatever its length); a
// collision can only make a broken fragment pass for a good one, with odds of about one in
// 400,000 for a page with ten thousand ids.
type Targets struct {
	Hashes []uint32
	// Truncated: the page defines more ids than the set keeps (see MaxTargets); a fragment
	// not in Hashes may still be defined.
	Truncated bool
}

// MaxTargets is the most distinct fragment identifiers kept per page.
const MaxTargets = 1 << 14

// HashTarget is the hash Targets keeps for a fragment identifier: FNV-1a, 32 bits. It takes
// the id as a string or as bytes (a tokenizer's), hashing either without a copy.
func HashTarget[S string | []byte](id S) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h = (h ^ uint32(id[i])) * 16777619
	}
	return h
}

// Has reports whether the page defines fragment, as written in a link (percent-encoded or
// not): HTML matches the fragment as it is, then percent-decoded.
func (t *Targets) Has(fragment string) bool {
	if t.has(HashTarget(fragment)) {
		return true
	}
	if d, err := url.PathUnescape(fragment); err == nil && d != fragment {
		return t.has(HashTarget(d))
	}
	return false
}

func (t *Targets) has(h uint32) bool {
	_, ok := slices.BinarySearch(t.Hashes, h)
	return ok
}

// TopFragment reports whether a fragment that no element defines still has a meaning: an
// empty one, or "top", scroll to the top of the page (HTML's "indicated part").
func TopFragment(fragment string) bool {
	return fragment == "" || len(fragment) == 3 && equalFoldASCII(fragment, "top")
}
