#!/usr/bin/env bash
# Runs a real `pulumi preview` (or `pulumi up`) of any stack file through the
# Pulumi engine, with the Headroom policy pack, against the stand-in GCP
# provider (testkit/standin/gcp) in a throwaway project, file backend and
# PULUMI_HOME. No cloud, no network, no credentials. Prints the engine's
# output and exits with the engine's exit code.
#
# Usage: scripts/e2e.sh STACK_FILE [preview|up]
#   STACK_FILE  a stack config file (Pulumi.<stack>.yaml format), e.g.
#               stacks/Pulumi.staging.yaml or tests/testdata/incident/Pulumi.incident.yaml
# Environment:
#   HEADROOM_E2E_PACK=binary|directory|none  how the policy pack runs (default binary;
#               directory = policies/PulumiPolicy.yaml built by the language host)
#   HEADROOM_E2E_KEEP=1   keep the throwaway directory (its path is printed)
#   HEADROOM_PULUMI       the Pulumi CLI (default: scripts/install-pulumi.sh)
# Exit codes: the engine's (0 ok; non-zero: refused by the pack or failed);
# 2 bad arguments; 4 the CLI, the language host or a build is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() { echo "usage: scripts/e2e.sh STACK_FILE [preview|up]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
file="$1"
mode="${2:-preview}"
case "$mode" in preview|up) ;; *) echo "e2e: second argument: expected preview or up, got \"$mode\"" >&2; exit 2 ;; esac
[ -f "$file" ] || { echo "e2e: STACK_FILE $file: no such file" >&2; exit 2; }
file="$(cd "$(dirname "$file")" && pwd)/$(basename "$file")"
stack="$(basename "$file")"
stack="${stack#Pulumi.}"
stack="${stack%.yaml}"
stack="${stack%.yml}"
[[ "$stack" =~ ^[A-Za-z0-9_.-]+$ ]] && [ "$stack" != "$(basename "$file")" ] || stack=e2e
packmode="${HEADROOM_E2E_PACK:-binary}"
case "$packmode" in binary|directory|none) ;; *) echo "e2e: HEADROOM_E2E_PACK: expected binary, directory or none, got \"$packmode\"" >&2; exit 2 ;; esac

pulumi="${HEADROOM_PULUMI:-}"
if [ -z "$pulumi" ]; then
  pulumi="$(bash "$root/scripts/install-pulumi.sh" | tail -n 1)" || { echo "e2e: no Pulumi CLI (scripts/install-pulumi.sh failed)" >&2; exit 4; }
fi
langhost="$(HEADROOM_PULUMI="$pulumi" bash "$root/scripts/language-host.sh")" || exit 4

# Binaries built once per source version (shared with reruns).
key="$(cd "$root" && { go env GOVERSION; find . -path ./.git -prune -o \( -name '*.go' -o -name go.mod -o -name go.sum \) -type f -print | LC_ALL=C sort | xargs sha256sum; } | sha256sum | cut -c1-16)"
bin="${HEADROOM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/headroom}/e2e/$key"
mkdir -p "$bin"
build() { # name package
  if [ ! -x "$bin/$1" ]; then
    echo "e2e: building $2" >&2
    (cd "$root" && go build -o "$bin/$1.tmp.$$" "$2") || { echo "e2e: go build $2 failed" >&2; exit 4; }
    mv "$bin/$1.tmp.$$" "$bin/$1"
  fi
}
build headroom-program .
build pulumi-resource-gcp ./testkit/standin/gcp/cmd/pulumi-resource-gcp
build headroom ./cmd/headroom
[ "$packmode" = binary ] && build headroom-policies ./policies

work="$(mktemp -d "${TMPDIR:-/tmp}/headroom-e2e-XXXXXX")"
if [ "${HEADROOM_E2E_KEEP:-}" = 1 ]; then echo "e2e: keeping $work" >&2; else trap 'rm -rf "$work"' EXIT; fi
project="$work/project"
mkdir -p "$project/stacks" "$work/backend" "$work/home/plugins/resource-gcp-v7.38.0"
ln -s "$bin/pulumi-resource-gcp" "$work/home/plugins/resource-gcp-v7.38.0/pulumi-resource-gcp"
sed "s|^runtime: go\$|runtime:\n  name: go\n  options:\n    binary: $bin/headroom-program|" "$root/Pulumi.yaml" >"$project/Pulumi.yaml"
cp "$file" "$project/stacks/Pulumi.$stack.yaml"

export PULUMI_HOME="$work/home" PULUMI_BACKEND_URL="file://$work/backend" PULUMI_CONFIG_PASSPHRASE=headroom-e2e \
  PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
  HEADROOM_STANDIN_STATE="$work/cloud.json" HEADROOM_PULUMI="$pulumi" PATH="$langhost:$(dirname "$pulumi"):$PATH"
cd "$project"
"$pulumi" stack init "$stack" --non-interactive >/dev/null
args=(--stack "$stack")
if [ "$packmode" != none ]; then
  "$bin/headroom" policy-config --stack "$stack" --root "$project" --out "$work/policy-config.json" || exit 2
  pack="$bin/headroom-policies"
  [ "$packmode" = directory ] && pack="$root/policies"
  args+=(--policy-pack "$pack" --policy-pack-config "$work/policy-config.json")
fi
[ "$mode" = up ] && args+=(--yes)
start=$EPOCHREALTIME
set +e
"$pulumi" "$mode" "${args[@]}"
code=$?
set -e
end=$EPOCHREALTIME
printf 'e2e: pulumi %s of %s (pack: %s): exit %d in %.1f s\n' "$mode" "$stack" "$packmode" "$code" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" >&2
exit "$code"
