package store

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/crawl-project/crawl"
)

func TestEdgeListRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		edges []storedEdge
	}{
		{"one redirect", []storedEdge{{Edge: crawl.Edge{Src: 7, Dst: 8, Kind: crawl.KindRedirect, Count: 1}, follow: true}}},
		{"links", []storedEdge{
			{Edge: crawl.Edge{Src: 7, Dst: 1 << 40, Kind: crawl.KindLink, Rel: "nofollow", Anchor: "über", Count: 3}},
			{Edge: crawl.Edge{Src: 7, Dst: 2, Kind: crawl.KindCanonical, Count: 1}, follow: true},
			{Edge: crawl.Edge{Src: 7, Dst: 2, Kind: crawl.KindLink, Anchor: strings.Repeat("a", 300), Count: 1}, follow: true},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := encodeEdges(tc.edges)
			var got []storedEdge
			if err := eachEncodedEdge(7, b, func(e storedEdge) error { got = append(got, e); return nil }); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.edges) {
				t.Errorf("round trip = %+v, want %+v", got, tc.edges)
			}
			if n, ok := encodedEdgeCount(b); !ok || n != len(tc.edges) {
				t.Errorf("count = %d, %v; want %d", n, ok, len(tc.edges))
			}
			for _, bad := range [][]byte{b[:len(b)-1], append(append([]byte(nil), b...), 0)} {
				err := eachEncodedEdge(7, bad, func(storedEdge) error { return nil })
				if !errors.Is(err, errCorrupt) {
					t.Errorf("%x: err = %v, want corrupt", bad, err)
				}
			}
		})
	}
}

func TestOpenRefusesOlderSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.bolt.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, []byte("1")) })
	db.Close()
	for _, ro := range []bool{false, true} {
		_, err := Open(path, Options{ReadOnly: ro})
		if !errors.Is(err, ErrOldSchema) || !strings.Contains(err.Error(), "schema 1, this version reads 2 only") {
			t.Errorf("read-only %v: err = %v", ro, err)
		}
	}
}
