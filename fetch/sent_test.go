package fetch

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// Response.Sent is when the request was written, not when its answer came: the server holds
// its answer until after the test's mark, so a Sent taken from the answer would fall after it.
func TestGetSentIsWriteTime(t *testing.T) {
	arrived := make(chan struct{})
	release := make(chan struct{})
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
	}))
	done := make(chan *Response, 1)
	go func() {
		resp, err := NewClient(Config{}).Get(context.Background(), mustURL(t, srv.URL), nil)
		if err != nil {
			t.Error(err)
		}
		done <- resp
	}()
	<-arrived
	mark := time.Now()
	close(release)
	resp := <-done
	if resp == nil {
		return
	}
	if resp.Sent.IsZero() || resp.Sent.After(mark) {
		t.Errorf("Sent = %v, want a time before the server answered (%v)", resp.Sent, mark)
	}
}
