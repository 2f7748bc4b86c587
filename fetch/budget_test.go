package fetch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestReadBody(t *testing.T) {
	body := strings.Repeat("0123456789", 300) // 3000 bytes
	tests := []struct {
		name          string
		contentLength int64
		max           int64
		want          int // bytes read (the caller cuts what is over max)
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
				got, held, err := readBody(context.Background(), r, tt.contentLength, tt.max, nil)
				if err != nil || held != 0 {
					t.Fatalf("held %d, err %v", held, err)
				}
				if len(got) != tt.want || !bytes.Equal(got, []byte(body[:tt.want])) {
					t.Errorf("read %d bytes, want the first %d", len(got), tt.want)
				}
			}
		})
	}
	if _, _, err := readBody(context.Background(), iotest.ErrReader(io.ErrUnexpectedEOF), -1, 100, nil); err != io.ErrUnexpectedEOF {
		t.Errorf("error %v, want %v", err, io.ErrUnexpectedEOF)
	}
}

// free reports whether all of b is free: a test holds nothing else of it.
func free(b *BodyBudget) bool {
	if !b.sem.TryAcquire(b.size) {
		return false
	}
	b.sem.Release(b.size)
	return true
}

// TestReadBodyHoldsWhatItKeeps: a body takes from the budget what its buffer holds, in one
// step, and gives back what it does not use; small bodies take nothing; a failed read gives
// everything back.
func TestReadBodyHoldsWhatItKeeps(t *testing.T) {
	const limit = 4 << 20
	big := bytes.Repeat([]byte("x"), 1<<20)
	tests := []struct {
		name          string
		body          []byte
		contentLength int64
		held          func(held int64) bool
	}{
		{"small, unknown length", big[:FreeBody/2], -1, func(h int64) bool { return h == 0 }},
		{"small, known length", big[:FreeBody-1], FreeBody - 1, func(h int64) bool { return h == 0 }},
		{"large, known length", big, 1 << 20, func(h int64) bool { return h == 1<<20+1 }},
		{"large, unknown length", big, -1, func(h int64) bool { return h >= 1<<20 && h < 1<<20+FreeBody }},
		{"longer than max", bytes.Repeat([]byte("y"), limit+100), -1, func(h int64) bool { return h == limit+1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBodyBudget(limit + 1)
			got, held, err := readBody(context.Background(), bytes.NewReader(tt.body), tt.contentLength, limit, b)
			if err != nil {
				t.Fatal(err)
			}
			if want := min(len(tt.body), limit+1); len(got) != want {
				t.Errorf("read %d bytes, want %d", len(got), want)
			}
			if !tt.held(held) || b.inUse.Load() != held || int64(cap(got)) > max(held, FreeBody) {
				t.Errorf("holds %d of the budget (in use %d) for a buffer of %d", held, b.inUse.Load(), cap(got))
			}
			(&Response{budget: b, held: held}).Release()
			if !free(b) {
				t.Error("the budget is not all free after the release")
			}
		})
	}
	t.Run("failed read", func(t *testing.T) {
		b := NewBodyBudget(limit + 1)
		r := io.MultiReader(bytes.NewReader(big), iotest.ErrReader(io.ErrUnexpectedEOF))
		if _, held, err := readBody(context.Background(), r, -1, limit, b); err == nil || held != 0 || !free(b) {
			t.Errorf("held %d, err %v, all free %v; want an error and nothing held", held, err, free(b))
		}
	})
}

// TestBudgetMakesFetchesWait: a fetch whose body does not fit waits until a body is released,
// and gives up when its time runs out.
func TestBudgetMakesFetchesWait(t *testing.T) {
	const size = 1 << 20
	page := bytes.Repeat([]byte("<p>x</p>"), size/8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		w.Write(page)
	}))
	defer srv.Close()
	budget := NewBodyBudget(size + size/2) // room for one page at a time
	c := NewClient(Config{BodyBudget: budget, MaxBody: size + 1, Timeout: time.Minute})
	u, err := url.Parse(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.Get(context.Background(), u, nil)
	if err != nil || len(first.Body) != size {
		t.Fatalf("first fetch: %v, %d bytes", err, len(first.Body))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Get(ctx, u, nil); !errors.Is(err, errBudget) {
		t.Fatalf("second fetch while the first holds the budget: %v, want it to wait and give up", err)
	}
	done := make(chan error, 1)
	go func() {
		r, err := c.Get(context.Background(), u, nil)
		r.Release()
		done <- err
	}()
	first.Release()
	if err := <-done; err != nil {
		t.Fatalf("fetch after the release: %v", err)
	}
	if !free(budget) || budget.Peak() != size+1 {
		t.Errorf("all free %v, peak %d; want all free and a peak of one page", free(budget), budget.Peak())
	}
}
