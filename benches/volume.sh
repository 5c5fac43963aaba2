#!/usr/bin/env bash
# Volume benchmark: the directory and the dashboard with many users (issue 10).
#
#   benches/volume.sh                     # N = 1000, 100000, 1000000
#   benches/volume.sh 1000 100000         # any sizes, seeded in increasing order
#   VOLUME_SIZES="1000 100000" benches/volume.sh
#
# Settings (environment): VOLUME_DURATION (seconds per figure, 3), VOLUME_CONNECTIONS
# (8), VOLUME_THREADS (2), VOLUME_SHARED_BUFFERS (PostgreSQL shared_buffers, 512MB),
# VOLUME_SKIP_SIGNIN=1 (skip the cost-12 sign-in sections at the end).
#
# Builds the release binary, starts a private PostgreSQL on a free port (scripts/pg.sh,
# as benches/load.sh does) and keycard against it (KEYCARD_ENV=test: bcrypt cost 4).
# Signs one user up over HTTP and reuses that real bcrypt hash to seed users with one
# INSERT ... SELECT FROM generate_series (then VACUUM ANALYZE, as autovacuum would do
# soon after). An admin made by `keycard create-admin` signs in for a Bearer token.
# For each N it prints, per route: req/s, p50 and p99 from `wrk --latency`
# (JSON unless the route says HTML), then the plans PostgreSQL really ran for one
# request of each route, logged by auto_explain (ANALYZE, BUFFERS) after the load so
# that the prepared statements are warm; finally a table of the ratios against the
# smallest N. wrk, keycard and PostgreSQL share this machine's cores.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh
bench_need wrk wrk

if [ "$#" -gt 0 ]; then sizes="$*"; else sizes=${VOLUME_SIZES:-"1000 100000 1000000"}; fi
read -r -a sizes <<<"$(printf '%s\n' $sizes | sort -n | uniq | tr '\n' ' ')"
for n in "${sizes[@]}"; do
  [[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 10 ] || { echo "N must be a whole number >= 10: $n" >&2; exit 2; }
done
duration=${VOLUME_DURATION:-3}
connections=${VOLUME_CONNECTIONS:-8}
threads=${VOLUME_THREADS:-2}

# auto_explain is loaded into every session but logs nothing until log_min_duration is
# turned to 0 (and back) with a configuration reload around the plan capture.
psql -c "LOAD 'auto_explain'" \
  -c "ALTER SYSTEM SET shared_buffers = '${VOLUME_SHARED_BUFFERS:-512MB}'" \
  -c "ALTER SYSTEM SET session_preload_libraries = 'auto_explain'" \
  -c "ALTER SYSTEM SET auto_explain.log_min_duration = -1" \
  -c "ALTER SYSTEM SET auto_explain.log_analyze = on" \
  -c "ALTER SYSTEM SET auto_explain.log_buffers = on" \
  -c "ALTER SYSTEM SET auto_explain.log_nested_statements = on"
pg_stop "$bin" "$dir"
pg_start "$bin" "$dir" "$pgport"
json='Accept: application/json'
html='Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
start_keycard
# The one real sign-up: its hash is every seeded user's hash; `q=ench_fil` finds it.
curl -sf -H "$json" -H 'Content-Type: application/json' \
  -d '{"username":"bench_filler","password":"bench-password-123"}' "$base/users" >/dev/null
admin_password="bench-admin-password-123"
KEYCARD_ENV=test DATABASE_URL="$database_url" KEYCARD_ADMIN_PASSWORD="$admin_password" \
  "$keycard_bin" create-admin benchadmin >/dev/null
token=$(curl -sf -H "$json" -H 'Content-Type: application/json' \
  -d "{\"username\":\"benchadmin\",\"password\":\"$admin_password\"}" "$base/login" |
  sed -E 's/.*"token":"([^"]+)".*/\1/')
[ -n "$token" ] || { echo "no token for benchadmin" >&2; exit 1; }
auth="Authorization: Bearer $token"

# Seeds users until there are N: names m<hex id>_<8 hex digits> (lower-case hex, so no
# seeded name contains "ench" or "fil"), a third with a display name, one in 1000 an
# admin, one in 100 disabled.
seed_to() {
  local n=$1 have started gin_indexes
  have=$(bench -c "SELECT count(*) FROM users")
  [ "$have" -ge "$n" ] && return
  started=$(date +%s)
  # Many rows at once: drop the two GIN indexes and build them again afterwards (as a
  # bulk load would), which is several times faster than maintaining them row by row.
  gin_indexes=""
  if [ $((n - have)) -gt 50000 ]; then
    gin_indexes=$(bench -c "SELECT pg_get_indexdef(i.indexrelid) || ';' FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
      WHERE i.indrelid = 'users'::regclass AND a.amname = 'gin'")
    bench -c "SELECT 'DROP INDEX ' || c.relname || ';' FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
      WHERE i.indrelid = 'users'::regclass AND a.amname = 'gin'" | bench
  fi
  # synchronous_commit is off on this cluster (scripts/pg.sh); a commit not yet flushed
  # keeps VACUUM from setting the rows' hint bits, hence from marking their pages
  # all-visible, which the index-only scans behind deep pages need.
  bench -v from="$((have + 1))" -v to="$n" <<'SQL'
SET synchronous_commit = on;
INSERT INTO users (username, display_name, password_hash, role, disabled, created_at, updated_at)
SELECT 'm' || to_hex(i) || '_' || substr(md5(i::text), 1, 8),
       CASE WHEN i % 3 = 0 THEN 'Member ' || i END,
       (SELECT password_hash FROM users WHERE username = 'bench_filler'),
       CASE WHEN i % 1000 = 0 THEN 'admin' ELSE 'user' END,
       i % 100 = 0,
       now() - make_interval(mins => i), now() - make_interval(mins => i)
FROM generate_series(:from, :to) AS i;
SQL
  if [ -n "$gin_indexes" ]; then
    { echo "SET maintenance_work_mem = '256MB';"; echo "$gin_indexes"; } | bench
  fi
  bench -c "VACUUM (ANALYZE) users"
  seed_seconds=$(($(date +%s) - started))
}

# label|Accept|path
routes() {
  local mid=$1
  cat <<EOF
GET /users?per_page=20|$json|/users?per_page=20
GET /users?per_page=20&page=2000|$json|/users?per_page=20&page=2000
GET /users?q=ench_fil|$json|/users?q=ench_fil
GET /users/{id}|$json|/users/$mid
GET /admin (counts)|$json|/admin
GET /admin HTML (counts, table)|$html|/admin
GET /admin?q=ench_fil HTML|$html|/admin?q=ench_fil
GET /users?q=abc (3 chars, common)|$json|/users?q=abc
GET /users?q=ab (2 chars)|$json|/users?q=ab
GET /users?q=a (1 char)|$json|/users?q=a
EOF
}

# wrk's "1.23ms" / "456.00us" / "1.50s" in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
    printf "%.2f", n }'
}

declare -A rps p50 p99
measure() { # N label accept path
  local n=$1 label=$2 accept=$3 path=$4 out status
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "$accept" -H "$auth" "$base$path")
  [ "$status" = 200 ] || { echo "$label: HTTP $status" >&2; exit 1; }
  wrk -t"$threads" -c"$connections" -d1s -H "$accept" -H "$auth" "$base$path" >/dev/null
  out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -H "$accept" -H "$auth" "$base$path")
  if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
    echo "$label:" >&2
    grep -E 'Non-2xx|Socket errors' <<<"$out" >&2
  fi
  rps[$n|$label]=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  p50[$n|$label]=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99[$n|$label]=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  printf '%-36s %8s req/s   p50 %7s ms   p99 %7s ms\n' "$label" "${rps[$n|$label]}" \
    "${p50[$n|$label]}" "${p99[$n|$label]}"
}

# The auto_explain blocks logged while one request ran, without the sign-in lookup
# (users ⋈ sessions) that every authenticated request makes, printed once per N.
plans_of() { # accept path [all]
  local accept=$1 path=$2 keep=${3:-} before
  before=$(stat -c %s "$dir/server.log")
  curl -sf -o /dev/null -H "$accept" -H "$auth" "$base$path"
  sleep 0.05
  tail -c +"$((before + 1))" "$dir/server.log" | awk -v keep="$keep" '
    function flush() { if (block != "" && (keep != "" || block !~ /sessions/)) printf "%s", block; block = "" }
    /LOG:  duration: .* plan:/ { flush(); sub(/.*LOG:  /, ""); block = "  " $0 "\n"; next }
    /^\t/ { if (block != "") { sub(/^\t/, "    "); block = block $0 "\n" }; next }
    { flush() }
    END { flush() }'
}
explain_all() {
  local mid=$1 label accept path
  bench -c "LOAD 'auto_explain'" -c "ALTER SYSTEM SET auto_explain.log_min_duration = 0" -c "SELECT pg_reload_conf()" >/dev/null
  sleep 0.2
  echo "-- the sign-in lookup every authenticated request makes (GET /me)"
  plans_of "$json" "/me" all
  while IFS='|' read -r label accept path; do
    echo "-- $label"
    plans_of "$accept" "$path"
  done < <(routes "$mid")
  bench -c "LOAD 'auto_explain'" -c "ALTER SYSTEM SET auto_explain.log_min_duration = -1" -c "SELECT pg_reload_conf()" >/dev/null
}

for n in "${sizes[@]}"; do
  seed_seconds=0
  seed_to "$n"
  mid=$(bench -c "SELECT id FROM users ORDER BY id OFFSET $((n / 2)) LIMIT 1")
  echo
  echo "== N = $n users ($(bench -c "SELECT pg_size_pretty(pg_table_size('users')) || ' table, ' || pg_size_pretty(pg_indexes_size('users')) || ' indexes, ' || relallvisible || ' of ' || relpages || ' pages all-visible' FROM pg_class WHERE relname = 'users'"))"
  echo "   seeded in ${seed_seconds:-0} s; wrk -t$threads -c$connections -d${duration}s --latency, after 1 s of warm-up; $(nproc) cores shared by wrk, keycard and PostgreSQL"
  while IFS='|' read -r label accept path; do
    measure "$n" "$label" "$accept" "$path"
  done < <(routes "$mid")
  echo
  echo "== N = $n: plans (auto_explain: EXPLAIN ANALYZE, BUFFERS of one request each)"
  explain_all "$mid"
done

first=${sizes[0]}
echo
echo "== Ratios against N = $first (p50 and p99 latency: N / $first; req/s as measured)"
{
  header="| route |"
  rule="|---|"
  for n in "${sizes[@]}"; do
    if [ "$n" = "$first" ]; then
      header+=" req/s @$n | p50 ms | p99 ms |"
      rule+="---|---|---|"
    else
      header+=" req/s @$n | p50 ms (×) | p99 ms (×) |"
      rule+="---|---|---|"
    fi
  done
  echo "$header"
  echo "$rule"
  while IFS='|' read -r label _ _; do
    row="| \`$label\` |"
    for n in "${sizes[@]}"; do
      if [ "$n" = "$first" ]; then
        row+=" ${rps[$n|$label]} | ${p50[$n|$label]} | ${p99[$n|$label]} |"
      else
        row+=" ${rps[$n|$label]} | ${p50[$n|$label]} ($(awk -v a="${p50[$n|$label]}" -v b="${p50[$first|$label]}" 'BEGIN {printf "%.1f", (b > 0 ? a / b : 0)}')) |"
        row+=" ${p99[$n|$label]} ($(awk -v a="${p99[$n|$label]}" -v b="${p99[$first|$label]}" 'BEGIN {printf "%.1f", (b > 0 ? a / b : 0)}')) |"
      fi
    done
    echo "$row"
  done < <(routes 0)
}
stop_keycard

# ---------------------------------------------------------------------------------
# Sign-ins at bcrypt cost 12 (the last two sections of issue 10): benches/signin.sh,
# on its own private PostgreSQL (the directory's size does not matter to a sign-in).
# ---------------------------------------------------------------------------------
[ "${VOLUME_SKIP_SIGNIN:-}" = 1 ] && exit 0
echo
echo "== Sign-ins at bcrypt cost 12 ($(nproc) cores): benches/signin.sh"
benches/signin.sh
