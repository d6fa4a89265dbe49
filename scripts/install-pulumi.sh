#!/usr/bin/env bash
# Builds the pinned Pulumi CLI from the Go module proxy into .bin/ when no
# suitable `pulumi` is available. `go install .../pkg/v3/cmd/pulumi@v` is
# refused because pkg/v3's go.mod carries replace directives, so we build it
# from a small wrapper module that repeats the one replace it needs.
set -euo pipefail
PULUMI_VERSION="${PULUMI_VERSION:-3.274.1}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/.bin"
want="v${PULUMI_VERSION}"

have_version() {
  local p="$1"
  [ -x "$p" ] && "$p" version 2>/dev/null | grep -qx "$want"
}

# Built binaries are kept outside the clone too, so a fresh clone on the same
# machine (CI) links the one already built instead of compiling it again.
cache="${HEADROOM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/headroom}/pulumi-${want}"

if have_version "$bin/pulumi"; then
  echo "$bin/pulumi"
  exit 0
fi
if have_version "$cache/pulumi"; then
  mkdir -p "$bin"
  ln -sf "$cache/pulumi" "$bin/pulumi"
  echo "$bin/pulumi"
  exit 0
fi
if command -v pulumi >/dev/null 2>&1 && have_version "$(command -v pulumi)"; then
  command -v pulumi
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$bin"
cat >"$work/go.mod" <<MOD
module headroom.local/pulumi-cli

go 1.24

require (
	github.com/pulumi/pulumi/pkg/v3 v${PULUMI_VERSION}
	github.com/pulumi/pulumi/sdk/v3 v${PULUMI_VERSION}
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
MOD
cat >"$work/tools.go" <<'GO'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GO
echo "building pulumi ${want} into $bin (first time: several minutes)" >&2
(
  cd "$work"
  GOFLAGS=-mod=mod go mod tidy >&2
  GOFLAGS=-mod=mod go build -trimpath \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${want}" \
    -o "$bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
)
have_version "$bin/pulumi" || { echo "install-pulumi: built binary does not report $want" >&2; exit 1; }
if mkdir -p "$cache" 2>/dev/null && cp "$bin/pulumi" "$cache/pulumi.tmp" 2>/dev/null; then
  mv "$cache/pulumi.tmp" "$cache/pulumi"
fi
echo "$bin/pulumi"
