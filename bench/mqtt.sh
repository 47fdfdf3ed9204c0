#!/usr/bin/env bash
# bench/mqtt.sh: MQTT ingest end to end, in one run:
#   pgiot       1,000 simulated devices (pgiot-simulate) publish QoS 1 JSON
#               through mosquitto + the pgiot plugin; pgiot-mqtt stores them
#               with iot.ingest_batch (validation, enrichment, provisioning)
#   COPY        the same rows written with one COPY into iot.message
#   Node.js     the same publication run stored by a straightforward Node.js
#               bridge (npm mqtt + pg, batched multi-row INSERTs)
# Rates are stored rows per second, from the first publication (every
# device connected) to the last row committed (its commit timestamp, so
# the polling below, kept slow, neither shortens nor steals the run).  No message may be lost (rows counted against messages).
# Settings: BENCH_DEVICES (1000), BENCH_MESSAGES per device (30).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
source test/lib/tmp_pg.sh
source test/lib/mqtt.sh
N=${BENCH_DEVICES:-1000}
M=${BENCH_MESSAGES:-30}
TOTAL=$((N * M))
W=$(mktemp -d /tmp/pgiot-bench-mqtt.XXXXXX); chmod 755 "$W"
cleanup() { [ -n "${NODE_PID:-}" ] && kill "$NODE_PID" 2>/dev/null; mqtt_stop "$W"; tmp_pg_stop "$W/pg"; [ -n "${KEEP:-}" ] || rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }
q() { "$TMP_PG_BIN/psql" -X -Atq -v ON_ERROR_STOP=1 "$@"; }
wait_rows() {  # wait_rows STREAM EXPECTED TIMEOUT: returns when reached, else fails
  local i got
  for i in $(seq $(( $3 * 4 ))); do
    got=$(q -c "SELECT count(*) FROM iot.message WHERE stream_id = '$1'")
    [ "$got" -ge "$2" ] && return 0
    sleep 0.25
  done
  echo "only $got of $2 rows of $1 were stored"; return 1
}
last_commit() {  # last_commit STREAM: epoch seconds of the commit of its last row
  q -c "SELECT extract(epoch FROM max(pg_xact_commit_timestamp(xmin))) FROM iot.message WHERE stream_id = '$1'"
}

command -v node >/dev/null && command -v npm >/dev/null || {
  echo "installing nodejs and npm"; apt-get install -y -qq nodejs npm >/dev/null || exit 1; }
echo "installing the Node.js baseline's packages (mqtt, pg) into $W/node"
mkdir -p "$W/node" && cp bench/node_bridge.js "$W/node/"
(cd "$W/node" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund mqtt@5 pg@8 >/dev/null 2>&1) || { echo "npm install failed"; exit 1; }

TMP_PG_CONF='track_commit_timestamp = on' tmp_pg_start "$W/pg" >/dev/null || exit 1
MQTT_MAX_INFLIGHT=1000 MQTT_PLUGIN_LOG=warning mqtt_start "$W" || exit 1
q -c "SELECT 1 FROM iot.tenant_create('bench')" >/dev/null
KEY=$(q -c "SELECT iot.use_tenant('bench')" -c "SELECT secret FROM iot.api_key_create('bench', ARRAY['DEVICE_ACCESS'])" | tail -1)
SIM="bridges/mqtt/pgiot-simulate -p $MQTT_PORT -k $KEY -n $N -m $M -r 0 -q 1 -t 300"

# warm-up: devices provisioned, partitions made (not measured)
bridges/mqtt/pgiot-simulate -p "$MQTT_PORT" -k "$KEY" -n "$N" -m 1 -r 0 -q 1 -s warmup >/dev/null || exit 1
wait_rows warmup "$N" 120 || exit 1

echo "== pgiot: $N devices x $M QoS 1 messages through mosquitto and pgiot-mqtt"
T0=$(now)
$SIM -s bench-pgiot >"$W/sim-pgiot.out" || { cat "$W/sim-pgiot.out"; exit 1; }
wait_rows bench-pgiot "$TOTAL" 600 || exit 1
T1=$(last_commit bench-pgiot)
T0=$(sed -n 's/^publishing started at //p' "$W/sim-pgiot.out")
PGIOT_S=$(calc "$T1 - $T0")
cat "$W/sim-pgiot.out"

echo "== COPY of the same rows into iot.message"
q -c "COPY (SELECT tenant_id, ts, received, device_id, 'bench-copy', value, tags, metadata FROM iot.message WHERE stream_id = 'bench-pgiot') TO '$W/pg/rows.copy'"
# the statement's own time (psql's \timing), no client start-up
COPY_MS=$(psql -X -q -c '\timing on' -c "COPY iot.message (tenant_id, ts, received, device_id, stream_id, value, tags, metadata) FROM '$W/pg/rows.copy'" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
COPY_S=$(calc "$COPY_MS / 1000")
[ "$(q -c "SELECT count(*) FROM iot.message WHERE stream_id = 'bench-copy'")" = "$TOTAL" ] || { echo "COPY stored the wrong count"; exit 1; }

start_node() {
  (cd "$W/node" && PG_URL="postgresql://pgiot_mqtt@127.0.0.1:$PGPORT/$PGDATABASE?options=-c%20iot.tenant%3D$TENANT" \
     MQTT_PORT=$MQTT_PORT SERVICE_PASSWORD=$MQTT_SERVICE_PASSWORD exec node node_bridge.js) >>"$W/node.log" 2>&1 &
  NODE_PID=$!
  for i in $(seq 100); do grep -q "New client connected .* as node-bridge" "$W/mosquitto.log" 2>/dev/null && break; sleep 0.1; done
  sleep 0.5
}
stop_node() { kill -TERM "$NODE_PID"; wait "$NODE_PID" 2>/dev/null; NODE_PID=; }
# end a stopped bridge's persistent session, so the broker stops queueing for it
end_session() {
  mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -i "$1" -u pgiot-service -P "$MQTT_SERVICE_PASSWORD" \
    -t pgiot/up/none -E >/dev/null 2>&1
}
TENANT=$(q -c "SELECT id FROM iot.tenant WHERE name = 'bench'")

echo "== Node.js bridge (npm mqtt + pg, batched INSERTs), same publication run"
mqtt_bridge_stop "$W"
end_session pgiot-mqtt
start_node
$SIM -s bench-node -i node-sim- >"$W/sim-node.out" || { cat "$W/sim-node.out"; exit 1; }
wait_rows bench-node "$TOTAL" 600 || { cat "$W/node.log"; exit 1; }
T1=$(last_commit bench-node)
T0=$(sed -n 's/^publishing started at //p' "$W/sim-node.out")
NODE_S=$(calc "$T1 - $T0")
cat "$W/sim-node.out"

# Drain: the devices publish while the bridge is stopped (its persistent
# session queues in mosquitto); the bridge then drains the backlog.  This
# is the bridges' own capacity, not the simulator's publishing rate.
echo "== drain: $TOTAL queued messages, Node.js bridge"
stop_node
$SIM -s drain-node -i drain-node- >"$W/sim-dn.out" || { cat "$W/sim-dn.out"; exit 1; }
T0=$(now)
start_node
wait_rows drain-node "$TOTAL" 600 || { cat "$W/node.log"; exit 1; }
T1=$(last_commit drain-node)
NODE_DRAIN_S=$(calc "$T1 - $T0")
stop_node
end_session node-bridge
echo "== drain: $TOTAL queued messages, pgiot-mqtt"
mqtt_bridge_start "$W"    # (re)creates its persistent session
mqtt_bridge_stop "$W"
$SIM -s drain-pgiot -i drain-pgiot- >"$W/sim-dp.out" || { cat "$W/sim-dp.out"; exit 1; }
# CPU of each process over this drain: mosquitto's difference; the
# bridge and its backend are new, so their whole CPU time
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
MOSQ_PID=$(cat "$W/mosquitto.pid")
MOSQ_T0=$(ticks "$MOSQ_PID")
T0=$(now)
mqtt_bridge_start "$W"
BRIDGE_PID=$(cat "$W/bridge.pid")
BACKEND_PID=$(q -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgiot-mqtt' ORDER BY backend_start DESC LIMIT 1")
wait_rows drain-pgiot "$TOTAL" 600 || exit 1
T1=$(last_commit drain-pgiot)
PGIOT_DRAIN_S=$(calc "$T1 - $T0")
us_per_msg() { awk -v t="$1" -v n="$TOTAL" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }'; }
CPU_LINE="backend $(us_per_msg "$(ticks "$BACKEND_PID")") us, pgiot-mqtt $(us_per_msg "$(ticks "$BRIDGE_PID")") us, mosquitto $(us_per_msg "$(( $(ticks "$MOSQ_PID") - MOSQ_T0 ))") us"

PG_ROWS=$(q -c "SELECT count(*) || ' rows, ' || count(DISTINCT (device_id, value->>'seq')) || ' distinct' FROM iot.message WHERE stream_id = 'bench-pgiot'")
NODE_ROWS=$(q -c "SELECT count(*) || ' rows, ' || count(DISTINCT (device_id, value->>'seq')) || ' distinct' FROM iot.message WHERE stream_id = 'bench-node'")
rate() { awk -v t="$TOTAL" -v s="$1" 'BEGIN { printf "%.0f", t / s }'; }
R_PG=$(rate "$PGIOT_S"); R_COPY=$(rate "$COPY_S"); R_NODE=$(rate "$NODE_S")
D_PG=$(rate "$PGIOT_DRAIN_S"); D_NODE=$(rate "$NODE_DRAIN_S")
DRAIN_ROWS=$(q -c "SELECT count(*) || ' rows, ' || count(DISTINCT (device_id, value->>'seq')) || ' distinct' FROM iot.message WHERE stream_id = 'drain-pgiot'")
echo
echo "messages: $TOTAL ($N devices x $M), QoS 1"
echo "live (devices publishing as fast as the simulator can, bridge running):"
printf '  pgiot-mqtt end to end : %8s rows/s (%.2f s; stored %s)\n' "$R_PG" "$PGIOT_S" "$PG_ROWS"
printf '  Node.js bridge        : %8s rows/s (%.2f s; stored %s)\n' "$R_NODE" "$NODE_S" "$NODE_ROWS"
echo "drain (the same messages queued in mosquitto, then stored by the bridge):"
printf '  pgiot-mqtt            : %8s rows/s (%.2f s; stored %s)\n' "$D_PG" "$PGIOT_DRAIN_S" "$DRAIN_ROWS"
printf '  Node.js bridge        : %8s rows/s (%.2f s)\n' "$D_NODE" "$NODE_DRAIN_S"
printf '  plain COPY            : %8s rows/s (%.2f s)\n' "$R_COPY" "$COPY_S"
echo "CPU per message of the pgiot-mqtt drain: $CPU_LINE"
printf 'ratio pgiot / COPY    : live %.2f, drain %.2f (goal >= 0.5)\n' "$(calc "$R_PG / $R_COPY")" "$(calc "$D_PG / $R_COPY")"
printf 'ratio pgiot / Node.js : live %.2f, drain %.2f (goal >= 3)\n' "$(calc "$R_PG / $R_NODE")" "$(calc "$D_PG / $D_NODE")"
echo "command: BENCH_DEVICES=$N BENCH_MESSAGES=$M bench/mqtt.sh"
[ "$PG_ROWS" = "$TOTAL rows, $TOTAL distinct" ] && [ "$DRAIN_ROWS" = "$TOTAL rows, $TOTAL distinct" ] ||
  { echo "pgiot lost or duplicated messages"; exit 1; }
