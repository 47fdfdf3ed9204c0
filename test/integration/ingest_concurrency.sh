#!/usr/bin/env bash
# Eight clients ingest batches for the same 50 devices at once, devices
# auto-provisioned on first sight: every message stored exactly once, every
# device created exactly once, no deadlock, no error.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/test/lib/tmp_pg.sh"
WORK=$(mktemp -d /tmp/pgiot-concurrency.XXXXXX)
chmod 755 "$WORK"
trap 'tmp_pg_stop "$WORK/pg"; rm -rf "$WORK"' EXIT
tmp_pg_start "$WORK/pg" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -c "SELECT iot.tenant_create('conc') IS NOT NULL" >/dev/null

cat >"$WORK/batch.sql" <<'SQL'
SELECT iot.use_tenant('conc');
SELECT count(id) FROM iot.ingest_batch((
    SELECT jsonb_agg(jsonb_build_object('connector', 'mqtt', 'nodeId', 'dev' || ((i * 7919 + :client_id * 31) % 50),
                                        'message', jsonb_build_object('value', jsonb_build_object('i', i))))
      FROM generate_series(1, 40) i));
SQL
clients=8 transactions=60
"$TMP_PG_BIN/pgbench" -n -c $clients -j 4 -t $transactions -f "$WORK/batch.sql" >"$WORK/pgbench.log" 2>&1 || { cat "$WORK/pgbench.log"; exit 1; }
grep -q "number of failed transactions: 0" "$WORK/pgbench.log" || { cat "$WORK/pgbench.log"; exit 1; }

expected=$((clients * transactions * 40))
stored=$(psql -X -Atc "SELECT count(*) FROM iot.message")
devices=$(psql -X -Atc "SELECT count(*) FROM iot.device")
interfaces=$(psql -X -Atc "SELECT count(*) FROM iot.device_interface")
attributed=$(psql -X -Atc "SELECT count(*) FROM iot.message m JOIN iot.device_interface i ON i.device_id = m.device_id AND m.metadata->'network'->'mqtt'->>'clientId' = i.node_id")
echo "stored $stored of $expected messages, $devices devices, $interfaces interfaces, $attributed attributed"
[ "$stored" -eq "$expected" ] && [ "$devices" -eq 50 ] && [ "$interfaces" -eq 50 ] && [ "$attributed" -eq "$expected" ]
! grep -q "deadlock" "$WORK/pg/postgresql.log"
