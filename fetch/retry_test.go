package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header string
		want   time.Duration
		ok     bool
	}{
		{"seconds", "120", 2 * time.Minute, true},
		{"zero", "0", 0, true},
		{"spaces", " 7 ", 7 * time.Second, true},
		{"date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"RFC 850 date", now.Add(time.Hour).Format("Monday, 02-Jan-06 15:04:05 GMT"), time.Hour, true},
		{"date in the past", now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"huge", "99999999999999999999", 0, false},
		{"very large", "9223372036", 9223372036 * time.Second, true},
		{"negative", "-5", 0, false},
		{"fraction", "1.5", 0, false},
		{"garbage", "soon", 0, false},
		{"missing", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set("Retry-After", tt.header)
			}
			got, ok := RetryAfter(h, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tt.header, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestRetriable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"refused", fmt.Errorf("fetch x: %w", &net.OpError{Op: "dial", Err: errors.New("connection refused")}), true},
		{"timeout", fmt.Errorf("fetch x: %w", context.DeadlineExceeded), true},
		{"redirect loop", fmt.Errorf("fetch x: %w at y", ErrRedirectLoop), false},
		{"no such host", fmt.Errorf("fetch x: %w", &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}), false},
		{"DNS timeout", fmt.Errorf("fetch x: %w", &net.DNSError{Err: "timeout", Name: "x.test", IsTimeout: true}), true},
	}
	for _, tt := range tests {
		if got := Retriable(tt.err); got != tt.want {
			t.Errorf("%s: Retriable(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestRetriableStatus(t *testing.T) {
	for status, want := range map[int]bool{200: false, 301: false, 404: false, 410: false, 429: true, 500: true, 502: true, 503: true, 504: true} {
		if got := RetriableStatus(status); got != want {
			t.Errorf("RetriableStatus(%d) = %v, want %v", status, got, want)
		}
	}
}
