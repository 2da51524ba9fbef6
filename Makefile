# otelcol-messagetrace: the two commands a new user needs are `make run` and `make test`.
# Everything else is installed from the Go module proxy by the targets themselves.
SHELL := /bin/bash
export GOPROXY ?= https://proxy.golang.org,direct
export GOFLAGS ?= -buildvcs=false

RECEIVER   := receiver/exchangemessagetracereceiver
DIST_DIR   := build/otelcol-messagetrace
BIN        := bin/otelcol-messagetrace
SIM_BIN    := bin/msgtrace-sim
CONFIGS    := $(wildcard config/*.yaml)
GO_TEST    ?= go test
# Unit and component tests; the end-to-end suite needs the built binary.
UNIT_PKGS  := ./receiver/... ./simulator/... ./cmd/... ./scripts/... ./deploy/...
# The fault tests append their figures here; `make readme` renders them into docs/delivery.md.
E2E_FIGURES ?= $(CURDIR)/build/e2e-figures.jsonl

.PHONY: all generate check-generate build sim test unit-test e2e-test readme validate lint run bench clean

all: build

## generate: regenerate mdatagen output (internal/metadata, documentation.md, generated tests)
generate:
	cd $(RECEIVER) && go tool mdatagen metadata.yaml

## check-generate: fail when the committed mdatagen output is stale
check-generate: generate
	@git diff --exit-code --stat -- $(RECEIVER) || { echo "mdatagen output is stale: run 'make generate' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- $(RECEIVER))" || { git status --porcelain -- $(RECEIVER); echo "mdatagen wrote files that are not committed: run 'make generate' and commit"; exit 1; }

## build: the distribution (ocb) at bin/otelcol-messagetrace and the simulator at bin/msgtrace-sim
build: $(BIN) sim

$(BIN): FORCE
	@mkdir -p $(DIST_DIR) bin
	go tool builder --config builder-config.yaml
	cp $(DIST_DIR)/otelcol-messagetrace $(BIN).new && mv -f $(BIN).new $(BIN)

sim:
	@mkdir -p bin
	go build -o $(SIM_BIN) ./cmd/msgtrace-sim

FORCE:

## test: everything CI runs: generated code is fresh, lint, unit tests, the built binary end to end
test: check-generate lint unit-test build validate e2e-test package-test

unit-test:
	$(GO_TEST) -race -count=1 -timeout 20m -tags integration $(UNIT_PKGS)
	cd components && $(GO_TEST) -race -count=1 -timeout 10m ./...

## validate: every shipped config passes `otelcol-messagetrace validate` (example values, no secrets needed)
# The production configs require their credentials and destinations
# (${env:NAME:?...}: unset, the collector refuses to start and names NAME),
# so validation runs with example values of the right shape.
VALIDATE_ENV := EXCHANGE_TENANT_ID=00000000-0000-0000-0000-000000000001 \
  EXCHANGE_CLIENT_ID=00000000-0000-0000-0000-000000000002 \
  EXCHANGE_CLIENT_SECRET=example-client-secret \
  EXCHANGE_AUTHORIZATION_CODE=example-authorization-code \
  SUMOLOGIC_HTTP_SOURCE_URL=https://collectors.sumologic.com/receiver/v1/http/EXAMPLE \
  OTLP_ENDPOINT=https://otlp.example.com:4318 \
  MSGTRACE_PG_DSN=postgres://otelcol@postgres.example:5432/otelcol_messagetrace?sslmode=verify-full
validate: $(BIN)
	@for c in $(CONFIGS); do echo "validate $$c"; env $(VALIDATE_ENV) ./$(BIN) validate --config $$c || exit 1; done

e2e-test: $(BIN) sim
	@mkdir -p $(dir $(E2E_FIGURES)) && rm -f $(E2E_FIGURES)
	OTELCOL_BIN=$(CURDIR)/$(BIN) SIM_BIN=$(CURDIR)/$(SIM_BIN) E2E_FIGURES=$(E2E_FIGURES) $(GO_TEST) -count=1 -timeout 40m -parallel 4 -tags e2e ./tests/e2e/...

## readme: the generated sections of docs/*.md: the field reference (internal/logmap/FIELDS.md, into
## docs/configuration.md) and, after `make e2e-test`, the fault-test figures ($(E2E_FIGURES), into docs/delivery.md)
readme:
	go run ./scripts/readme/render $$(test -s $(E2E_FIGURES) && echo -figures $(E2E_FIGURES)) README.md docs/*.md

## lint: gofmt, go vet, staticcheck (pinned in tools/go.mod)
lint:
	@fmt=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$fmt" || { echo "gofmt needed: $$fmt"; exit 1; }
	go vet ./...
	go tool -modfile=tools/go.mod staticcheck ./...
	cd components && go vet ./... && go tool -modfile=../tools/go.mod staticcheck ./...

## run: the demo: simulator + collector (config/demo.yaml) + fake Sumo Logic source, with a summary; Ctrl-C stops all
run: build
	./scripts/run-demo.sh

## bench: in-process benchmarks and the whole-binary harness (see bench/README.md)
bench: build
	./bench/run.sh

## bench-tenants: the tenants section alone (1,000 tenants vs 1,000 receivers, 10,000 tenants; ~35 min, real time)
.PHONY: bench-tenants
bench-tenants: build
	BENCH_INPROC=0 BENCH_SECTIONS=tenants ./bench/run.sh

clean:
	rm -rf bin build .demo .demo-tenants bench/out

# --- Test dependencies: programs the integration tests run besides Go ---
# tinyproxy is the real forward proxy of the proxy_url test
# (receiver/exchangemessagetracereceiver/proxy_test.go). Without it that test
# skips, except under CI=true, where it fails; so here a failed install is
# only a warning outside CI.
.PHONY: test-deps
## test-deps: install tinyproxy (apt-get) for the proxy_url integration test
test-deps:
	@command -v tinyproxy >/dev/null && exit 0; \
	sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	echo "test-deps: installing tinyproxy"; \
	{ $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq tinyproxy >/dev/null; } && exit 0; \
	if [ "$$CI" = true ]; then echo "test-deps: could not install tinyproxy (CI=true)"; exit 1; fi; \
	echo "test-deps: could not install tinyproxy: the proxy_url test will skip"

unit-test: test-deps

# PostgreSQL is the shared storage of the high-availability e2e tests
# (tests/e2e/ha_*_test.go start their own cluster, as an unprivileged user,
# on loopback). Debian keeps initdb and pg_ctl in /usr/lib/postgresql/*/bin,
# off PATH, where the tests look too. Without it those tests skip, except
# under CI=true, where they fail; so here too a failed install fails only
# under CI.
.PHONY: ha-deps
## ha-deps: install Debian's postgresql (apt-get) for the high-availability e2e tests, unless initdb and pg_ctl are there
ha-deps:
	@{ command -v initdb && command -v pg_ctl; } >/dev/null 2>&1 && exit 0; \
	for d in /usr/lib/postgresql/*/bin; do [ -x "$$d/initdb" ] && [ -x "$$d/pg_ctl" ] && exit 0; done; \
	sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	echo "ha-deps: installing postgresql"; \
	{ $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null; } && exit 0; \
	if [ "$$CI" = true ]; then echo "ha-deps: could not install postgresql (CI=true)"; exit 1; fi; \
	echo "ha-deps: could not install postgresql: the high-availability e2e tests will skip"

e2e-test: ha-deps

# ---- Packages and container image (see docs/install.md) ----
# make package: goreleaser (pinned in packaging/go.mod) over one ocb generation:
# linux amd64+arm64 tarballs, .deb, .rpm, checksums.txt in build/package.
# make image: the container image of each tarball, as a `docker load` file.
# make package-test: amd64 only (what the test installs), then the tests.
PKG_DIR        := $(CURDIR)/build/package
DIST_VERSION   := $(shell sed -n 's/^  version: *//p' builder-config.yaml | head -n1)
PACKAGE_ARCHES ?= amd64 arm64
HOST_ARCH      := $(shell go env GOARCH)
# The binary's --version names the commit; file times are the commit's (reproducible).
PKG_ENV         = DIST_VERSION=$(DIST_VERSION) PACKAGE_ARCHES="$(PACKAGE_ARCHES)" \
                  GIT_COMMIT=$$(git rev-parse --short=12 HEAD) \
                  SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct) SOURCE_DATE=$$(git log -1 --format=%cI)
GORELEASER     := go tool -modfile=$(CURDIR)/packaging/go.mod goreleaser

.PHONY: package image package-test package-deps

## package: linux amd64/arm64 tarballs, .deb, .rpm and checksums in build/package (PACKAGE_ARCHES=amd64 for one)
package:
	$(PKG_ENV) $(GORELEASER) release --snapshot --clean

## image: container image tarballs (docker-archive, no daemon needed) from the package tarballs
image: package
	@commit=$$(git rev-parse HEAD) created=$$(git log -1 --format=%cI); \
	for a in $(PACKAGE_ARCHES); do \
	  out=$(PKG_DIR)/otelcol-messagetrace_$(DIST_VERSION)_linux_$$a.image.tar; \
	  (cd packaging && go run ./ociimage -arch $$a -version $(DIST_VERSION) -revision $$commit -created $$created \
	    -archive $(PKG_DIR)/otelcol-messagetrace_$(DIST_VERSION)_linux_$$a.tar.gz -out $$out) || exit 1; \
	  echo "wrote $$out"; \
	done; \
	cd $(PKG_DIR) && sha256sum *.image.tar > image-checksums.txt

## package-deps: what the package tests need from Debian (systemd-analyze, rpm); installs only what is missing
package-deps:
	@command -v systemd-analyze >/dev/null && command -v rpm >/dev/null && command -v ip >/dev/null || { \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends systemd rpm iproute2; }

## package-test: build this machine's packages and image, install the .deb here (root), run it against the simulator
package-test: package-deps sim
	$(MAKE) image PACKAGE_ARCHES=$(HOST_ARCH)
	cd packaging && go vet -tags package ./... && \
	  IMAGE_TAR=$(PKG_DIR)/otelcol-messagetrace_$(DIST_VERSION)_linux_$(HOST_ARCH).image.tar DIST_VERSION=$(DIST_VERSION) \
	  $(GO_TEST) -count=1 -timeout 10m -tags package ./...
	go vet -tags package ./tests/package/
	PKG_DIR=$(PKG_DIR) SIM_BIN=$(CURDIR)/$(SIM_BIN) DIST_VERSION=$(DIST_VERSION) \
	  $(GO_TEST) -count=1 -timeout 15m -tags package ./tests/package/...
