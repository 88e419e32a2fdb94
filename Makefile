# Veil — `make help` lists the targets.
GO       ?= go
BIN      := bin
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/veil-proxy/veil/proxy.Version=$(VERSION)
PKGS     := ./...
FUZZTIME ?= 30s
FUZZSMOKE ?= 5s
GOFILES   = $(shell find . -name '*.go' -not -path './node_modules/*' -not -path './.git/*')

.DEFAULT_GOAL := help
.PHONY: help build run test lint redis promtool node rules-test bench fuzz fuzz-smoke clean e2e chart-test docs

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/veil and bin/fakecrm
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/veil ./cmd/veil
	$(GO) build -o $(BIN)/fakecrm ./cmd/fakecrm

# make run's addresses: make run LISTEN=127.0.0.1:18080 ADMIN=127.0.0.1:19090
# FORWARD=127.0.0.1:13128 (FORWARD= turns forward mode off).
LISTEN  ?= 127.0.0.1:8080
ADMIN   ?= 127.0.0.1:9090
FORWARD ?= 127.0.0.1:3128

run: build ## the demo: fake Salesforce + HubSpot behind Veil on LISTEN (127.0.0.1:8080; forward mode FORWARD :3128, admin ADMIN :9090)
	./$(BIN)/veil demo --listen '$(LISTEN)' --admin '$(ADMIN)' --forward '$(FORWARD)'

docs: ## regenerate the documentation's examples (golden files under testdata/docs)
	$(GO) test -count=1 -run '^TestDocs$$' ./cmd/veil/ -args -update

# phase runs the command $(2) and then prints how long it took,
# "phase $(1): <seconds>s", whether it passed or not, and keeps its exit
# status.
phase = start=$$(date +%s); $(2); rc=$$?; echo "phase $(1): $$(($$(date +%s) - start))s"; exit $$rc

test: ## everything CI runs: lint, the Prometheus rules, the Helm chart, every Go test with -race (real redis-server), the real clients (e2e) and a fuzz smoke
	@$(call phase,lint,$(MAKE) --no-print-directory lint)
	@$(call phase,rules/chart,$(MAKE) --no-print-directory redis rules-test chart-test)
	@$(call phase,go test,echo '$(GO) test -race -count=1 $(PKGS)' && $(GO) test -race -count=1 $(PKGS))
	@$(call phase,e2e,$(MAKE) --no-print-directory e2e)
	@$(call phase,fuzz smoke,$(MAKE) --no-print-directory fuzz-smoke)

redis: ## make sure redis-server is installed (tests start their own on a random 127.0.0.1 port)
	@if ! command -v redis-server >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing redis-server with apt-get"; \
	    (apt-get install -y --no-install-recommends redis-server >/dev/null 2>&1 || \
	     (apt-get update >/dev/null && apt-get install -y --no-install-recommends redis-server >/dev/null)) || \
	      { echo "apt-get could not install redis-server"; exit 1; }; \
	  else \
	    echo "redis-server is not installed: the tests start a real one."; \
	    echo "Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) and run make test again."; \
	    exit 1; \
	  fi; \
	fi
	@redis-server --version

promtool: ## make sure promtool is installed (Debian's prometheus package ships it; its server is left stopped)
	@if ! command -v promtool >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing promtool (package prometheus) with apt-get"; \
	    (apt-get install -y --no-install-recommends prometheus >/dev/null 2>&1 || \
	     (apt-get update >/dev/null && apt-get install -y --no-install-recommends prometheus >/dev/null)) || \
	      { echo "apt-get could not install prometheus (for promtool)"; exit 1; }; \
	    if [ -d /run/systemd/system ]; then systemctl disable --now prometheus >/dev/null 2>&1 || true; fi; \
	  else \
	    echo "promtool is not installed: make test checks the Prometheus rules with it."; \
	    echo "Install it (Debian/Ubuntu: sudo apt-get install prometheus; macOS: brew install prometheus; or promtool from https://prometheus.io/download/) and run make test again."; \
	    exit 1; \
	  fi; \
	fi
	@promtool --version 2>&1 | head -n 1

rules-test: promtool ## check the Prometheus rules in charts/veil/prometheus and run their unit tests
	promtool check rules charts/veil/prometheus/veil-alerts.yaml
	promtool test rules charts/veil/prometheus/veil-alerts.test.yaml

HELM_VERSION ?= v3.22.0
HELM         := $(BIN)/tools/helm
CHART        := charts/veil
CHART_OUT    := $(BIN)/chart-test

$(HELM):
	GOBIN=$(CURDIR)/$(BIN)/tools $(GO) install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)

chart-test: promtool $(HELM) ## lint and render charts/veil (defaults and ci/full-values.yaml), validate every manifest strictly offline, promtool the PrometheusRule
	@mkdir -p $(CHART_OUT)
	$(HELM) lint $(CHART)
	$(HELM) lint $(CHART) -f $(CHART)/ci/full-values.yaml
	$(HELM) template veil $(CHART) > $(CHART_OUT)/default.yaml
	$(HELM) template veil $(CHART) -f $(CHART)/ci/full-values.yaml > $(CHART_OUT)/full.yaml
	$(GO) run ./cmd/chartcheck -values $(CHART)/values.yaml,$(CHART)/ci/full-values.yaml -check-config $(CHART_OUT)/default.yaml
	$(GO) run ./cmd/chartcheck -check-config -extract-rules $(CHART_OUT)/rules.yaml $(CHART_OUT)/full.yaml
	promtool check rules $(CHART_OUT)/rules.yaml
	charts/veil/ci/notes-test.sh $(HELM) $(CHART_OUT)

STATICCHECK_VERSION ?= v0.8.2
STATICCHECK         := $(BIN)/tools/staticcheck

$(STATICCHECK):
	GOBIN=$(CURDIR)/$(BIN)/tools $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

lint: $(STATICCHECK) ## gofmt, go vet and staticcheck
	@unformatted=$$(gofmt -l $(GOFILES)); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	$(STATICCHECK) $(PKGS)

bench: redis ## the Go benchmarks (-benchmem), then veilbench: the CRM, a bare proxy and bin/veil under load, a 1 GB stream (BENCHFLAGS=-quick; docs/performance.md)
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/veil ./cmd/veil
	$(GO) build -o $(BIN)/veilbench ./cmd/veilbench
	$(GO) test -run '^$$' -bench . -benchmem -count=1 $(PKGS)
	./$(BIN)/veilbench -veil $(BIN)/veil -rules rules -json $(BIN)/veilbench.json -rounds 3 $(BENCHFLAGS)

# fuzz_each runs every fuzz target of $(PKGS), one after the other, for
# $(1) each: make fuzz and make fuzz-smoke. Go 1.26's fuzz coordinator can
# report "context deadline exceeded" as the fuzztime ends, with no failing
# input (golang/go#75804, fixed in Go 1.27): such a run is tried again, up
# to three times in all (a short target met it in two CI runs of one day).
# A real finding always writes its input under testdata/fuzz and fails.
fuzz_each = set -e; log=$$(mktemp); trap 'rm -f $$log' EXIT; \
	for pkg in $$($(GO) list $(PKGS)); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    for try in 1 2 3; do \
	      echo "== $$pkg $$t"; \
	      if $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(1) $$pkg >$$log 2>&1; then cat $$log; break; fi; \
	      cat $$log; \
	      if [ $$try != 3 ] && grep -q 'context deadline exceeded' $$log && ! grep -q 'Failing input written' $$log; then \
	        echo "(the fuzzer's own deadline, Go issue 75804, no failing input: once more)"; continue; \
	      fi; \
	      exit 1; \
	    done; \
	  done; \
	done

fuzz: ## run every fuzz target for FUZZTIME each (default 30s)
	@$(call fuzz_each,$(FUZZTIME))

fuzz-smoke: ## every fuzz target for FUZZSMOKE each (default 5s): the short run CI makes
	@$(call fuzz_each,$(FUZZSMOKE))

node: ## make sure Node.js 18+ and npm are installed (make e2e runs the real clients with them)
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing nodejs and npm with apt-get"; \
	    (apt-get install -y --no-install-recommends nodejs npm >/dev/null 2>&1 || \
	     (apt-get update >/dev/null && apt-get install -y --no-install-recommends nodejs npm >/dev/null)) || \
	      { echo "apt-get could not install nodejs and npm"; exit 1; }; \
	  else \
	    echo "make e2e runs the real Node.js clients: node and npm are not installed."; \
	    echo "Install Node.js 18+ with npm (Debian/Ubuntu: sudo apt-get install nodejs npm; macOS: brew install node; or https://nodejs.org/) and run make again."; \
	    exit 1; \
	  fi; \
	fi
	@node -e 'if (+process.versions.node.split(".")[0] < 18) { console.error("Node.js " + process.version + " is too old for make e2e: 18 or later"); process.exit(1) }'
	@echo "node $$(node --version), npm $$(npm --version)"

e2e: node ## real clients (pinned jsforce, @hubspot/api-client) through Veil, reverse and forward mode, against the fake CRM
	@if [ ! -d testdata/e2e/node_modules ] || [ testdata/e2e/package-lock.json -nt testdata/e2e/node_modules/.package-lock.json ]; then \
	  echo "npm ci in testdata/e2e (versions pinned by its package-lock.json)"; \
	  cd testdata/e2e && npm ci --no-audit --no-fund; \
	fi
	VEIL_E2E=1 $(GO) test -race -count=1 ./proxy/e2e/

clean: ## remove build output
	rm -rf $(BIN)
