# Everything here needs only Go (and a POSIX shell).
GO      ?= go
BIN     := bin

.PHONY: all build test vet fmt-check fuzz-short fuzz demo demo-cluster bench soak soak-cluster clean man completions

all: build

build:
	$(GO) build -o $(BIN)/crawl ./cmd/crawl
	$(GO) build -o $(BIN)/demosite ./cmd/demosite

## man: the manual page, made from the command definitions (man ./bin/crawl.1).
man: build
	$(BIN)/crawl man > $(BIN)/crawl.1

## completions: the shell completion scripts for bash, zsh and fish, in bin/.
completions: build
	$(BIN)/crawl completion bash > $(BIN)/crawl.bash
	$(BIN)/crawl completion zsh > $(BIN)/_crawl
	$(BIN)/crawl completion fish > $(BIN)/crawl.fish

## test: vet, gofmt check, the race-enabled test suite and a short run of every fuzz test.
test: vet fmt-check
	$(GO) test -race -count=1 ./...
	$(MAKE) fuzz-short

vet:
	$(GO) vet ./...

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Each fuzz target runs its corpus (in the package's testdata/fuzz) and then a number of new
# inputs: package:target:executions, sized for a few seconds each. make test counts executions
# rather than seconds: with go1.26, a -fuzztime in seconds can end a clean run with a spurious
# "context deadline exceeded" on a busy machine (golang/go#75804, fixed in go1.27). FUZZTIME,
# when set, replaces every count (make fuzz: 2m each).
FUZZ_TARGETS := \
	./parse:FuzzNormalize:50000x \
	./parse:FuzzExtract:10000x \
	./parse:FuzzExtractStreaming:10000x \
	./parse:FuzzTextCollector:50000x \
	./fetch/robots:FuzzParse:50000x \
	./fetch/robots:FuzzMatch:50000x \
	./parse:FuzzQuickResolve:50000x \
	./parse:FuzzCollapse:50000x \
	./parse:FuzzDeclaresUTF8:50000x \
	./fetch:FuzzParseSitemap:20000x \
	./store:FuzzCommit:500x \
	./store:FuzzDecodeRecord:20000x \
	./crawler:FuzzHostilePage:2000x \
	./crawler/cluster:FuzzDecodeURL:50000x \
	./crawler/cluster:FuzzDecodeRecord:50000x

FUZZTIME ?=
fuzz-short:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; rest=$${t#*:}; name=$${rest%%:*}; budget=$${rest#*:}; \
		budget=$${FUZZTIME:-$$budget}; \
		echo "fuzz $$pkg $$name ($$budget)"; \
		$(GO) test -run='^$$' -fuzz="^$$name$$" -fuzztime=$$budget $$pkg; \
	done

fuzz:
	$(MAKE) fuzz-short FUZZTIME=2m

## demo: serve the bundled demo site on 127.0.0.1, crawl it with the real binary, show the result.
# demosite prints its URL as the first line of standard output once it listens; reading that
# line through a FIFO waits exactly until then, and ends at once if the server exits first.
# The site's links to example.org and example.com are checked (--check-external) at
# 127.0.0.1:443, where nothing answers: the demo sends nothing off this machine, and they show
# as broken external links.
demo: build
	@rm -rf demo-out && mkdir -p demo-out && mkfifo demo-out/ready
	@$(BIN)/demosite --dir testdata/demo-site --url-file demo-out/url >demo-out/ready 2>demo-out/server.log & \
	server=$$!; trap 'kill $$server 2>/dev/null' EXIT; \
	url=; read -r url <demo-out/ready; \
	[ -n "$$url" ] || { echo "demo site did not start:"; cat demo-out/server.log; exit 1; }; \
	echo "$$url" >demo-out/seeds.txt; \
	echo "crawling $$url into demo-out/crawl.db"; \
	$(BIN)/crawl --seeds demo-out/seeds.txt --db demo-out/crawl.db --host-rate 50 --workers 4 --sitemaps --check-external \
		--resolve example.org:443:127.0.0.1 --resolve example.com:443:127.0.0.1 && \
	echo && $(BIN)/crawl report --db demo-out/crawl.db --limit 5 && \
	$(BIN)/crawl export --db demo-out/crawl.db --format graphml --out demo-out/graph.graphml && \
	$(BIN)/crawl export --db demo-out/crawl.db --format csv --out demo-out/graph && \
	echo && echo "link graph: demo-out/graph.graphml, demo-out/graph.nodes.csv, demo-out/graph.edges.csv"

## demo-cluster: one crawl shared by three nodes over NATS JetStream on 127.0.0.1: starts
## nats-server (the one on PATH, or bin/nats-server built from the module version in go.mod),
## serves a generated 12-host site, runs nodes a, b and c, kills b with kill -9 and restarts
## it, waits for the end, merges and prints the cluster's status and the report
## (scripts/demo-cluster.sh; output in demo-out/cluster).
demo-cluster: build
	@command -v nats-server >/dev/null || [ -x $(BIN)/nats-server ] || \
		$(GO) build -o $(BIN)/nats-server github.com/nats-io/nats-server/v2
	@BIN=$(BIN) ./scripts/demo-cluster.sh

## soak: the long crash test: SIGKILL the real binary 40 times during a 5000-page crawl, resume
## after each kill, and compare with an uninterrupted crawl (make test runs a short variant).
## CRAWL_SOAK_PAGES, CRAWL_SOAK_KILLS and CRAWL_KILL_SEED change or replay it; SOAK_FLAGS=-race.
SOAK_FLAGS ?=
soak:
	CRAWL_SOAK=1 $(GO) test $(SOAK_FLAGS) -count=1 -timeout 60m -v -run '^TestKillAndResumeLosesNothing$$' ./cmd/crawl

## soak-cluster: the long fault run of the cluster mode: rounds of a crawl of a 16-host site by
## three node processes over an in-process nats-server, with kill -9s, crash-point exits, server
## restarts and lost nodes at random moments (make test runs one of each).
## CRAWL_SOAK_ROUNDS, CRAWL_SOAK_PAGES (per host), CRAWL_SOAK_FAULTS and CRAWL_KILL_SEED.
soak-cluster:
	CRAWL_SOAK_CLUSTER=1 $(GO) test $(SOAK_FLAGS) -count=1 -timeout 60m -v -run '^TestClusterSoak$$' ./cmd/crawl

## bench: the stage benchmarks (parser, writer, frontier with 1,000,000 URLs, exporters), then
## crawlbench: the crawl binary on a generated 127.0.0.1 site against a plain GET loop, and
## 500 hosts at 1 request/s each. Sizes: CRAWLBENCH_FLAGS='-pages 5000 -hosts 100 -repeat 1'.
CRAWLBENCH_FLAGS ?=
bench: build
	$(GO) build -o $(BIN)/crawlbench ./cmd/crawlbench
	$(GO) test -run='^$$' -bench=. -skip=Commit -benchmem ./parse ./store/...
	$(GO) test -run='^$$' -bench=Commit -benchtime=20000x -benchmem ./store
	$(GO) test -run='^$$' -bench=Frontier1M -benchmem -benchtime=200000x ./crawler
	$(BIN)/crawlbench -crawl $(BIN)/crawl $(CRAWLBENCH_FLAGS)

# The export benchmark alone: builds a 1,000,000-edge database, exports it in every format
# and reports edges/s and peak heap. BENCH_EXPORT_PAGES=250000 makes it 10,000,000 edges.
.PHONY: bench-export
bench-export:
	$(GO) test -run='^$$' -bench=ExportLargeDB -benchtime=1x -benchmem -v ./cmd/crawl

clean:
	rm -rf $(BIN) demo-out
