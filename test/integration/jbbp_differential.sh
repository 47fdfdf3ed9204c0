#!/usr/bin/env bash
# Differential test: iot.jbbp_parse against JBBP itself (Debian's
# libjbbp-java on the JVM) over generated formats and payloads, plus the
# manual's Table 6 examples.  Every answer must agree (same JSON, or both
# refuse).  PGIOT_JBBP_CASES (default 4000) cases per seed, seeds 1..3.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$ROOT/test/lib/tmp_pg.sh"
OWN_BASE=
BASE=${PGIOT_TEST_WORK:-}
[ -n "$BASE" ] || { BASE=$(mktemp -d /tmp/pgiot-jbbp.XXXXXX); OWN_BASE=$BASE; }
chmod 755 "$BASE"
WORK=$BASE/jbbp_differential
rm -rf "$WORK"; mkdir -p "$WORK"; chmod 755 "$WORK"
CASES=${PGIOT_JBBP_CASES:-4000}
JAR=/usr/share/java/jbbp.jar
trap 'tmp_pg_stop "$WORK/pg"; [ -z "$OWN_BASE" ] || rm -rf "$OWN_BASE"' EXIT

javac -nowarn -cp "$JAR" -d "$WORK/classes" "$ROOT/test/decoders/JbbpRef.java"

# the manual's examples first, then generated cases
cat > "$WORK/cases.tsv" <<'CASES'
int temperature;	000000DD
int signed; uint unsigned;	8000000080000000
float max_value;	7F7FFFFF
double max_value;	7FEFFFFFFFFFFFFF
ubyte temperature;	DD
utf8 [17] mystring;	2855332e3632542b323144323235503029
asciichar[13] myAsciiString;	616E4153434949537472696E67
byte is_led_on; float pressure; float temperature; float altitude; ubyte battery_lvl; byte[6] raw_gps; ushort altitude_gps;	00447CE00041CEF5C345CAB8CD38000000000000FFFF
float pi; measure[2] { int length; utf8 [length] name; float value; }	4048F5C30000000BC2A955544638537472696E674148000000000012C2A9616E6F7468657255544638537472696E67447D4000
byte:1 led; ushort pressure; ushort temperature; ushort altitude; ubyte battery; byte[6] raw_gps; ushort altitude_gps;	0027830a1bfd6738000000000000ffff
int  pressure; int temperature;	000003F5000000DD
<float temperature;	c3f5ce41
float sent_value;	41200000
CASES
for seed in 1 2 3; do
  python3 "$ROOT/test/decoders/jbbp_gen.py" "$seed" "$CASES" >> "$WORK/cases.tsv"
done
echo "$(wc -l < "$WORK/cases.tsv") cases"

java -cp "$JAR:$WORK/classes" JbbpRef < "$WORK/cases.tsv" > "$WORK/jbbp.out"

tmp_pg_start "$WORK/pg" >/dev/null
tmp_pg_psql -q <<SQL
CREATE TABLE jbbp_case (id serial PRIMARY KEY, format text, hex text);
\copy jbbp_case (format, hex) FROM '$WORK/cases.tsv'
CREATE FUNCTION try_parse(f text, p bytea) RETURNS text LANGUAGE plpgsql AS \$\$
DECLARE
    j jsonb;
BEGIN
    j := iot.jbbp_parse(f, p);
    -- the jsonb built from the decoder's events is the one its text makes
    IF j::text <> ((j::text)::jsonb)::text OR j <> (j::text)::jsonb THEN
        RETURN 'MISBUILT jsonb ' || j::text;
    END IF;
    RETURN j::text;
EXCEPTION WHEN OTHERS THEN
    RETURN 'ERROR ' || SQLSTATE || ': ' || replace(SQLERRM, E'\n', ' ');
END \$\$;
SQL
tmp_pg_psql -At -c "SELECT try_parse(format, decode(hex, 'hex')) FROM jbbp_case ORDER BY id" > "$WORK/pg.out"
# the jsonb written directly is byte for byte the one its text makes
bad=$(tmp_pg_psql -At -c "SELECT count(*) FROM jbbp_case c,
        LATERAL (SELECT try_parse(c.format, decode(c.hex, 'hex')) AS t) r
        WHERE r.t NOT LIKE 'ERROR%'
          AND pg_column_size(iot.jbbp_parse(c.format, decode(c.hex, 'hex')))
              <> pg_column_size(r.t::jsonb)")
echo "$bad results whose jsonb size differs from the jsonb of their text"
[ "$bad" -eq 0 ]

# floats: the jsonb numbers are the shortest decimal that reads back
tmp_pg_psql -At -c "SELECT encode(p, 'hex') || ' ' || (iot.jbbp_parse('float f;', p) ->> 'f')
                      FROM (SELECT decode(lpad(to_hex((random() * 4294967295)::bigint), 8, '0'), 'hex') p
                              FROM generate_series(1, 100000)) x" > "$WORK/floats.txt"
python3 "$ROOT/test/decoders/float_check.py" "$WORK/floats.txt"

python3 "$ROOT/test/decoders/jbbp_compare.py" "$WORK/cases.tsv" "$WORK/jbbp.out" "$WORK/pg.out"
