package cluster

import (
	"bytes"
	"errors"
	"testing"
)

func TestURLMessageRoundTrip(t *testing.T) {
	for _, u := range []URL{
		{URL: "http://a.test/", Depth: 0},
		{URL: "https://b.test:8443/x?y=1", Depth: 7},
		{URL: "http://é.test/ü", Depth: 1 << 20},
		{URL: "http://a.test/logo.png", Depth: 2, Check: true},
		{URL: "https://elsewhere.test/", Depth: 3, Check: true, External: true},
	} {
		b, err := appendURL(nil, u)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeURL(b)
		if err != nil || got != u {
			t.Fatalf("round trip of %+v: got %+v, %v", u, got, err)
		}
		want := 1 + 1 + len(u.URL)
		if u.Check {
			want++ // the flags byte of version 2
		}
		if u.Depth < 128 && len(b) != want {
			t.Errorf("%+v encodes in %d bytes, want %d", u, len(b), want)
		}
	}
}

func TestRecordMessageRoundTrip(t *testing.T) {
	r := PageRecord{URL: "http://a.test/p", Body: []byte{0, 1, 2, 255}}
	b, err := appendRecord(nil, r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeRecord(b)
	if err != nil || got.URL != r.URL || !bytes.Equal(got.Body, r.Body) {
		t.Fatalf("round trip: got %+v, %v", got, err)
	}
}

func TestWireRefusesBadMessages(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":          nil,
		"future version": {2, 0, 'h'},
		"no url":         {1, 0},
		"bad depth":      {1, 0xff},
		"not utf-8":      {1, 0, 0xff, 0xfe},
	} {
		if _, err := decodeURL(b); !errors.Is(err, errWire) {
			t.Errorf("URL %s: err %v, want errWire", name, err)
		}
	}
	for name, b := range map[string][]byte{
		"empty":          nil,
		"future version": {2, 1, 'h'},
		"long url len":   {1, 9, 'h'},
		"empty url":      {1, 0, 'x'},
	} {
		if _, err := decodeRecord(b); !errors.Is(err, errWire) {
			t.Errorf("record %s: err %v, want errWire", name, err)
		}
	}
	for name, b := range map[string][]byte{
		"no flags in version 2": {2, 0, 1, 'h'},
		"unknown flag":          {2, 4 | flagCheck, 1, 'h'},
		"external, no check":    {2, flagExternal, 1, 'h'},
		"version 2, no flags":   {2},
	} {
		if _, err := decodeURL(b); !errors.Is(err, errWire) {
			t.Errorf("URL %s: err %v, want errWire", name, err)
		}
	}
	if _, err := appendURL(nil, URL{URL: "http://a.test/", Depth: -1}); !errors.Is(err, errWire) {
		t.Errorf("negative depth encoded: %v", err)
	}
}

func TestMessageIDs(t *testing.T) {
	a := urlMsgID(URL{URL: "http://a.test/", Depth: 1})
	if a != urlMsgID(URL{URL: "http://a.test/", Depth: 1}) {
		t.Error("same URL and depth: different ids")
	}
	if a == urlMsgID(URL{URL: "http://a.test/", Depth: 0}) {
		t.Error("a smaller depth must pass the duplicate window: same id")
	}
	if a == urlMsgID(URL{URL: "http://a.test/x", Depth: 1}) {
		t.Error("different URLs: same id")
	}
	check := urlMsgID(URL{URL: "http://a.test/", Depth: 1, Check: true})
	if check == a {
		t.Error("a URL to check and the same URL to crawl: same id, the crawl would be dropped")
	}
	if check == urlMsgID(URL{URL: "http://a.test/", Depth: 1, Check: true, External: true}) {
		t.Error("a check in and out of the scope: same id")
	}
	// The id of a URL to crawl is what it was before URL messages had flags: sha256(1, URL).
	if a != "u92138383b056127629c428bbffcd9825" {
		t.Errorf("id of a URL to crawl changed: %s", a)
	}
	if recordMsgID([]byte("x")) == recordMsgID([]byte("y")) {
		t.Error("different records: same id")
	}
}

func FuzzDecodeURL(f *testing.F) {
	for _, u := range []URL{{URL: "http://a.test/"}, {URL: "https://b.test/x?y", Depth: 300}, {URL: "http://c.test/i.png", Depth: 2, Check: true}} {
		b, _ := appendURL(nil, u)
		f.Add(b)
	}
	f.Add([]byte{1, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := decodeURL(b)
		if err != nil {
			return
		}
		again, err := appendURL(nil, u)
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", u, err)
		}
		back, err := decodeURL(again)
		if err != nil || back != u {
			t.Fatalf("re-encoded %+v decodes as %+v, %v", u, back, err)
		}
	})
}

func FuzzDecodeRecord(f *testing.F) {
	b, _ := appendRecord(nil, PageRecord{URL: "http://a.test/", Body: []byte("body")})
	f.Add(b)
	f.Add([]byte{1, 0x80, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			return
		}
		again, err := appendRecord(nil, r)
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", r, err)
		}
		back, err := decodeRecord(again)
		if err != nil || back.URL != r.URL || !bytes.Equal(back.Body, r.Body) {
			t.Fatalf("re-encoded record decodes differently: %+v, %v", back, err)
		}
	})
}
