package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/crawl-project/crawl/crawler"
)

// checkFlags choose what a crawl checks besides the pages it crawls: their requisites and
// the links out of its scope.
type checkFlags struct {
	assets        string
	checkExternal bool
}

func (c *checkFlags) register(cmd *cobra.Command, fs *pflag.FlagSet) {
	fs.StringVar(&c.assets, "assets", "hosts", "page requisites (images, scripts, stylesheets, icons, frames, media...) to check, HEAD, once each: hosts (those on the crawl's hosts), all (any host) or off (not recorded)")
	fs.BoolVar(&c.checkExternal, "check-external", false, "check the links out of the crawl's scope, HEAD, once each (recorded: a rerun does not check them again)")
	group(fs, "Checks", "assets", "check-external")
	enumCompletion(cmd, "assets", crawler.AssetScopes()...)
}

// apply checks the flags and sets them in cfg.
func (c *checkFlags) apply(cfg *crawler.Config) error {
	a, err := crawler.ParseAssetScope(c.assets)
	if err != nil {
		return fmt.Errorf("--assets: %w", err)
	}
	cfg.Assets, cfg.CheckExternal = a, c.checkExternal
	return nil
}
