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
. benches/common.sh
bench_need wrk wrk

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
