#!/usr/bin/env bash
# MQTT downlinks and the connector and application modes through the real
# broker and bridge: commands, configuration and shadows reaching exactly
# one device, connector mode over TLS (NodeStatus, data, commands),
# application mode over TLS, IoT Connector and AWS basic-ingest topics,
# client-certificate authentication, API-key revocation of a connected
# client.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
source test/lib/tmp_pg.sh
source test/lib/mqtt.sh
source test/lib/assert.sh
W=$(mktemp -d /tmp/pgiot-mqtt-modes.XXXXXX); chmod 755 "$W"
cleanup() { jobs -p | xargs -r kill 2>/dev/null; mqtt_stop "$W"; tmp_pg_stop "$W/pg"; [ -n "${KEEP:-}" ] || rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
tmp_pg_start "$W/pg" >/dev/null || exit 1
mqtt_start "$W" || exit 1

q -c "SELECT 1 FROM iot.tenant_create('acme')" >/dev/null
key() { local t=$1; shift
  q -c "SELECT iot.use_tenant('$t')" -c "SELECT secret FROM iot.api_key_create('k', ARRAY['$(echo "$@" | sed "s/ /','/g")'])" | tail -1; }
acme() { q -c "SELECT iot.use_tenant('acme')" -c "$1" | tail -n +2; }
DEV=$(key acme DEVICE_ACCESS)
CONN=$(key acme CONNECTOR_ACCESS)
APP=$(q -c "SELECT iot.use_tenant('acme')" -c "SELECT secret FROM iot.api_key_create('app', ARRAY['BUS_R', 'DATA_W'], fifos => ARRAY['a'])" | tail -1)
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); [d:=d[k] for k in sys.argv[2:]]; print(json.dumps(d) if not isinstance(d, str) else d)' "$@"; }
TLS=(--cafile "$MQTT_CA" -p "$MQTT_TLS_PORT")
caps() { echo "SELECT (capabilities->'$2'->>'available') FROM iot.device_interface WHERE node_id = '$1'"; }

# --- commands reach one device only ---------------------------------------
for d in devA devB; do
  mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -i "$d" -u json+device -P "$DEV" -t dev/cmd -q 1 -C 2 -W 60 >"$W/$d.cmd" 2>&1 &
done
wait_sql "subscribing to dev/cmd announces the command capability (devA)" "$(caps devA command)" "true"
wait_sql "subscribing to dev/cmd announces the command capability (devB)" "$(caps devB command)" "true"
CMD=$(acme "SELECT iot.command_create('urn:lo:nsid:mqtt:devA', '{\"request\": {\"connector\": \"mqtt\", \"value\": {\"req\": \"unlock\", \"arg\": {\"delay\": 1000}}}, \"policy\": {\"expirationInSeconds\": 120, \"ackMode\": \"APPLICATIVE\", \"ackTimeoutInSeconds\": 180}}') ->> 'id'")
for i in $(seq 100); do [ -s "$W/devA.cmd" ] && break; sleep 0.1; done
head -1 "$W/devA.cmd" >"$W/devA.cmd1"
expect_eq "T6 devA received the command" 'unlock {"delay": 1000}' "$(jget "$W/devA.cmd1" req) $(jget "$W/devA.cmd1" arg)"
sleep 1
expect_eq "devB (same topic name) received nothing" "" "$(cat "$W/devB.cmd")"
CID=$(jget "$W/devA.cmd1" cid)
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -i devA -u json+device -P "$DEV" -t dev/cmd/res -q 1 -m "{\"res\": {\"done\": true}, \"cid\": $CID}"
wait_sql "T6 the answer makes the command PROCESSED/REPLIED" \
  "SELECT status || ' ' || delivery_status || ' ' || response::text FROM iot.command WHERE id = '$CMD'" 'PROCESSED REPLIED {"done": true}'
# devB answering with devA's cid cannot touch devA's commands
CMD2=$(acme "SELECT iot.command_create('urn:lo:nsid:mqtt:devA', '{\"request\": {\"connector\": \"mqtt\", \"value\": {\"req\": \"second\"}}}') ->> 'id'")
wait_sql "the next command goes out once the first is answered" "SELECT status FROM iot.command WHERE id = '$CMD2'" "PROCESSING"
CID2=$(q -c "SELECT cid FROM iot.command WHERE id = '$CMD2'")
for i in $(seq 100); do [ "$(grep -c . "$W/devA.cmd")" -ge 2 ] && break; sleep 0.1; done
expect_eq "devA received the second command" "second" "$(tail -1 "$W/devA.cmd" | python3 -c 'import json,sys; print(json.load(sys.stdin)["req"])')"
expect_eq "devB still received nothing" "" "$(cat "$W/devB.cmd")"
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -i devB -u json+device -P "$DEV" -t dev/cmd/res -q 1 -m "{\"res\": {\"forged\": true}, \"cid\": $CID2}"
wait_sql "a response from another device is refused and audited" \
  "SELECT count(*) FROM iot.audit_log WHERE code = 'PI813' AND details->>'clientId' = 'devB'" "1"
expect_eq "devA's command is untouched" "PROCESSING" "$(q -c "SELECT status FROM iot.command WHERE id = '$CMD2'")"

# --- configuration ---------------------------------------------------------
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -i devC -u json+device -P "$DEV" -t dev/cfg/upd -q 1 -C 1 -W 30 >"$W/devC.cfg" 2>&1 &
wait_sql "subscribing to dev/cfg/upd announces the configuration capability" "$(caps devC configuration)" "true"
acme "SELECT iot.config_set('urn:lo:nsid:mqtt:devC', '{\"parameters\": {\"MyParamINT32\": {\"type\": \"INT32\", \"value\": -333}, \"MyParamSTRING\": {\"type\": \"STRING\", \"value\": \"My sentense\"}}}')" >/dev/null
for i in $(seq 100); do [ -s "$W/devC.cfg" ] && break; sleep 0.1; done
expect_eq "T12 the device receives the update" '{"MyParamINT32": {"t": "i32", "v": -333}, "MyParamSTRING": {"t": "str", "v": "My sentense"}}' "$(jget "$W/devC.cfg" cfg)"
CID=$(jget "$W/devC.cfg" cid)
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -i devC -u json+device -P "$DEV" -t dev/cfg -q 1 \
  -m "{\"cfg\": {\"MyParamINT32\": {\"t\": \"i32\", \"v\": -333}, \"MyParamSTRING\": {\"t\": \"str\", \"v\": \"other\"}}, \"cid\": $CID}"
wait_sql "T12 answer: equal value OK, other value FAILED" \
  "SELECT string_agg(key || '=' || sync_status, ' ' ORDER BY key) FROM iot.device_config WHERE device_id = 'urn:lo:nsid:mqtt:devC'" \
  "MyParamINT32=OK MyParamSTRING=FAILED"

# --- device shadow ------------------------------------------------------------
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -i devS -u json+device -P "$DEV" -t '$aws/things/devS/shadow/#' -q 1 -C 3 -W 30 -v >"$W/devS.shadow" 2>&1 &
wait_sql "the shadow subscription is in place" "SELECT count(*) FROM iot.device_interface WHERE node_id = 'devS' AND status = 'ONLINE'" "1"
sleep 0.3
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -i devS-pub -u json+device -P "$DEV" -t '$aws/things/devS/shadow/update' -q 1 -m '{"state":{"reported":{"on":false}}}'
wait_sql "a device may not update another thing's shadow (refused, audited)" \
  "SELECT count(*) FROM iot.audit_log WHERE code = 'PI802' AND details->>'topic' = '\$aws/things/devS/shadow/update'" "1"
acme "SELECT iot.shadow_update('devS', '{\"state\": {\"desired\": {\"on\": true}}}')" >/dev/null
for i in $(seq 100); do [ "$(grep -c . "$W/devS.shadow")" -ge 2 ] && break; sleep 0.1; done
expect_match "shadow delta reaches the device" '^\$aws/things/devS/shadow/update/delta \{.*"state": ?\{"on": ?true\}' "$(grep delta "$W/devS.shadow")"
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -i devS2 -u json+device -P "$DEV" -t '$aws/things/devS2/shadow/update' -q 1 -m '{"state":{"reported":{"on":true}}, "clientToken": "t1"}'
wait_sql "a device updates its own shadow" "SELECT reported::text || ' ' || version FROM iot.device_shadow WHERE thing = 'devS2'" '{"on": true} 1'

# --- connector mode: TLS only ---------------------------------------------------
out=$(mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -i gw1 -u connector -P "$CONN" -t connector/v1/nodes/n1/data -m '{}' 2>&1)
expect_match "connector mode on the plain port is refused" "Connection Refused" "$out"
mosquitto_pub -h 127.0.0.1 "${TLS[@]}" -i gw1 -u connector -P "$CONN" -t connector/v1/nodes/myDevice/status -q 1 \
  -m '{"status":"ONLINE","capabilities":{"command":{"available":true}},"sessionSequenceId":1,"eventSequenceId":3}'
wait_sql "T13 NodeStatus provisions the node, ONLINE with the command capability" \
  "SELECT device_id || ' ' || status || ' ' || (capabilities->'command'->>'available') FROM iot.device_interface WHERE connector = 'x-connector' AND node_id = 'myDevice'" \
  "urn:lo:nsid:x-connector:myDevice ONLINE true"
mosquitto_pub -h 127.0.0.1 "${TLS[@]}" -i gw1 -u connector -P "$CONN" -t connector/v1/nodes/myDevice/status -q 1 -m '{"status":"OFFLINE","sessionSequenceId":1,"eventSequenceId":2}'
mosquitto_pub -h 127.0.0.1 "${TLS[@]}" -i gw1 -u connector -P "$CONN" -t connector/v1/nodes/myDevice/status -q 1 -m '{"status":"REGISTERED"}'
mosquitto_pub -h 127.0.0.1 "${TLS[@]}" -i gw1 -u connector -P "$CONN" -t connector/v1/nodes/myDevice/status -q 1 -m 'not json'
wait_sql "T13 REGISTERED and invalid JSON are audited" \
  "SELECT count(*) FROM iot.audit_log WHERE details->>'clientId' = 'gw1' AND (code = 'PI803' OR message LIKE '%REGISTERED%')" "2"
expect_eq "T13 an older event is ignored" "ONLINE" "$(q -c "SELECT status FROM iot.device_interface WHERE node_id = 'myDevice'")"
mosquitto_pub -h 127.0.0.1 "${TLS[@]}" -i gw1 -u connector -P "$CONN" -t connector/v1/nodes/myDevice/data -q 1 \
  -m '{"streamId":"urn:lo:nsid:detector_A8:12435355","timestamp":"2019-05-20T16:01:47Z","model":"data_v0","value":{"temperature":14.6,"battery":53},"tags":["production","london"]}'
wait_sql "connector data is stored for its node's device" \
  "SELECT device_id || ' ' || (metadata->>'connector') || ' ' || (value->>'temperature') FROM iot.message WHERE stream_id = 'urn:lo:nsid:detector_A8:12435355'" \
  "urn:lo:nsid:x-connector:myDevice x-connector 14.6"
mosquitto_sub -h 127.0.0.1 "${TLS[@]}" -i gw2 -u connector -P "$CONN" -t connector/v1/requests/command -q 1 -C 1 -W 30 >"$W/gw2.cmd" 2>&1 &
sleep 1
XCMD=$(acme "SELECT iot.command_create('urn:lo:nsid:x-connector:myDevice', '{\"request\": {\"connector\": \"x-connector\", \"value\": {\"req\": \"on\", \"args\": {\"level\": 75}}}, \"policy\": {\"ackMode\": \"APPLICATIVE\"}}') ->> 'id'")
for i in $(seq 100); do [ -s "$W/gw2.cmd" ] && break; sleep 0.1; done
expect_eq "T14 the connector receives the request" "$XCMD myDevice APPLICATIVE {\"req\": \"on\", \"args\": {\"level\": 75}}" \
  "$(jget "$W/gw2.cmd" id) $(jget "$W/gw2.cmd" nodeId) $(jget "$W/gw2.cmd" ackMode) $(jget "$W/gw2.cmd" value)"
mosquitto_pub -h 127.0.0.1 "${TLS[@]}" -i gw1 -u connector -P "$CONN" -t connector/v1/responses/command -q 1 \
  -m "{\"id\":\"$XCMD\",\"nodeId\":\"myDevice\",\"response\":{\"status\":\"ok\",\"message\":{\"level\":75}}}"
wait_sql "T14 the response makes it PROCESSED/REPLIED" "SELECT status || ' ' || delivery_status FROM iot.command WHERE id = '$XCMD'" "PROCESSED REPLIED"
out=$(mosquitto_sub -h 127.0.0.1 "${TLS[@]}" -i gw3 -u connector -P "$CONN" -t dev/cmd -W 1 -d 2>&1)
expect_match "a connector may not subscribe to device topics" "(Subscribed \(mid: [0-9]+\): 128)|(failure)" "$out"

# --- IoT Connector telemetry (connector mode, configured pattern) ----------------
mosquitto_pub -h 127.0.0.1 "${TLS[@]}" -i iotc -u connector -P "$CONN" -t sensor/04138BB4/telemetry -q 1 \
  -m '{"sensor":{"friendlyId":"Multisensor 1","id":"04138bb4","location":"Cloud center"},"telemetry":{"data":[{"key":"temperature","value":23.9,"unit":"°C"},{"key":"humidity","value":29.0,"unit":"%"},{"key":"contact","value":"open","meaning":"Window opened"}],"signal":[],"meta":{"stats":[]}},"raw":{"data":"d29fce800863b502a620","sender":"04138bb4","status":"80","rssi":77,"timestamp":"1611927479.166352"}}'
wait_sql "IoT Connector telemetry is stored for the EnOcean device" \
  "SELECT device_id || ' ' || model || ' ' || value::text || ' ' || iot.iso_time(ts) || ' ' || (metadata->'network'->'enocean'->>'rssi') FROM iot.message WHERE device_id LIKE '%enocean%'" \
  'urn:lo:nsid:enocean:04138bb4 enocean-iotc {"contact": "open", "humidity": 29.0, "temperature": 23.9} 2021-01-29T13:37:59.166Z 77'

# --- AWS IoT basic ingest (device mode) ------------------------------------------
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -i LiveTestSimulator01 -u json+device -P "$DEV" -t '$aws/rules/iot_data_platform_telemetry_dev' -q 1 \
  -m '{"payloadVersion":"1","eventType":"ODA","assetId":"AUTOTEST_CUT","payload":{"deviceid":"6000"}}'
wait_sql "AWS basic ingest: stored under the rule's stream for the publishing thing" \
  "SELECT device_id || ' ' || stream_id || ' ' || (value->>'eventType') FROM iot.message WHERE stream_id LIKE 'iot_data%'" \
  "urn:lo:nsid:mqtt:LiveTestSimulator01 iot_data_platform_telemetry_dev ODA"

# --- application mode ---------------------------------------------------------------
out=$(mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -i app1 -u application -P "$APP" -t application/v1/data -m '{}' 2>&1)
expect_match "T20 application mode on the plain port is refused" "Connection Refused" "$out"
mosquitto_pub -h 127.0.0.1 "${TLS[@]}" -i app1 -u application -P "$APP" -t application/v1/data -q 1 \
  -m '{"streamId":"app-stream","value":{"temperature":14.6},"metadata":{"source":"urn:lo:nsid:detector_A8:12435355"}}'
mosquitto_pub -h 127.0.0.1 "${TLS[@]}" -i app1 -u application -P "$APP" -t application/v1/data -q 1 -m '{"value":{"nostream":1}}'
wait_sql "application data is stored without a device" \
  "SELECT coalesce(device_id, 'none') || ' ' || (value->>'temperature') FROM iot.message WHERE stream_id = 'app-stream'" "none 14.6"
wait_sql "T20 application data without streamId is audited, not stored" \
  "SELECT count(*) FROM iot.audit_log WHERE component = 'ingest' AND message LIKE '%streamId is required%'" "1"
out=$(mosquitto_sub -h 127.0.0.1 "${TLS[@]}" -i app2 -u application -P "$APP" -t fifo/a -W 1 -d 2>&1)
expect_match "T20 subscribing to an allowed FIFO is granted" "Subscribed \(mid: [0-9]+\): 0" "$out"
out=$(mosquitto_sub -h 127.0.0.1 "${TLS[@]}" -i app2 -u application -P "$APP" -t fifo/b -W 1 -d 2>&1)
expect_match "T20 a FIFO outside the key's list is refused (0x80)" "Subscribed \(mid: [0-9]+\): 128" "$out"

# --- client certificate (device mode) ---------------------------------------------------
FP=$(mqtt_client_cert "$W/tls" urn:lo:nsid:mqtt:certdev)
acme "SELECT iot.mqtt_cert_register('$FP', 'urn:lo:nsid:mqtt:certdev')" >/dev/null
mosquitto_pub -h 127.0.0.1 --cafile "$MQTT_CA" -p "$MQTT_CERT_PORT" --cert "$W/tls/client-urn:lo:nsid:mqtt:certdev.crt" \
  --key "$W/tls/client-urn:lo:nsid:mqtt:certdev.key" -i urn:lo:nsid:mqtt:certdev -u json+device -t dev/data -q 1 -m '{"value":{"cert":1}}'
wait_sql "a registered client certificate authenticates its device" \
  "SELECT device_id FROM iot.message WHERE value ? 'cert'" "urn:lo:nsid:mqtt:certdev"
wait_sql "the interface records certificate authentication" \
  "SELECT activity->'security'->>'clientCertAuthentication' FROM iot.device_interface WHERE node_id = 'urn:lo:nsid:mqtt:certdev'" "true"
out=$(mosquitto_pub -h 127.0.0.1 --cafile "$MQTT_CA" -p "$MQTT_CERT_PORT" --cert "$W/tls/client-urn:lo:nsid:mqtt:certdev.crt" \
  --key "$W/tls/client-urn:lo:nsid:mqtt:certdev.key" -i urn:lo:nsid:mqtt:impostor -u json+device -t dev/data -q 1 -m '{}' 2>&1)
expect_match "the certificate of another client id is refused" "Connection Refused" "$out"

# --- clientCert.required: the key works only with a client certificate -------------
REQ=$(key acme DEVICE_ACCESS)
acme "SELECT iot.api_key_client_cert_set((SELECT id FROM iot.api_key WHERE secret_hash = sha256(convert_to('$REQ', 'UTF8'))), '{\"required\": true}')" >/dev/null
out=$(mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -i devreq -u json+device -P "$REQ" -t dev/data -q 1 -m '{"value":{"req":0}}' 2>&1)
expect_match "a key that requires a client certificate is refused without one" "Connection Refused" "$out"
mqtt_client_cert "$W/tls" devreq >/dev/null   # signed by the CA, not registered: the key authenticates
mosquitto_pub -h 127.0.0.1 --cafile "$MQTT_CA" -p "$MQTT_CERT_PORT" --cert "$W/tls/client-devreq.crt" \
  --key "$W/tls/client-devreq.key" -i devreq -u json+device -P "$REQ" -t dev/data -q 1 -m '{"value":{"req":1}}'
wait_sql "with a client certificate the same key works" "SELECT string_agg(value->>'req', ',') FROM iot.message WHERE value ? 'req'" "1"

# --- revocation: a connected client is disconnected within the bounded time ---------
REVOKED=$(key acme DEVICE_ACCESS)
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -i devR -u json+device -P "$REVOKED" -t dev/cmd -q 1 -W 60 >"$W/devR.out" 2>&1 &
SUB=$!
wait_sql "devR is online" "SELECT status FROM iot.device_interface WHERE node_id = 'devR'" "ONLINE"
q -c "UPDATE iot.api_key SET enabled = false WHERE secret_hash = sha256(convert_to('$REVOKED', 'UTF8'))"
wait_sql "a revoked key's connection is closed (interface OFFLINE) within the re-check period" \
  "SELECT status FROM iot.device_interface WHERE node_id = 'devR'" "OFFLINE" 20
out=$(mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -i devR -u json+device -P "$REVOKED" -t dev/data -m '{}' 2>&1)
expect_match "and the revoked key cannot connect again" "Connection Refused" "$out"

echo "$ASSERTS assertions passed"
