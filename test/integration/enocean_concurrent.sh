#!/usr/bin/env bash
# Two gateways deliver the same EnOcean telegram at the same moment through
# two sessions: the second call waits for the first one's device lock and
# then sees its telegram, so exactly one message is stored and the other
# copy is reported (and recorded) as a duplicate.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/tmp_pg.sh
source "$ROOT/test/lib/tmp_pg.sh"
DIR=$(mktemp -d /tmp/pgiot-enocean-concurrent.XXXXXX)
chmod 755 "$DIR"
trap 'tmp_pg_stop "$DIR"; rm -rf "$DIR"' EXIT
tmp_pg_start "$DIR" >/dev/null

FRAME='\x55000A0701EBA500005008051B03C90100FFFFFFFF500090'
tmp_pg_psql -q <<'SQL'
SELECT iot.tenant_create('concurrent') IS NOT NULL;
SELECT iot.use_tenant('concurrent') IS NOT NULL;
SELECT iot.enocean_device_onboard('{"sourceEurid": "051b03c9", "eep": "A5-09-09"}') IS NOT NULL;
SQL

# session A takes the device and holds its transaction open until told
mkfifo "$DIR/a.in"
( tmp_pg_psql -q -At < "$DIR/a.in" > "$DIR/a.out" 2>&1 ) &
exec 3> "$DIR/a.in"
echo "SELECT iot.use_tenant('concurrent') IS NOT NULL;" >&3
echo "BEGIN;" >&3
echo "SELECT outcome FROM iot.enocean_ingest('ap-1', '$FRAME', '2024-01-01 00:00:00+00');" >&3
for i in $(seq 1 300); do grep -q processed "$DIR/a.out" 2>/dev/null && break; sleep 0.1; done
grep -q processed "$DIR/a.out" || { echo "session A did not process"; cat "$DIR/a.out"; exit 1; }

# session B: the same telegram from another gateway 0.1 s later; it must wait
( tmp_pg_psql -q -At -c "SELECT iot.use_tenant('concurrent') IS NOT NULL" \
    -c "SELECT outcome FROM iot.enocean_ingest('ap-2', '$FRAME', '2024-01-01 00:00:00.1+00', -85)" \
    > "$DIR/b.out" 2>&1 ) &
B=$!
waiting=0
for i in $(seq 1 300); do
  waiting=$(tmp_pg_psql -At -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%enocean_ingest%'")
  [ "$waiting" -ge 1 ] && break; sleep 0.1
done
[ "$waiting" -ge 1 ] || { echo "session B did not wait for session A"; exit 1; }
echo "COMMIT;" >&3
exec 3>&-
wait "$B"
wait

echo "A: $(tail -1 "$DIR/a.out")  B: $(tail -1 "$DIR/b.out")"
grep -q '^processed$' "$DIR/a.out"
grep -q '^duplicate$' "$DIR/b.out"
result=$(tmp_pg_psql -At -c "SELECT count(*) || ' ' || (SELECT metadata #>> '{network,enocean,duplicates,0,gateway}' FROM iot.message) FROM iot.message")
echo "messages and recorded duplicate: $result"
[ "$result" = "1 ap-2" ]
stats=$(tmp_pg_psql -At -c "SELECT total || '/' || processed || '/' || duplicates FROM iot.enocean_device_state")
echo "device total/processed/duplicates: $stats"
[ "$stats" = "1/1/1" ]
