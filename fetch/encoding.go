package fetch

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// ErrUnsupportedEncoding reports a body in a Content-Encoding the client cannot decode (br,
// zstd, ...): its bytes would be parsed as garbage. Trying again gets the same answer.
var ErrUnsupportedEncoding = errors.New("unsupported Content-Encoding")

// acceptEncoding names the codings decodeBody reads. The client sends it itself: the
// transport would ask for gzip alone, and it decodes only what it asked for.
const acceptEncoding = "gzip, deflate"

// decodeBody returns a reader of resp's body with its Content-Encoding undone, so that the
// caller's size cap counts decoded bytes: a small compressed body that expands to gigabytes
// is cut like any long body.
func decodeBody(resp *http.Response) (io.Reader, error) {
	coding := strings.ToLower(strings.TrimSpace(strings.Join(resp.Header.Values("Content-Encoding"), ",")))
	switch coding {
	case "", "identity":
		return resp.Body, nil
	case "gzip", "x-gzip", "deflate":
	default:
		return nil, fmt.Errorf("%w %s", ErrUnsupportedEncoding, codingName(coding))
	}
	// As the transport does for the gzip it decodes: the headers describe the decoded body.
	resp.Header.Del("Content-Encoding")
	resp.Header.Del("Content-Length")
	br := bufio.NewReader(resp.Body)
	head, err := br.Peek(2)
	if len(head) == 0 {
		// An empty body (a redirect's, a 304's) has nothing to decode.
		if err == io.EOF {
			err = nil
		}
		return br, err
	}
	if coding != "deflate" {
		return gzip.NewReader(br)
	}
	// "deflate" is a zlib stream (RFC 9110 section 8.4.1.2), but some servers send raw deflate:
	// a zlib stream starts with a header whose check bits make it a multiple of 31.
	if len(head) == 2 && head[0]&0x0f == 8 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0 {
		return zlib.NewReader(br)
	}
	return flate.NewReader(br), nil
}

// codingName is a Content-Encoding as an error message may show it: short, and quoted unless
// it is a list of plain tokens.
func codingName(coding string) string {
	const max = 40
	if len(coding) > max {
		coding = coding[:max] + "..."
	}
	for _, c := range strings.Split(coding, ",") {
		if !httpguts.ValidHeaderFieldName(strings.TrimSpace(c)) {
			return strconv.Quote(coding)
		}
	}
	return coding
}
