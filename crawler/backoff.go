package crawler

import "time"

// backoff is how long a host is held back after its n-th consecutive failure (n >= 1): base
// doubled per failure and capped at limit, with "equal jitter": a uniformly random wait
// between half and all of that, so that hosts failing together do not retry in lockstep,
// while the wait never falls below half the nominal one. rnd returns a number in [0, 1).
func backoff(base, limit time.Duration, n int, rnd func() float64) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	half := d / 2
	return half + time.Duration(rnd()*float64(d-half))
}
