package crawler

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/crawl-project/crawl/store"
)

func TestReadSeedsRefusesURLsTooLongToStore(t *testing.T) {
	const prefix = "http://a.test/"
	atLimit := prefix + strings.Repeat("a", store.MaxURLLength-len(prefix))
	input := strings.Join([]string{
		"http://a.test/first\r",
		prefix + strings.Repeat("b", 40_000),
		"  " + atLimit + "  ",
		prefix + strings.Repeat("c", 2<<20), // longer than any read buffer
		prefix + strings.Repeat("é", 6000),  // normalised to three times as long: %C3%A9
		"http://a.test/last",                // no end of line
	}, "\n")
	seeds, bad, err := ReadSeeds(strings.NewReader(input), "seeds.txt")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"http://a.test/first", atLimit, "http://a.test/last"}; strings.Join(seeds, " ") != strings.Join(want, " ") {
		t.Errorf("seeds: %d of them, want the first, the one at the limit and the last", len(seeds))
	}
	wantLines := []struct{ line, size int }{{2, len(prefix) + 40_000}, {4, len(prefix) + 2<<20}, {5, len(prefix) + 12000}}
	if len(bad) != len(wantLines) {
		t.Fatalf("%d bad lines, want %d: %v", len(bad), len(wantLines), bad)
	}
	for i, w := range wantLines {
		e := bad[i]
		if e.Line != w.line || e.Len != w.size || !errors.Is(e, ErrSeedTooLong) || len(e.Text) > seedTextShown {
			t.Errorf("bad line %d: line %d, %d bytes, %d shown, %v", i, e.Line, e.Len, len(e.Text), e.Err)
		}
		msg := e.Error()
		if !strings.HasPrefix(msg, fmt.Sprintf("seeds.txt:%d: ", w.line)) || !strings.Contains(msg, fmt.Sprintf("(%d bytes)", w.size)) || len(msg) > 250 {
			t.Errorf("message: %q", msg)
		}
	}
}

func TestSeedErrorLinesShowTheFirstTenShortened(t *testing.T) {
	var b strings.Builder
	b.WriteString("http://a.test/\n")
	for i := range 20_000 {
		fmt.Fprintf(&b, "not a url %d %s\n", i, strings.Repeat("x", 300))
	}
	seeds, bad, err := ReadSeeds(strings.NewReader(b.String()), "seeds.txt")
	if err != nil || len(seeds) != 1 || len(bad) != 20_000 {
		t.Fatalf("ReadSeeds: %d seeds, %d bad, %v", len(seeds), len(bad), err)
	}
	lines := SeedErrorLines(bad)
	if len(lines) != 11 || lines[10] != "... and 19990 more bad lines" {
		t.Fatalf("lines: %d, last %q", len(lines), lines[len(lines)-1])
	}
	for i, l := range lines[:10] {
		if !strings.HasPrefix(l, fmt.Sprintf("seeds.txt:%d: \"not a url %d ", i+2, i)) || len(l) > 250 || !strings.Contains(l, "bytes)") {
			t.Errorf("line %d: %q", i, l)
		}
	}
	if got := SeedErrorLines(bad[:3]); len(got) != 3 {
		t.Errorf("three bad lines: %q", got)
	}
}
