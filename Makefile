# wismo: build, test and measure.
#
#   make test    vet, format check and every test (fuzz seed corpora included)
#   make bench   the hot-path benchmarks, then every stage end to end (BENCHMARKS.md)
#   make bench-compare BASE=<rev> [NEW=<rev>] [COUNT=6]
#                the hot-path benchmarks of BASE against the working tree (or NEW), interleaved, through benchstat
#   make fuzz    each fuzz target for FUZZTIME (default 30s)
#   make lint    gofmt, go vet, staticcheck
#   make services / services-down   the real Kafka and ClickHouse on loopback

GO        ?= go
FUZZTIME  ?= 30s
PKGS      := ./...
STATICCHECK := $(shell $(GO) env GOPATH)/bin/staticcheck
BENCHSTAT := $(shell $(GO) env GOPATH)/bin/benchstat
COUNT     ?= 6
BENCHTIME ?= 1s

.PHONY: all build test vet fmt-check lint bench bench-compare fuzz chaos services services-down clean

all: build test

build:
	$(GO) build -o bin/wismo ./cmd/wismo

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Every test, including each fuzz target's seed corpus (go test runs the
# seeds of Fuzz functions as ordinary tests) and the integration tests
# against the real Kafka broker and ClickHouse, which this starts first (or
# reuses).
test: vet fmt-check
	scripts/services.sh up kafka clickhouse chdb chromium
	$(GO) test -count=1 -timeout 15m $(PKGS)

lint: vet fmt-check
	@test -x $(STATICCHECK) || $(GO) install honnef.co/go/tools/cmd/staticcheck@latest
	$(STATICCHECK) $(PKGS)

# The Go benchmarks (one core, with allocations), then the end-to-end
# benchmark: `wismo run` with every stage against the real broker and
# ClickHouse, loaded by `wismo gen` (sustained throughput with transactions
# on, notification latency at 10,000 and 2,000 records/s, heap per tracked
# shipment, CPU per 100,000 events, ClickHouse rows/s, a CPU profile), then
# `wismo ingest` under 2 KB signed webhooks at 20,000/s on loopback over 1,024
# keep-alive connections (at most
# 400,000 of them, for at most 20 s; CPU per webhook of wismo, of the broker,
# whose pid services.sh keeps, and of the load generator). Each appends a dated table to
# BENCHMARKS.md; about 11 minutes in all.
bench: build
	scripts/services.sh up kafka clickhouse chdb
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 $(PKGS)
	$(GO) build -o bin/wismo-bench ./cmd/wismo-bench
	bin/wismo-bench -mode e2e -wismo bin/wismo -records 200000 -rates 10000,2000 -duration 30s -write BENCHMARKS.md
	bin/wismo-bench -mode ingest -wismo bin/wismo -rate 20000 -duration 20s -records 400000 -write BENCHMARKS.md \
		-broker-pid $$(cat $${WISMO_SERVICES_DIR:-$$HOME/.cache/wismo-services}/kafka-data/kafka.pid 2>/dev/null || echo 0)

# The hot-path benchmarks (normalizing, the event codec, detection) of two
# commits, built side by side and run in turn COUNT times each on this
# machine, compared by benchstat: the claim "no slowdown" is checked with
# this. See scripts/bench-compare.sh.
bench-compare:
	@test -n "$(BASE)" || { echo "make bench-compare: set BASE to the revision to compare with, e.g. make bench-compare BASE=main"; exit 2; }
	@test -x $(BENCHSTAT) || $(GO) install golang.org/x/perf/cmd/benchstat@latest
	GO=$(GO) BENCHSTAT=$(BENCHSTAT) COUNT=$(COUNT) BENCHTIME=$(BENCHTIME) scripts/bench-compare.sh $(BASE) $(NEW)

# Runs every fuzz target for FUZZTIME each; go test -fuzz takes one target
# per package at a time.
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

chaos: build
	scripts/services.sh up kafka clickhouse
	$(GO) run ./cmd/wismo-chaos -wismo bin/wismo

services:
	scripts/services.sh up

services-down:
	scripts/services.sh down

clean:
	rm -rf bin
