#!/usr/bin/env bash
# Ingest benchmark (issue 2): N small JSON messages from 1,000 registered
# MQTT devices through iot.ingest_batch in batches of 1,000, against a plain
# COPY of the very rows ingest stored, into the same (emptied) table, in
# the same server and run.  Goal: ingest >= 0.6 of COPY's rate.
#
#   bench/run ingest                      (BENCH_MESSAGES=1000000 by default)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/test/lib/tmp_pg.sh"
N=${BENCH_MESSAGES:-1000000}
BATCH=${BENCH_BATCH:-1000}
DEVICES=1000
WORK=$(mktemp -d /tmp/pgiot-bench-ingest.XXXXXX)
chmod 755 "$WORK"
trap 'tmp_pg_stop "$WORK/pg"; rm -rf "$WORK"' EXIT

tmp_pg_start "$WORK/pg" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 <<SQL
ALTER SYSTEM SET shared_buffers = '512MB';
ALTER SYSTEM SET max_wal_size = '4GB';
ALTER SYSTEM SET checkpoint_timeout = '30min';
SQL
tmp_pg_as_server "$TMP_PG_BIN/pg_ctl" -D "$WORK/pg/data" -w restart -l "$WORK/pg/postgresql.log" >/dev/null

psql -X -q -v ON_ERROR_STOP=1 <<SQL
SELECT iot.tenant_create('bench') IS NOT NULL;
SELECT iot.use_tenant('bench') IS NOT NULL;
SELECT count(*) FROM generate_series(1, $DEVICES) i,
    LATERAL iot.device_create(jsonb_build_object('id', 'urn:lo:nsid:mqtt:dev' || i, 'tags', jsonb_build_array('bench'),
        'properties', jsonb_build_object('site', 'S' || (i % 10)),
        'interfaces', jsonb_build_array(jsonb_build_object('connector', 'mqtt', 'definition',
                                        jsonb_build_object('clientId', 'dev' || i)))));
SELECT iot.maintenance_run() IS NOT NULL;
SQL

# The batches, as a bridge sends them: one JSON array per batch, bound as
# a parameter of iot.ingest_batch (generation is not timed).
gcc -O2 -o "$WORK/ingest_client" "$ROOT/bench/ingest_client.c" -I"$(pg_config --includedir)" -lpq
python3 - "$N" "$BATCH" "$DEVICES" >"$WORK/batches.jsonl" <<'PY'
import sys, json, random
n, batch, devices = map(int, sys.argv[1:])
random.seed(42)
for start in range(0, n, batch):
    items = []
    for i in range(start, min(n, start + batch)):
        d = i % devices + 1
        items.append({"connector": "mqtt", "nodeId": "dev%d" % d,
                      "message": {"timestamp": "2026-01-15T%02d:%02d:%02d.%03dZ" % ((i // 3600000) % 24, (i // 60000) % 60, (i // 1000) % 60, i % 1000),
                                  "model": "env_v1",
                                  "value": {"temp": round(random.uniform(-10, 40), 2), "hum": random.randint(0, 100), "door": i % 7 == 0},
                                  "tags": ["floor%d" % (d % 5)]}})
    print(json.dumps(items, separators=(",", ":")))
PY

now() { date +%s.%N; }
t0=$(now)
reported=$("$WORK/ingest_client" bench <"$WORK/batches.jsonl")
t1=$(now)
stored=$(psql -X -Atc "SELECT count(*) FROM iot.message")
[ "$reported" -eq "$N" ] || { echo "ingest_batch reported $reported of $N messages"; exit 1; }
[ "$stored" -eq "$N" ] || { echo "stored $stored of $N messages"; exit 1; }

# The same rows, exported, then loaded by one plain COPY into the emptied table.
psql -X -q -c "\\copy (SELECT * FROM iot.message) TO '$WORK/rows.copy'"
psql -X -q -c "TRUNCATE iot.message" -c "CHECKPOINT"
t2=$(now)
psql -X -q -c "\\copy iot.message FROM '$WORK/rows.copy'"
t3=$(now)
copied=$(psql -X -Atc "SELECT count(*) FROM iot.message")
[ "$copied" -eq "$N" ] || { echo "copied $copied of $N rows"; exit 1; }

python3 - "$N" "$t0" "$t1" "$t2" "$t3" "$BATCH" <<'PY'
import sys
n = int(sys.argv[1]); t0, t1, t2, t3 = map(float, sys.argv[2:6]); batch = int(sys.argv[6])
ingest = n / (t1 - t0); copy = n / (t3 - t2)
print(f"messages                 {n} from 1000 devices, batches of {batch}")
print(f"iot.ingest_batch         {ingest:12,.0f} messages/s  ({t1 - t0:.1f} s)")
print(f"COPY of the same rows    {copy:12,.0f} rows/s      ({t3 - t2:.1f} s)")
print(f"ratio ingest/COPY        {ingest / copy:.2f}   (goal >= 0.60)")
PY
