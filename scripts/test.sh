#!/usr/bin/env bash
# The README's test command (`make test`) and what .ci/run executes.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== lint"
make --no-print-directory lint

echo "== pulumi CLI"
HEADROOM_PULUMI="$(bash scripts/install-pulumi.sh)"
export HEADROOM_PULUMI
"$HEADROOM_PULUMI" version

echo "== go test"
go test -count=1 -timeout 40m ./...
