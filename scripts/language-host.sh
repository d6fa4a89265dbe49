#!/usr/bin/env bash
# Prints the directory that holds Pulumi's Go language host
# (pulumi-language-go), which `pulumi preview/up` needs to run a Go program
# or a Go policy pack in directory form. The official Pulumi CLI
# distribution bundles it; where the CLI is built from Go modules
# (scripts/install-pulumi.sh) it is built from the project's shared tools.
#
# Order: pulumi-language-go on PATH; next to the Pulumi CLI
# ($HEADROOM_PULUMI); built by tools/pulumi-language-go/build.sh under
# $HEADROOM_SHARED, ../shared beside the clone, or ../../shared (a git
# worktree). Exit 1 with one line on stderr when none is found.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if p="$(command -v pulumi-language-go 2>/dev/null)"; then
  dirname "$p"
  exit 0
fi
if [ -n "${HEADROOM_PULUMI:-}" ] && [ -x "$(dirname "$HEADROOM_PULUMI")/pulumi-language-go" ]; then
  dirname "$HEADROOM_PULUMI"
  exit 0
fi
for shared in "${HEADROOM_SHARED:-}" "$root/../shared" "$root/../../shared"; do
  [ -n "$shared" ] || continue
  build="$shared/tools/pulumi-language-go/build.sh"
  [ -f "$build" ] || continue
  if bin="$(bash "$build" | tail -n 1)" && [ -x "$bin" ]; then
    dirname "$bin"
    exit 0
  fi
  echo "language-host: $build failed" >&2
  exit 1
done
echo "language-host: pulumi-language-go not found (not on PATH, not beside \$HEADROOM_PULUMI, and no tools/pulumi-language-go/build.sh under \$HEADROOM_SHARED, ../shared or ../../shared)" >&2
exit 1
