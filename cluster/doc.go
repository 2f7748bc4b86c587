// Package cluster shares one crawl between many nodes over NATS JetStream.
package cluster

import _ "github.com/nats-io/nats.go/jetstream"
