package export

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

// TestAppendCSVMatchesEncodingCSV checks that appendCSV quotes exactly as encoding/csv's
// Writer does, for both separators.
func TestAppendCSVMatchesEncodingCSV(t *testing.T) {
	fields := append([]string{
		"", "plain", `\.`, `\..`, `x\.`, " lead", "\tlead", "\u00a0nbsp lead", "\u3000ideographic",
		"trail ", `"`, `say "hi"`, `""`, "a,b", "a\tb", "cr\rlf\n", "\r\n", "semi;colon", "日本語",
	}, nasty...)
	for _, comma := range []byte{',', '\t'} {
		for _, f := range fields {
			var want bytes.Buffer
			w := csv.NewWriter(&want)
			w.Comma = rune(comma)
			w.Write([]string{strings.ToValidUTF8(f, "")})
			w.Flush()
			got := string(appendCSV(nil, f, comma)) + "\n"
			if got != want.String() {
				t.Errorf("comma %q, field %q: got %q, want %q", comma, f, got, want.String())
			}
		}
	}
}
