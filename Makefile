# wismo: build, test and measure.
#
#   make test    vet, format check and every test (fuzz seed corpora included)
#   make bench   the hot-path benchmarks, with allocations
#   make fuzz    each fuzz target for FUZZTIME (default 30s)
#   make lint    gofmt, go vet, staticcheck
#   make services / services-down   the real Kafka and ClickHouse on loopback

GO        ?= go
FUZZTIME  ?= 30s
PKGS      := ./...
STATICCHECK := $(shell $(GO) env GOPATH)/bin/staticcheck

.PHONY: all build test vet fmt-check lint bench fuzz chaos services services-down clean

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
	scripts/services.sh up kafka clickhouse chdb
	$(GO) test -count=1 -timeout 15m $(PKGS)

lint: vet fmt-check
	@test -x $(STATICCHECK) || $(GO) install honnef.co/go/tools/cmd/staticcheck@latest
	$(STATICCHECK) $(PKGS)

# The Go benchmarks (one core, with allocations), then the normalize stage
# against the real broker: sustained throughput with transactions on, and
# latency at 10,000 records/s. Figures go to BENCHMARKS.md by hand, with the
# date and this command.
bench:
	scripts/services.sh up kafka clickhouse chdb
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 $(PKGS)
	$(GO) run ./cmd/wismo-bench -mode throughput -records 500000
	$(GO) run ./cmd/wismo-bench -mode latency -rate 10000 -duration 30s

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
