package fetch

import "net/url"

// isHost returns a predicate true for the given hosts only: a SeedHost, or an InScope on URLs.
func isHost(hosts ...string) func(string) bool {
	return func(h string) bool {
		for _, x := range hosts {
			if h == x {
				return true
			}
		}
		return false
	}
}

func urlOnHost(hosts ...string) func(*url.URL) bool {
	is := isHost(hosts...)
	return func(u *url.URL) bool { return is(u.Host) }
}
