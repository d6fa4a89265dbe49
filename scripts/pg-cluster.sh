#!/usr/bin/env bash
# pg-cluster.sh — a throwaway PostgreSQL cluster for the probe's tests and for
# trying `headroom probe` / `headroom calibrate` locally.
#
#   scripts/pg-cluster.sh start DIR [PORT]   initdb + start; prints the env file
#   scripts/pg-cluster.sh env   DIR          prints the env file again
#   scripts/pg-cluster.sh halt  DIR          stops the server, keeps the data
#   scripts/pg-cluster.sh resume DIR         starts a halted server again
#   scripts/pg-cluster.sh stop  DIR          stops the server and removes DIR
#   scripts/pg-cluster.sh check              exit 0 if the binaries are there, else
#                                            say the probe tests will be skipped (exit 1)
#
# The env file (DIR/env, shell syntax) holds HEADROOM_PG_DSN (a password-
# authenticated, non-superuser test role), HEADROOM_PG_ADMIN_DSN (a superuser,
# for pg_stat_activity checks), HEADROOM_PG_PORT, HEADROOM_PG_DIR and
# HEADROOM_PG_MAX_CONNECTIONS / HEADROOM_PG_RESERVED.
#
# Safety: the server listens on 127.0.0.1 only, its unix socket lives inside
# DIR, every role needs a SCRAM password, and max_connections is small (30, of
# which 3 are reserved for superusers) so that the slot limit is reachable by
# a storm on a 2-core machine.
#
# PostgreSQL refuses to run as root. When this script runs as root (as in CI
# containers), it creates the unprivileged system user `headroom-pg` once and
# runs initdb/pg_ctl as that user via runuser.
#
# Environment: PG_BIN (default /usr/lib/postgresql/15/bin), PG_MAX_CONNECTIONS
# (default 30), PG_RESERVED (superuser_reserved_connections, default 3).
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_MAX_CONNECTIONS="${PG_MAX_CONNECTIONS:-30}"
PG_RESERVED="${PG_RESERVED:-3}"
PG_USER=headroom-pg

die() { echo "pg-cluster.sh: $*" >&2; exit 2; }

usage() { die "usage: pg-cluster.sh start|env|halt|resume|stop DIR [PORT] | check"; }

if [ "${1:-}" = check ]; then
  if [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] && [ -x "$PG_BIN/postgres" ]; then
    echo "PostgreSQL binaries found in $PG_BIN: probe integration tests will run"
    exit 0
  fi
  if [ "${HEADROOM_REQUIRE_POSTGRES:-}" = 1 ]; then
    echo "PostgreSQL binaries not found in $PG_BIN and HEADROOM_REQUIRE_POSTGRES=1: probe integration tests will FAIL" >&2
  else
    echo "PostgreSQL binaries not found in $PG_BIN: probe integration tests will be SKIPPED" >&2
  fi
  exit 1
fi
[ $# -ge 2 ] || usage
cmd="$1"
dir="$2"
port="${3:-}"
explicit_port="$port"
case "$dir" in
  /*) ;;
  *) dir="$(pwd)/$dir" ;;
esac

# as_pg runs a command as the cluster's owner.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u "$PG_USER" -- "$@"
  else
    "$@"
  fi
}

ensure_user() {
  [ "$(id -u)" = 0 ] || return 0
  if ! id -u "$PG_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER" \
      || die "cannot create system user $PG_USER (needed because PostgreSQL refuses to run as root)"
  fi
}

# free_port asks the kernel for an unused loopback port: bind port 0, read
# the port back, release it. A race with another process is possible but
# harmless: start retries with a new port when the server fails to bind.
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(( (RANDOM << 15 | RANDOM) % 30000 + 20000 ))
    # /dev/tcp succeeds only if something listens there.
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  die "no free port found on 127.0.0.1"
}

rand_secret() { head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

write_env() {
  local port="$1" admin_pw="$2" test_pw="$3"
  cat >"$dir/env" <<EOF
HEADROOM_PG_DIR='$dir'
HEADROOM_PG_PORT='$port'
HEADROOM_PG_MAX_CONNECTIONS='$PG_MAX_CONNECTIONS'
HEADROOM_PG_RESERVED='$PG_RESERVED'
HEADROOM_PG_DSN='postgres://headroom:$test_pw@127.0.0.1:$port/headroom?sslmode=disable'
HEADROOM_PG_ADMIN_DSN='postgres://postgres:$admin_pw@127.0.0.1:$port/postgres?sslmode=disable'
EOF
  chmod 600 "$dir/env"
}

start_server() {
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >/dev/null
}

cmd_start() {
  [ -x "$PG_BIN/initdb" ] || die "PostgreSQL binaries not found in $PG_BIN (set PG_BIN)"
  [ ! -e "$dir/data" ] || die "$dir/data already exists; stop it first"
  ensure_user
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown "$PG_USER" "$dir"; fi
  chmod 700 "$dir"
  if [ "$(id -u)" = 0 ] && ! runuser -u "$PG_USER" -- test -x "$dir"; then
    die "$PG_USER cannot reach $dir (a parent directory is not searchable by it); use a directory under /tmp"
  fi

  local admin_pw test_pw
  admin_pw="$(rand_secret)"
  test_pw="$(rand_secret)"
  printf '%s\n' "$admin_pw" >"$dir/pwfile"
  if [ "$(id -u)" = 0 ]; then chown "$PG_USER" "$dir/pwfile"; fi
  chmod 600 "$dir/pwfile"

  as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" \
    --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  rm -f "$dir/pwfile"

  # Loopback TCP and a socket inside DIR only; SCRAM everywhere.
  cat >"$dir/data/pg_hba.conf" <<EOF
local all all scram-sha-256
host  all all 127.0.0.1/32 scram-sha-256
EOF

  local tries=0
  while :; do
    tries=$((tries + 1))
    [ -n "$port" ] || port="$(free_port)"
    cat >"$dir/data/postgresql.auto.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = $PG_MAX_CONNECTIONS
superuser_reserved_connections = $PG_RESERVED
password_encryption = 'scram-sha-256'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 32MB
log_connections = off
EOF
    if [ "$(id -u)" = 0 ]; then chown "$PG_USER" "$dir/data/postgresql.auto.conf" "$dir/data/pg_hba.conf"; fi
    if start_server 2>/dev/null; then break; fi
    if [ "$tries" -ge 5 ] || [ -n "$explicit_port" ]; then
      cat "$dir/server.log" >&2 || true
      die "server did not start"
    fi
    port=""
  done

  PGPASSWORD="$admin_pw" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
    -c "CREATE ROLE headroom LOGIN PASSWORD '$test_pw'" \
    -c "CREATE DATABASE headroom OWNER headroom" >/dev/null

  write_env "$port" "$admin_pw" "$test_pw"
  cat "$dir/env"
}

cmd_env() {
  [ -f "$dir/env" ] || die "$dir/env not found (no cluster started in $dir)"
  cat "$dir/env"
}

cmd_halt() {
  [ -d "$dir/data" ] || die "$dir/data not found"
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null
}

cmd_resume() {
  [ -d "$dir/data" ] || die "$dir/data not found"
  start_server
}

cmd_stop() {
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || {
      # pg_ctl failed (e.g. binaries gone): kill the postmaster by its pid.
      pid="$(head -1 "$dir/data/postmaster.pid" 2>/dev/null || true)"
      if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
    }
  fi
  # Only remove what this script created.
  if [ -f "$dir/env" ] || [ -d "$dir/data" ]; then
    rm -rf "$dir"
  fi
}

case "$cmd" in
  start) cmd_start ;;
  env) cmd_env ;;
  halt) cmd_halt ;;
  resume) cmd_resume ;;
  stop) cmd_stop ;;
  *) usage ;;
esac
