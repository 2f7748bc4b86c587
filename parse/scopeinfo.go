package parse

import (
	"maps"
	"regexp"
	"slices"
)

// Mode returns the scope's mode.
func (s *Scope) Mode() ScopeMode { return s.mode }

// Hosts returns, sorted, the seed hosts (ScopeHost) or registrable domains (ScopeDomain) the
// scope admits; nil for ScopeAll.
func (s *Scope) Hosts() []string {
	if len(s.hosts) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(s.hosts))
}

// Include returns the include patterns as given.
func (s *Scope) Include() []string { return patterns(s.include) }

// Exclude returns the exclude patterns as given.
func (s *Scope) Exclude() []string { return patterns(s.exclude) }

func patterns(res []*regexp.Regexp) []string {
	if len(res) == 0 {
		return nil
	}
	out := make([]string, len(res))
	for i, re := range res {
		out[i] = re.String()
	}
	return out
}
