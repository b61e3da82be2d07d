# opsdeck — the two commands that matter: `make demo` and `make test`.
# Both install missing Debian packages first (scripts/deps.sh).

GO       ?= go
BIN      := bin/opsdeck
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# A static binary: no libc mapped in, 2 MiB less resident memory.
BUILD    := CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X github.com/opsdeck/opsdeck/cli.version=$(VERSION)"
FUZZTIME ?= 30s

.PHONY: all build test demo bench fuzz lint screenshots measure measure-vs deps clean jaeger prometheus thanos victorialogs victoriametrics sloth slo-rules

all: build

deps:
	@scripts/deps.sh

## build: bin/opsdeck and, beside it, bin/opsdeck-sandbox: the demo's sandbox,
## a program of its own so that the console links none of it (`opsdeck demo`
## looks for it beside opsdeck, then on PATH)
build:
	$(BUILD) -o bin/ . ./internal/sandbox/opsdeck-sandbox

## jaeger: the trace backend of the tests and the demo, built once into the
## user's cache from tools/jaeger (Debian has no package)
jaeger:
	@$(GO) run ./tools/serverbuild jaeger >/dev/null

## prometheus: the current Prometheus release, built once into the user's
## cache from tools/prometheus, for what must be seen on today's server as
## well as on Debian's 2.42 (the tests and the demo run Debian's)
prometheus:
	@$(GO) run ./tools/serverbuild prometheus >/dev/null

## victorialogs: the log backend of the tests and the demo, built once into
## the user's cache from tools/victorialogs (Debian has no package)
victorialogs:
	@$(GO) run ./tools/serverbuild victorialogs >/dev/null

## victoriametrics: the current VictoriaMetrics release, built once into the
## user's cache from tools/victoriametrics: a column of the feature table and
## of the breakdown benchmark beside Debian's 1.79.5
victoriametrics:
	@$(GO) run ./tools/serverbuild victoriametrics >/dev/null

## thanos: a Thanos release (querier and sidecar, one binary), built once
## into the user's cache from tools/thanos: the tests' querier in front of
## two Prometheus replicas (partial responses, deduplication)
thanos:
	@$(GO) run ./tools/serverbuild thanos >/dev/null

## sloth: the SLO rule generator (tools/sloth, pinned), built once into the
## user's cache; slo-rules: Origin's SLO rules regenerated from their spec
sloth:
	@$(GO) run ./tools/serverbuild sloth >/dev/null

slo-rules: sloth
	"$$($(GO) run ./tools/serverbuild sloth)" generate --no-log -i internal/sandbox/originapi/slo/origin.sloth.yml -o internal/sandbox/originapi/slo/rules.yml

## test: everything, against real PostgreSQL, Redis, Prometheus and tmux;
## then one real frame through the screenshot pipeline (smoke test)
test: deps build jaeger prometheus thanos victoriametrics victorialogs
	@scripts/deps.sh --screenshots
	@scripts/deps.sh --squawk
	$(GO) vet ./...
	$(GO) test -count=1 -race -timeout 30m ./...
	cd third_party/bubbletea && $(GO) test -count=1 -race ./...
	cd tools/promqlfuzz && $(GO) test -count=1 ./...
	scripts/screenshots.sh --smoke

## demo: the console against a throwaway sandbox (removed on exit)
demo: deps build jaeger victorialogs
	./$(BIN) demo

## bench: performance budgets (docs/PERFORMANCE.md); fails when one is broken;
## one package at a time, so that no benchmark times another's load
bench: deps jaeger victorialogs prometheus victoriametrics
	@scripts/deps.sh --squawk
	$(GO) test -p 1 -run '^$$' -bench . -benchmem -count=1 ./...

## fuzz: each fuzz target for FUZZTIME (default 30s); a crasher lands in the
## package's testdata/fuzz and becomes a regression test that `make test` runs
FUZZ_TARGETS := ./config:FuzzParse ./sources/alembic:FuzzParseFile ./sources/prometheus:FuzzResponse \
	./sources/scrape:FuzzScrape ./sources/jaeger:FuzzTrace ./internal/grafana:FuzzParse ./internal/safetext:FuzzString \
	./internal/snapshot:FuzzReportsHoldNoControls ./ui:FuzzNoSourceStringReachesTheTerminalRaw \
	./sources/alertmanager:FuzzDecode ./sources/preflight:FuzzAnalyze ./sources/preflight:FuzzSplit ./sources/celery:FuzzDecodeEvents \
	./sources/victorialogs:FuzzLine ./sources/victorialogs:FuzzVolume ./internal/cmdvars:FuzzExpand ./sources/slo:FuzzRules
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; echo "== $$fn in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done
	@echo "== FuzzAgreesWithPrometheus in tools/promqlfuzz for $(FUZZTIME)"
	cd tools/promqlfuzz && $(GO) test -run '^$$' -fuzz '^FuzzAgreesWithPrometheus$$' -fuzztime $(FUZZTIME) .

## lint: gofmt (fails on any unformatted file), go vet and staticcheck, pinned
## by the tool line in go.mod (no network once the module cache holds it)
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd tools/promqlfuzz && $(GO) vet ./...
	$(GO) tool staticcheck ./...

## screenshots: real frames of the console against the demo, as PNGs in screenshots/
screenshots: build jaeger victorialogs
	@scripts/deps.sh --screenshots
	scripts/screenshots.sh

## measure: CPU seconds and RSS of the idle console against the demo (60 s)
measure: deps build jaeger victorialogs
	scripts/measure.sh

## measure-vs: the idle console (every pane live) and grafterm (tools/grafterm,
## scripts/grafterm.json) against the same demo Prometheus, alternating
## rounds of 60 s; CPU, peak RSS and RssAnon of each, and the CPU ratio
measure-vs: deps build jaeger victorialogs
	scripts/measure-vs-grafterm.sh

clean:
	rm -rf bin
