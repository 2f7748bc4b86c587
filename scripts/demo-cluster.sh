#!/bin/sh
# demo-cluster: one crawl shared by three nodes over NATS JetStream, all on 127.0.0.1.
# make demo-cluster runs it after building bin/crawl, bin/demosite and, unless nats-server is
# on PATH, bin/nats-server. It starts nats-server with JetStream (its store in a temporary
# directory), serves a generated site of 12 hosts with bin/demosite, starts nodes a, b and c,
# kills b with kill -9 mid-crawl and starts it again with the same --db and --node-id, waits
# for the crawl to end on every node, merges the three databases and prints the cluster's
# status and the report. Every process it started is stopped when it exits, however it ends.
# Output: demo-out/cluster (databases, node logs, merged.db).
set -eu

BIN=${BIN:-bin}
OUT=demo-out/cluster
NATS=$(command -v nats-server || echo "$BIN/nats-server")
# Engine timings shorter than the defaults, so that the killed node's unacknowledged URLs
# come back within seconds.
TIMING=${DEMO_CLUSTER_TIMING:---heartbeat-ttl 2s --ack-wait 5s}

rm -rf "$OUT" && mkdir -p "$OUT"
tmp=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The server, on a free port of 127.0.0.1, which it writes to its ports file once it listens.
"$NATS" -a 127.0.0.1 -p -1 -js -sd "$tmp/jetstream" --ports_file_dir "$tmp" >"$OUT/nats-server.log" 2>&1 &
pids="$pids $!"
nats=""
for _ in $(seq 100); do
	nats=$(sed -n 's/.*"nats":\["\([^"]*\)".*/\1/p' "$tmp"/*.ports 2>/dev/null || true)
	[ -n "$nats" ] && break
	sleep 0.1
done
[ -n "$nats" ] || { echo "nats-server did not start:"; cat "$OUT/nats-server.log"; exit 1; }
echo "nats-server (JetStream) at $nats"

# The site: demosite prints its base URL once it listens; reading it through a FIFO waits
# exactly until then.
hosts=$(seq -s, -f 'h%g.demo' 1 12)
mkfifo "$tmp/site"
"$BIN/demosite" --generate 40 --hosts "$hosts" --seed 7 --cross 0.3 --latency 5ms >"$tmp/site" 2>"$OUT/site.log" &
pids="$pids $!"
base=""; read -r base <"$tmp/site" || true
[ -n "$base" ] || { echo "demo site did not start:"; cat "$OUT/site.log"; exit 1; }
port=${base##*:}; port=${port%/}
resolve=""
for h in $(echo "$hosts" | tr , ' '); do
	echo "http://$h:$port/" >>"$OUT/seeds.txt"
	resolve="$resolve --resolve $h:$port:127.0.0.1"
done
echo "demo site: 12 hosts of 40 pages on 127.0.0.1:$port"

# node ID starts node ID in the background; its pid is in $OUT/ID.pid.
node() {
	# shellcheck disable=SC2086 # $resolve and $TIMING are lists of flags
	"$BIN/crawl" --seeds "$OUT/seeds.txt" --db "$OUT/$1.db" --host-rate 5 --workers 4 \
		--progress-every 2s $resolve \
		--cluster "$nats" --crawl-id demo --node-id "$1" $TIMING >>"$OUT/$1.log" 2>&1 &
	echo $! >"$OUT/$1.pid"
	pids="$pids $!"
}
for n in a b c; do node $n; done
echo "nodes a, b and c crawling (logs: $OUT/a.log ...)"

sleep 3
echo "kill -9 node b mid-crawl, then start it again with the same --db and --node-id"
kill -9 "$(cat "$OUT/b.pid")" 2>/dev/null || echo "(node b had ended already)"
wait "$(cat "$OUT/b.pid")" 2>/dev/null || true
echo "--- node b killed here ---" >>"$OUT/b.log"
node b

status=0
for n in a b c; do
	if wait "$(cat "$OUT/$n.pid")"; then echo "node $n: done"; else status=$?; echo "node $n: exit $status (see $OUT/$n.log)"; fi
done
[ "$status" = 0 ] || exit "$status"

echo
"$BIN/crawl" cluster status --cluster "$nats" --crawl-id demo
echo
"$BIN/crawl" merge --out "$OUT/merged.db" "$OUT/a.db" "$OUT/b.db" "$OUT/c.db"
echo
"$BIN/crawl" report --db "$OUT/merged.db" --limit 5
