package fetch

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadAll(t *testing.T) {
	body := strings.Repeat("0123456789", 300) // 3000 bytes
	tests := []struct {
		name          string
		contentLength int64
		max           int64
		want          int // bytes read (the caller reads at most max+1)
	}{
		{"exact length", 3000, 10 << 20, 3000},
		{"unknown length", -1, 10 << 20, 3000},
		{"length too small", 100, 10 << 20, 3000},
		{"length too large", 5000, 10 << 20, 3000},
		{"cut at max", 3000, 1000, 1001},
		{"unknown length, cut at max", -1, 1000, 1001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(body), iotest.OneByteReader(strings.NewReader(body))} {
				got, err := readAll(io.LimitReader(r, tt.max+1), tt.contentLength, tt.max)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != tt.want || !bytes.Equal(got, []byte(body[:tt.want])) {
					t.Errorf("read %d bytes, want the first %d", len(got), tt.want)
				}
			}
		})
	}
	if _, err := readAll(iotest.ErrReader(io.ErrUnexpectedEOF), -1, 100); err != io.ErrUnexpectedEOF {
		t.Errorf("error %v, want %v", err, io.ErrUnexpectedEOF)
	}
}
