#!/usr/bin/env bash
# Sign-ins at bcrypt cost 12 (issue 10, points 2 and 3), against the release build on a
# private PostgreSQL:
#   1. the time of one cost-12 sign-in (a bcrypt verification plus two small queries),
#      and from it what the machine can hash: cores / hash time;
#   2. a burst: SIGNIN_CONNECTIONS (32) connections signing in with the RIGHT password
#      for one user from one address for SIGNIN_SECONDS (8): counts of statuses (no 429
#      may appear) and sign-ins/s against that capacity;
#   3. GET /me at a fixed 100 req/s, idle and during the same burst: p50, p99, ratio.
# Everything (probe, burst, keycard, PostgreSQL) shares this machine's cores.
#
#   benches/signin.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/pg.sh

connections=${SIGNIN_CONNECTIONS:-32}
seconds=${SIGNIN_SECONDS:-8}
target_dir=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet
keycard_bin="$target_dir/release/keycard"

bin=$(pg_bindir)
dir=$(mktemp -d /tmp/keycard-signin-pg.XXXXXX)
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
"$bin/psql" -X -h 127.0.0.1 -p "$pgport" -U postgres -qAt -c "CREATE DATABASE bench"
port=$(pg_free_port)
base="http://127.0.0.1:$port"
KEYCARD_ENV=test DATABASE_URL="postgres://postgres@127.0.0.1:$pgport/bench" \
  KEYCARD__SERVER__PORT="$port" KEYCARD__AUTH__BCRYPT_COST=12 \
  KEYCARD__AUTH__MAX_SESSIONS_PER_USER=1000000 KEYCARD__LOG__LEVEL=error \
  "$keycard_bin" serve >/dev/null 2>&1 &
keycard_pid=$!
for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done

user=burst_user password=burst-password-123
curl -sf -H 'Accept: application/json' -H 'Content-Type: application/json' \
  -d "{\"username\":\"$user\",\"password\":\"$password\"}" "$base/users" >/dev/null
curl -sf -H 'Accept: application/json' -H 'Content-Type: application/json' \
  -d '{"username":"probe_user","password":"probe-password-123"}' "$base/users" >/dev/null
token=$(curl -sf -H 'Accept: application/json' -H 'Content-Type: application/json' \
  -d '{"username":"probe_user","password":"probe-password-123"}' "$base/login" |
  sed -E 's/.*"token":"([^"]+)".*/\1/')

load=benches/signin_load.py
cores=$(nproc)
hash_ms=$(python3 "$load" hash "$base" "$user" "$password" | sed -E 's/.*"median_ms": ([0-9.]+).*/\1/')
capacity=$(awk -v c="$cores" -v h="$hash_ms" 'BEGIN {printf "%.2f", c * 1000 / h}')
echo "one cost-12 sign-in: ${hash_ms} ms; $cores cores can do $capacity sign-ins/s"

idle=$(python3 "$load" probe "$base" "$token" "$seconds" 100)
echo "GET /me at 100 req/s, idle: $idle"

python3 "$load" burst "$base" "$user" "$password" "$connections" "$seconds" >/tmp/keycard-burst.$$ &
burst_pid=$!
sleep 1 # let the burst fill the hashing threads first
busy=$(python3 "$load" probe "$base" "$token" "$((seconds - 2))" 100)
wait "$burst_pid"
burst=$(cat /tmp/keycard-burst.$$)
rm -f /tmp/keycard-burst.$$
echo "GET /me at 100 req/s, during the burst: $busy"
echo "burst: $connections connections, right password, one user, one address, ${seconds} s: $burst"

field() { sed -E "s/.*\"$1\": ([0-9.]+).*/\1/" <<<"$2"; }
idle_p99=$(field p99_ms "$idle")
busy_p99=$(field p99_ms "$busy")
rate=$(field signins_per_s "$burst")
echo
echo "| figure | value |"
echo "|---|---|"
echo "| one cost-12 sign-in | ${hash_ms} ms |"
echo "| capacity (cores / hash time) | ${capacity} sign-ins/s |"
echo "| burst sign-ins/s | ${rate} ($(awk -v a="$rate" -v b="$capacity" 'BEGIN {printf "%.0f", 100 * a / b}') % of capacity) |"
echo "| burst statuses | $(sed -E 's/.*"statuses": (\{[^}]*\}).*/\1/' <<<"$burst") |"
echo "| GET /me p99 idle | ${idle_p99} ms |"
echo "| GET /me p99 during the burst | ${busy_p99} ms ($(awk -v a="$busy_p99" -v b="$idle_p99" 'BEGIN {printf "%.1f", a / b}')× idle) |"
