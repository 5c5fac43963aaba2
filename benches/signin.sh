#!/usr/bin/env bash
# Sign-ins at bcrypt cost 12 (issue 10, points 2 and 3), against the release build on a
# private PostgreSQL, once for each of the hashing threads' scheduling classes
# (`auth.hash_priority`), side by side in one run:
#   1. the time of one cost-12 sign-in (a bcrypt verification plus a few small
#      queries), and from it what the machine can hash: cores / that time;
#   2. a burst: SIGNIN_CONNECTIONS (32) connections signing in with the RIGHT password
#      for one user from one address for SIGNIN_SECONDS (12): counts of statuses (no
#      429 may appear) and sign-ins/s against that capacity;
#   3. GET /me at a fixed SIGNIN_PROBE_RATE (100) req/s, idle and during the same burst:
#      p50, p99 and their ratio.
# Everything (probe, burst, keycard, PostgreSQL) shares this machine's cores.
#
#   benches/signin.sh                         # low (the default), idle and normal
#   SIGNIN_PRIORITIES=low benches/signin.sh   # the default class only
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh

connections=${SIGNIN_CONNECTIONS:-32}
seconds=${SIGNIN_SECONDS:-12}
rate=${SIGNIN_PROBE_RATE:-100}
read -r -a priorities <<<"${SIGNIN_PRIORITIES:-low idle normal}"
load=benches/signin_load.py
cores=$(nproc)
user=burst_user password=burst-password-123
field() { sed -E "s/.*\"$1\": ([0-9.]+).*/\1/" <<<"$2"; }
ratio() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN {printf f, (b > 0 ? a / b : 0)}'; }

declare -A figure
for priority in "${priorities[@]}"; do
  # A fresh database each round: the same rows for every class.
  psql -c "DROP DATABASE bench" -c "CREATE DATABASE bench"
  start_keycard KEYCARD__AUTH__BCRYPT_COST=12 KEYCARD__AUTH__HASH_PRIORITY="$priority" \
    KEYCARD__AUTH__MAX_SESSIONS_PER_USER=1000000
  for name in "$user" probe_user; do
    curl -sf -H 'Accept: application/json' -H 'Content-Type: application/json' \
      -d "{\"username\":\"$name\",\"password\":\"$password\"}" "$base/users" >/dev/null
  done
  token=$(curl -sf -H 'Accept: application/json' -H 'Content-Type: application/json' \
    -d "{\"username\":\"probe_user\",\"password\":\"$password\"}" "$base/login" |
    sed -E 's/.*"token":"([^"]+)".*/\1/')

  echo "== auth.hash_priority = $priority"
  hash_ms=$(field median_ms "$(python3 "$load" hash "$base" "$user" "$password")")
  capacity=$(awk -v c="$cores" -v h="$hash_ms" 'BEGIN {printf "%.2f", c * 1000 / h}')
  echo "one cost-12 sign-in: ${hash_ms} ms; $cores cores can do $capacity sign-ins/s"
  idle=$(python3 "$load" probe "$base" "$token" "$seconds" "$rate")
  echo "GET /me at $rate req/s, idle: $idle"
  burst_out=$(mktemp)
  python3 "$load" burst "$base" "$user" "$password" "$connections" "$seconds" >"$burst_out" &
  burst_pid=$!
  sleep 1 # let the burst fill the hashing threads first
  busy=$(python3 "$load" probe "$base" "$token" "$((seconds - 2))" "$rate")
  wait "$burst_pid"
  burst=$(cat "$burst_out")
  rm -f "$burst_out"
  echo "GET /me at $rate req/s, during the burst: $busy"
  echo "burst: $connections connections, right password, one user, one address, ${seconds} s: $burst"
  stop_keycard

  signins=$(field signins_per_s "$burst")
  figure[$priority|hash]=$(printf '%.0f ms' "$hash_ms")
  figure[$priority|capacity]="$capacity/s"
  figure[$priority|statuses]=$(sed -E 's/.*"statuses": \{([^}]*)\}.*/\1/; s/"//g' <<<"$burst")
  figure[$priority|rate]="$(printf '%.2f' "$signins")/s ($(ratio "$signins" "$capacity" '%.2f' | awk '{printf "%.0f", 100 * $1}') %)"
  figure[$priority|p50]="$(printf '%.1f' "$(field p50_ms "$idle")") → $(printf '%.1f' "$(field p50_ms "$busy")") ms"
  figure[$priority|p99]="$(printf '%.1f' "$(field p99_ms "$idle")") → $(printf '%.1f' "$(field p99_ms "$busy")") ms ($(ratio "$(field p99_ms "$busy")" "$(field p99_ms "$idle")" '%.1f')×)"
done

echo
header="| figure |" rule="|---|"
for priority in "${priorities[@]}"; do header+=" \`$priority\` |"; rule+="---|"; done
echo "$header"
echo "$rule"
for row in "hash|one cost-12 sign-in" "capacity|capacity ($cores cores ÷ that time)" \
  "statuses|burst: statuses" "rate|burst: sign-ins/s (of capacity)" \
  "p50|\`GET /me\` p50, idle → burst" "p99|\`GET /me\` p99, idle → burst (×)"; do
  line="| ${row#*|} |"
  for priority in "${priorities[@]}"; do line+=" ${figure[$priority|${row%%|*}]} |"; done
  echo "$line"
done
