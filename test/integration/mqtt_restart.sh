#!/usr/bin/env bash
# Nothing is lost: simulated devices publish QoS 1 data while PostgreSQL
# restarts, and again while the bridge restarts (its persistent session
# keeps the broker queueing for it).  Every acknowledged publication must
# be stored exactly once (counted by device and sequence number).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
source test/lib/tmp_pg.sh
source test/lib/mqtt.sh
source test/lib/assert.sh
W=$(mktemp -d /tmp/pgiot-mqtt-restart.XXXXXX); chmod 755 "$W"
cleanup() { jobs -p | xargs -r kill 2>/dev/null; mqtt_stop "$W"; tmp_pg_stop "$W/pg"; [ -n "${KEEP:-}" ] || rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
tmp_pg_start "$W/pg" >/dev/null || exit 1
mqtt_start "$W" || exit 1
SIM=$ROOT/bridges/mqtt/pgiot-simulate
q -c "SELECT 1 FROM iot.tenant_create('acme')" >/dev/null
DEV=$(q -c "SELECT iot.use_tenant('acme')" -c "SELECT secret FROM iot.api_key_create('sim', ARRAY['DEVICE_ACCESS'])" | tail -1)
stored() {  # stored STREAM: "rows distinct"
  q -c "SELECT count(*) || ' ' || count(DISTINCT (device_id, value->>'seq')) FROM iot.message WHERE stream_id = '$1'"
}

# --- PostgreSQL restarts in the middle of a run ------------------------------
"$SIM" -p "$MQTT_PORT" -k "$DEV" -n 20 -m 150 -r 500 -q 1 -i pgrestart- -s pg-restart -t 120 >"$W/sim1.out" 2>&1 &
SIMPID=$!
sleep 2
echo "restarting PostgreSQL"
tmp_pg_as_server "$TMP_PG_BIN/pg_ctl" -D "$W/pg/data" -m fast -w stop >/dev/null
sleep 2
tmp_pg_as_server "$TMP_PG_BIN/pg_ctl" -D "$W/pg/data" -l "$W/pg/postgresql.log" -w start >/dev/null
wait $SIMPID
cat "$W/sim1.out"
ACKED=$(sed -n 's/^published [0-9]* acknowledged \([0-9]*\).*/\1/p' "$W/sim1.out")
expect_eq "every publication was acknowledged by the broker" "3000" "$ACKED"
wait_sql "every acknowledged publication is stored once (PostgreSQL restart)" \
  "SELECT count(*) || ' ' || count(DISTINCT (device_id, value->>'seq')) FROM iot.message WHERE stream_id = 'pg-restart'" "3000 3000" 60
expect_match "the bridge saw the outage and recovered" "PostgreSQL connection (lost|failed)" "$(cat "$W/bridge.log")"

# --- the bridge restarts in the middle of a run ----------------------------------
"$SIM" -p "$MQTT_PORT" -k "$DEV" -n 20 -m 150 -r 500 -q 1 -i brrestart- -s bridge-restart -t 120 >"$W/sim2.out" 2>&1 &
SIMPID=$!
sleep 2
echo "restarting the bridge"
mqtt_bridge_stop "$W"
sleep 2
mqtt_bridge_start "$W"
wait $SIMPID
cat "$W/sim2.out"
ACKED=$(sed -n 's/^published [0-9]* acknowledged \([0-9]*\).*/\1/p' "$W/sim2.out")
expect_eq "every publication was acknowledged by the broker" "3000" "$ACKED"
wait_sql "every acknowledged publication is stored once (bridge restart)" \
  "SELECT count(*) || ' ' || count(DISTINCT (device_id, value->>'seq')) FROM iot.message WHERE stream_id = 'bridge-restart'" "3000 3000" 60
expect_match "the bridge flushed what it held on SIGTERM" "stopping: flushing [0-9]+ held items" "$(cat "$W/bridge.log")"
echo "$ASSERTS assertions passed"
