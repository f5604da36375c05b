# The two commands a newcomer needs are in the README:
#   go run ./cmd/lakehouse run      # the main job on ./warehouse
#   make test                       # every test (what CI runs)
GO ?= go

.PHONY: build test test-race vet fmt bench fuzz crash

build:
	$(GO) build -o bin/lakehouse ./cmd/lakehouse

# The whole suite; CI calls this through .ci/run. ../shared must sit beside
# the repository (or LAKEHOUSE_SHARED point at it).
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...
	@# The race detector over the concurrent core (~1 min); `make test-race`
	@# runs it over everything (~10 min).
	$(GO) test -race -count=1 -timeout 10m ./internal/delta ./internal/pipeline/... ./internal/storage/... ./internal/parquetio

test-race:
	$(GO) test -race -count=1 -timeout 30m ./...

fmt:
	gofmt -l -w .

# Benchmarks (see docs/performance.md).
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

# The pipeline beside the DuckDB reference, with tools/bench (docs/performance.md).
# Input is generated once into a cache ($$LAKEHOUSE_BENCH_CACHE or ~/.cache/lakehouse-bench)
# with --invalid-rate 0: the reference's silver lets the generator's out-of-range
# prices through and its gold then fails. Extra flags: BENCH_FLAGS='--json out.json'.
.PHONY: bench-pipeline bench-10m bench-incremental
BENCH_FLAGS ?=
bench-pipeline:
	$(GO) run ./tools/bench --rows 1000000 --invalid-rate 0 $(BENCH_FLAGS)

bench-10m:
	$(GO) run ./tools/bench --rows 10000000 --reps 3 --invalid-rate 0 $(BENCH_FLAGS)

# Issue 5's incremental criterion: the 10th run of 1M new events vs the first.
bench-incremental:
	$(GO) run ./tools/bench --pipeline=false --incremental 10 --incremental-rows 1000000 $(BENCH_FLAGS)

# cmd/lakehouse/default.pgo: the CPU profile `go build` and `go run` use for
# profile-guided optimization (Go's -pgo=auto), from a 10M-event `run`
# (generate, silver, gold) and an ingest of 10M events. Regenerate it after
# hot paths change (docs/performance.md, "Profile-guided optimization").
.PHONY: pgo
PGO_ROWS ?= 10000000
pgo:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	$(GO) build -o $$tmp/lakehouse ./cmd/lakehouse; \
	$$tmp/lakehouse -q --cpuprofile $$tmp/run.prof --warehouse $$tmp/wh run --rows $(PGO_ROWS) >/dev/null; \
	$$tmp/lakehouse -q generate --rows $(PGO_ROWS) --out $$tmp/ndjson >/dev/null; \
	$$tmp/lakehouse -q --cpuprofile $$tmp/ingest.prof --warehouse $$tmp/wh2 ingest $$tmp/ndjson >/dev/null; \
	$(GO) tool pprof -proto $$tmp/run.prof $$tmp/ingest.prof > cmd/lakehouse/default.pgo; \
	ls -l cmd/lakehouse/default.pgo

# Run every fuzz target for FUZZTIME each (default 1m).
FUZZTIME ?= 1m
fuzz:
	@for pkg in ./internal/event ./internal/delta; do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep ^Fuzz); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# --- Reliability (docs/reliability.md) -------------------------------------
.PHONY: soak fuzz-long

# kill -9 trials of the pipeline and of `lakehouse run` + `job repair`, with
# exact counts against a crash-free run. CRASH_TRIALS (default 50) per
# harness; CRASH_SEED replays a failing trial (its seed is in the log).
CRASH_TRIALS ?= 50
crash:
	LAKEHOUSE_CRASH_TRIALS=$(CRASH_TRIALS) LAKEHOUSE_CRASH_SEED=$(CRASH_SEED) \
	  $(GO) test -count=1 -timeout 120m -run '^TestCrash' -v ./internal/reliability

# Several processes ingesting and running bronze_to_silver on one warehouse
# at once, SOAK_RUNS times in a row (default 20); stops at the first failure.
SOAK_RUNS ?= 20
soak:
	$(GO) test -count=$(SOAK_RUNS) -failfast -timeout 120m -run '^TestConcurrentProcesses$$' -v ./internal/reliability

# Every fuzz target for FUZZTIME each (default 10m here, unlike `make fuzz`),
# one at a time; a crasher lands in the package's testdata/fuzz and stops
# the run. FUZZFLAGS passes more flags (e.g. FUZZFLAGS=-parallel=1).
FUZZLONG_TIME = $(if $(filter command line environment,$(origin FUZZTIME)),$(FUZZTIME),10m)
fuzz-long:
	@for pkg in ./internal/event ./internal/delta; do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep ^Fuzz); do \
	    echo "== $$pkg $$f for $(FUZZLONG_TIME) ($$(date -u +%FT%TZ))"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZLONG_TIME) $(FUZZFLAGS) $$pkg || exit 1; \
	  done; \
	done
