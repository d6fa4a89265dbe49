#!/usr/bin/env bash
# Prints the directory that holds Pulumi's Node.js language host
# (pulumi-language-nodejs), which `pulumi preview/up` needs to run a
# TypeScript or JavaScript program. The official Pulumi CLI distribution
# bundles it; where the CLI is built from Go modules
# (scripts/install-pulumi.sh) it is built from the project's shared tools.
# The host also needs `node` on PATH (checked here) and the program's
# node_modules (scripts/npm-install.sh).
#
# Order: pulumi-language-nodejs on PATH; next to the Pulumi CLI
# ($HEADROOM_PULUMI); built by tools/pulumi-language-nodejs/build.sh under
# $HEADROOM_SHARED, ../shared beside the clone, or ../../shared (a git
# worktree) into the cache outside the clone. Exit 1 with one line on
# stderr when none is found or node is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if ! command -v node >/dev/null 2>&1; then
  echo "language-host-nodejs: node not found on PATH (the Node.js language host runs programs with it)" >&2
  exit 1
fi
if p="$(command -v pulumi-language-nodejs 2>/dev/null)"; then
  dirname "$p"
  exit 0
fi
if [ -n "${HEADROOM_PULUMI:-}" ] && [ -x "$(dirname "$HEADROOM_PULUMI")/pulumi-language-nodejs" ]; then
  dirname "$HEADROOM_PULUMI"
  exit 0
fi
cache="${HEADROOM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/headroom}/pulumi-language-nodejs"
for shared in "${HEADROOM_SHARED:-}" "$root/../shared" "$root/../../shared"; do
  [ -n "$shared" ] || continue
  build="$shared/tools/pulumi-language-nodejs/build.sh"
  [ -f "$build" ] || continue
  if bin="$(bash "$build" "$cache" | tail -n 1)" && [ -x "$bin" ]; then
    dirname "$bin"
    exit 0
  fi
  echo "language-host-nodejs: $build failed" >&2
  exit 1
done
echo "language-host-nodejs: pulumi-language-nodejs not found (not on PATH, not beside \$HEADROOM_PULUMI, and no tools/pulumi-language-nodejs/build.sh under \$HEADROOM_SHARED, ../shared or ../../shared)" >&2
exit 1
