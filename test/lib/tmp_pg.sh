# test/lib/tmp_pg.sh: a throw-away PostgreSQL with pgiot preloaded, for
# integration tests and benchmarks.  Source it, then:
#   tmp_pg_start DIR [PORT]   initdb + start; exports PGHOST PGPORT PGUSER
#   tmp_pg_stop DIR
#   tmp_pg_psql ...           psql on the test database ($TMP_PG_DB)
# TMP_PG_CONF: extra postgresql.conf lines (benchmarks' settings).
# Root runs the server as the user pgiot (created when missing).

TMP_PG_USER=${TMP_PG_USER:-pgiot}
TMP_PG_DB=${TMP_PG_DB:-pgiot_test}
TMP_PG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

tmp_pg_as_server() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$TMP_PG_USER" -- "$@"; else "$@"; fi
}

tmp_pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

tmp_pg_start() {
  local dir=$1 port=${2:-$(tmp_pg_free_port)}
  if [ "$(id -u)" -eq 0 ]; then
    id "$TMP_PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$TMP_PG_USER"
  fi
  mkdir -p "$dir"
  # the staged tree of test/run, or a fresh one
  TMP_PG_BIN=${PGIOT_STAGE_BIN:-$("$TMP_PG_ROOT/bin/pgiot-stage" "$dir/stage")} || return 1
  [ "$(id -u)" -eq 0 ] && chown "$TMP_PG_USER" "$dir"
  tmp_pg_as_server "$TMP_PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" || return 1
  cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
shared_preload_libraries = 'pgiot'
max_worker_processes = 32
timezone = 'UTC'
fsync = off
synchronous_commit = off
pgiot.launcher_naptime = 1
${TMP_PG_CONF:-}
CONF
  tmp_pg_as_server "$TMP_PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgresql.log" -w start >/dev/null || { cat "$dir/postgresql.log"; return 1; }
  export PGHOST=$dir PGPORT=$port PGUSER=postgres PGDATABASE=$TMP_PG_DB
  psql -X -q -d postgres -c "CREATE DATABASE $TMP_PG_DB" &&
    psql -X -q -c "CREATE EXTENSION pgiot CASCADE"
}

tmp_pg_stop() {
  local dir=$1
  [ -f "$dir/data/PG_VERSION" ] && tmp_pg_as_server "$TMP_PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1
  return 0
}

tmp_pg_psql() { psql -X -v ON_ERROR_STOP=1 "$@"; }
