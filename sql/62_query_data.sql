-- Query: data search over iot.message (manual 13.4).  Continues
-- sql/60_query.sql.

------------------------------------------------------------------------------
-- Data search over iot.message (manual 13.4): the search samples as SQL
------------------------------------------------------------------------------

-- The messages of the current tenant, newest first (13.4.3.1 "give me all
-- you got", the term / hits samples of 13.4.1): optional stream, model,
-- tag and time range [since, until) on the message timestamp; paged
-- (lim 1..1000, default 10, as Elasticsearch).
CREATE FUNCTION iot.data_messages(stream_id text DEFAULT NULL, model text DEFAULT NULL, tag text DEFAULT NULL,
                                  since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
                                  lim int DEFAULT 10, off int DEFAULT 0)
    RETURNS SETOF jsonb
    LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF lim IS NULL OR lim < 1 OR lim > 1000 OR off IS NULL OR off < 0 THEN
        RAISE EXCEPTION 'limit must be 1..1000 and offset >= 0' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    SELECT iot.message_json(m) FROM iot.message m
     WHERE m.tenant_id = iot.require_tenant()
       AND (data_messages.stream_id IS NULL OR m.stream_id = data_messages.stream_id)
       AND (data_messages.model IS NULL OR m.model = data_messages.model)
       AND (data_messages.tag IS NULL OR m.tags @> ARRAY[data_messages.tag])
       AND (since IS NULL OR m.ts >= since) AND (until IS NULL OR m.ts < until)
     ORDER BY m.ts DESC, m.id DESC
     LIMIT lim OFFSET off;
END
$$;

-- 13.4.3.2 "the list of all known tags": each tag and its number of
-- messages, most used first.
CREATE FUNCTION iot.data_tags(since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
    RETURNS TABLE (tag text, doc_count bigint)
    LANGUAGE sql STABLE
AS $$
    SELECT t.tag, count(*) FROM iot.message m CROSS JOIN LATERAL unnest(m.tags) AS t(tag)
     WHERE m.tenant_id = (SELECT iot.require_tenant())
       AND (since IS NULL OR m.ts >= since) AND (until IS NULL OR m.ts < until)
     GROUP BY t.tag ORDER BY 2 DESC, 1
$$;

-- 13.4.3.3 "the last value of all my streams": per stream, its number of
-- messages and its newest message.
CREATE FUNCTION iot.data_last_values(since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
    RETURNS TABLE (stream_id text, doc_count bigint, last_value jsonb)
    LANGUAGE sql STABLE
AS $$
    SELECT l.stream_id, c.n, iot.message_json(l)
      FROM (SELECT DISTINCT ON (m.stream_id) m.* FROM iot.message m
             WHERE m.tenant_id = (SELECT iot.require_tenant())
               AND (since IS NULL OR m.ts >= since) AND (until IS NULL OR m.ts < until)
             ORDER BY m.stream_id, m.ts DESC, m.id DESC) l
      JOIN (SELECT m.stream_id, count(*) AS n FROM iot.message m
             WHERE m.tenant_id = (SELECT iot.require_tenant())
               AND (since IS NULL OR m.ts >= since) AND (until IS NULL OR m.ts < until)
             GROUP BY m.stream_id) c USING (stream_id)
     ORDER BY c.n DESC, l.stream_id
$$;

-- 13.4.3.4 "the devices that have not sent data since ...": the streams
-- whose newest message is older than `since`, with their number of
-- messages and that last date (also as epoch milliseconds, as the
-- manual's max aggregation reports it).
CREATE FUNCTION iot.data_silent_streams(since timestamptz)
    RETURNS TABLE (stream_id text, doc_count bigint, last_date timestamptz, last_date_ms bigint)
    LANGUAGE sql STABLE STRICT
AS $$
    SELECT m.stream_id, count(*), max(m.ts), (extract(epoch FROM max(m.ts)) * 1000)::bigint
      FROM iot.message m
     WHERE m.tenant_id = (SELECT iot.require_tenant())
     GROUP BY m.stream_id
    HAVING max(m.ts) < since
     ORDER BY 2 DESC, 1
$$;

-- 13.4.1 stats sample: count, min, max, avg, sum of a numeric value field
-- named as the search names it, "@<model>.value.<path>" (messages of that
-- model; values that are not numbers are skipped, as the search index
-- drops them), optionally for one stream.
CREATE FUNCTION iot.data_value_stats(field text, stream_id text DEFAULT NULL) RETURNS jsonb
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    parts  text[] := regexp_match(field, '^@([^.]+)\.value\.(.+)$');
    path   text[];
    r      jsonb;
BEGIN
    IF parts IS NULL THEN
        RAISE EXCEPTION 'invalid value field "%"', field USING ERRCODE = 'invalid_parameter_value',
            HINT = 'A value field is @<model>.value.<path>, e.g. @temperature_v0.value.temp.';
    END IF;
    path := string_to_array(parts[2], '.');
    SELECT jsonb_build_object('count', count(v), 'min', min(v), 'max', max(v), 'avg', avg(v), 'sum', coalesce(sum(v), 0))
      INTO r
      FROM (SELECT (m.value #>> path)::float8 AS v FROM iot.message m
             WHERE m.tenant_id = iot.require_tenant() AND m.model = parts[1]
               AND (data_value_stats.stream_id IS NULL OR m.stream_id = data_value_stats.stream_id)
               AND jsonb_typeof(m.value #> path) = 'number') x;
    RETURN r;
END
$$;

-- 13.4.2 geo_distance: the located messages within `meters` of a point
-- (geodesic distance), nearest first, with their distance.  Served by
-- the GiST index on iot.message.location.
CREATE FUNCTION iot.data_near(lat float8, lon float8, meters float8,
                              since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, lim int DEFAULT 100)
    RETURNS TABLE (distance float8, message jsonb)
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    here geography;
BEGIN
    IF lat IS NULL OR lon IS NULL OR abs(lat) > 90 OR abs(lon) > 180 THEN
        RAISE EXCEPTION 'invalid point (%, %)', lat, lon USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF meters IS NULL OR meters < 0 THEN
        RAISE EXCEPTION 'invalid distance %', meters USING ERRCODE = 'invalid_parameter_value';
    END IF;
    here := ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography;
    RETURN QUERY
    SELECT ST_Distance(m.location, here), iot.message_json(m) FROM iot.message m
     WHERE m.tenant_id = iot.require_tenant() AND ST_DWithin(m.location, here, meters)
       AND (since IS NULL OR m.ts >= since) AND (until IS NULL OR m.ts < until)
     ORDER BY 1, m.ts DESC, m.id DESC
     LIMIT lim;
END
$$;

-- The candidate region of a lat/lon box for geography's && (edges
-- segmented to 1 degree and widened by 0.01 degree, so that the great
-- circles between the vertices never cut inside the box), then the exact
-- test on latitude and longitude.  A box whose west is east of its east
-- crosses the antimeridian.
CREATE FUNCTION iot._box_region(s float8, w float8, n float8, e float8) RETURNS geography
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ST_Segmentize(ST_MakeEnvelope(greatest(w - 0.01, -180), greatest(s - 0.01, -90),
                                         least(e + 0.01, 180), least(n + 0.01, 90), 4326), 1)::geography;

-- Located messages inside a box (topLeft, bottomRight as the explorer's
-- geoBounds), newest first.
CREATE FUNCTION iot.data_in_box(top_left_lat float8, top_left_lon float8, bottom_right_lat float8, bottom_right_lon float8,
                                since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, lim int DEFAULT 100)
    RETURNS SETOF jsonb
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    n float8 := top_left_lat;
    w float8 := top_left_lon;
    s float8 := bottom_right_lat;
    e float8 := bottom_right_lon;
BEGIN
    IF n IS NULL OR w IS NULL OR s IS NULL OR e IS NULL OR abs(n) > 90 OR abs(s) > 90 OR abs(w) > 180 OR abs(e) > 180 OR s > n THEN
        RAISE EXCEPTION 'invalid box (top left %, %; bottom right %, %)', n, w, s, e USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Latitudes are in [-90, 90] with the top one north of the bottom one, longitudes in [-180, 180].';
    END IF;
    RETURN QUERY
    SELECT iot.message_json(m) FROM iot.message m
     WHERE m.tenant_id = iot.require_tenant()
       AND (CASE WHEN w <= e THEN m.location && iot._box_region(s, w, n, e)
                 ELSE m.location && iot._box_region(s, w, n, 180) OR m.location && iot._box_region(s, -180, n, e) END)
       AND ST_Y(m.location::geometry) BETWEEN s AND n
       AND (CASE WHEN w <= e THEN ST_X(m.location::geometry) BETWEEN w AND e
                 ELSE ST_X(m.location::geometry) >= w OR ST_X(m.location::geometry) <= e END)
       AND (since IS NULL OR m.ts >= since) AND (until IS NULL OR m.ts < until)
     ORDER BY m.ts DESC, m.id DESC
     LIMIT lim;
END
$$;

-- A geohash grid over the message locations of a time range [since,
-- until): per cell (most messages first, at most `buckets`) the number of
-- messages and of distinct devices, the centroid and the bounds, as the
-- explorer's geoAggregation.
CREATE FUNCTION iot.data_geo_grid("precision" int DEFAULT 5, since timestamptz DEFAULT NULL,
                                  until timestamptz DEFAULT NULL, buckets int DEFAULT 50)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    r jsonb;
BEGIN
    IF "precision" IS NULL OR "precision" NOT BETWEEN 1 AND 12 THEN
        RAISE EXCEPTION 'precision must be 1..12' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF buckets IS NULL OR buckets NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'buckets must be 1..10000' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    WITH pts AS (
        SELECT ST_Y(m.location::geometry) AS lat, ST_X(m.location::geometry) AS lon, m.device_id
          FROM iot.message m
         WHERE m.tenant_id = iot.require_tenant() AND m.location IS NOT NULL
           AND (since IS NULL OR m.ts >= since) AND (until IS NULL OR m.ts < until)),
    cells AS (
        SELECT iot.geohash_encode(lat, lon, "precision") AS cell, count(*) AS n, count(DISTINCT device_id) AS devices,
               avg(lat) AS lat, avg(lon) AS lon, max(lat) AS n_lat, min(lon) AS w_lon, min(lat) AS s_lat, max(lon) AS e_lon
          FROM pts GROUP BY 1)
    SELECT jsonb_build_object('count', coalesce(sum(n), 0), 'keys', count(*),
               'buckets', coalesce((SELECT jsonb_agg(jsonb_build_object('key', c.cell, 'count', c.n, 'devices', c.devices,
                                        'geoKey', jsonb_build_object('lat', c.lat, 'lon', c.lon),
                                        'geoBounds', jsonb_build_object('topLeft', jsonb_build_object('lat', c.n_lat, 'lon', c.w_lon),
                                                                        'bottomRight', jsonb_build_object('lat', c.s_lat, 'lon', c.e_lon)))
                                      ORDER BY c.n DESC, c.cell)
                                      FROM (SELECT * FROM cells ORDER BY n DESC, cell LIMIT buckets) c), '[]'))
           || CASE WHEN count(*) > 0 THEN jsonb_build_object('geoBounds', jsonb_build_object(
                  'topLeft', jsonb_build_object('lat', max(n_lat), 'lon', min(w_lon)),
                  'bottomRight', jsonb_build_object('lat', min(s_lat), 'lon', max(e_lon)))) ELSE '{}' END
      INTO r FROM cells;
    RETURN r;
END
$$;
