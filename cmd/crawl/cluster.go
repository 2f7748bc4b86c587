package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/crawl-project/crawl"
	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/crawler/cluster"
)

// A crawl shared by many machines: `crawl --cluster URL --crawl-id ID --node-id ID` makes the
// crawl one node of the crawl ID on a NATS JetStream server (see crawler/cluster), and
// `crawl cluster status|reassign` read and repair such a crawl from any machine.

// clusterFlags are the crawl's flags for a cluster crawl.
type clusterFlags struct {
	url, crawlID, nodeID string
	shards, replicas     int
	heartbeat, ttl       time.Duration
	lease, maxHostDelay  time.Duration
	ackWait              time.Duration
}

func (f *clusterFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.url, "cluster", "", "run as a node of a crawl shared by many machines, through the NATS JetStream server at `URL` (nats://host:4222; a comma-separated list for a cluster of servers)")
	fs.StringVar(&f.crawlID, "crawl-id", "", "with --cluster: the shared crawl's `ID` (letters, digits, - and _); the first node creates it with its settings")
	fs.StringVar(&f.nodeID, "node-id", "", "with --cluster: this node's `ID`, unique in the crawl and the same on every restart with this --db")
	fs.IntVar(&f.shards, "shards", 0, "with --cluster: how many shards the hosts are split into, set by the node that creates the crawl")
	documentDefault(fs, "shards", "256 for a new crawl, the crawl's when joining")
	fs.IntVar(&f.replicas, "replicas", 1, "with --cluster: copies the servers keep of the crawl's streams and bucket, set by the node that creates the crawl (3 on a 3-server JetStream cluster)")
	fs.DurationVar(&f.heartbeat, "heartbeat", time.Second, "with --cluster: how often the node renews its heartbeat and reports its progress")
	fs.DurationVar(&f.ttl, "heartbeat-ttl", 5*time.Second, "with --cluster: how long a heartbeat lives without renewal (whole seconds): a node that cannot renew it stops fetching")
	fs.DurationVar(&f.lease, "lease", time.Minute, "with --cluster: how long a node may be gone before live nodes take over its shards (crawl cluster reassign does it at once)")
	fs.DurationVar(&f.maxHostDelay, "max-host-delay", 30*time.Second, "with --cluster: the longest a host may ask between requests: how long the new owners of a lost node's hosts wait before their first request")
	fs.DurationVar(&f.ackWait, "ack-wait", 30*time.Second, "with --cluster: how long the server waits for a node to acknowledge URLs it sent before sending them again")
	group(fs, "Cluster", "cluster", "crawl-id", "node-id", "shards", "replicas", "heartbeat", "heartbeat-ttl", "lease", "max-host-delay", "ack-wait")
}

// check refuses cluster settings that cannot work, before anything is touched.
func (f *clusterFlags) check(c *crawlFlags) error {
	if f.url == "" {
		for _, x := range []struct{ name, v string }{{"--crawl-id", f.crawlID}, {"--node-id", f.nodeID}} {
			if x.v != "" {
				return fmt.Errorf("%s %s: only with --cluster", x.name, x.v)
			}
		}
		return nil
	}
	switch {
	case f.crawlID == "":
		return fmt.Errorf("--cluster %s: give the crawl's --crawl-id", f.url)
	case f.nodeID == "":
		return fmt.Errorf("--cluster %s: give this node's --node-id", f.url)
	case f.shards < 0 || f.shards > crawl.MaxShards:
		return fmt.Errorf("--shards %d: use 1 to %d", f.shards, crawl.MaxShards)
	case f.replicas < 1 || f.replicas > 5:
		return fmt.Errorf("--replicas %d: use 1 to 5", f.replicas)
	case f.heartbeat <= 0:
		return fmt.Errorf("--heartbeat %s: must be positive", f.heartbeat)
	case f.ttl < time.Second || f.ttl%time.Second != 0 || f.ttl <= f.heartbeat:
		return fmt.Errorf("--heartbeat-ttl %s: use whole seconds, more than --heartbeat %s", f.ttl, f.heartbeat)
	case f.lease <= 0 || f.maxHostDelay <= 0 || f.ackWait <= 0:
		return fmt.Errorf("--lease %s, --max-host-delay %s, --ack-wait %s: must be positive", f.lease, f.maxHostDelay, f.ackWait)
	case f.lease+f.ttl <= c.timeout:
		// A node that lost its heartbeat stops leasing at once, but its fetches in flight
		// run for up to --timeout: they must be over before its shards can move.
		return fmt.Errorf("--lease %s: with --heartbeat-ttl %s it must exceed --timeout %s", f.lease, f.ttl, c.timeout)
	case c.sitemaps:
		return errors.New("--sitemaps: not available with --cluster (every node would read every seed's sitemaps)")
	case c.retryFailed:
		return errors.New("--retry-failed: not available with --cluster")
	case c.reconfigure:
		return errors.New("--reconfigure: not available with --cluster: a cluster crawl keeps the settings it was created with")
	}
	return nil
}

// engineConfig is the node's configuration for the engine.
func (f *clusterFlags) engineConfig(log *slog.Logger) cluster.Config {
	return cluster.Config{
		CrawlID: f.crawlID, NodeID: f.nodeID, Shards: f.shards,
		Heartbeat: f.heartbeat, HeartbeatTTL: f.ttl, Lease: f.lease,
		MaxHostDelay: f.maxHostDelay, AckWait: f.ackWait,
		Streams: cluster.StreamOptions{Replicas: f.replicas},
		Logger:  log,
	}
}

// clusterMember is a crawl's membership in a cluster crawl, from the join to the leave.
type clusterMember struct {
	conn *cluster.Conn
	node *crawler.ClusterNode
}

// joinCluster connects to the server and joins the crawl, before the database is opened: a
// refusal touches no database. Its errors are one line each.
func joinCluster(ctx context.Context, f *clusterFlags, cfg crawler.Config, log *slog.Logger, crash func(string)) (*clusterMember, error) {
	conn, err := cluster.Dial(ctx, f.url, cluster.DialOptions{Name: "crawl " + f.crawlID + "/" + f.nodeID, Logger: log})
	if err != nil {
		return nil, err
	}
	node, err := crawler.JoinCluster(ctx, conn, cfg, crawler.ClusterOptions{Engine: f.engineConfig(log), Crash: crash})
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &clusterMember{conn: conn, node: node}, nil
}

// leave tells the other nodes this one has stopped, and closes the connection.
func (m *clusterMember) leave(stderr io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.node.Leave(ctx); err != nil {
		fmt.Fprintf(stderr, "crawl: cluster: leave: %v\n", err)
	}
	m.conn.Close()
}

// clusterExit is the exit code of a refused join.
func clusterExit(err error) int {
	if errors.Is(err, cluster.ErrSettingsMismatch) || errors.Is(err, cluster.ErrBadID) {
		return exitUsage
	}
	return exitError
}

// crashEnv makes a cluster node exit abruptly at a crash point, for tests of what a kill
// there leaves behind: CRAWL_CLUSTER_CRASH=<point>[:<n>] exits with status 137, as kill -9
// does, without any cleanup, the n-th time (1st by default) the node reaches the point.
const crashEnv = "CRAWL_CLUSTER_CRASH"

// crashHook reads crashEnv; nil when it is not set.
func crashHook(getenv func(string) (string, bool)) (func(point string), error) {
	v, ok := getenv(crashEnv)
	if !ok || v == "" {
		return nil, nil
	}
	point, count, _ := strings.Cut(v, ":")
	n := 1
	if count != "" {
		var err error
		if n, err = strconv.Atoi(count); err != nil || n < 1 {
			return nil, fmt.Errorf("%s=%q: the count after the colon must be a positive number", crashEnv, v)
		}
	}
	if point != crawler.CrashBeforePublish && point != crawler.CrashBeforeAck {
		return nil, fmt.Errorf("%s=%q: the point must be %s or %s", crashEnv, v, crawler.CrashBeforePublish, crawler.CrashBeforeAck)
	}
	var reached atomic.Int64
	return func(p string) {
		if p == point && reached.Add(1) == int64(n) {
			os.Exit(137)
		}
	}, nil
}

// clusterCommandFlags are the flags of crawl cluster status and reassign.
type clusterCommandFlags struct {
	url, crawlID, nodeID string
	asJSON               bool
	maxHostDelay         time.Duration
}

const clusterLong = `Show and repair a crawl shared by many machines (crawl --cluster). Each subcommand
reads the crawl from its NATS JetStream server; none needs a node's database.`

func newClusterCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "show or repair a crawl shared by many machines (status, reassign)",
		Long:  clusterLong,
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return badUsage(cmd, "give a subcommand: status or reassign")
		},
	}
	cmd.AddCommand(newClusterStatusCommand(e), newClusterReassignCommand(e))
	return cmd
}

// register adds the flags every cluster subcommand has.
func (f *clusterCommandFlags) register(fs *pflag.FlagSet) {
	fs.SortFlags = false
	fs.StringVar(&f.url, "cluster", "", "the NATS JetStream server at `URL` (nats://host:4222)")
	fs.StringVar(&f.crawlID, "crawl-id", "", "the shared crawl's `ID`")
}

func (f *clusterCommandFlags) check(cmd *cobra.Command) error {
	switch {
	case f.url == "":
		return badUsage(cmd, "--cluster is required: the crawl's server, e.g. nats://127.0.0.1:4222")
	case f.crawlID == "":
		return badUsage(cmd, "--crawl-id is required: the shared crawl's id")
	}
	return nil
}

const clusterStatusLong = `Show a cluster crawl: its nodes (live, or owning shards without a heartbeat), the
shards each owns, and from each node's last heartbeat its queued URLs (pending), fetches in
flight, fetches over all its runs, links and records not yet published (outbox, records,
counted up to 100); from the server, the URL messages waiting for each node's shards and the
page records the crawl holds for them (done).`

func newClusterStatusCommand(e *env) *cobra.Command {
	f := &clusterCommandFlags{}
	cmd := &cobra.Command{
		Use:     "status --cluster URL --crawl-id ID",
		Short:   "show a cluster crawl's nodes, shards and progress",
		Long:    clusterStatusLong,
		Example: "  crawl cluster status --cluster nats://127.0.0.1:4222 --crawl-id docs",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(cmd); err != nil {
				return err
			}
			return status(runClusterStatus(cmd.Context(), e, f))
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print JSON instead of a table")
	return cmd
}

// clusterStatusJSON is crawl cluster status --json; stable for scripts.
type clusterStatusJSON struct {
	Crawl       string            `json:"crawl"`
	Server      string            `json:"server"`
	Shards      int               `json:"shards"`
	Done        bool              `json:"done"`
	FreeShards  []int             `json:"free_shards"`
	URLMessages uint64            `json:"url_messages"`
	Records     uint64            `json:"records"`
	Nodes       []clusterNodeJSON `json:"nodes"`
}

type clusterNodeJSON struct {
	ID       string `json:"id"`
	Alive    bool   `json:"alive"`
	Idle     bool   `json:"idle"`
	Shards   []int  `json:"shards"`
	Pending  int    `json:"pending"`
	InFlight int    `json:"in_flight"`
	Waiting  uint64 `json:"waiting"`
	Fetched  uint64 `json:"fetched"`
	Done     uint64 `json:"done"`
	Outbox   int    `json:"outbox"`
	Records  int    `json:"records"`
}

func runClusterStatus(ctx context.Context, e *env, f *clusterCommandFlags) int {
	ctx, cancel := interruptible(ctx, e)
	defer cancel()
	conn, err := cluster.Dial(ctx, f.url, cluster.DialOptions{Name: "crawl cluster status"})
	if err != nil {
		fmt.Fprintf(e.stderr, "crawl cluster status: %v\n", err)
		return exitError
	}
	defer conn.Close()
	st, err := conn.Status(ctx, f.crawlID)
	if err != nil {
		fmt.Fprintf(e.stderr, "crawl cluster status: %v\n", err)
		if errors.Is(err, cluster.ErrNoCrawl) || errors.Is(err, cluster.ErrBadID) {
			return exitUsage
		}
		return exitError
	}
	out := clusterStatusJSON{Crawl: st.Crawl, Server: f.url, Shards: st.Shards, Done: st.Done,
		FreeShards: st.Free, URLMessages: st.URLMessages, Records: st.Records, Nodes: []clusterNodeJSON{}}
	if out.FreeShards == nil {
		out.FreeShards = []int{}
	}
	for _, n := range st.Nodes {
		shards := n.Shards
		if shards == nil {
			shards = []int{}
		}
		out.Nodes = append(out.Nodes, clusterNodeJSON{ID: n.ID, Alive: n.Alive, Idle: n.Idle, Shards: shards,
			Pending: n.Pending, InFlight: n.InFlight, Waiting: n.Waiting, Fetched: n.Fetched, Done: n.Done,
			Outbox: n.Outbox, Records: n.Records})
	}
	if f.asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(e.stderr, "crawl cluster status: %v\n", err)
			return exitError
		}
		return exitOK
	}
	printClusterStatus(e.stdout, out)
	return exitOK
}

func printClusterStatus(w io.Writer, st clusterStatusJSON) {
	state := "running"
	if st.Done {
		state = "complete"
	}
	alive := 0
	for _, n := range st.Nodes {
		if n.Alive {
			alive++
		}
	}
	fmt.Fprintf(w, "crawl %s on %s: %s\n", st.Crawl, st.Server, state)
	fmt.Fprintf(w, "  %d shards (%d free), %d nodes (%d live), %d URL messages, %d page records\n\n",
		st.Shards, len(st.FreeShards), len(st.Nodes), alive, st.URLMessages, st.Records)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "node\tstate\tshards\tpending\tin flight\twaiting\tfetched\tdone\toutbox\trecords\t")
	for _, n := range st.Nodes {
		state := "gone"
		switch {
		case n.Alive && n.Idle:
			state = "idle"
		case n.Alive:
			state = "busy"
		}
		// What a node reports comes with its heartbeat: a node without one has told nothing,
		// which is not the same as zero.
		reported := func(v any) string { return fmt.Sprint(v) }
		if !n.Alive {
			reported = func(any) string { return "-" }
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%d\t%s\t%d\t%s\t%s\t\n", n.ID, state, len(n.Shards), reported(n.Pending),
			reported(n.InFlight), n.Waiting, reported(n.Fetched), n.Done, reported(n.Outbox), reported(n.Records))
	}
	tw.Flush()
	for _, n := range st.Nodes {
		if !n.Alive && len(n.Shards) > 0 && !st.Done {
			fmt.Fprintf(w, "\nnode %s owns %d shards without a heartbeat: they move after its --lease, or at once with\n  crawl cluster reassign --cluster %s --crawl-id %s --node-id %s\n",
				n.ID, len(n.Shards), st.Server, st.Crawl, n.ID)
		}
	}
}

const clusterReassignLong = `Free at once every shard of a node that will not come back (its machine is lost), instead
of waiting for its --lease: the live nodes take them over, rebuild them from the crawl's
page records and URL messages, and fetch only what no record says was fetched. A node with a
live heartbeat is refused. The new owners wait --max-host-delay before their first request
to a host of those shards, since nothing is known of the lost node's last requests.`

func newClusterReassignCommand(e *env) *cobra.Command {
	f := &clusterCommandFlags{}
	cmd := &cobra.Command{
		Use:     "reassign --cluster URL --crawl-id ID --node-id X",
		Short:   "give a lost node's shards to the live nodes now",
		Long:    clusterReassignLong,
		Example: "  crawl cluster reassign --cluster nats://127.0.0.1:4222 --crawl-id docs --node-id c",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(cmd); err != nil {
				return err
			}
			if f.nodeID == "" {
				return badUsage(cmd, "--node-id is required: the lost node")
			}
			if f.maxHostDelay <= 0 {
				return badUsage(cmd, "--max-host-delay %s: must be positive", f.maxHostDelay)
			}
			return status(runClusterReassign(cmd.Context(), e, f))
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVar(&f.nodeID, "node-id", "", "the lost node's `ID`")
	cmd.Flags().DurationVar(&f.maxHostDelay, "max-host-delay", 30*time.Second, "how long the new owners wait before their first request to a host of the lost node's shards")
	return cmd
}

func runClusterReassign(ctx context.Context, e *env, f *clusterCommandFlags) int {
	ctx, cancel := interruptible(ctx, e)
	defer cancel()
	conn, err := cluster.Dial(ctx, f.url, cluster.DialOptions{Name: "crawl cluster reassign"})
	if err != nil {
		fmt.Fprintf(e.stderr, "crawl cluster reassign: %v\n", err)
		return exitError
	}
	defer conn.Close()
	n, err := conn.Reassign(ctx, f.crawlID, f.nodeID, f.maxHostDelay)
	if err != nil {
		fmt.Fprintf(e.stderr, "crawl cluster reassign: %v\n", err)
		if errors.Is(err, cluster.ErrNoCrawl) || errors.Is(err, cluster.ErrBadID) {
			return exitUsage
		}
		return exitError
	}
	fmt.Fprintf(e.stdout, "crawl cluster reassign: %d shards of node %s freed; the live nodes of crawl %s take them over\n", n, f.nodeID, f.crawlID)
	return exitOK
}
