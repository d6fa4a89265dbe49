# Headroom — the two commands a fresh machine needs are `make plan` (the main
# job: the offline plan of the staging stack) and `make test` (every test).
SHELL := /usr/bin/env bash
GO    ?= go
STACK ?= staging

.PHONY: plan test lint vet fmt-check unit pulumi policy-pack bench fuzz golden pg-start pg-stop mutation

## plan: offline plan of $(STACK) (resources, capacity report, policy verdicts); no cloud needed.
## The CLI is built into $(HEADROOM) first; the first build says it takes ≈ 4 min (the GCP SDK).
HEADROOM ?= .bin/headroom
plan:
	@GO="$(GO)" bash scripts/build-cli.sh $(HEADROOM)
	$(HEADROOM) plan --stack $(STACK)

## test: everything CI runs (lint, unit, mock-run goldens, policy pack under the real CLI, probe vs a real PostgreSQL)
test:
	bash scripts/test.sh

lint: fmt-check vet

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null; git ls-files --others --exclude-standard '*.go' 2>/dev/null))"; \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

## pulumi: build the pinned Pulumi CLI into .bin/ when none is on PATH
pulumi:
	bash scripts/install-pulumi.sh

## policy-pack: build the policy pack as a binary for `pulumi preview --policy-pack <binary>`
policy-pack:
	$(GO) build -o policies/bin/headroom-policies ./policies

## golden: regenerate golden files (mock-run inventories and reports)
golden:
	$(GO) test ./tests/... ./cmd/... ./report/... ./deploy/... -update

## bench: capacity model and plan benchmarks
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./infra/capacity/... ./cmd/... ./plan/...

## fuzz: short fuzz runs of every parser (FUZZTIME=30s per target by default)
FUZZTIME ?= 30s
fuzz:
	bash scripts/fuzz.sh $(FUZZTIME)

## mutation: mutation testing of the packages that decide verdicts (slow: minutes per package; not part
## of `make test`). MUTATION_PKGS and MUTATION_WORKERS narrow it; docs/mutation-testing.md has the figures.
## GOFLAGS=-count=1: gremlins times each mutant against the coverage run; a cached (instant) coverage
## run would make almost every mutant time out. It fails when a package's efficacy is below MUTATION_EFFICACY.
GREMLINS         ?= $(GO) run github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
MUTATION_PKGS    ?= ./infra/capacity ./policies/pack
MUTATION_WORKERS ?= 2
MUTATION_EFFICACY ?= 90
mutation:
	@set -e; for p in $(MUTATION_PKGS); do \
	  echo "== gremlins unleash $$p"; \
	  GOFLAGS=-count=1 $(GREMLINS) unleash --workers $(MUTATION_WORKERS) --timeout-coefficient 3 --threshold-efficacy $(MUTATION_EFFICACY) $$p; \
	done
