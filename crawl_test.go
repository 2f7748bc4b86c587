package crawl

import (
	"hash/fnv"
	"slices"
	"strings"
	"testing"
)

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

func TestRequisiteKinds(t *testing.T) {
	for k := EdgeKind(1); k <= KindObject; k++ {
		if want := k >= KindImage; k.Requisite() != want {
			t.Errorf("%v.Requisite() = %v", k, k.Requisite())
		}
		if name := k.String(); name == "" || name[0] == 'k' {
			t.Errorf("kind %d has no name: %q", k, name)
		}
	}
	if len(Requisites()) != int(KindObject-KindImage+1) {
		t.Errorf("Requisites() = %v", Requisites())
	}
	if KindRedirect.Requisite() || EdgeKind(14).Requisite() {
		t.Error("a redirect or an unknown kind counts as a requisite")
	}
}

func TestTargetsHas(t *testing.T) {
	ids := []string{"intro", "caf\u00e9", "a b", "Top"}
	var tg Targets
	for _, id := range ids {
		tg.Hashes = append(tg.Hashes, HashTarget(id))
	}
	slices.Sort(tg.Hashes)
	for frag, want := range map[string]bool{
		"intro": true, "Intro": false, "caf%C3%A9": true, "caf\u00e9": true, "a%20b": true,
		"Top": true, "top": false, "missing": false, "%zz": false,
	} {
		if got := tg.Has(frag); got != want {
			t.Errorf("Has(%q) = %v, want %v", frag, got, want)
		}
	}
	for frag, want := range map[string]bool{"": true, "top": true, "TOP": true, "tops": false, "x": false} {
		if TopFragment(frag) != want {
			t.Errorf("TopFragment(%q) = %v", frag, !want)
		}
	}
}

// The hashes are stored: HashTarget must stay FNV-1a (32 bits), for a string and for bytes.
func TestHashTargetIsFNV1a(t *testing.T) {
	for _, id := range []string{"", "intro", "caf\u00e9", "a b", strings.Repeat("x", 300)} {
		h := fnv.New32a()
		h.Write([]byte(id))
		if got, want := HashTarget(id), h.Sum32(); got != want {
			t.Errorf("HashTarget(%q) = %x, want %x", id, got, want)
		}
		if got, want := HashTarget([]byte(id)), h.Sum32(); got != want {
			t.Errorf("HashTarget([]byte(%q)) = %x, want %x", id, got, want)
		}
	}
}
