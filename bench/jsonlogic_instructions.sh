#!/usr/bin/env bash
# bench/jsonlogic_instructions.sh: instructions per iot.jsonlogic_apply call
# over the JsonLogic conformance cases, counted by valgrind's callgrind in a
# single-user backend.  Unlike a rate, the count does not move with the
# machine's load: it is how changes to the evaluator are compared.  Prints
# the instructions inside the function per call, split into evaluation,
# result (jsonb out) and data (jsonb in), and the executor's around it.
#   bench/jsonlogic_instructions.sh      (env: REPEAT=300 passes over the cases)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPEAT=${REPEAT:-300}
VECTORS=${PGIOT_VECTORS:-$ROOT/../shared/vectors}
# shellcheck source=../test/lib/tmp_pg.sh
source "$ROOT/test/lib/tmp_pg.sh"
command -v valgrind >/dev/null || { echo "installing valgrind"; apt-get install -y -qq valgrind >/dev/null; }

WORK=$(mktemp -d /tmp/pgiot-bench-jlinstr.XXXXXX)
chmod 777 "$WORK"
cleanup() { tmp_pg_stop "$WORK/pg" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

tmp_pg_start "$WORK/pg" >/dev/null
cp "$VECTORS/jsonlogic/tests.json" "$WORK/tests.json"
chmod 644 "$WORK/tests.json"
tmp_pg_psql -q -c "CREATE SCHEMA bench" -c "CREATE TABLE bench.conformance AS
  SELECT ord, c -> 0 AS rule, c -> 1 AS data
    FROM jsonb_array_elements(pg_read_file('$WORK/tests.json')::jsonb) WITH ORDINALITY AS x(c, ord)
   WHERE jsonb_typeof(c) = 'array'"
CASES=$(tmp_pg_psql -Atc "SELECT count(*) FROM bench.conformance")
tmp_pg_stop "$WORK/pg"

# a warm-up pass (rules compiled, caches filled), then the counted query
cat >"$WORK/q.sql" <<SQL
SELECT count(iot.jsonlogic_apply(rule, data)) FROM bench.conformance, generate_series(1, 20);
SELECT count(iot.jsonlogic_apply(rule, data)) FROM bench.conformance, generate_series(1, $REPEAT);
SQL
chmod 644 "$WORK/q.sql"
count() {  # count TOGGLE_FUNCTION: callgrind output file
  tmp_pg_as_server valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.$1" --toggle-collect="$1" \
    "$TMP_PG_BIN/postgres" --single -D "$WORK/pg/data" -c jit=off pgiot_test <"$WORK/q.sql" >"$WORK/out.$1" 2>"$WORK/vg.$1"
}
count pgiot_jsonlogic_apply
count standard_ExecutorRun
# (the awk scripts read to the end: an early exit would make callgrind_annotate fail on a closed pipe)
total() { callgrind_annotate "$WORK/cg.$1" 2>/dev/null | awk '/PROGRAM TOTALS/ && !done { gsub(",", "", $1); print $1; done = 1 }'; }
callee() {  # inclusive instructions of a function called from pgiot_jsonlogic_apply
  callgrind_annotate --tree=calling --inclusive=yes "$WORK/cg.pgiot_jsonlogic_apply" 2>/dev/null |
    awk -v f="$1" '/\*  .*:pgiot_jsonlogic_apply \[/ { in_f = 1; next } in_f && /^ *$/ { in_f = 0 }
                   in_f && !done && index($0, ":" f " (") { gsub(",", "", $1); print $1; done = 1 }'
}
# both counts include the warm-up pass
CALLS=$(( CASES * (20 + REPEAT) ))
FN=$(total pgiot_jsonlogic_apply); ALL=$(total standard_ExecutorRun)
per() { awk -v x="${1:-0}" -v n="$CALLS" 'BEGIN { printf "%.0f", x / n }'; }
echo "cases: $CASES, calls: $CALLS (command: bench/jsonlogic_instructions.sh)"
echo "instructions per call, whole query:          $(per "$ALL")"
echo "  in iot.jsonlogic_apply:                    $(per "$FN")"
echo "    evaluation (jl_eval):                    $(per "$(callee jl_eval)")"
echo "    result (jl_to_jsonb):                    $(per "$(callee jl_to_jsonb)")"
echo "    data (jl_from_jsonb):                    $(per "$(callee jl_from_jsonb)")"
echo "  executor around it (nested loop, count):   $(per "$((ALL - FN))")"
