# test/lib/mqtt.sh: mosquitto with the pgiot plugin and the pgiot-mqtt
# bridge on loopback, for integration tests and benchmarks.  Source after
# test/lib/tmp_pg.sh and tmp_pg_start.  Then:
#   mqtt_start DIR          roles, broker (plain + TLS listeners), bridge
#   mqtt_stop DIR
#   mqtt_bridge_start DIR / mqtt_bridge_stop DIR
# Exports MQTT_PORT, MQTT_TLS_PORT, MQTT_CA (CA certificate), MQTT_DIR.

MQTT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MQTT_SERVICE_PASSWORD=${MQTT_SERVICE_PASSWORD:-svc-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}

# A private CA and a server certificate for 127.0.0.1/localhost.
mqtt_make_ca() {
  local dir=$1
  [ -f "$dir/ca.crt" ] && return 0
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=pgiot test CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1 || return 1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$dir/server.key" -out "$dir/server.csr" >/dev/null 2>&1 || return 1
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 3650 -extfile "$dir/server.ext" -out "$dir/server.crt" >/dev/null 2>&1 || return 1
  chmod 644 "$dir"/*.crt "$dir"/*.key
}

# A client certificate with CN = client id, signed by the CA; prints its SHA-256 fingerprint.
mqtt_client_cert() {
  local dir=$1 cn=$2
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$cn" -keyout "$dir/client-$cn.key" -out "$dir/client-$cn.csr" >/dev/null 2>&1
  openssl x509 -req -in "$dir/client-$cn.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 365 -out "$dir/client-$cn.crt" >/dev/null 2>&1
  openssl x509 -in "$dir/client-$cn.crt" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}

mqtt_roles() {
  psql -X -q -v ON_ERROR_STOP=1 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgiot_mqtt') THEN
    CREATE ROLE pgiot_mqtt LOGIN IN ROLE pgiot_service;
  END IF;
END \$\$;
SQL
}

mqtt_free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

mqtt_broker_start() {
  local dir=$1
  MQTT_DIR=$dir
  MQTT_PORT=${MQTT_PORT:-$(mqtt_free_port)}
  MQTT_TLS_PORT=${MQTT_TLS_PORT:-$(mqtt_free_port)}
  MQTT_CERT_PORT=${MQTT_CERT_PORT:-$(mqtt_free_port)}
  mqtt_make_ca "$dir/tls" || { echo "cannot make the test CA"; return 1; }
  MQTT_CA=$dir/tls/ca.crt
  local plugin=$MQTT_ROOT/bridges/mosquitto-plugin/pgiot_mosquitto.so
  local conninfo="host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=pgiot_mqtt connect_timeout=2"
  local opts="plugin_opt_conninfo $conninfo
plugin_opt_service_password $MQTT_SERVICE_PASSWORD
plugin_opt_auth_cache_seconds ${MQTT_AUTH_CACHE:-2}
plugin_opt_recheck_seconds ${MQTT_RECHECK:-2}
plugin_opt_flush_ms 50
plugin_opt_batch_max_items ${MQTT_BATCH_ITEMS:-1000}
plugin_opt_batch_ms ${MQTT_BATCH_MS:-5}
plugin_opt_spool_file $dir/uplink.spool
plugin_opt_device_topics \$aws/rules/#
plugin_opt_connector_topics sensor/+/telemetry
plugin_opt_log_level ${MQTT_PLUGIN_LOG:-info}"
  cat >"$dir/mosquitto.conf" <<CONF
per_listener_settings true
persistence ${MQTT_PERSISTENCE:-false}
persistence_location $dir/
max_queued_messages 0
max_inflight_messages ${MQTT_MAX_INFLIGHT:-100}
log_dest file $dir/mosquitto.log
log_type error
log_type warning
log_type notice
log_type information
connection_messages true
user $(id -un)

listener $MQTT_PORT 127.0.0.1
allow_anonymous false
plugin $plugin
plugin_opt_tls false
$opts

listener $MQTT_TLS_PORT 127.0.0.1
allow_anonymous false
cafile $dir/tls/ca.crt
certfile $dir/tls/server.crt
keyfile $dir/tls/server.key
plugin $plugin
plugin_opt_tls true
$opts

listener $MQTT_CERT_PORT 127.0.0.1
allow_anonymous false
cafile $dir/tls/ca.crt
certfile $dir/tls/server.crt
keyfile $dir/tls/server.key
require_certificate true
plugin $plugin
plugin_opt_tls true
$opts
CONF
  mosquitto -c "$dir/mosquitto.conf" >"$dir/mosquitto.out" 2>&1 &
  echo $! >"$dir/mosquitto.pid"
  local i
  for i in $(seq 50); do
    mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -u pgiot-service -P "$MQTT_SERVICE_PASSWORD" -i probe-$$ \
      -t pgiot/down/heartbeat -m x -q 0 2>/dev/null && break
    sleep 0.1
  done
  export MQTT_PORT MQTT_TLS_PORT MQTT_CERT_PORT MQTT_CA MQTT_DIR
}

mqtt_bridge_start() {
  local dir=$1 before
  # the log is appended to across restarts: wait for one more subscription
  before=$(grep -c 'subscribed to' "$dir/bridge.log" 2>/dev/null || true)
  PGIOT_MQTT_CONNINFO="host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=pgiot_mqtt connect_timeout=2" \
  PGIOT_MQTT_BROKER_PORT=$MQTT_PORT PGIOT_MQTT_SERVICE_PASSWORD=$MQTT_SERVICE_PASSWORD \
  PGIOT_MQTT_OUTBOX_POLL_MS=${PGIOT_MQTT_OUTBOX_POLL_MS:-500} \
    "$MQTT_ROOT/bridges/mqtt/pgiot-mqtt" >>"$dir/bridge.log" 2>&1 &
  echo $! >"$dir/bridge.pid"
  local i
  for i in $(seq 100); do
    [ "$(grep -c 'subscribed to' "$dir/bridge.log" 2>/dev/null || true)" -gt "${before:-0}" ] && break
    sleep 0.1
  done
}

mqtt_bridge_stop() {
  local dir=$1 pid
  [ -f "$dir/bridge.pid" ] || return 0
  pid=$(cat "$dir/bridge.pid")
  kill -TERM "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  rm -f "$dir/bridge.pid"
}

mqtt_start() {
  mqtt_roles && mqtt_broker_start "$1" && mqtt_bridge_start "$1"
}

mqtt_broker_stop() {
  local dir=$1 pid
  if [ -f "$dir/mosquitto.pid" ]; then
    pid=$(cat "$dir/mosquitto.pid"); kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    rm -f "$dir/mosquitto.pid"
  fi
}
mqtt_stop() {
  mqtt_bridge_stop "$1"
  mqtt_broker_stop "$1"
}
