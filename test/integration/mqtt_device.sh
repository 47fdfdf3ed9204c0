#!/usr/bin/env bash
# MQTT device mode through the real broker and bridge: CONNECT
# authentication (good key, wrong key, key without DEVICE_ACCESS, disabled
# interface), interface status and activity, dev/data and binary data,
# ACL violations (refused and audited), two devices publishing on the same
# topic names kept apart, the short-key form of dev/data.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
source test/lib/tmp_pg.sh
source test/lib/mqtt.sh
source test/lib/assert.sh
W=$(mktemp -d /tmp/pgiot-mqtt-dev.XXXXXX); chmod 755 "$W"
trap 'mqtt_stop $W; tmp_pg_stop $W/pg; [ -n "${KEEP:-}" ] || rm -rf $W' EXIT
trap 'exit 1' INT TERM
tmp_pg_start "$W/pg" >/dev/null || exit 1
mqtt_start "$W" || exit 1

q -c "SELECT 1 FROM iot.tenant_create('acme')" >/dev/null
q -c "SELECT 1 FROM iot.tenant_create('other')" >/dev/null
key() {  # key TENANT ROLES...
  local t=$1; shift
  q -c "SELECT iot.use_tenant('$t')" -c "SELECT secret FROM iot.api_key_create('k', ARRAY['$(echo "$@" | sed "s/ /','/g")'])" | tail -1
}
DEV=$(key acme DEVICE_ACCESS)
DATA_ONLY=$(key acme DATA_W)
OTHER=$(key other DEVICE_ACCESS)
pub() {  # pub CLIENT KEY TOPIC MESSAGE [extra mosquitto_pub args]
  local c=$1 k=$2 t=$3 m=$4; shift 4
  mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -V mqttv311 -i "$c" -u json+device -P "$k" -t "$t" -q 1 -m "$m" "$@" 2>&1
}
acme() { q -c "SELECT iot.use_tenant('acme')" -c "$1" | tail -n +2; }

# --- authentication -------------------------------------------------------
out=$(pub urn:lo:nsid:mqtt:myTest "$DEV" dev/data '{"streamId":"mydeviceTemp1234","timestamp":"2020-10-13T12:15:02Z","model":"tempV2","value":{"temp":12.75,"humidity":62.1,"doorOpen":true},"location":{"lat":48.86667,"lon":2.33333,"alt":35.2,"accuracy":12.3,"provider":"GPS"},"tags":["CityNYC","Prototype"]}')
expect_eq "T3/T4 publish with a DEVICE_ACCESS key is accepted" "" "$out"
out=$(pub urn:lo:nsid:mqtt:myTest wrong-key dev/data '{}')
expect_match "a wrong API key is refused at CONNECT" "Connection Refused" "$out"
out=$(pub urn:lo:nsid:mqtt:myTest "$DATA_ONLY" dev/data '{}')
expect_match "a key without DEVICE_ACCESS is refused" "Connection Refused" "$out"
out=$(mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -i x1 -u JSON+DEVICE -P "$DEV" -t dev/data -m '{}' 2>&1)
expect_match "the username is case-sensitive" "Connection Refused" "$out"

wait_sql "T4 the message is stored with the device's identity" \
  "SELECT string_agg(device_id, ',') FROM iot.message" "urn:lo:nsid:mqtt:myTest"
wait_sql "T4 stored: stream, connector, source, tags merged" \
  "SELECT string_agg(format('%s|%s|%s|%s|%s', stream_id, metadata->>'connector', metadata->>'source', tags, value->>'temp'), ';') FROM iot.message" \
  "mydeviceTemp1234|mqtt|urn:lo:nsid:mqtt:myTest|{CityNYC,Prototype}|12.75"
expect_eq "T4 location from the message" "GPS 48.86667 2.33333" \
  "$(q -c "SELECT location_provider || ' ' || round(ST_Y(location::geometry)::numeric, 5) || ' ' || round(ST_X(location::geometry)::numeric, 5) FROM iot.message")"
wait_sql "T3 the interface went ONLINE then OFFLINE, activity recorded" \
  "SELECT status || ' ' || (activity->>'mqttUsername') || ' ' || (activity->>'mqttVersion') || ' ' || (activity ? 'lastSessionEndTime') FROM iot.device_interface WHERE node_id = 'urn:lo:nsid:mqtt:myTest'" \
  "OFFLINE json+device 4 true"
expect_eq "T3 deviceStatus events ONLINE then OFFLINE/ONLINE" \
  "ONLINE|;OFFLINE|ONLINE" \
  "$(q -c "SELECT string_agg((payload->'updatedInterface'->'status'->>'current') || '|' || coalesce(payload->'updatedInterface'->'status'->>'previous', ''), ';' ORDER BY id) FROM iot.event WHERE type = 'deviceStatus' AND device_id = 'urn:lo:nsid:mqtt:myTest'")"

# --- the same message without streamId/timestamp: device defaults ----------
pub urn:lo:nsid:mqtt:myTest "$DEV" dev/data '{"value":{"temp":1}}' >/dev/null
wait_sql "T4 default stream = device id, timestamp = arrival" \
  "SELECT count(*) FROM iot.message WHERE stream_id = 'urn:lo:nsid:mqtt:myTest' AND ts > now() - interval '1 minute'" "1"
# --- short keys (manual 6.3.4.2) -------------------------------------------
pub urn:lo:nsid:mqtt:myTest "$DEV" dev/data '{"s":"myStreamId","v":{"temp":12}}' >/dev/null
wait_sql "short keys s/v are read as streamId/value" \
  "SELECT value::text FROM iot.message WHERE stream_id = 'myStreamId'" '{"temp": 12}'

# --- binary data -----------------------------------------------------------
printf '\x41\x20\x00\x00' >"$W/bin"
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -i 123456 -u json+device -P "$DEV" -t dev/v1/data/binary/my_encoding_v0 -q 1 -f "$W/bin"
wait_sql "T5 binary on dev/v1/data/binary/{encoding}: payload hex, encoding, device stream" \
  "SELECT stream_id || ' ' || (value->>'payload') || ' ' || (metadata->>'encoding') || ' ' || encode(raw, 'hex') FROM iot.message WHERE device_id = 'urn:lo:nsid:mqtt:123456'" \
  "urn:lo:nsid:mqtt:123456 41200000 my_encoding_v0 41200000"
# with the manual's decoder registered, the same bytes are decoded on ingest
acme "SELECT iot.decoder_binary_create('my_encoding_v0', 'float sent_value;', model => 'my_encoding_model_v0') IS NOT NULL" >/dev/null
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -i 123456 -u json+device -P "$DEV" -t dev/v1/data/binary/my_encoding_v0 -q 1 -f "$W/bin"
wait_sql "T5 decoded by the registry: payload kept, sent_value 10, the decoder's model" \
  "SELECT value::text || ' ' || model FROM iot.message WHERE device_id = 'urn:lo:nsid:mqtt:123456' AND model IS NOT NULL" \
  '{"payload": "41200000", "sent_value": 10} my_encoding_model_v0'
q -c "UPDATE iot.device_interface SET definition = definition || '{\"encoding\": \"my_encoding_v0\"}' WHERE node_id = '123456'"
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -i 123456 -u json+device -P "$DEV" -t dev/v1/data/binary -q 1 -f "$W/bin"
wait_sql "T5 binary on dev/v1/data/binary takes the interface encoding" \
  "SELECT count(*) FROM iot.message WHERE device_id = 'urn:lo:nsid:mqtt:123456' AND metadata->>'encoding' = 'my_encoding_v0'" "3"

# --- ACL violations --------------------------------------------------------
out=$(pub urn:lo:nsid:mqtt:myTest "$DEV" dev/cmd '{"req":"forged"}' -d)
wait_sql "publishing on dev/cmd (a downlink topic) is refused and audited" \
  "SELECT count(*) FROM iot.audit_log WHERE code = 'PI802' AND details->>'topic' = 'dev/cmd' AND details->>'access' = 'publish'" "1"
out=$(pub urn:lo:nsid:mqtt:myTest "$DEV" connector/v1/nodes/x/data '{"value":{}}')
wait_sql "a device may not publish connector topics" \
  "SELECT count(*) FROM iot.audit_log WHERE code = 'PI802' AND details->>'topic' = 'connector/v1/nodes/x/data'" "1"
out=$(pub urn:lo:nsid:mqtt:myTest "$DEV" 'pgiot/up/00000000-0000-0000-0000-000000000000/device/k/urn:lo:nsid:mqtt:victim/dev/data' '{"value":{"forged":1}}')
out=$(mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -i urn:lo:nsid:mqtt:spy -u json+device -P "$DEV" -t 'dev/#' -W 1 -d 2>&1)
expect_match "subscribing to dev/# is refused (SUBACK 0x80)" "(Subscribed \(mid: [0-9]+\): 128)|(failure)" "$out"
out=$(mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -i urn:lo:nsid:mqtt:spy -u json+device -P "$DEV" -t 'pgiot/up/#' -W 1 -d 2>&1)
expect_match "subscribing to the bridge's topics is refused" "(Subscribed \(mid: [0-9]+\): 128)|(failure)" "$out"
sleep 0.5
expect_eq "nothing forged was stored" "0" "$(q -c "SELECT count(*) FROM iot.message WHERE value ? 'forged' OR device_id LIKE '%victim%'")"

# --- two devices (and two tenants) on the same topic names ------------------
for i in 1 2 3; do
  pub urn:lo:nsid:mqtt:devA "$DEV" dev/data "{\"streamId\":\"shared\",\"value\":{\"who\":\"A\",\"n\":$i}}" >/dev/null
  pub urn:lo:nsid:mqtt:devB "$DEV" dev/data "{\"streamId\":\"shared\",\"value\":{\"who\":\"B\",\"n\":$i}}" >/dev/null
done
pub urn:lo:nsid:mqtt:devC "$OTHER" dev/data '{"streamId":"shared","value":{"who":"C","n":1}}' >/dev/null
wait_sql "two devices on dev/data: each message is attributed to its publisher" \
  "SELECT string_agg(DISTINCT device_id || '=' || (value->>'who'), ' ' ORDER BY device_id || '=' || (value->>'who')) FROM iot.message WHERE stream_id = 'shared'" \
  "urn:lo:nsid:mqtt:devA=A urn:lo:nsid:mqtt:devB=B urn:lo:nsid:mqtt:devC=C"
expect_eq "tenants are kept apart" "acme:6 other:1" \
  "$(q -c "SELECT string_agg(t.name || ':' || n, ' ' ORDER BY t.name) FROM (SELECT tenant_id, count(*) n FROM iot.message WHERE stream_id = 'shared' GROUP BY 1) m JOIN iot.tenant t ON t.id = m.tenant_id")"

# --- malformed payloads are acknowledged and audited ---------------------------
out=$(pub urn:lo:nsid:mqtt:devA "$DEV" dev/data '{"value": not json')
expect_eq "a malformed publication is still acknowledged" "" "$out"
pub urn:lo:nsid:mqtt:devA "$DEV" dev/data '{"value":{"a.b":1}}' >/dev/null
pub urn:lo:nsid:mqtt:devA "$DEV" dev/data '{"value":{"after":"bad"}}' >/dev/null
wait_sql "malformed JSON is audited with its position" \
  "SELECT count(*) FROM iot.audit_log WHERE code = 'PI803' AND message LIKE '%invalid JSON at byte%'" "1"
wait_sql "a refused data message is audited by ingest" \
  "SELECT count(*) FROM iot.audit_log WHERE component = 'ingest' AND message LIKE '%holds a ''.''%'" "1"
wait_sql "the bridge goes on after bad input" \
  "SELECT count(*) FROM iot.message WHERE value ? 'after'" "1"

# --- a disabled interface cannot connect ------------------------------------------
acme "SELECT iot.interface_update('urn:lo:nsid:mqtt:devA', 'mqtt', 'urn:lo:nsid:mqtt:devA', '{\"enabled\": false}')" >/dev/null
sleep 2.2   # the authentication cache (2 s in tests)
out=$(pub urn:lo:nsid:mqtt:devA "$DEV" dev/data '{"value":{}}')
expect_match "T3 a disabled mqtt interface is refused" "Connection Refused" "$out"

# --- auto-provisioning off: an unknown client is refused -------------------------
q -c "UPDATE iot.tenant SET settings = settings || '{\"autoProvisioning\": false}' WHERE name = 'other'"
out=$(pub urn:lo:nsid:mqtt:newcomer "$OTHER" dev/data '{"value":{}}')
expect_match "auto-provisioning off: an unknown client is refused" "Connection Refused" "$out"

# --- a batch PostgreSQL refuses does not stop the bridge ----------------------------
# (the bridge's role loses EXECUTE on the control handler for a moment)
q -c "REVOKE EXECUTE ON FUNCTION iot.mqtt_handle(jsonb) FROM PUBLIC"
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -i urn:lo:nsid:mqtt:devB -u json+device -P "$DEV" -t dev/cmd/res -q 1 -m '{"res":{},"cid":1}' &
P1=$!
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -i urn:lo:nsid:mqtt:devD -u json+device -P "$DEV" -t dev/data -q 1 -m '{"value":{"poison":"neighbour"}}' &
wait $P1 $!
wait_sql "an item PostgreSQL refuses is audited and dropped" \
  "SELECT count(*) FROM iot.audit_log WHERE code = 'PI803' AND message LIKE '%dropped an item%'" "1"
wait_sql "the items around it are stored" "SELECT count(*) FROM iot.message WHERE value ? 'poison'" "1"
q -c "GRANT EXECUTE ON FUNCTION iot.mqtt_handle(jsonb) TO PUBLIC"
pub urn:lo:nsid:mqtt:devD "$DEV" dev/data '{"value":{"later":1}}' >/dev/null
wait_sql "and the bridge goes on" "SELECT count(*) FROM iot.message WHERE value ? 'later'" "1"

echo "$ASSERTS assertions passed"
