package crawler

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/crawl-project/crawl/parse"
	"github.com/crawl-project/crawl/store"
)

// seedTextShown is how much of a bad line a SeedError keeps and shows, in bytes: enough to
// find the line, never a whole line of megabytes.
const seedTextShown = 100

// seedErrorsShown is how many bad lines SeedErrorLines lists; the rest are counted.
const seedErrorsShown = 10

// ErrSeedTooLong is why a seed longer than the store records is refused.
var ErrSeedTooLong = fmt.Errorf("longer than the %d bytes the crawl stores", store.MaxURLLength)

// NormalizeSeed returns a seed in normal form, or why it cannot be one: not an absolute
// http(s) URL, or longer once normalised than the store records.
func NormalizeSeed(raw string) (*url.URL, error) {
	u, err := parse.Normalize(raw)
	if err == nil && len(u.String()) > store.MaxURLLength {
		err = fmt.Errorf("normalised to %d bytes, %w", len(u.String()), ErrSeedTooLong)
	}
	return u, err
}

// SeedError is a line of a seeds file that is not an absolute http(s) URL the crawl can use.
type SeedError struct {
	File string
	Line int
	Text string // the line's start, at most seedTextShown bytes of it
	Len  int    // the line's length in bytes
	Err  error
}

func (e *SeedError) Error() string {
	if e.Len > len(e.Text) {
		return fmt.Sprintf("%s:%d: %q... (%d bytes): %v", e.File, e.Line, e.Text, e.Len, e.Err)
	}
	return fmt.Sprintf("%s:%d: %q: %v", e.File, e.Line, e.Text, e.Err)
}

func (e *SeedError) Unwrap() error { return e.Err }

// SeedErrorLines returns the lines that report bad seeds: the first few, then how many more
// there are, so that a seeds file of a million bad lines costs a screenful.
func SeedErrorLines(bad []*SeedError) []string {
	var lines []string
	for _, e := range bad[:min(len(bad), seedErrorsShown)] {
		lines = append(lines, e.Error())
	}
	if more := len(bad) - seedErrorsShown; more > 0 {
		lines = append(lines, fmt.Sprintf("... and %d more bad lines", more))
	}
	return lines
}

// ReadSeedsFile reads seed URLs from a file: one URL per line, blank lines and lines starting
// with '#' skipped. It returns the normalised, de-duplicated seeds and every bad line.
func ReadSeedsFile(path string) ([]string, []*SeedError, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("seeds: %w", err)
	}
	defer f.Close()
	return ReadSeeds(f, path)
}

// ReadSeeds is ReadSeedsFile on a reader; name labels errors. Lines of any length are read;
// one longer than store.MaxURLLength is a bad line.
func ReadSeeds(r io.Reader, name string) ([]string, []*SeedError, error) {
	var seeds []string
	var bad []*SeedError
	seen := make(map[string]bool)
	br := bufio.NewReaderSize(r, 64<<10)
	// Room for the longest URL the store keeps and the spaces around it: a longer line is
	// bad whatever it holds, and only its start is kept, to show.
	const keep = store.MaxURLLength + 1024
	var buf []byte
	for line := 1; ; line++ {
		var n int
		var err error
		buf, n, err = readLine(br, buf, keep)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, nil, fmt.Errorf("seeds %s: line %d: %w", name, line, err)
		}
		if errors.Is(err, io.EOF) && n == 0 {
			break
		}
		text := bytes.TrimSpace(buf)
		if line == 1 {
			text = bytes.TrimPrefix(text, []byte("\uFEFF"))
		}
		switch {
		case len(text) == 0 || text[0] == '#':
		case n > len(buf) || len(text) > store.MaxURLLength: // n > len(buf): longer than keep
			bad = append(bad, seedError(name, line, text, n, ErrSeedTooLong))
		default:
			u, perr := NormalizeSeed(string(text))
			if perr != nil {
				bad = append(bad, seedError(name, line, text, n, perr))
				break
			}
			if s := u.String(); !seen[s] {
				seen[s] = true
				seeds = append(seeds, s)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	return seeds, bad, nil
}

// seedError makes the SeedError of a bad line. It keeps only the start of the line, also in
// the error's text, which often quotes the whole line: a SeedError costs little memory and
// its message stays short whatever the line holds.
func seedError(name string, line int, text []byte, length int, err error) *SeedError {
	shown := text
	if len(shown) > seedTextShown {
		i := seedTextShown
		for i > seedTextShown-utf8.UTFMax && !utf8.RuneStart(shown[i]) {
			i--
		}
		shown = shown[:i]
	}
	if !errors.Is(err, ErrSeedTooLong) && len(shown) < len(text) {
		msg := err.Error()
		msg = strings.ReplaceAll(msg, strconv.Quote(string(text)), "the line")
		msg = strings.ReplaceAll(msg, string(text), "the line")
		if len(msg) > seedTextShown {
			msg = strings.ToValidUTF8(msg[:seedTextShown], "") + "..."
		}
		err = errors.New(msg)
	}
	return &SeedError{File: name, Line: line, Text: string(shown), Len: length, Err: err}
}

// readLine reads the next line of r into buf[:0], without its end of line, keeping at most
// keep bytes of it; n is the line's whole length. At the end of the input it returns io.EOF,
// with the last line if it had no end of line.
func readLine(r *bufio.Reader, buf []byte, keep int) (_ []byte, n int, err error) {
	buf = buf[:0]
	for {
		frag, err := r.ReadSlice('\n')
		n += len(frag)
		buf = append(buf, frag[:min(len(frag), max(keep-len(buf), 0))]...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == nil { // the line ended with '\n'
			n--
			if len(buf) > 0 && buf[len(buf)-1] == '\n' {
				buf = buf[:len(buf)-1]
			}
		}
		return buf, n, err
	}
}
