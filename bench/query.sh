#!/usr/bin/env bash
# bench/query.sh: the explorer's geohash-grid statistics against the
# equivalent GROUP BY over PostGIS ST_GeoHash, in one run on 1,000,000
# located devices, plus RSQL translations per second.
#
#   bench/query.sh [DEVICES] [ROUNDS]      (defaults 1000000 and 15)
#
# ours:     iot.device_stats('{"filters": {"queryString": "tags==fleet-3"},
#             "groupBy": {"location": {"precision": 5}},
#             "options": {"includeGeoBoundsInBuckets": true}}')
# baseline: the same response (same tag filter through the same GIN index,
#           counts, centroids, bounds, the 50 busiest cells as JSON) with
#           GROUP BY ST_GeoHash(static_location::geometry, 5)
# Both answers are checked to be identical, then they run alternately
# ROUNDS times each after a warm-up; rates come from the median times.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEVICES=${1:-1000000}
ROUNDS=${2:-15}
DIR=$(mktemp -d /tmp/pgiot-bench-query.XXXXXX)
chmod 755 "$DIR"
export TMP_PG_DB=bench
# shellcheck source=../test/lib/tmp_pg.sh
source "$ROOT/test/lib/tmp_pg.sh"
trap 'tmp_pg_stop "$DIR"; rm -rf "$DIR"' EXIT
tmp_pg_start "$DIR" >/dev/null
run() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

echo "== loading $DEVICES devices (500 clusters over Europe; tags: one of 100 models, one of 10 fleets, a third outdoor)"
run -o /dev/null <<SQL
SET pgiot.now = '2026-01-15 10:00:00+00';
SELECT iot.tenant_create('bench') IS NOT NULL;
SELECT iot.use_tenant('bench') IS NOT NULL;
SELECT setseed(0.5);
CREATE TEMP TABLE centre AS
SELECT k AS c, 36 + random() * 24 AS lat, -10 + random() * 40 AS lon FROM generate_series(0, 499) k;
INSERT INTO iot.device (tenant_id, id, name, tags, static_location)
SELECT iot.current_tenant(), 'urn:lo:nsid:bench:' || k, 'sensor-' || k,
       ARRAY['model-' || (k % 100), 'fleet-' || (k % 10)] || CASE WHEN k % 3 = 0 THEN ARRAY['outdoor'] ELSE '{}' END,
       ST_SetSRID(ST_MakePoint(c.lon + (random() + random() + random() - 1.5) * 0.2,
                               c.lat + (random() + random() + random() - 1.5) * 0.1), 4326)::geography
  FROM generate_series(1, $DEVICES) k JOIN centre c ON c.c = k % 500;
VACUUM ANALYZE iot.device;
SQL
run -c "SELECT count(*) || ' devices, ' || pg_size_pretty(pg_total_relation_size('iot.device')) || ' with indexes' FROM iot.device"

run <<'SQL'
CREATE SCHEMA bench;
-- the baseline: the same response over PostGIS ST_GeoHash
CREATE FUNCTION bench.baseline(tag text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH pts AS (
        SELECT ST_GeoHash(g, 5) AS cell, ST_Y(g) AS lat, ST_X(g) AS lon
          FROM iot.device d CROSS JOIN LATERAL (SELECT d.static_location::geometry AS g) x
         WHERE d.tenant_id = iot.current_tenant() AND d.tags @> ARRAY[tag]),
    cells AS (
        SELECT cell, count(*) AS n, avg(lat) AS lat, avg(lon) AS lon, max(lat) AS n_lat, min(lon) AS w_lon,
               min(lat) AS s_lat, max(lon) AS e_lon
          FROM pts GROUP BY cell),
    top AS (SELECT * FROM cells WHERE cell IS NOT NULL ORDER BY n DESC, cell LIMIT 50)
    SELECT jsonb_build_object('devices', coalesce(sum(n), 0), 'geoAggregation',
        jsonb_build_object('count', coalesce(sum(n), 0), 'devices', coalesce(sum(n), 0),
            'buckets', coalesce((SELECT jsonb_agg(jsonb_build_object('geoKey', jsonb_build_object('lat', top.lat, 'lon', top.lon),
                                      'geoBounds', jsonb_build_object('topLeft', jsonb_build_object('lat', top.n_lat, 'lon', top.w_lon),
                                                                      'bottomRight', jsonb_build_object('lat', top.s_lat, 'lon', top.e_lon)),
                                      'devices', top.n) ORDER BY top.n DESC, top.cell) FROM top), '[]'))
        || jsonb_build_object('geoBounds', jsonb_build_object(
               'topLeft', jsonb_build_object('lat', max(n_lat), 'lon', min(w_lon)),
               'bottomRight', jsonb_build_object('lat', min(s_lat), 'lon', max(e_lon)))))
      FROM cells
$$;
CREATE FUNCTION bench.ours(tag text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT iot.device_stats(jsonb_build_object('filters', jsonb_build_object('queryString', 'tags==' || tag),
        'groupBy', '{"location": {"precision": 5}}'::jsonb, 'options', '{"includeGeoBoundsInBuckets": true}'::jsonb))
$$;
-- milliseconds of each call, alternating
CREATE FUNCTION bench.time(rounds int) RETURNS TABLE (kind text, ms float8) LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    r  jsonb;
BEGIN
    r := bench.ours('fleet-3');
    r := bench.baseline('fleet-3');
    FOR i IN 1 .. rounds LOOP
        t0 := clock_timestamp();
        r := bench.ours('fleet-3');
        kind := 'ours'; ms := extract(epoch FROM clock_timestamp() - t0) * 1000; RETURN NEXT;
        t0 := clock_timestamp();
        r := bench.baseline('fleet-3');
        kind := 'baseline'; ms := extract(epoch FROM clock_timestamp() - t0) * 1000; RETURN NEXT;
    END LOOP;
END $$;
-- RSQL translations per second for one query
CREATE FUNCTION bench.rsql_rate(query text, dialect text, n int) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
    s  text;
BEGIN
    FOR i IN 1 .. n LOOP
        s := iot.rsql_to_sql(query, dialect);
    END LOOP;
    RETURN round(n / extract(epoch FROM clock_timestamp() - t0));
END $$;
SQL

check=$(run <<'SQL'
SELECT iot.use_tenant('bench') AS tenant \gset
SELECT CASE WHEN bench.ours('fleet-3') = bench.baseline('fleet-3')
            THEN format('same answer: %s devices with the tag, %s buckets shown of %s cells',
                        bench.ours('fleet-3') ->> 'devices', jsonb_array_length(bench.ours('fleet-3') #> '{geoAggregation,buckets}'),
                        (SELECT count(DISTINCT left(geohash, 5)) FROM iot.device WHERE tags @> '{fleet-3}'))
            ELSE 'DIFFERENT ANSWERS' END;
SQL
)
echo "$check"
case "$check" in *DIFFERENT*) exit 1 ;; esac

echo "== timing: $ROUNDS rounds each, alternating, after a warm-up"
run <<SQL
SELECT iot.use_tenant('bench') AS tenant \gset
WITH t AS (SELECT * FROM bench.time($ROUNDS)),
m AS (SELECT kind, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms FROM t GROUP BY kind)
SELECT format('iot.device_stats, stored geohash:  %8s requests/s (median %s ms)', round(1000 / o.ms::numeric, 2), round(o.ms::numeric, 1))
       || E'\n' ||
       format('GROUP BY ST_GeoHash baseline:       %8s requests/s (median %s ms)', round(1000 / b.ms::numeric, 2), round(b.ms::numeric, 1))
       || E'\n' ||
       format('ratio: %sx (goal: at least 1.5x)', round((b.ms / o.ms)::numeric, 2))
  FROM m o, m b WHERE o.kind = 'ours' AND b.kind = 'baseline';
SQL

echo "== RSQL translations (iot.rsql_to_sql, 100000 calls each)"
run <<'SQL'
SELECT format('%9s translations/s  %s  %s', bench.rsql_rate(q, d, 100000), rpad(d, 9), q)
  FROM (VALUES
    ('(tags==myTag or name==awesome*) and (group.path==/foo/* or properties=q=''k==Version and v==\"my complete value\"'' and interfaces.connector==lora)', 'inventory'),
    ('groupPath==/France;tags==demo;connector==lwm2m or (connector==x-connector)', 'device'),
    ('tags=in=(spain, v2)', 'inventory')) v(q, d);
SQL
echo "command: bench/query.sh $DEVICES $ROUNDS"
