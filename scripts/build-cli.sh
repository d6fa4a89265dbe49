#!/usr/bin/env bash
# Builds the headroom CLI into $1 (default .bin/headroom) with $GO (default
# go). The first build on a machine compiles the Google Cloud Pulumi SDK
# (pulumi-gcp, a large generated package): about 4 minutes during which go
# prints nothing. Say so before it starts, so a first `make plan` does not
# look hung; once the binary exists, rebuilds come from Go's build cache and
# take seconds.
set -euo pipefail
out=${1:-.bin/headroom}
GO=${GO:-go}
if [ ! -x "$out" ]; then
  echo "building the headroom CLI into $out (first time ≈ 4 min with no output: compiling the Google Cloud Pulumi SDK; later builds take seconds)…" >&2
fi
mkdir -p "$(dirname "$out")"
"$GO" build -o "$out" ./cmd/headroom
