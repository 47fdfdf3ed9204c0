#!/usr/bin/env bash
# The broker stops and starts again: uplinks it acknowledged but had not
# yet handed to the bridge (held in the plugin's batch) are spooled at the
# stop and delivered after the start, none lost; and the plugin's unbatched
# mode (batch_max_items 0) stores every publication too.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
source test/lib/tmp_pg.sh
source test/lib/mqtt.sh
source test/lib/assert.sh
W=$(mktemp -d /tmp/pgiot-mqtt-broker.XXXXXX); chmod 755 "$W"
cleanup() { jobs -p | xargs -r kill 2>/dev/null; mqtt_stop "$W"; tmp_pg_stop "$W/pg"; [ -n "${KEEP:-}" ] || rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
tmp_pg_start "$W/pg" >/dev/null || exit 1
# a persistent broker whose plugin holds every uplink (batches of up to
# 100,000 items, flushed after 10 minutes): what the devices publish stays
# in the plugin until the broker stops
export MQTT_PERSISTENCE=true MQTT_BATCH_ITEMS=100000 MQTT_BATCH_MS=600000
mqtt_start "$W" || exit 1
SIM=$ROOT/bridges/mqtt/pgiot-simulate
q -c "SELECT 1 FROM iot.tenant_create('acme')" >/dev/null
DEV=$(q -c "SELECT iot.use_tenant('acme')" -c "SELECT secret FROM iot.api_key_create('sim', ARRAY['DEVICE_ACCESS'])" | tail -1)
count() { q -c "SELECT count(*) || ' ' || count(DISTINCT (device_id, value->>'seq')) FROM iot.message WHERE stream_id = '$1'"; }

"$SIM" -p "$MQTT_PORT" -k "$DEV" -n 10 -m 20 -r 0 -q 1 -i held- -s held -t 60 >"$W/sim1.out" 2>&1
cat "$W/sim1.out"
expect_match "the broker acknowledged every publication" "acknowledged 200 failed 0" "$(cat "$W/sim1.out")"
sleep 1
expect_eq "nothing reached PostgreSQL yet (held in the plugin's batch)" "0 0" "$(count held)"

echo "stopping the broker"
mqtt_broker_stop "$W"
expect_match "the plugin spooled the held uplinks" "spooled [0-9]+ bytes of unrouted uplinks" "$(cat "$W/mosquitto.log")"
expect_eq "the spool file is there" "yes" "$([ -s "$W/uplink.spool" ] && echo yes || echo no)"
mqtt_broker_start "$W" || exit 1
expect_match "the plugin published the spool again" "republished 200 spooled uplinks" "$(cat "$W/mosquitto.log")"
expect_eq "the spool file is gone" "no" "$([ -e "$W/uplink.spool" ] && echo yes || echo no)"
wait_sql "every acknowledged uplink is stored once after the restart" \
  "SELECT count(*) || ' ' || count(DISTINCT (device_id, value->>'seq')) FROM iot.message WHERE stream_id = 'held'" "200 200" 60

echo "restarting the broker unbatched"
mqtt_broker_stop "$W"
MQTT_BATCH_ITEMS=0 MQTT_BATCH_MS=5 mqtt_broker_start "$W" || exit 1
"$SIM" -p "$MQTT_PORT" -k "$DEV" -n 10 -m 5 -r 0 -q 1 -i single- -s single -t 60 >"$W/sim2.out" 2>&1
expect_match "the broker acknowledged every publication" "acknowledged 50 failed 0" "$(cat "$W/sim2.out")"
wait_sql "each uplink routed on its own is stored" \
  "SELECT count(*) || ' ' || count(DISTINCT (device_id, value->>'seq')) FROM iot.message WHERE stream_id = 'single'" "50 50" 60
echo "$ASSERTS assertions passed"
