package crawl

import "testing"

func TestStateNamesRoundTrip(t *testing.T) {
	for s := StatePending; s <= StateRemote; s++ {
		got, err := ParseState(s.String())
		if err != nil || got != s {
			t.Errorf("ParseState(%q) = %v, %v; want %v", s.String(), got, err, s)
		}
	}
	if _, err := ParseState("fetched"); err == nil {
		t.Error(`ParseState("fetched") accepted an unknown name`)
	}
	if got := State(42).String(); got != "state(42)" {
		t.Errorf("State(42) = %q", got)
	}
}

func TestEdgeNofollow(t *testing.T) {
	for rel, want := range map[string]bool{
		"":                   false,
		"nofollow":           true,
		"NoFollow":           true,
		"noopener nofollow":  true,
		"  nofollow  ugc":    true,
		"nofollowing":        false,
		"no follow":          false,
		"external noreferer": false,
	} {
		if got := (Edge{Rel: rel}).Nofollow(); got != want {
			t.Errorf("Edge{Rel: %q}.Nofollow() = %v, want %v", rel, got, want)
		}
	}
}
