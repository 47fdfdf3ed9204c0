#!/usr/bin/env bash
# bin/pgiot: up (private PostgreSQL with pgiot), demo, status, psql, down,
# and up again on the same data.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/test/lib/tmp_pg.sh"
WORK=$(mktemp -d /tmp/pgiot-launcher.XXXXXX)
chmod 755 "$WORK"
export PGIOT_HOME=$WORK/home PGIOT_PGPORT=$(tmp_pg_free_port)
export PGIOT_MQTT_PORT=$(tmp_pg_free_port) PGIOT_MQTTS_PORT=$(tmp_pg_free_port) PGIOT_MQTTS_CERT_PORT=$(tmp_pg_free_port)
trap '"$ROOT/bin/pgiot" down >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT

"$ROOT/bin/pgiot" up
"$ROOT/bin/pgiot" demo | grep -q "Demo tenant created: 3 groups, 24 devices, 3480 messages"
"$ROOT/bin/pgiot" status | grep -q "postgresql  running  127.0.0.1:$PGIOT_PGPORT"
"$ROOT/bin/pgiot" status | grep -q "worker      maintenance"
test "$("$ROOT/bin/pgiot" psql -Atc "SELECT count(*) FROM iot.message")" = 3480
# listening on loopback only
"$ROOT/bin/pgiot" psql -Atc "SHOW listen_addresses" | grep -qx "127.0.0.1"
"$ROOT/bin/pgiot" psql -Atc "SHOW shared_preload_libraries" | grep -q pgiot
"$ROOT/bin/pgiot" down
"$ROOT/bin/pgiot" status | grep -q "postgresql  stopped"
"$ROOT/bin/pgiot" up
"$ROOT/bin/pgiot" demo | grep -q "already exists"
test "$("$ROOT/bin/pgiot" psql -Atc "SELECT count(*) FROM iot.device")" = 24
eval "$("$ROOT/bin/pgiot" env)"
test "$(psql -X -Atc "SELECT extname FROM pg_extension WHERE extname = 'pgiot'")" = pgiot
# the broker and the bridge stop with it, for real
"$ROOT/bin/pgiot" down
! pgrep -f "$PGIOT_HOME/mqtt/mosquitto.conf" >/dev/null
echo "launcher: ok"
