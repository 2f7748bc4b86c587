package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// Causes of a fetch without an answer, as Cause names them: the words a summary counts and a
// stored error ends with ("robots.txt unavailable: connection refused").
const (
	CauseRefused  = "connection refused"
	CauseReset    = "connection reset"
	CauseDNS      = "DNS lookup failed"
	CauseTimeout  = "timeout"
	CauseTLS      = "TLS error"
	CauseRedirect = "redirect loop"
	CauseEncoding = "unsupported encoding"
	CauseOther    = "other error"
)

// StatusError is a response that counts as a failure, such as a robots.txt answered with 503.
type StatusError struct {
	URL    string
	Status int
}

func (e *StatusError) Error() string { return fmt.Sprintf("%s answered %d", e.URL, e.Status) }

// Cause names what made a fetch fail, in a few words a person recognises (see the Cause*
// constants; an HTTP status that counts as a failure is "HTTP 503"). nil has no cause: "".
func Cause(err error) string {
	var (
		status  *StatusError
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
		header  tls.RecordHeaderError
		alert   tls.AlertError
		netErr  net.Error
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &status):
		return fmt.Sprintf("HTTP %d", status.Status)
	case errors.Is(err, ErrRedirectLoop):
		return CauseRedirect
	case errors.Is(err, ErrUnsupportedEncoding):
		return CauseEncoding
	case errors.As(err, &dnsErr):
		return CauseDNS
	case errors.Is(err, syscall.ECONNREFUSED):
		return CauseRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return CauseReset
	case errors.As(err, &certErr), errors.As(err, &unknown), errors.As(err, &host),
		errors.As(err, &invalid), errors.As(err, &header), errors.As(err, &alert):
		return CauseTLS
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return CauseTimeout
	}
	return CauseOther
}
