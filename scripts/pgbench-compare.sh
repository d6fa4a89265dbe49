#!/usr/bin/env bash
# pgbench-compare.sh — is the probe's own overhead small enough not to
# distort what it measures? Runs the reference tool for connection
# establishment throughput, `pgbench -C` (a new connection per transaction,
# -S select-only), and `headroom probe --churn` (the same number of
# concurrent connect+close loops) against the same local server, and prints
# both connection rates and their ratio (target ≥ 0.9).
#
#   scripts/pgbench-compare.sh                 # throwaway cluster (pg-cluster.sh)
#   HEADROOM_PG_DSN=postgres://… scripts/pgbench-compare.sh   # an existing loopback server
#
# Environment: CLIENTS (default 8), SECONDS_PER_RUN (default 10), ROUNDS
# (default 3; runs alternate pgbench/probe and the median of each is
# compared), PG_BIN (default /usr/lib/postgresql/15/bin).
#
# The two loops do slightly different work per connection: pgbench -C -S also
# runs one SELECT on each connection; the probe only connects (SCRAM auth,
# backend start) and closes. Both open and close a connection per loop, which
# is what dominates (the SELECT is a primary-key lookup on a 100k-row table).
set -euo pipefail
cd "$(dirname "$0")/.."

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
CLIENTS="${CLIENTS:-8}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-10}"
ROUNDS="${ROUNDS:-3}"

die() { echo "pgbench-compare.sh: $*" >&2; exit 2; }
[ -x "$PG_BIN/pgbench" ] || die "pgbench not found in $PG_BIN (set PG_BIN)"

work="$(mktemp -d /tmp/headroom-pgbench.XXXXXX)"
cluster=""
cleanup() {
  if [ -n "$cluster" ]; then bash scripts/pg-cluster.sh stop "$cluster" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

if [ -z "${HEADROOM_PG_DSN:-}" ]; then
  # Not under $work: that is 0700 root, and the server runs unprivileged.
  cluster="$(mktemp -u /tmp/headroom-pgbench-pg.XXXXXX)"
  envfile="$(bash scripts/pg-cluster.sh start "$cluster")" || die "could not start a cluster"
  # shellcheck disable=SC2001
  eval "$(sed "s/^/export /" <<<"$envfile")"
fi
dsn="$HEADROOM_PG_DSN"

# postgres://user:password@host:port/db?… → libpq environment for pgbench.
re='^postgres(ql)?://([^:@/]+):([^@/]*)@([^:/]+):([0-9]+)/([^?]+)'
[[ "$dsn" =~ $re ]] || die "HEADROOM_PG_DSN must look like postgres://user:password@host:port/db"
export PGUSER="${BASH_REMATCH[2]}" PGPASSWORD="${BASH_REMATCH[3]}" PGHOST="${BASH_REMATCH[4]}" \
  PGPORT="${BASH_REMATCH[5]}" PGDATABASE="${BASH_REMATCH[6]}" PGSSLMODE=disable
case "$PGHOST" in
  127.*|localhost|::1) ;;
  *) die "refusing a non-loopback server ($PGHOST): this is a benchmark" ;;
esac

echo "== building headroom" >&2
go build -o "$work/headroom" ./cmd/headroom

echo "== pgbench -i (scale 1)" >&2
"$PG_BIN/pgbench" -i -q -s 1 >/dev/null 2>&1

pgbench_rate() {
  local out n
  # $1: -S (built-in select-only) or "-f FILE"
  # shellcheck disable=SC2086
  out="$("$PG_BIN/pgbench" -C $1 -n -T "$SECONDS_PER_RUN" -c "$CLIENTS" -j "$CLIENTS" 2>&1)"
  n="$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")"
  [ -n "$n" ] || { echo "$out" >&2; die "could not read pgbench's transaction count"; }
  # One connection per transaction (-C); rate over the fixed duration.
  awk -v n="$n" -v t="$SECONDS_PER_RUN" 'BEGIN { printf "%.1f\n", n / t }'
}

probe_rate() {
  local out
  out="$("$work/headroom" probe --dsn "$dsn" --churn "${SECONDS_PER_RUN}s" --instances "$CLIENTS" --format json)"
  sed -n 's/^  "ratePerSecond": \([0-9.]*\).*/\1/p' <<<"$out" | awk '{ printf "%.1f\n", $1 }'
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "SELECT 1;" >"$work/select1.sql"

pg_rates=() pg1_rates=() probe_rates=()
for r in $(seq 1 "$ROUNDS"); do
  p="$(pgbench_rate -S)"; pg_rates+=("$p")
  p1="$(pgbench_rate "-f $work/select1.sql")"; pg1_rates+=("$p1")
  q="$(probe_rate)"; probe_rates+=("$q")
  echo "round $r: pgbench -C -S ${p}/s, pgbench -C SELECT 1 ${p1}/s, headroom probe --churn ${q}/s" >&2
done
pg="$(printf '%s\n' "${pg_rates[@]}" | median)"
pg1="$(printf "%s\n" "${pg1_rates[@]}" | median)"
pr="$(printf "%s\n" "${probe_rates[@]}" | median)"
ratio="$(awk -v a="$pr" -v b="$pg" "BEGIN { printf \"%.3f\", a / b }")"
ratio1="$(awk -v a="$pr" -v b="$pg1" "BEGIN { printf \"%.3f\", a / b }")"

echo "clients ${CLIENTS}, ${SECONDS_PER_RUN}s per run, median of ${ROUNDS} rounds ($(nproc) CPUs, PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'))"
echo "pgbench -C -S          ${pg} connections/s   (rounds: ${pg_rates[*]})"
echo "pgbench -C SELECT 1    ${pg1} connections/s   (rounds: ${pg1_rates[*]})"
echo "headroom probe --churn ${pr} connections/s   (rounds: ${probe_rates[*]})"
echo "ratio probe/pgbench -S ${ratio}   (target ≥ 0.9)"
echo "ratio probe/SELECT 1  ${ratio1}"
awk -v r="$ratio" "BEGIN { exit !(r >= 0.9) }" || { echo "ratio below 0.9" >&2; exit 1; }
