#!/usr/bin/env bash
# Lints .github/workflows with actionlint (https://github.com/rhysd/actionlint),
# built from the Go module proxy at a pinned version with `go run` — it is not
# a dependency of the module (go.mod is untouched). `make test` calls this.
set -euo pipefail
cd "$(dirname "$0")/.."
ACTIONLINT_VERSION="${ACTIONLINT_VERSION:-v1.7.12}"
# Run outside the module so its requirements don't mix with ours.
exec env -C / GOFLAGS=-mod=mod go run "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}" \
  -no-color "$PWD"/.github/workflows/*.yml "$@"
