package fetch

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retriable reports whether a fetch that failed with err may succeed if tried again later:
// connection errors and timeouts may; a redirect loop, a bad certificate, a host name that
// does not exist, a refused private address or an unsupported Content-Encoding will not.
func Retriable(err error) bool {
	if err == nil {
		return false
	}
	var (
		dnsErr    *net.DNSError
		certErr   *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	switch {
	case errors.Is(err, ErrRedirectLoop), errors.Is(err, ErrPrivateAddress),
		errors.Is(err, ErrUnsupportedEncoding), errors.Is(err, ErrOutOfScope):
		return false
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return false
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalid):
		return false
	}
	return true
}

// RetriableStatus reports whether a response status asks for the request to be made again
// later: 429 Too Many Requests and the 5xx server errors.
func RetriableStatus(status int) bool {
	return status == http.StatusTooManyRequests || (status >= 500 && status <= 599)
}

// RetryAfter reads a Retry-After header (RFC 9110 section 10.2.3), given as delay-seconds or as
// an HTTP date, and returns how long to wait from now. A date in the past waits 0; a missing or
// malformed header reports false.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 63); err == nil {
		const maxSecs = uint64(1<<63-1) / uint64(time.Second)
		if secs > maxSecs {
			secs = maxSecs
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}
