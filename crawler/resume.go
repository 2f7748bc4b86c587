package crawler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/store"
)

// ErrConfigChanged means a rerun's scope-changing settings differ from those the database
// was crawled with, and Config.Reconfigure was not set. The error is a *ConfigChangedError.
var ErrConfigChanged = errors.New("crawl configuration changed")

// Settings is the part of a crawl's configuration that decides what the crawl contains. The
// first run records it in the database; each later run compares its own with it.
type Settings struct {
	Scope string `json:"scope"`
	// ScopeHosts are the hosts (scope host) or registrable domains (scope domain) of the
	// seeds of every run so far.
	ScopeHosts []string `json:"scope_hosts,omitempty"`
	Include    []string `json:"include,omitempty"`
	Exclude    []string `json:"exclude,omitempty"`
	MaxDepth   int      `json:"max_depth"` // -1: no limit
	MaxPages   int      `json:"max_pages"` // 0: no limit
	// Seeds are the seeds of every run so far, first-seen order.
	Seeds []string `json:"seeds"`
}

// ParseSettings decodes settings recorded in a database.
func ParseSettings(b []byte) (Settings, error) {
	var s Settings
	if err := json.Unmarshal(b, &s); err != nil {
		return Settings{}, fmt.Errorf("recorded crawl configuration: %w", err)
	}
	return s, nil
}

// Change is one scope-changing setting that differs between the recorded crawl and this run.
type Change struct {
	Flag     string // the command-line flag: "scope", "include", "exclude" or "max-depth"
	Was, Now string // the setting as flags, e.g. "--max-depth 3", "no --include"
}

// ConfigChangedError lists what changed.
type ConfigChangedError struct{ Changes []Change }

func (e *ConfigChangedError) Error() string {
	was, now := e.Sides()
	return fmt.Sprintf("%v: was %s, now %s", ErrConfigChanged, was, now)
}

// Is makes errors.Is(err, ErrConfigChanged) true.
func (e *ConfigChangedError) Is(target error) bool { return target == ErrConfigChanged }

// Sides returns the recorded and the new settings that differ, each joined with " and ".
func (e *ConfigChangedError) Sides() (was, now string) {
	var w, n []string
	for _, c := range e.Changes {
		w = append(w, c.Was)
		n = append(n, c.Now)
	}
	return strings.Join(w, " and "), strings.Join(n, " and ")
}

// ResumeInfo says what the start of a run did to the recorded crawl.
type ResumeInfo struct {
	Resumed      bool // the database held a crawl already
	Reconfigured []Change
	Rescope      store.RescopeStats // what a reconfiguration changed in the queue
	SeedsQueued  int                // seeds queued (new, or known but never fetched)
	NewSeeds     int                // seeds not recorded before
	RetryFailed  int                // failed URLs queued again
	// ChecksQueued counts the URLs recorded as external by earlier runs that this run's
	// checks (--check-external, --assets all) queued.
	ChecksQueued int
}

// settings is what this run would record.
func (cfg *Config) settings() Settings {
	return Settings{
		Scope:      string(cfg.Scope.Mode()),
		ScopeHosts: cfg.Scope.Hosts(),
		Include:    cfg.Scope.Include(),
		Exclude:    cfg.Scope.Exclude(),
		MaxDepth:   max(cfg.MaxDepth, -1),
		MaxPages:   cfg.MaxPages,
		Seeds:      slices.Clone(cfg.Seeds),
	}
}

// changes lists the scope-changing settings that differ. --max-pages is a budget, not a
// scope: it may change between runs. Seeds are added, never compared.
func changes(was, now Settings) []Change {
	var out []Change
	if was.Scope != now.Scope {
		out = append(out, Change{"scope", "--scope " + was.Scope, "--scope " + now.Scope})
	}
	for _, p := range []struct {
		flag     string
		was, now []string
	}{{"include", was.Include, now.Include}, {"exclude", was.Exclude, now.Exclude}} {
		if !slices.Equal(slices.Sorted(slices.Values(p.was)), slices.Sorted(slices.Values(p.now))) {
			out = append(out, Change{p.flag, patternFlags(p.flag, p.was), patternFlags(p.flag, p.now)})
		}
	}
	if was.MaxDepth != now.MaxDepth {
		out = append(out, Change{"max-depth", depthFlag(was.MaxDepth), depthFlag(now.MaxDepth)})
	}
	return out
}

func patternFlags(flag string, patterns []string) string {
	if len(patterns) == 0 {
		return "no --" + flag
	}
	parts := make([]string, len(patterns))
	for i, p := range patterns {
		parts[i] = "--" + flag + " " + strconv.Quote(p)
	}
	return strings.Join(parts, " ")
}

func depthFlag(d int) string {
	if d < 0 {
		return "no --max-depth"
	}
	return "--max-depth " + strconv.Itoa(d)
}

// prepare reconciles the database with this run's configuration before the pipeline starts:
// it checks the recorded settings (refusing a changed scope unless Reconfigure), widens the
// scope to the seeds of earlier runs, applies a reconfiguration to the queue, queues the
// seeds and, with RetryFailed, the failed URLs, and records the settings.
//
// Seeds are cumulative: a seed of an earlier run that is not in this run's list stays part of
// the crawl and of its scope, so the URLs it brought in are never stranded out of scope. A
// seed on a new host widens a host or domain scope; URLs of that host that were recorded as
// external become part of the crawl when a followable link reaches them.
func (c *Crawler) prepare() (ResumeInfo, error) {
	cfg := &c.cfg
	var info ResumeInfo
	now := cfg.settings()
	recorded, err := c.db.Config()
	if err != nil {
		return info, err
	}
	var changed []Change
	if recorded != nil {
		info.Resumed = true
		was, err := ParseSettings(recorded)
		if err != nil {
			return info, fmt.Errorf("%s: %w", c.db.Path(), err)
		}
		if changed = changes(was, now); len(changed) > 0 && !cfg.Reconfigure {
			return info, &ConfigChangedError{Changes: changed}
		}
		seeds := slices.Clone(was.Seeds)
		for _, s := range cfg.Seeds {
			if !slices.Contains(was.Seeds, s) {
				seeds = append(seeds, s)
				info.NewSeeds++
			}
		}
		for _, s := range was.Seeds {
			u, err := url.Parse(s)
			if err != nil {
				return info, fmt.Errorf("recorded seed %q: %w", s, err)
			}
			cfg.Scope.AddSeed(u)
		}
		now.Seeds, now.ScopeHosts = seeds, cfg.Scope.Hosts()
		// The queue was built under the old settings: bring it in line with the new ones.
		if len(changed) > 0 {
			info.Reconfigured = changed
			info.Rescope, err = c.db.Rescope(cfg.MaxDepth, cfg.MaxPagesPerHost, func(raw string) bool {
				u, err := url.Parse(raw)
				return err == nil && cfg.Scope.Contains(u)
			})
			if err != nil {
				return info, err
			}
		}
	}

	seeds := make([]store.Seed, 0, len(now.Seeds))
	for _, s := range now.Seeds {
		u, err := url.Parse(s)
		if err != nil {
			return info, fmt.Errorf("seed %q: %w", s, err)
		}
		seeds = append(seeds, store.Seed{URL: s, Host: u.Host})
	}
	// A node of a cluster crawl queues no seed itself: the engine sends each to the owner of
	// its host's shard.
	if cfg.Cluster == nil {
		if info.SeedsQueued, err = c.db.AddSeeds(seeds); err != nil {
			return info, err
		}
	}
	if cfg.RetryFailed {
		if info.RetryFailed, err = c.db.RequeueFailed(); err != nil {
			return info, err
		}
	}
	if info.Resumed && (cfg.CheckExternal || cfg.Assets == AssetsAll) {
		// Pages recorded by runs without these checks refer to URLs recorded as external,
		// never fetched: they are checked now, as this run checks those of its pages.
		if info.ChecksQueued, err = c.db.QueueChecks(func(kind crawl.EdgeKind, u string) bool {
			return !cfg.Scope.Excluded(u) &&
				(kind == crawl.KindLink && cfg.CheckExternal || kind.Requisite() && cfg.Assets == AssetsAll)
		}); err != nil {
			return info, err
		}
	}
	b, err := json.Marshal(now)
	if err != nil {
		return info, err
	}
	if !bytes.Equal(b, recorded) {
		if err := c.db.SetConfig(b); err != nil {
			return info, fmt.Errorf("record crawl configuration: %w", err)
		}
	}
	return info, nil
}
