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

echo "== pulumi Go language host"
# The engine tests (tests/e2e, testkit/enginetest users) run the program and
# the pack under the real engine, which needs pulumi-language-go: from PATH,
# beside the CLI, or built from the shared tools (scripts/language-host.sh).
langerr="$(mktemp)"
if langhost="$(bash scripts/language-host.sh 2>"$langerr")"; then
  export PATH="$langhost:$PATH"
  echo "using $langhost/pulumi-language-go"
else
  echo "engine tests will be SKIPPED: $(sed 's/^language-host: //' "$langerr") (set HEADROOM_REQUIRE_ENGINE=1 to fail instead)"
fi
rm -f "$langerr"

echo "== pulumi Node.js language host and node_modules"
# tests/foreign runs TypeScript programs: pulumi-language-nodejs from PATH,
# beside the CLI, or built from the shared tools; their node_modules by
# `npm ci` of the committed lockfile, cached outside the clone.
langerr="$(mktemp)"
if nodehost="$(bash scripts/language-host-nodejs.sh 2>"$langerr")"; then
  export PATH="$nodehost:$PATH"
  echo "using $nodehost/pulumi-language-nodejs"
  if nm="$(bash scripts/npm-install.sh 2>"$langerr")"; then echo "using $nm"; else
    echo "TypeScript engine tests will be SKIPPED: $(sed 's/^npm-install: //' "$langerr" | tail -n 1) (set HEADROOM_REQUIRE_ENGINE=1 to fail instead)"
  fi
else
  echo "TypeScript engine tests will be SKIPPED: $(sed 's/^language-host-nodejs: //' "$langerr" | tail -n 1) (set HEADROOM_REQUIRE_ENGINE=1 to fail instead)"
fi
rm -f "$langerr"

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
