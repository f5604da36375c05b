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

test-race:
	$(GO) test -race -count=1 -timeout 30m ./...

fmt:
	gofmt -l -w .

# Benchmarks (see docs/performance.md).
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

# Run every fuzz target for FUZZTIME each (default 1m).
FUZZTIME ?= 1m
fuzz:
	@for pkg in ./internal/event ./internal/delta; do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep ^Fuzz); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done
