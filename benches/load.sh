#!/usr/bin/env bash
# Load benchmark of the release build, and the number of SQL statements per request.
#
#   benches/load.sh            # needs root or sudo to install wrk when missing
#
# Starts a private PostgreSQL on a free port (as scripts/test does), keycard's release
# build against it, signs a user up and in, then:
#   1. counts the statements PostgreSQL logs for 200 authenticated and 200 anonymous
#      requests (log_statement = all on the benchmark database);
#   2. runs wrk (2 threads, 32 connections, 10 s) on /healthz, the anonymous home page,
#      and GET /me with a Bearer token, with statement logging off.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg.sh

command -v wrk >/dev/null || {
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get install -y -qq wrk >&2
}
cargo build --release --quiet

bin=$(pg_bindir)
dir=$(mktemp -d /tmp/keycard-bench-pg.XXXXXX)
chmod 755 "$dir"
pgport=$(pg_free_port)
keycard_pid=""
cleanup() {
  [ -n "$keycard_pid" ] && kill "$keycard_pid" 2>/dev/null && wait "$keycard_pid" 2>/dev/null
  pg_stop "$bin" "$dir"
  rm -rf "$dir"
}
trap cleanup EXIT
pg_start "$bin" "$dir" "$pgport"
psql() { "$bin/psql" -h 127.0.0.1 -p "$pgport" -U postgres -qAt "$@"; }
psql -c "CREATE DATABASE bench"

port=$(pg_free_port)
base="http://127.0.0.1:$port"
start_keycard() {
  KEYCARD_ENV=test DATABASE_URL="postgres://postgres@127.0.0.1:$pgport/bench" \
    KEYCARD__SERVER__PORT=$port KEYCARD__LOG__LEVEL=error \
    target/release/keycard serve >/dev/null 2>&1 &
  keycard_pid=$!
  for _ in $(seq 1 100); do
    curl -sf "$base/healthz" >/dev/null && return
    sleep 0.1
  done
  echo "keycard did not start" >&2
  exit 1
}
stop_keycard() { kill "$keycard_pid"; wait "$keycard_pid" 2>/dev/null || true; keycard_pid=""; }

json='Accept: application/json'
start_keycard
curl -sf -H "$json" -H 'Content-Type: application/json' \
  -d '{"username":"bench","password":"bench-password-123"}' "$base/users" >/dev/null
token=$(curl -sf -H "$json" -H 'Content-Type: application/json' \
  -d '{"username":"bench","password":"bench-password-123"}' "$base/login" |
  sed -E 's/.*"token":"([^"]+)".*/\1/')
stop_keycard

# 1. Statements per request. The setting applies to connections opened from now on.
psql -c "ALTER DATABASE bench SET log_statement = 'all'"
start_keycard
count_statements() {
  grep -cE 'LOG:  (statement|execute)' "$dir/server.log" || true
}
measure() { # label, curl arguments...
  local label=$1 before after
  shift
  curl -sf "$@" >/dev/null # warm the pool: a new connection logs its own setup
  before=$(count_statements)
  for _ in $(seq 1 200); do curl -sf "$@" >/dev/null; done
  after=$(count_statements)
  printf '%-34s %s statements for 200 requests\n' "$label" "$((after - before))"
}
echo "== SQL statements per request"
measure "GET /me, Bearer token" -H "$json" -H "Authorization: Bearer $token" "$base/me"
measure "GET / anonymous" -H "$json" "$base/"
measure "GET /healthz" "$base/healthz"
stop_keycard
psql -c "ALTER DATABASE bench SET log_statement = 'none'"

# 2. Throughput.
start_keycard
echo "== wrk -t2 -c32 -d10s ($(nproc) cores; keycard and PostgreSQL on this machine)"
for target in "/healthz" "/" "/me"; do
  headers=(-H "$json")
  [ "$target" = "/me" ] && headers+=(-H "Authorization: Bearer $token")
  echo "-- GET $target"
  wrk -t2 -c32 -d10s "${headers[@]}" "$base$target" | grep -E 'Requests/sec|Latency|Non-2xx|requests in'
done
