#!/usr/bin/env bash
# bench/rules.sh: the rules engine, measured against its baselines in one run.
#
#  1. Ingest with 50 matching (+ 50 firing) and 50 state rules active against
#     ingest with no rules: pgbench drives iot.ingest_batch (500 messages per
#     call) for one tenant, then the other, alternating ROUNDS times; the rules
#     worker evaluates while the rules tenant ingests, and is drained before
#     the next round.  Goal: >= 0.5 of the no-rules rate.  Then the rules
#     tenant ingests at that goal load (0.5 x the no-rules rate, pgbench
#     --rate) for BENCH_SECONDS.  Latency: from the commit of each message to
#     the commit of each event it caused (track_commit_timestamp), as a
#     distribution, at the goal load and at the maximum rate.  Goal: within
#     1 s at the goal load.
#  2. iot.jsonlogic_apply over the conformance file's cases against
#     json-logic-js on Node.js (npm, installed here into a temp dir), the same
#     cases REPEAT times each, alternating TRIALS times.  Goal: >= 2x.  The
#     machine is shared, so both wall time and the CPU time each side used
#     (the backend's /proc/<pid>/stat, Node's process.cpuUsage()) are given.
#
#   bench/rules.sh            (env: BENCH_SECONDS=10 ROUNDS=5 REPEAT=10000 TRIALS=9,
#                              RULES_BATCH_SIZE: pgiot.rules_batch_size, default the GUC's)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_PER_ROUND=${BENCH_SECONDS:-10}
ROUNDS=${ROUNDS:-5}
REPEAT=${REPEAT:-10000}
TRIALS=${TRIALS:-9}
CLIENTS=${CLIENTS:-2}
VECTORS=${PGIOT_VECTORS:-$ROOT/../shared/vectors}
# shellcheck source=../test/lib/tmp_pg.sh
source "$ROOT/test/lib/tmp_pg.sh"

WORK=$(mktemp -d /tmp/pgiot-bench-rules.XXXXXX)
chmod 755 "$WORK"
cleanup() { tmp_pg_stop "$WORK/pg"; rm -rf "$WORK"; }
trap cleanup EXIT

echo "== bench/rules.sh: starting a private PostgreSQL"
# commit timestamps, for the latency from a message's commit to its events'
TMP_PG_CONF="track_commit_timestamp = on${RULES_BATCH_SIZE:+
pgiot.rules_batch_size = $RULES_BATCH_SIZE}" tmp_pg_start "$WORK/pg" >/dev/null
PGBENCH=$TMP_PG_BIN/pgbench
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

###############################################################################
# 1. Ingest with and without rules
###############################################################################
tmp_pg_psql -q <<'SQL'
SELECT iot.tenant_create('bench-norules') IS NOT NULL;
SELECT iot.tenant_create('bench-rules') IS NOT NULL;
SELECT iot.use_tenant('bench-rules') IS NOT NULL;
-- 50 matching rules (varied operators; one matches 1% of the messages),
-- each with an ALWAYS firing rule; 50 state rules on the stream (one
-- changes state on ~10% of the messages)
SELECT count(iot.matching_rule_create(jsonb_build_object(
    'id', format('00000000-0000-0000-0001-%s', lpad(i::text, 12, '0')), 'name', 'matching ' || i,
    'dataPredicate', CASE
        WHEN i = 50 THEN '{">": [{"var": "value.temp"}, 99]}'::jsonb
        WHEN i % 3 = 0 THEN jsonb_build_object('and', jsonb_build_array(
            jsonb_build_object('>', jsonb_build_array('{"var": "value.temp"}'::jsonb, 1000 + i)),
            '{"==": [{"var": "model"}, "bench"]}'::jsonb))
        WHEN i % 3 = 1 THEN jsonb_build_object('in', jsonb_build_array('{"var": "value.status"}'::jsonb,
            jsonb_build_array('fault-' || i, 'panic-' || i)))
        ELSE jsonb_build_object('>', jsonb_build_array(
            '{"distance": [{"var": "location.lat"}, {"var": "location.lon"}, 48.8, 2.3]}'::jsonb, 100000 * i)) END)))
  FROM generate_series(1, 50) i;
SELECT count(iot.firing_rule_create(jsonb_build_object('name', 'firing ' || i,
    'matchingRuleIds', jsonb_build_array(format('00000000-0000-0000-0001-%s', lpad(i::text, 12, '0'))),
    'aggregationKeys', '["metadata.source"]'::jsonb, 'firingType', 'ALWAYS')))
  FROM generate_series(1, 50) i;
SELECT count(iot.state_rule_create(jsonb_build_object('name', 'state ' || i, 'stateKeyPath', 'streamId',
    'stateFunction', jsonb_build_object('if', jsonb_build_array(
        jsonb_build_object('>', jsonb_build_array('{"var": "value.temp"}'::jsonb, CASE WHEN i = 50 THEN 95 ELSE 200 + i END)),
        'high',
        jsonb_build_object('<', jsonb_build_array('{"var": "value.temp"}'::jsonb, -100 - i)), 'frozen',
        'normal')))))
  FROM generate_series(1, 50) i;
-- 200 prepared batches of 500 messages from 100 devices
CREATE SCHEMA bench;
CREATE TABLE bench.batch AS
SELECT k, (SELECT jsonb_agg(jsonb_build_object(
           'message', jsonb_build_object('streamId', 'bench-' || (i % 100), 'model', 'bench',
               'value', jsonb_build_object('temp', round((random() * 100)::numeric, 2), 'status', 'ok'),
               'location', jsonb_build_object('lat', 48.8 + random() / 100, 'lon', 2.3 + random() / 100)),
           'deviceId', 'urn:lo:nsid:bench:d' || (i % 100))) FROM generate_series(1, 500) i WHERE k > 0) AS items
  FROM generate_series(1, 200) k;
SQL
TENANT_NORULES=$(tmp_pg_psql -Atc "SELECT id FROM iot.tenant WHERE name = 'bench-norules'")
TENANT_RULES=$(tmp_pg_psql -Atc "SELECT id FROM iot.tenant WHERE name = 'bench-rules'")
cat >"$WORK/ingest.sql" <<'EOF'
\set k random(1, 200)
SELECT count(*) FROM iot.ingest_batch((SELECT items FROM bench.batch WHERE k = :k));
EOF
drain() {  # wait until the rules worker has evaluated everything queued
  local t0=$SECONDS
  until [ "$(tmp_pg_psql -Atc "SELECT count(*) FROM iot.rule_queue")" = 0 ]; do sleep 0.2; done
  echo $((SECONDS - t0))
}
ingest_rate() {  # ingest_rate TENANT: messages per second
  PGOPTIONS="-c iot.tenant=$1" "$PGBENCH" -n -T "$SECONDS_PER_ROUND" -c "$CLIENTS" -j "$CLIENTS" -f "$WORK/ingest.sql" 2>/dev/null |
    awk '/^tps = / { printf "%.0f\n", $3 * 500 }'
}

echo "== warm-up (devices provisioned, first states computed)"
ingest_rate "$TENANT_NORULES" >/dev/null
ingest_rate "$TENANT_RULES" >/dev/null
drain >/dev/null
MARK=$(tmp_pg_psql -Atc "SELECT coalesce(max(id), 0) FROM iot.event")

: >"$WORK/norules"; : >"$WORK/rules"; : >"$WORK/drain"; : >"$WORK/ratio"
for r in $(seq 1 "$ROUNDS"); do
  a=$(ingest_rate "$TENANT_NORULES"); echo "$a" >>"$WORK/norules"
  b=$(ingest_rate "$TENANT_RULES"); echo "$b" >>"$WORK/rules"
  d=$(drain); echo "$d" >>"$WORK/drain"
  echo "$b / $a" | bc -l >>"$WORK/ratio"
  printf 'round %d: no rules %s msg/s, 50+50 rules %s msg/s (%.2f), queue drained %s s after the round\n' \
    "$r" "$a" "$b" "$(tail -1 "$WORK/ratio")" "$d"
done
NORULES=$(median <"$WORK/norules")
RULES=$(median <"$WORK/rules")
# each round's two runs are neighbours in time: the ratio is the median of
# the rounds' ratios (the machine's speed moves between rounds)
RATIO=$(median <"$WORK/ratio")

MARK_GOAL=$(tmp_pg_psql -Atc "SELECT coalesce(max(id), 0) FROM iot.event")

# the rules tenant at the goal load: 0.5 x the no-rules rate
GOAL_RATE=$(echo "$NORULES / 2" | bc)
echo "== the rules tenant at the goal load: $GOAL_RATE messages/s for $SECONDS_PER_ROUND s"
GOAL_ACHIEVED=$(PGOPTIONS="-c iot.tenant=$TENANT_RULES" "$PGBENCH" -n -T "$SECONDS_PER_ROUND" -c "$CLIENTS" -j "$CLIENTS" \
    -R "$(echo "$GOAL_RATE / 500" | bc -l)" -f "$WORK/ingest.sql" 2>/dev/null | awk '/^tps = / { printf "%.0f\n", $3 * 500 }')
GOAL_DRAIN=$(drain)
LAST=$(tmp_pg_psql -Atc "SELECT coalesce(max(id), 0) FROM iot.event")

latency() {  # latency AFTER_EVENT_ID UP_TO_EVENT_ID: count min p50 p90 p99 max within_1s
  tmp_pg_psql -At -F ' ' <<SQL
SELECT count(*), round(min(lat)::numeric, 3),
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY lat))::numeric, 3),
       round((percentile_cont(0.9) WITHIN GROUP (ORDER BY lat))::numeric, 3),
       round((percentile_cont(0.99) WITHIN GROUP (ORDER BY lat))::numeric, 3),
       round(max(lat)::numeric, 3), count(*) FILTER (WHERE lat <= 1)
  FROM (SELECT extract(epoch FROM pg_xact_commit_timestamp(e.xmin) - pg_xact_commit_timestamp(m.xmin)) AS lat
          FROM iot.event e
          JOIN iot.message m ON m.tenant_id = e.tenant_id
           AND m.id = ('x' || right(coalesce(e.payload #>> '{matchingContext,data,id}', e.payload #>> '{data,id}'), 16))::bit(64)::bigint
         WHERE e.tenant_id = '$TENANT_RULES' AND e.id > $1 AND e.id <= $2) x;
SQL
}
# statistics first: the join below is planned on the tables as they are now
tmp_pg_psql -qc "ANALYZE iot.event, iot.message"
read -r EVENTS LMIN L50 L90 L99 LMAX WITHIN1 < <(latency "$MARK" "$MARK_GOAL")
read -r GEVENTS GMIN G50 G90 G99 GMAX GWITHIN1 < <(latency "$MARK_GOAL" "$LAST")
EVALUATED=$(tmp_pg_psql -Atc "SELECT count(*) FROM iot.message WHERE tenant_id = '$TENANT_RULES' AND model = 'bench'")

###############################################################################
# 2. iot.jsonlogic_apply vs json-logic-js
###############################################################################
echo "== installing json-logic-js (npm) into $WORK/node"
mkdir -p "$WORK/node"
( cd "$WORK/node" && npm init -y >/dev/null 2>&1 && npm install --no-audit --no-fund json-logic-js >/dev/null 2>&1 )
JLJS_VERSION=$(node -e "console.log(require('$WORK/node/node_modules/json-logic-js/package.json').version)")
cp "$VECTORS/jsonlogic/tests.json" "$WORK/tests.json"
chmod 644 "$WORK/tests.json"
cat >"$WORK/node/bench.js" <<'EOF'
// json-logic-js over the conformance cases, `repeat` times each
const jsonLogic = require('json-logic-js');
const cases = JSON.parse(require('fs').readFileSync(process.argv[2])).filter(c => Array.isArray(c));
const repeat = parseInt(process.argv[3]);
const c0 = process.cpuUsage(), w0 = process.hrtime.bigint();
let n = 0;
for (let r = 0; r < repeat; r++) for (const c of cases) { jsonLogic.apply(c[0], c[1]); n++; }
const c = process.cpuUsage(c0), wall = Number(process.hrtime.bigint() - w0) / 1e9;
console.log(n, (c.user + c.system) / 1e6, wall);
EOF
tmp_pg_psql -q -c "CREATE TABLE bench.conformance AS
    SELECT ord, c -> 0 AS rule, c -> 1 AS data FROM jsonb_array_elements(pg_read_file('$WORK/tests.json')::jsonb)
      WITH ORDINALITY AS x(c, ord) WHERE jsonb_typeof(c) = 'array'"
pg_apply() {  # prints: applies cpu_seconds wall_seconds (one backend, jit off)
  coproc PSQL { psql -X -Atq 2>&1; }
  local pid c0 c1 t0 t1 n
  echo "SET jit = off; SELECT pg_backend_pid();" >&"${PSQL[1]}"; read -r pid <&"${PSQL[0]}"
  c0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat"); t0=$(date +%s.%N)
  echo "SELECT count(iot.jsonlogic_apply(rule, data)) FROM bench.conformance, generate_series(1, $REPEAT);" >&"${PSQL[1]}"
  read -r n <&"${PSQL[0]}"
  t1=$(date +%s.%N); c1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
  exec {PSQL[1]}>&-
  wait "$PSQL_PID" 2>/dev/null || true
  echo "$n $(echo "($c1 - $c0) / $(getconf CLK_TCK)" | bc -l) $(echo "$t1 - $t0" | bc -l)"
}
# both sides agree on the file's expected results first
tmp_pg_psql -Atc "SELECT count(*) FROM bench.conformance c
                   JOIN jsonb_array_elements(pg_read_file('$WORK/tests.json')::jsonb) WITH ORDINALITY AS x(t, ord) USING (ord)
                  WHERE iot.jsonlogic_apply(c.rule, c.data) = x.t -> 2" >"$WORK/agree"
: >"$WORK/pg_cpu"; : >"$WORK/pg_wall"; : >"$WORK/js_cpu"; : >"$WORK/js_wall"; : >"$WORK/cpu_ratio"
for t in $(seq 1 "$TRIALS"); do
  read -r PN PCPU PWALL < <(pg_apply)
  read -r JN JCPU JWALL < <(node "$WORK/node/bench.js" "$WORK/tests.json" "$REPEAT")
  echo "$PN / $PCPU" | bc -l >>"$WORK/pg_cpu"; echo "$PN / $PWALL" | bc -l >>"$WORK/pg_wall"
  echo "$JN / $JCPU" | bc -l >>"$WORK/js_cpu"; echo "$JN / $JWALL" | bc -l >>"$WORK/js_wall"
  echo "($PN / $PCPU) / ($JN / $JCPU)" | bc -l >>"$WORK/cpu_ratio"
  printf 'trial %d: jsonlogic_apply %d applies in %.2f s cpu / %.2f s wall; json-logic-js %d in %.2f s cpu / %.2f s wall\n' \
    "$t" "$PN" "$PCPU" "$PWALL" "$JN" "$JCPU" "$JWALL"
done
PG_CPU=$(median <"$WORK/pg_cpu"); PG_WALL=$(median <"$WORK/pg_wall")
JS_CPU=$(median <"$WORK/js_cpu"); JS_WALL=$(median <"$WORK/js_wall")

###############################################################################
echo
echo "== results (medians of the rounds; command: bench/rules.sh)"
printf 'ingest, no rules:            %10.0f messages/s\n' "$NORULES"
printf 'ingest, 50+50 rules active:  %10.0f messages/s\n' "$RULES"
printf 'ratio (goal >= 0.5):         %10.2f (median of the per-round ratios %s)\n' "$RATIO" "$(sort -g "$WORK/ratio" | xargs printf '%.2f ' )"
printf 'messages evaluated: %s\n' "$EVALUATED"
printf 'at the goal load (%s msg/s asked, %s achieved), commit-to-event latency (s):\n' "$GOAL_RATE" "$GOAL_ACHIEVED"
printf '    min %s  p50 %s  p90 %s  p99 %s  max %s; within 1 s: %s of %s events; queue empty %s s after\n' \
  "$GMIN" "$G50" "$G90" "$G99" "$GMAX" "$GWITHIN1" "$GEVENTS" "$GOAL_DRAIN"
printf 'at the maximum rate (the rounds above), commit-to-event latency (s):\n'
printf '    min %s  p50 %s  p90 %s  p99 %s  max %s; within 1 s: %s of %s events\n' \
  "$LMIN" "$L50" "$L90" "$L99" "$LMAX" "$WITHIN1" "$EVENTS"
printf 'iot.jsonlogic_apply:  %10.0f applies/s cpu, %10.0f applies/s wall (%s cases x %s)\n' "$PG_CPU" "$PG_WALL" "$(cat "$WORK/agree")" "$REPEAT"
printf 'json-logic-js %s: %10.0f applies/s cpu, %10.0f applies/s wall (Node.js %s)\n' "$JLJS_VERSION" "$JS_CPU" "$JS_WALL" "$(node --version)"
printf 'ratio (goal >= 2):    %10.2f cpu (median of the per-trial ratios %s), %.2f wall (medians)\n' \
  "$(median <"$WORK/cpu_ratio")" "$(sort -g "$WORK/cpu_ratio" | xargs printf '%.2f ')" "$(echo "$PG_WALL / $JS_WALL" | bc -l)"
