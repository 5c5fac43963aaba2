# Shell functions for a private PostgreSQL cluster (sourced by scripts/run and scripts/test).
# initdb and postgres refuse to run as root, so as root the cluster runs as the
# `postgres` system user; otherwise as the calling user.

pg_log() { printf 'keycard: %s\n' "$*" >&2; }

# Prints the newest PostgreSQL server bin directory, installing Debian's package if needed.
pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
    pg_log "PostgreSQL is not installed; installing Debian's postgresql package"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
      command -v sudo >/dev/null 2>&1 || { pg_log "need root (or sudo) to install postgresql"; return 1; }
      sudo="sudo"
    fi
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  fi
  [ -x "$dir/initdb" ] || { pg_log "initdb not found after installing postgresql"; return 1; }
  printf '%s\n' "$dir"
}

# Runs a command as the cluster's owner.
pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# A TCP port on 127.0.0.1 that nothing listens on.
pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null && return
  local port
  for port in $(seq 54320 54999); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
  return 1
}

# pg_start BINDIR DIR PORT: initialise DIR/data once, then start the server on
# 127.0.0.1:PORT with its socket in DIR. Trust authentication: the cluster is private
# to this machine's loopback and exists for development and tests only.
pg_start() {
  local bin=$1 dir=$2 port=$3
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir"
    chmod 700 "$dir"
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    pg_as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; return 1; }
  fi
  pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
}

pg_stop() {
  local bin=$1 dir=$2
  [ -f "$dir/data/postmaster.pid" ] && pg_as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1
  return 0
}

pg_running() {
  local bin=$1 dir=$2
  [ -f "$dir/data/PG_VERSION" ] && pg_as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}
