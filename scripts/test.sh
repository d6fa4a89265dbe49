#!/usr/bin/env bash
# The README's test command (`make test`) and what .ci/run executes.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== lint"
make --no-print-directory lint

echo "== workflows (actionlint)"
bash scripts/lint-workflows.sh

echo "== pulumi CLI"
HEADROOM_PULUMI="$(bash scripts/install-pulumi.sh)"
export HEADROOM_PULUMI
"$HEADROOM_PULUMI" version

echo "== postgresql"
pgbin=/usr/lib/postgresql/15/bin
if [ ! -x "$pgbin/initdb" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  # The probe tests need real server binaries; install them the Debian way.
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
fi
if [ -x "$pgbin/initdb" ]; then echo "using $pgbin"; else
  echo "PostgreSQL 15 binaries not found: the probe tests will be SKIPPED (set HEADROOM_REQUIRE_POSTGRES=1 to fail instead)"
fi

echo "== go test"
go test -count=1 -timeout 40m ./...
