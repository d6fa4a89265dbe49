#!/usr/bin/env bash
# Installs the node_modules of a TypeScript project of the repository with
# `npm ci` from its committed package-lock.json, into a cache outside the
# clone keyed by the lockfile's hash (a fresh clone on the same machine, CI,
# reuses it instead of downloading @pulumi/gcp again), and prints the
# node_modules directory. Link it into the project (tests do) or set
# NODE_PATH.
# Usage: scripts/npm-install.sh [PROJECT_DIR]   (default: tests/testdata/foreign/ts)
# Exit 1 with one line on stderr when node/npm is missing or npm ci fails.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="${1:-$root/tests/testdata/foreign/ts}"
lock="$project/package-lock.json"
if ! command -v npm >/dev/null 2>&1; then
  echo "npm-install: npm not found on PATH" >&2
  exit 1
fi
if [ ! -f "$lock" ]; then
  echo "npm-install: $lock not found (npm ci installs from a committed lockfile)" >&2
  exit 1
fi
key="$(cat "$project/package.json" "$lock" | sha256sum | cut -c1-16)"
cache="${HEADROOM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/headroom}/node_modules-$key"
if [ -f "$cache/.complete" ]; then
  echo "$cache/node_modules"
  exit 0
fi
work="$(mktemp -d "${cache}.tmp.XXXXXX" 2>/dev/null || { mkdir -p "$(dirname "$cache")" && mktemp -d "${cache}.tmp.XXXXXX"; })"
trap 'rm -rf "$work"' EXIT
cp "$project/package.json" "$lock" "$work/"
echo "npm ci for $(basename "$project") into $cache (first time: a minute or more)" >&2
# Install scripts are not needed: the language host runs the program with
# the installed @pulumi/pulumi and TypeScript; resource plugins come from
# PULUMI_HOME, not from npm. @pulumi/pulumi asks for node >= 22 and npm
# only warns on node 20 (EBADENGINE); the engine runs it fine.
if ! (cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2); then
  echo "npm-install: npm ci failed in $project" >&2
  exit 1
fi
touch "$work/.complete"
rm -rf "$cache"
mv "$work" "$cache"
trap - EXIT
echo "$cache/node_modules"
