#!/usr/bin/env bash
# Benchmark: iot.jbbp_parse against JBBP itself (Debian's libjbbp-java on
# the JVM, the reference Live Objects uses) decoding the same payloads to
# JSON, in one run; plus Mustache renders/s.
#
#   bench/decoders.sh            (PGIOT_BENCH_PAYLOADS=1000000 per format)
#
# Three formats: a GPS tracker (bit fields and an array), a little-endian
# sensor block (floats, an array), a structure array (8 readings).  Each
# side gets one untimed warm-up pass (the JVM's JIT; PostgreSQL's caches),
# then decodes every payload five times and keeps its best pass (the
# machine is shared): the JVM into a JSON string, PostgreSQL into jsonb
# (SELECT count(iot.jbbp_parse(format, payload)) FROM ...).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/test/lib/tmp_pg.sh"
N=${PGIOT_BENCH_PAYLOADS:-1000000}
WORK=$(mktemp -d /tmp/pgiot-bench-decoders.XXXXXX)
chmod 755 "$WORK"
trap 'tmp_pg_stop "$WORK/pg"; rm -rf "$WORK"' EXIT
JAR=/usr/share/java/jbbp.jar

declare -A FORMAT=(
  [gps]='bit:4 type; bit:4 version; ubyte flags; int lat; int lon; ushort altitude; bit:1 fix; bit:3 satellites; bit:4 hdop; ubyte [4] snr; ushort battery_mv; byte temperature;'
  [sensor]='<ushort id; <uint time; <float temperature; <float humidity; <float pressure; <short [4] accel; <ushort battery_mv;'
  [structs]='ubyte count; int sequence; readings [count] { ubyte channel; short value; ubyte status; }'
)
KINDS=(gps sensor structs)

javac -nowarn -cp "$JAR" -d "$WORK/classes" "$ROOT/test/decoders/JbbpRef.java"
for k in "${KINDS[@]}"; do
  python3 "$ROOT/bench/decoders_gen.py" "$k" "$N" 7 > "$WORK/$k.hex"
done

tmp_pg_start "$WORK/pg" >/dev/null
tmp_pg_psql -q <<SQL
CREATE TABLE bench_hex (kind text, hex text);
CREATE TABLE bench_payload (kind text, payload bytea);
$(for k in "${KINDS[@]}"; do
    echo "CREATE TEMP TABLE h_$k (hex text); \\copy h_$k FROM '$WORK/$k.hex'"
    echo "INSERT INTO bench_payload SELECT '$k', decode(hex, 'hex') FROM h_$k;"
  done)
CREATE INDEX ON bench_payload (kind);
VACUUM ANALYZE bench_payload;
-- seconds to decode every payload of a kind (after one untimed pass)
CREATE FUNCTION bench_decode(k text, f text) RETURNS double precision LANGUAGE plpgsql AS \$\$
DECLARE
    t0 timestamptz;
    n bigint;
    best double precision := 'Infinity';
BEGIN
    SELECT count(iot.jbbp_parse(f, payload)) INTO n FROM bench_payload WHERE kind = k;
    FOR pass IN 1 .. 5 LOOP
        t0 := clock_timestamp();
        SELECT count(iot.jbbp_parse(f, payload)) INTO n FROM bench_payload WHERE kind = k;
        best := least(best, extract(epoch FROM clock_timestamp() - t0));
    END LOOP;
    RETURN best;
END \$\$;
-- seconds of n renders of the manual's 11.3.4 template over decoded fields
CREATE FUNCTION bench_render(fn text, n int) RETURNS double precision LANGUAGE plpgsql AS \$\$
DECLARE
    t0 timestamptz;
    c bigint;
    tmpl text := '{"pressure": "{{pressure}} / 10","temperature": "{{temperature}} / 100","altitude": "{{altitude}} / 10","view": {"Pressure": "{{#math}}{{pressure}}/10{{/math}} hPa","Temperature": "{{#math}}{{temperature}}/100{{/math}} C","Altitude": "{{#math}}{{altitude}}/100{{/math}} m","GPSAltitude": "{{altitude_gps}} m","Battery": "{{battery}} %"}}';
    q text := format('SELECT count(iot.%s(%L, jsonb_build_object(''led'', 0, ''pressure'', 10000 + i %% 500, ''temperature'', 2500 + i %% 100, ''altitude'', 64871, ''battery'', i %% 100, ''raw_gps'', ''[0,0,0,0,0,0]''::jsonb, ''altitude_gps'', 65535))) FROM generate_series(1, \$1) i', fn, tmpl);
BEGIN
    EXECUTE q INTO c USING n / 10;
    t0 := clock_timestamp();
    EXECUTE q INTO c USING n;
    RETURN extract(epoch FROM clock_timestamp() - t0);
END \$\$;
SQL

printf '%-8s %12s %14s %14s %7s\n' format payloads "JBBP/s (JVM)" "jbbp_parse/s" ratio
for k in "${KINDS[@]}"; do
  read -r jn jsecs jrate _ < <(java -Xmx2g -cp "$JAR:$WORK/classes" JbbpRef bench "${FORMAT[$k]}" "$WORK/$k.hex")
  psecs=$(tmp_pg_psql -At -c "SELECT bench_decode('$k', \$f\$${FORMAT[$k]}\$f\$)")
  python3 - "$k" "$jn" "$jsecs" "$psecs" <<'PY'
import sys
k, n, js, ps = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
print("%-8s %12d %14.0f %14.0f %6.2fx" % (k, n, n / js, n / ps, js / ps))
PY
done
R=$((N / 5))
for fn in mustache_render template_apply; do
  secs=$(tmp_pg_psql -At -c "SELECT bench_render('$fn', $R)")
  python3 -c "import sys; print('iot.%s: %d renders in %.2f s = %.0f renders/s (11.3.4 template, context built per row)' % (sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[2]) / float(sys.argv[3])))" "$fn" "$R" "$secs"
done
echo "command: PGIOT_BENCH_PAYLOADS=$N bench/decoders.sh"
