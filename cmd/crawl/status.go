package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/store"
	"github.com/crawl-project/crawl/store/report"
)

// statusReport is the output of crawl status; its JSON form is stable for scripts.
type statusReport struct {
	DB          string            `json:"db"`
	Bytes       int64             `json:"bytes"`
	Schema      int               `json:"schema"`
	State       string            `json:"state"` // new, finished, budget-spent or resumable
	Finished    bool              `json:"finished"`
	Updated     *time.Time        `json:"last_activity,omitempty"`
	URLs        int               `json:"urls"`
	States      map[string]int    `json:"states"`  // every state, zeros included
	Skipped     map[string]int    `json:"skipped"` // skipped URLs by reason
	Frontier    int               `json:"frontier"`
	QueuedHosts int               `json:"queued_hosts"`
	Hosts       int               `json:"hosts"`
	Links       int               `json:"links"`
	Fetched     int               `json:"fetch_attempts"`
	Config      *crawler.Settings `json:"config,omitempty"`
	Rejected    map[string]int    `json:"rejected"` // refused by trap rules or host budget; links over a page's cap
	// Truncated and PartialParses count the fetched pages read only in part: bodies cut at
	// --max-body, and pages whose HTML could be parsed only in part (done with an error note).
	Truncated     int `json:"truncated"`
	PartialParses int `json:"partial_parses"`
}

var stateOrder = []crawl.State{crawl.StatePending, crawl.StateDone, crawl.StateFailed,
	crawl.StateBlocked, crawl.StateExternal, crawl.StateSkipped}

func newStatusCommand(e *env) *cobra.Command {
	var dbPath string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "show how far the crawl in a database has got",
		Long:  "Show how far the crawl in --db has got. It reads the database while no crawl runs on it.",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			return status(runStatus(e, dbPath, asJSON))
		},
	}
	cmd.Flags().SortFlags = false
	cmd.Flags().StringVarP(&dbPath, "db", "d", "crawl.db", "the crawl database to read")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	return cmd
}

func runStatus(e *env, dbPath string, asJSON bool) int {
	const name = "crawl status"
	db, code := openForReading(e.stderr, name, dbPath)
	if db == nil {
		return code
	}
	defer db.Close()
	rep, err := readStatus(db)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
		return exitError
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
			return exitError
		}
		return exitOK
	}
	printStatus(e.stdout, rep, time.Now())
	return exitOK
}

func readStatus(db *store.DB) (statusReport, error) {
	path := db.Path()
	var st store.Status
	if err := db.View(func(s *store.Snapshot) (err error) {
		st, err = s.Status()
		return err
	}); err != nil {
		return statusReport{}, fmt.Errorf("%s: %w", path, err)
	}
	rep := statusReport{
		DB: path, Schema: st.Schema, URLs: st.URLs, Frontier: st.Frontier, QueuedHosts: st.QueuedHosts,
		Hosts: st.Hosts, Links: st.Edges, Fetched: st.Fetched, Finished: st.Finished(),
		States: map[string]int{}, Skipped: st.Skipped, Rejected: st.Rejected,
		Truncated: st.Truncated, PartialParses: st.PartialParses,
	}
	if fi, err := os.Stat(path); err == nil {
		rep.Bytes = fi.Size()
	}
	if !st.Updated.IsZero() {
		rep.Updated = &st.Updated
	}
	for _, s := range stateOrder {
		rep.States[s.String()] = st.ByState[s]
	}
	if n := st.ByState[crawl.StateRemote]; n > 0 { // a cluster node's database
		rep.States[crawl.StateRemote.String()] = n
	}
	if st.Config != nil {
		cfg, err := crawler.ParseSettings(st.Config)
		if err != nil {
			return statusReport{}, fmt.Errorf("%s: %w", path, err)
		}
		rep.Config = &cfg
	}
	switch {
	case st.URLs == 0:
		rep.State, rep.Finished = "new", false
	case st.Finished():
		rep.State = "finished"
	case rep.Config != nil && rep.Config.MaxPages > 0 && st.Fetched >= rep.Config.MaxPages:
		rep.State = "budget-spent"
	default:
		rep.State = "resumable"
	}
	return rep, nil
}

// printStatus writes the report as a one-screen table.
func printStatus(w io.Writer, r statusReport, now time.Time) {
	row := func(label, format string, args ...any) {
		fmt.Fprintf(w, "%-15s %s\n", label, fmt.Sprintf(format, args...))
	}
	row("Database", "%s (%s, schema %d)", r.DB, report.HumanBytes(r.Bytes), r.Schema)
	switch r.State {
	case "new":
		row("Crawl", "not started: no URL recorded")
	case "finished":
		row("Crawl", "finished: nothing left to fetch")
	case "budget-spent":
		row("Crawl", "stopped at --max-pages %d with %d URLs queued; raise --max-pages to go on", r.Config.MaxPages, r.Frontier)
	default:
		row("Crawl", "not finished: %d URLs queued; run the crawl command again to resume", r.Frontier)
	}
	if r.Updated != nil {
		row("Last activity", "%s (%s ago)", r.Updated.Local().Format("2006-01-02 15:04:05 MST"), now.Sub(*r.Updated).Round(time.Second))
	} else {
		row("Last activity", "none")
	}
	if r.Config != nil {
		row("Configuration", "%s", describeSettings(*r.Config))
	}
	fmt.Fprintln(w)
	row("URLs", "%d", r.URLs)
	for _, s := range stateOrder {
		n := r.States[s.String()]
		note := ""
		switch s {
		case crawl.StatePending:
			note = fmt.Sprintf("in the frontier: %d, on %d host(s)", r.Frontier, r.QueuedHosts)
		case crawl.StateSkipped:
			note = skippedReasons(r.Skipped)
		}
		fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("  %-15s %9d  %s", s, n, note), " "))
	}
	if n := r.States[crawl.StateRemote.String()]; n > 0 {
		fmt.Fprintf(w, "  %-15s %9d  recorded by the nodes that own their hosts (crawl merge)\n", crawl.StateRemote, n)
	}
	fmt.Fprintln(w)
	budget := ""
	if r.Config != nil && r.Config.MaxPages > 0 {
		budget = fmt.Sprintf(" of --max-pages %d", r.Config.MaxPages)
	}
	row("Fetch attempts", "%d%s", r.Fetched, budget)
	row("Rejected", "%s", formatRejected(r.Rejected))
	row("Read in part", "%s", report.IncompleteSummary(r.Truncated, r.PartialParses))
	row("Hosts", "%d with recorded pages", r.Hosts)
	row("Links", "%d", r.Links)
}

func skippedReasons(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	reasons := make([]string, 0, len(m))
	for k := range m {
		reasons = append(reasons, k)
	}
	slices.Sort(reasons)
	parts := make([]string, len(reasons))
	for i, k := range reasons {
		name := k
		if name == "" {
			name = "other"
		}
		parts[i] = fmt.Sprintf("%s %d", name, m[k])
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// describeSettings summarises the recorded configuration in flag terms, on one line.
func describeSettings(s crawler.Settings) string {
	scope := "--scope " + s.Scope
	if len(s.ScopeHosts) > 0 {
		hosts := s.ScopeHosts
		more := ""
		if len(hosts) > 3 {
			hosts, more = hosts[:3], fmt.Sprintf(" and %d more", len(s.ScopeHosts)-3)
		}
		scope += " (" + strings.Join(hosts, ", ") + more + ")"
	}
	parts := []string{scope}
	if len(s.Include) > 0 {
		parts = append(parts, fmt.Sprintf("%d --include", len(s.Include)))
	}
	if len(s.Exclude) > 0 {
		parts = append(parts, fmt.Sprintf("%d --exclude", len(s.Exclude)))
	}
	if s.MaxDepth >= 0 {
		parts = append(parts, fmt.Sprintf("--max-depth %d", s.MaxDepth))
	}
	if s.MaxPages > 0 {
		parts = append(parts, fmt.Sprintf("--max-pages %d", s.MaxPages))
	}
	parts = append(parts, fmt.Sprintf("%d seed(s)", len(s.Seeds)))
	return strings.Join(parts, ", ")
}
