package fetch

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func zlibBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func flateBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// encodedServer answers every request with body, sent with the given Content-Encoding and status.
func encodedServer(t *testing.T, coding string, status int, body []byte) string {
	t.Helper()
	return newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", coding)
		w.WriteHeader(status)
		w.Write(body)
	})).URL
}

func TestGetContentEncodings(t *testing.T) {
	page := []byte(strings.Repeat("<p>an encoded page</p>\n", 200))
	tests := []struct {
		name, coding string
		status       int
		body         []byte
		want         []byte
	}{
		{"gzip", "gzip", 200, gzipBytes(t, page), page},
		{"x-gzip", "x-gzip", 200, gzipBytes(t, page), page},
		{"upper-case", "GZIP", 200, gzipBytes(t, page), page},
		{"deflate as zlib", "deflate", 200, zlibBytes(t, page), page},
		{"deflate as raw deflate", "deflate", 200, flateBytes(t, page), page},
		{"identity", "identity", 200, page, page},
		{"empty gzip body", "gzip", http.StatusNotFound, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := encodedServer(t, tt.coding, tt.status, tt.body)
			resp, err := NewClient(Config{}).Get(context.Background(), mustURL(t, srv), nil)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if !bytes.Equal(resp.Body, tt.want) || resp.Truncated {
				t.Errorf("body %d bytes (truncated %v), want %d decoded bytes", len(resp.Body), resp.Truncated, len(tt.want))
			}
			if ce := resp.Header.Get("Content-Encoding"); ce != "" && ce != "identity" {
				t.Errorf("Content-Encoding %q left on a decoded response", ce)
			}
		})
	}
}

// deflateBombs returns testdata's gzip bomb (50 MiB of zeros) as a raw deflate stream and
// as a zlib stream: compressing that much in the test would take seconds under -race.
func deflateBombs(t *testing.T) (raw, zlibbed []byte) {
	t.Helper()
	gz, err := os.ReadFile(filepath.Join("testdata", "zeros-50MiB.gz"))
	if err != nil {
		t.Fatal(err)
	}
	// RFC 1952: a 10-byte header (no optional fields: FLG is 0), the deflate stream, then
	// CRC-32 and size.
	if len(gz) < 18 || gz[3] != 0 {
		t.Fatal("testdata bomb has optional gzip header fields")
	}
	raw = gz[10 : len(gz)-8]
	// RFC 1950: a 2-byte header, the deflate stream, then the Adler-32 of the data, which
	// for n zero bytes is n mod 65521 in its high half and 1 in its low half.
	sum := binary.BigEndian.AppendUint32(nil, uint32(50<<20%65521)<<16|1)
	zlibbed = append(append([]byte{0x78, 0x9c}, raw...), sum...)
	return raw, zlibbed
}

// TestGetDeflateBombIsCut: a deflate body that expands far beyond MaxBody is cut at MaxBody
// decoded bytes and marked truncated, like a gzip one; the rest is never inflated.
func TestGetDeflateBombIsCut(t *testing.T) {
	raw, zlibbed := deflateBombs(t)
	for name, body := range map[string][]byte{"zlib": zlibbed, "raw": raw} {
		t.Run(name, func(t *testing.T) {
			srv := encodedServer(t, "deflate", 200, body)
			const maxBody = 1 << 20
			resp, err := NewClient(Config{MaxBody: maxBody}).Get(context.Background(), mustURL(t, srv), nil)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if !resp.Truncated || len(resp.Body) != maxBody {
				t.Errorf("kept %d bytes, truncated %v; want %d, truncated", len(resp.Body), resp.Truncated, maxBody)
			}
		})
	}
}

// TestGetUnsupportedEncoding: a body in a coding the client cannot decode is an error naming
// the coding, which trying again cannot mend, instead of bytes parsed as a page.
func TestGetUnsupportedEncoding(t *testing.T) {
	for _, coding := range []string{"br", "zstd", "compress", "gzip, br"} {
		srv := encodedServer(t, coding, 200, []byte("\x8b\x02\x80<html>not really</html>\x03"))
		_, err := NewClient(Config{}).Get(context.Background(), mustURL(t, srv), nil)
		want := "unsupported Content-Encoding " + codingName(coding)
		if !errors.Is(err, ErrUnsupportedEncoding) || !strings.Contains(err.Error(), want) || Retriable(err) {
			t.Errorf("Content-Encoding %q: %v; want ErrUnsupportedEncoding with %q, not retriable", coding, err, want)
		}
	}
	if got := codingName("gzip, br"); got != "gzip, br" {
		t.Errorf("codingName(gzip, br) = %q", got)
	}
	if got := codingName("x\x7fy"); got != `"x\x7fy"` {
		t.Errorf("codingName of a control character = %q, want it quoted", got)
	}
}
