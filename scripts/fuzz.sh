#!/usr/bin/env bash
# Runs every Fuzz target in the module for FUZZTIME each (default 30s).
# Targets are discovered with `go test -list`, so new fuzzers need no edit here.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${1:-30s}"
status=0
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "== $pkg $target ($fuzztime)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" || status=1
  done
done
exit $status
