#!/usr/bin/env bash
# The audit log at volume (issue 14): seeds AUDIT_EVENTS (1 000 000) events over 10 000
# users into a private PostgreSQL, then for each way /admin/audit is filtered prints the
# plan of its page query and its count (EXPLAIN ANALYZE, as the app's queries are
# shaped) and the median time of 50 `GET /admin/audit` requests to the release build.
#
#   benches/audit.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh

events=${AUDIT_EVENTS:-1000000}
KEYCARD_ENV=test DATABASE_URL="$database_url" KEYCARD_ADMIN_PASSWORD=bench-admin-passphrase "$keycard_bin" create-admin bench_admin >/dev/null

echo "seeding $events events..."
bench <<SQL
INSERT INTO users (username, password_hash, role)
SELECT 'user' || i, 'x', 'user' FROM generate_series(1, 10000) i;
INSERT INTO audit_events (at, kind, actor_id, actor_username, subject_id, subject_username,
                          client_address, request_id, details)
SELECT now() - make_interval(secs => ($events - i) * 7),
       (ARRAY['sign_in','sign_in_failed','sign_out','password_changed','sign_up','session_revoked'])[1 + i % 6],
       1 + i % 10000, 'user' || (1 + i % 10000), 1 + i % 10000, 'user' || (1 + i % 10000),
       '10.0.' || (i % 250) || '.1', md5(i::text), '{}'::jsonb
FROM generate_series(1, $events) i;
INSERT INTO audit_events (kind, details) SELECT 'lockout_cleared', '{}' FROM generate_series(1, 30);
ANALYZE;
SQL

start_keycard
token=$(curl -sf -H 'Accept: application/json' -H 'Content-Type: application/json' \
  -d '{"username":"bench_admin","password":"bench-admin-passphrase"}' "$base/login" |
  sed -E 's/.*"token":"([^"]+)".*/\1/')
id=$(bench -c "SELECT id FROM users WHERE username = 'user4242'")

plan() {
  bench -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $1" |
    grep -E "Scan|Sort Method|Execution Time" | sed 's/^/    /'
}
median_ms() {
  python3 - "$base$1" "$token" <<'PY'
import statistics, sys, time, urllib.request
url, token = sys.argv[1], sys.argv[2]
times = []
for _ in range(50):
    request = urllib.request.Request(url, headers={"Accept": "application/json", "Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request) as response:
        response.read()
    times.append((time.perf_counter() - started) * 1000)
print(f"{statistics.median(times):.2f}")
PY
}

columns="id, at, kind, actor_id, actor_username, subject_id, subject_username, client_address, request_id, details"
rows=()
check() { # name, query string, where clause (or empty)
  local name=$1 query=$2 where=$3 filter=""
  [ -n "$where" ] && filter="WHERE $where"
  echo "== $name: GET /admin/audit?$query"
  echo "  page:"
  plan "SELECT $columns FROM audit_events $filter ORDER BY id DESC LIMIT 20 OFFSET 0"
  if [ -z "$where" ] || [[ "$where" == kind* && "$where" != *AND* ]]; then
    echo "  total: one row of audit_counts per kind (kept by triggers)"
  else
    echo "  total:"
    plan "SELECT count(*) FROM audit_events $filter"
  fi
  local ms
  ms=$(median_ms "/admin/audit?$query")
  echo "  HTTP median of 50: $ms ms"
  rows+=("| \`$query\` | $ms ms |")
}
check "newest first" "per_page=20" ""
check "a deep page" "page=1000" ""
check "a common kind" "kind=sign_in" "kind = 'sign_in'"
check "a rare kind" "kind=lockout_cleared" "kind = 'lockout_cleared'"
check "one user" "user=user4242" "subject_id = $id OR actor_id = $id"
check "the last day" "since=$(date -u -d '1 day ago' +%Y-%m-%dT%H:%M:%SZ)" "at >= now() - interval '1 day'"
echo
echo "| /admin/audit at $events events | HTTP median |"
echo "|---|---|"
printf '%s\n' "${rows[@]}"
