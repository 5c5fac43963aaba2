# Shared set-up of the benchmarks (sourced): the release build, a private PostgreSQL on
# a free port with a `bench` database, and keycard started against it.
#
# After `. benches/common.sh` a script has: $keycard_bin, $bin (PostgreSQL's bin
# directory), $dir (the cluster's directory, server.log inside), $pgport,
# $database_url, psql (quiet, unaligned, stops on errors), bench (psql on the `bench`
# database), start_keycard / stop_keycard, and a cleanup on exit that stops both.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/pg.sh

# Installs one of Debian's packages when its command is missing (root or sudo).
bench_need() { # command package
  command -v "$1" >/dev/null && return
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get install -y -qq "$2" >&2 || { $sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq "$2" >&2; }
}

cargo build --release --quiet
keycard_bin="${CARGO_TARGET_DIR:-target}/release/keycard"

bin=$(pg_bindir)
dir=$(mktemp -d /tmp/keycard-bench-pg.XXXXXX)
chmod 755 "$dir"
pgport=$(pg_free_port)
keycard_pid=""
bench_cleanup() {
  [ -n "$keycard_pid" ] && kill "$keycard_pid" 2>/dev/null && wait "$keycard_pid" 2>/dev/null
  pg_stop "$bin" "$dir"
  rm -rf "$dir"
}
trap bench_cleanup EXIT
pg_start "$bin" "$dir" "$pgport"
psql() { "$bin/psql" -X -h 127.0.0.1 -p "$pgport" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
bench() { psql -d bench "$@"; }
psql -c "CREATE DATABASE bench"
database_url="postgres://postgres@127.0.0.1:$pgport/bench"

port=$(pg_free_port)
base="http://127.0.0.1:$port"
# start_keycard [VAR=value ...]: serves in test mode (bcrypt cost 4 unless a setting
# says otherwise) until stop_keycard; the arguments are extra environment.
start_keycard() {
  env KEYCARD_ENV=test DATABASE_URL="$database_url" KEYCARD__SERVER__PORT="$port" \
    KEYCARD__LOG__LEVEL=error "$@" "$keycard_bin" serve >/dev/null 2>&1 &
  keycard_pid=$!
  for _ in $(seq 1 100); do
    curl -sf "$base/healthz" >/dev/null && return
    sleep 0.1
  done
  echo "keycard did not start" >&2
  exit 1
}
stop_keycard() { kill "$keycard_pid"; wait "$keycard_pid" 2>/dev/null || true; keycard_pid=""; }
