package store_test

import (
	"testing"

	"github.com/crawl-project/crawl/store"
	"github.com/crawl-project/crawl/store/storetest"
)

func TestZZDebug(t *testing.T) {
	c := newSimCluster(t, testSite, 3, 16)
	c.run()
	paths := c.close()
	for _, u := range []string{"http://ext.example/e0", "http://h5.test:8080/img/0.png"} {
		t.Logf("%s shard %d owner %d", u, store.ShardOf(hostOf(u), 16), c.owner[store.ShardOf(hostOf(u), 16)])
		for i, p := range paths {
			g := storetest.ReadGraph(t, p)
			if n, ok := g.ByURL[u]; ok {
				t.Logf("  node %d: %+v", i, n)
			}
		}
		sh := store.ShardOf(hostOf(u), 16)
		for _, m := range c.urls[sh] {
			if m.URL == u {
				t.Logf("  msg %+v", m)
			}
		}
	}
}
