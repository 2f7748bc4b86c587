package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/crawl-project/crawl/crawler"
	"github.com/crawl-project/crawl/store"
)

const mergeLong = `Fold the databases of the nodes of a cluster crawl (crawl --cluster) into one database,
which export, report and status read as the crawl of one node: every URL once, with the
record of the node that owns its host, and every link.

The databases must be of one crawl (the same settings); none may be in use by a running
crawl. --out is written under a temporary name and renamed when complete; an existing one
is refused unless --force. Exit status: 0 merged, 1 an input in use, damaged, or a write
error, 2 bad flags, an input that is not a crawl database or of another crawl, an existing
--out.`

const mergeExample = `  crawl merge --out all.db a.db b.db c.db
  crawl merge -o all.db --force node-*.db && crawl export --db all.db --format gexf --out all.gexf`

func newMergeCommand(e *env) *cobra.Command {
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:     "merge --out FILE DB...",
		Short:   "fold the databases of a cluster crawl's nodes into one",
		Long:    mergeLong,
		Example: mergeExample,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return badUsage(cmd, "--out is required: the merged database to write")
			}
			if len(args) == 0 {
				return badUsage(cmd, "give the databases to merge, e.g. crawl merge --out all.db a.db b.db")
			}
			return status(runMerge(cmd.Context(), e, out, args, force))
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.StringVarP(&out, "out", "o", "", "the merged database `FILE` to write")
	fs.BoolVar(&force, "force", false, "replace --out if it exists")
	return cmd
}

func runMerge(ctx context.Context, e *env, out string, inputs []string, force bool) int {
	ctx, cancel := interruptible(ctx, e)
	defer cancel()
	st, err := store.Merge(ctx, out, inputs, store.MergeOptions{Force: force, SameSettings: sameSettings, LockTimeout: readLockTimeout})
	switch {
	case err == nil:
	case ctx.Err() != nil:
		fmt.Fprintf(e.stderr, "crawl merge: interrupted; %s was not written\n", out)
		return exitInterrupted
	case errors.Is(err, store.ErrLocked):
		fmt.Fprintf(e.stderr, "crawl %v; wait for the crawl to end or stop it\n", err)
		return exitError
	case errors.Is(err, store.ErrOutputExists), errors.Is(err, store.ErrSettingsDiffer), errors.Is(err, store.ErrSameFile),
		errors.Is(err, store.ErrNotCrawl), errors.Is(err, store.ErrNewSchema), errors.Is(err, store.ErrOldSchema),
		errors.Is(err, store.ErrNotExist):
		fmt.Fprintf(e.stderr, "crawl %v\n", err)
		return exitUsage
	default:
		fmt.Fprintf(e.stderr, "crawl %v\n", err)
		return exitError
	}
	fmt.Fprintf(e.stdout, "Merged %s into %s: %s, %s", plural(len(inputs), "database"), out, plural(st.URLs, "URL"), plural(st.Edges, "link"))
	if st.Shared > 0 {
		fmt.Fprintf(e.stdout, " (%d URLs were in more than one)", st.Shared)
	}
	fmt.Fprintln(e.stdout, ".")
	if st.Remote > 0 {
		fmt.Fprintf(e.stdout, "%d URLs are still remote: no database given holds their owner's record (a node's database left out, or a crawl not finished).\n", st.Remote)
	}
	return exitOK
}

// sameSettings compares the settings two databases recorded, and names the ones that differ
// as flags.
func sameSettings(a, b []byte) error {
	x, err := crawler.ParseSettings(a)
	if err != nil {
		return err
	}
	y, err := crawler.ParseSettings(b)
	if err != nil {
		return err
	}
	var diffs []string
	differ := func(flag string, u, v any) {
		if fmt.Sprint(u) != fmt.Sprint(v) {
			diffs = append(diffs, fmt.Sprintf("--%s %v, not %v", flag, u, v))
		}
	}
	differ("scope", x.Scope, y.Scope)
	differ("include", x.Include, y.Include)
	differ("exclude", x.Exclude, y.Exclude)
	differ("max-depth", x.MaxDepth, y.MaxDepth)
	differ("max-pages", x.MaxPages, y.MaxPages)
	if !slices.Equal(x.Seeds, y.Seeds) {
		diffs = append(diffs, fmt.Sprintf("%d seeds, not the same %d", len(x.Seeds), len(y.Seeds)))
	} else if !slices.Equal(x.ScopeHosts, y.ScopeHosts) {
		diffs = append(diffs, "other scope hosts")
	}
	if len(diffs) == 0 {
		return nil
	}
	return errors.New(strings.Join(diffs, ", "))
}
