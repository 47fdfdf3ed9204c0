#!/usr/bin/env bash
# bench/enocean.sh: the EnOcean engine's throughput, measured in one run on
# a throw-away server (test/lib/tmp_pg.sh):
#
#   1. TELEGRAMS ESP3 frames of DEVICES onboarded devices (synthetic,
#      bench/enocean_frames.py: D2-14-41, A5-09-09, F6-02-01, A5-04-01 and
#      signal telegrams) through iot.enocean_ingest_batch in batches of
#      BATCH frames, one transaction per batch;
#   2. interleaved with it, batch by batch: INSERT ... SELECT of the rows
#      the batch just stored (already decoded: value, metadata, raw, ...)
#      into a table shaped like iot.message (same columns, partitioning,
#      indexes): the cost of storing alone;
#   3. iot.eep_decode alone over the telegrams' payloads.
#
# Prints both rates, their ratio (goal: at least 0.5) and the command.
#   ENOCEAN_BENCH_TELEGRAMS (1000000)  ENOCEAN_BENCH_DEVICES (1000)
#   ENOCEAN_BENCH_BATCH (20000)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TELEGRAMS=${ENOCEAN_BENCH_TELEGRAMS:-1000000}
DEVICES=${ENOCEAN_BENCH_DEVICES:-1000}
BATCH=${ENOCEAN_BENCH_BATCH:-20000}
COMMAND="ENOCEAN_BENCH_TELEGRAMS=$TELEGRAMS ENOCEAN_BENCH_DEVICES=$DEVICES ENOCEAN_BENCH_BATCH=$BATCH bench/enocean.sh"

# shellcheck source=../test/lib/tmp_pg.sh
source "$ROOT/test/lib/tmp_pg.sh"
DIR=$(mktemp -d /tmp/pgiot-bench-enocean.XXXXXX)
chmod 755 "$DIR"
cleanup() { tmp_pg_stop "$DIR"; rm -rf "$DIR"; }
trap cleanup EXIT

echo "== generating $TELEGRAMS telegrams of $DEVICES devices"
python3 "$ROOT/bench/enocean_frames.py" --devices "$DEVICES" > "$DIR/devices.json"
python3 "$ROOT/bench/enocean_frames.py" "$TELEGRAMS" "$DEVICES" "$BATCH" > "$DIR/frames.tsv"
chmod a+r "$DIR"/*.json "$DIR"/*.tsv

echo "== starting a throw-away server"
tmp_pg_start "$DIR" >/dev/null
tmp_pg_psql -q <<SQL
ALTER SYSTEM SET pgiot.retention_days = 0;
SELECT pg_reload_conf();
SELECT iot.tenant_create('bench') IS NOT NULL;
SELECT iot.use_tenant('bench') IS NOT NULL;
\\set devices \`cat $DIR/devices.json\`
SELECT iot.enocean_backup_import(:'devices') IS NOT NULL;
CREATE TABLE public.frames (b int, i int, gw text, frame bytea, at timestamptz, rssi int);
\\copy public.frames FROM '$DIR/frames.tsv'
CREATE INDEX ON public.frames (b, i);
-- the baseline's table: iot.message's columns, partitioning and indexes
CREATE TABLE public.stored (LIKE iot.message INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)
    PARTITION BY RANGE (created);
CREATE TABLE public.stored_all PARTITION OF public.stored FOR VALUES FROM ('2000-01-01') TO ('2100-01-01');
-- a fleet exists before its traffic: statistics are current
ANALYZE;
SQL

NB=$(( (TELEGRAMS + BATCH - 1) / BATCH ))
COLS="tenant_id, created, ts, received, device_id, stream_id, model, value, tags, extra, metadata, raw"
{
  echo "SELECT iot.use_tenant('bench') IS NOT NULL;"
  echo "SELECT coalesce(max(id), 0) AS hi FROM iot.message \\gset"
  echo "SELECT pg_backend_pid() AS pid \\gset"
  echo "\\setenv BPID :pid"
  echo "\\timing on"
  for ((k = 0; k < NB; k++)); do
    echo "\\set lo :hi"
    echo "\\! awk '{print \"cpu\", \$14 + \$15}' /proc/\$BPID/stat"
    echo "\\echo ingest"
    echo "SELECT count(*) FILTER (WHERE outcome = 'processed') FROM iot.enocean_ingest_batch(ARRAY(SELECT gw FROM public.frames WHERE b = $k ORDER BY i), ARRAY(SELECT frame FROM public.frames WHERE b = $k ORDER BY i), ARRAY(SELECT at FROM public.frames WHERE b = $k ORDER BY i), ARRAY(SELECT rssi FROM public.frames WHERE b = $k ORDER BY i));"
    echo "SELECT max(id) AS hi FROM iot.message \\gset"
    echo "\\! awk '{print \"cpu\", \$14 + \$15}' /proc/\$BPID/stat"
    echo "\\echo store"
    echo "INSERT INTO public.stored ($COLS) SELECT $COLS FROM iot.message WHERE id > :lo AND id <= :hi;"
    echo "\\! awk '{print \"cpu\", \$14 + \$15}' /proc/\$BPID/stat"
  done
} > "$DIR/run.sql"

echo "== $NB batches of $BATCH: iot.enocean_ingest_batch, interleaved with INSERT ... SELECT of the stored rows"
tmp_pg_psql -q -At -f "$DIR/run.sql" > "$DIR/run.out"
# wall time from psql's \timing; CPU time (user + system ticks of the
# server process) read from /proc around each statement
TICK=$(getconf CLK_TCK)
read -r INGEST_MS STORE_MS PROCESSED INGEST_CPU STORE_CPU <<<"$(awk -v tick="$TICK" '
  /^cpu / { cpu[n++] = $2; next }
  /^ingest$/ { w = "i"; next } /^store$/ { w = "s"; next }
  /^Time: / { if (w == "i") i += $2; else if (w == "s") s += $2; w = ""; next }
  /^[0-9]+$/ && w == "i" { p += $1 }
  END { for (k = 0; k + 2 < n; k += 3) { ic += cpu[k + 1] - cpu[k]; sc += cpu[k + 2] - cpu[k + 1] }
        printf "%.1f %.1f %d %.2f %.2f\n", i, s, p, ic / tick, sc / tick }' "$DIR/run.out")"
STORED=$(tmp_pg_psql -At -c "SELECT count(*) FROM public.stored")
MESSAGES=$(tmp_pg_psql -At -c "SELECT count(*) FROM iot.message")

echo "== iot.eep_decode alone"
tmp_pg_psql -q <<'SQL'
CREATE TABLE public.payloads AS
SELECT d.eep, decode(p.j -> 'telegram' ->> 'payload', 'hex') AS data, (p.j -> 'telegram' ->> 'status')::int AS status
  FROM public.frames f
  CROSS JOIN LATERAL (SELECT iot.esp3_parse(f.frame) AS j) p
  JOIN iot.enocean_device d ON d.eurid = p.j -> 'telegram' ->> 'sender'
 WHERE p.j -> 'telegram' ->> 'rorg' <> 'd0';
SQL
DECODE_OUT=$(tmp_pg_psql -At <<'SQL'
\timing on
SELECT count(iot.eep_decode(eep, data, status)) FROM public.payloads;
SQL
)
DECODED=$(echo "$DECODE_OUT" | grep -E '^[0-9]+$' | head -1)
DECODE_MS=$(echo "$DECODE_OUT" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')

awk -v t="$TELEGRAMS" -v p="$PROCESSED" -v im="$INGEST_MS" -v rows="$STORED" -v sm="$STORE_MS" \
    -v ic="$INGEST_CPU" -v sc="$STORE_CPU" \
    -v msgs="$MESSAGES" -v dn="$DECODED" -v dm="$DECODE_MS" -v cmd="$COMMAND" 'BEGIN {
  ir = t / (im / 1000); sr = rows / (sm / 1000);
  printf "enocean_ingest_batch:   %d telegrams (%d stored as messages) in %.1f s = %.0f telegrams/s (server CPU %.1f s)\n", t, p, im / 1000, ir, ic;
  printf "INSERT ... SELECT:      %d decoded rows in %.1f s = %.0f rows/s (server CPU %.1f s)\n", rows, sm / 1000, sr, sc;
  printf "ratio (goal >= 0.5):    %.2f (wall time); %.2f (server CPU time)\n", ir / sr, (ic > 0 ? (t / ic) / (rows / sc) : 0);
  printf "eep_decode:             %d telegrams in %.1f s = %.0f telegrams/s\n", dn, dm / 1000, dn / (dm / 1000);
  printf "messages in iot.message: %d\n", msgs;
  printf "command: %s\n", cmd }'
