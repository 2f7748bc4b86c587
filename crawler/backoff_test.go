package crawler

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	const base, limit = time.Second, 10 * time.Second
	tests := []struct {
		n        int
		rnd      float64
		want     time.Duration
		scenario string
	}{
		{1, 0, 500 * time.Millisecond, "first failure, least jitter: half the base"},
		{1, 0.999999, time.Second - time.Microsecond, "first failure, most jitter: just under the base"},
		{2, 0, time.Second, "doubles"},
		{3, 0.5, 3 * time.Second, "4s nominal, halfway through the jitter"},
		{4, 0, 4 * time.Second, "8s nominal"},
		{5, 0, 5 * time.Second, "16s nominal, capped at 10s"},
		{60, 0, 5 * time.Second, "no overflow however long the streak"},
	}
	for _, tt := range tests {
		got := backoff(base, limit, tt.n, func() float64 { return tt.rnd })
		if d := got - tt.want; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("%s: backoff(n=%d, rnd=%v) = %v, want %v", tt.scenario, tt.n, tt.rnd, got, tt.want)
		}
	}
}
