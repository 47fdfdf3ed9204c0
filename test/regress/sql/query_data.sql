-- Data search over iot.message (manual 13.2-13.4; spec-data 4.3, T28):
-- the search samples, value stats, geo distance, boxes, geohash grids.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET extra_float_digits = 0;
SET pgiot.now = '2026-01-15 10:00:00+00';
SELECT iot.tenant_create('query-data') IS NOT NULL;
SELECT iot.use_tenant('query-data') IS NOT NULL;
CREATE FUNCTION pg_temp.store(items jsonb) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(id) FROM iot.ingest_batch(items)
$$;

-- 13.2 / 13.4.1: two temperatures in stream myDeviceTemperature, a third
-- message of the same model elsewhere
SELECT pg_temp.store('[
  {"deviceId": "urn:lo:nsid:data:temp", "message": {"streamId": "myDeviceTemperature", "timestamp": "2016-05-09T12:15:41.620Z",
   "model": "temperature_v0", "value": {"temp": 24.1}}},
  {"deviceId": "urn:lo:nsid:data:temp", "message": {"streamId": "myDeviceTemperature", "timestamp": "2016-05-09T13:15:41.620Z",
   "model": "temperature_v0", "value": {"temp": 25.9}}},
  {"deviceId": "urn:lo:nsid:data:temp2", "message": {"streamId": "otherTemperature", "timestamp": "2016-05-09T11:00:00.000Z",
   "model": "temperature_v0", "value": {"temp": 24.1}}},
  {"deviceId": "urn:lo:nsid:data:temp2", "message": {"streamId": "otherTemperature", "timestamp": "2016-05-09T11:30:00.000Z",
   "model": "temperature_v0", "value": {"temp": "hot"}}},
  {"deviceId": "urn:lo:nsid:data:temp2", "message": {"streamId": "otherTemperature", "timestamp": "2016-05-09T11:40:00.000Z",
   "model": "humidity_v0", "value": {"temp": 99}}}]') AS stored;
-- the GET stream example: newest first
SELECT m - 'id' - 'created' - 'metadata' AS message FROM iot.data_messages('myDeviceTemperature') m;
-- the stats sample (T28): {"count": 2, "min": 24.1, "max": 25.9, "avg": 25, "sum": 50}
SELECT iot.data_value_stats('@temperature_v0.value.temp', 'myDeviceTemperature') AS stats_temperature,
       iot.data_value_stats('@temperature_v0.value.temp', 'myDeviceTemperature')
         = '{"count": 2, "min": 24.1, "max": 25.9, "avg": 25, "sum": 50}' AS as_manual;
-- over the whole model: the string value is skipped
SELECT iot.data_value_stats('@temperature_v0.value.temp') AS whole_model, iot.data_value_stats('@nope.value.x') AS no_data;
SELECT test.try($$SELECT iot.data_value_stats('temp')$$);
-- the hits sample: term model -> the three temperature_v0 messages (25.9, 24.1, 24.1)
SELECT m ->> 'streamId' AS stream, m -> 'value' AS value FROM iot.data_messages(model => 'temperature_v0') m
 WHERE jsonb_typeof(m #> '{value,temp}') = 'number';
SELECT count(*) AS match_all FROM iot.data_messages(lim => 1000);
SELECT count(*) AS ranged FROM iot.data_messages(since => '2016-05-09 11:30:00+00', until => '2016-05-09 13:00:00+00');
SELECT test.try($$SELECT * FROM iot.data_messages(lim => 0)$$);

-- 13.4.3.2 all known tags: tag_1 in 53 messages, tag_2 in 13 (66 messages)
SELECT pg_temp.store((SELECT jsonb_agg(jsonb_build_object('deviceId', 'urn:lo:nsid:data:tags',
           'message', jsonb_build_object('value', jsonb_build_object('n', k), 'timestamp', '2017-03-01T00:00:00Z',
                                         'tags', CASE WHEN k <= 53 THEN '["tag_1"]'::jsonb ELSE '["tag_2"]' END)))
                      FROM generate_series(1, 66) k)) AS stored;
SELECT * FROM iot.data_tags(since => '2017-01-01');
SELECT jsonb_build_object('hits', jsonb_build_object('total', jsonb_build_object('value', sum(doc_count), 'relation', 'eq')),
                          'aggregations', jsonb_build_object('grouped_by_tags', jsonb_build_object(
                              'doc_count_error_upper_bound', 0, 'sum_other_doc_count', 0,
                              'buckets', jsonb_agg(jsonb_build_object('key', tag, 'doc_count', doc_count) ORDER BY doc_count DESC))))
     = '{"hits": {"total": {"value": 66, "relation": "eq"}}, "aggregations": {"grouped_by_tags": {"doc_count_error_upper_bound": 0,
         "sum_other_doc_count": 0, "buckets": [{"key": "tag_1", "doc_count": 53}, {"key": "tag_2", "doc_count": 13}]}}}' AS as_manual
  FROM iot.data_tags(since => '2017-01-01');

-- 13.4.3.3 last value of every stream; 13.4.3.4 streams silent since
-- 2017-03-23 10:00:00 (1490263200000): device_12 (7 messages, last
-- 2017-03-14T15:08:25.020Z) and device_153 (2, last 2017-03-09T08:53:39.254Z)
SELECT pg_temp.store((SELECT jsonb_agg(jsonb_build_object('deviceId', 'urn:lo:nsid:data:d' || s,
           'message', jsonb_build_object('streamId', s, 'value', jsonb_build_object('k', k), 'timestamp', t)))
                      FROM (SELECT 'device_12' AS s, k, iot.iso_time(timestamptz '2017-03-14 15:08:25.020+00' - (k - 1) * interval '1 hour') AS t
                              FROM generate_series(1, 7) k
                            UNION ALL
                            SELECT 'device_153', k, iot.iso_time(timestamptz '2017-03-09 08:53:39.254+00' - (k - 1) * interval '1 day')
                              FROM generate_series(1, 2) k
                            UNION ALL
                            SELECT 'device_1', k, iot.iso_time(timestamptz '2017-03-24 00:00:00+00' + k * interval '1 minute')
                              FROM generate_series(1, 7) k) x)) AS stored;
SELECT stream_id, doc_count, last_value ->> 'timestamp' AS last_timestamp, last_value -> 'value' AS last
  FROM iot.data_last_values(since => '2017-03-01');
SELECT * FROM iot.data_silent_streams('2017-03-23 10:00:00+00') WHERE stream_id LIKE 'device%';
SELECT stream_id, doc_count, last_date_ms, iot.iso_time(last_date) AS value_as_string
  FROM iot.data_silent_streams(to_timestamp(1490263200000 / 1000.0)) WHERE stream_id LIKE 'device%';

-- 13.4.2 geo_distance 10 km around (43.848, -3.417): (43.8, -3.35) at
-- ~7.6 km is in; the manual's (43.8, -3.3) is ~10.8 km away, so out
SELECT pg_temp.store('[
  {"deviceId": "urn:lo:nsid:data:geo1", "message": {"value": {"v": 1}, "timestamp": "2026-01-10T00:00:00Z", "location": {"lat": 43.8, "lon": -3.35}}},
  {"deviceId": "urn:lo:nsid:data:geo2", "message": {"value": {"v": 2}, "timestamp": "2026-01-11T00:00:00Z", "location": {"lat": 43.8, "lon": -3.3}}},
  {"deviceId": "urn:lo:nsid:data:geo3", "message": {"value": {"v": 3}, "timestamp": "2026-01-12T00:00:00Z", "location": {"lat": 43.848, "lon": -3.417}}},
  {"deviceId": "urn:lo:nsid:data:geo4", "message": {"value": {"v": 4}, "timestamp": "2026-01-12T00:00:00Z", "location": {"lat": -16.5, "lon": 179.9}}},
  {"deviceId": "urn:lo:nsid:data:geo4", "message": {"value": {"v": 5}, "timestamp": "2026-01-13T00:00:00Z", "location": {"lat": -16.6, "lon": -179.9}}},
  {"deviceId": "urn:lo:nsid:data:geo5", "message": {"value": {"v": 6}, "timestamp": "2026-01-13T00:00:00Z", "location": {"lat": 60, "lon": 10}}}]') AS stored;
SELECT round(distance) AS meters, message -> 'value' AS value, message -> 'location' AS location
  FROM iot.data_near(43.848, -3.417, 10000);
SELECT round(ST_Distance(ST_MakePoint(-3.417, 43.848)::geography, ST_MakePoint(-3.3, 43.8)::geography)) AS manual_point_meters;
SELECT count(*) AS within_11km FROM iot.data_near(43.848, -3.417, 11000);
SELECT count(*) AS ranged FROM iot.data_near(43.848, -3.417, 11000, since => '2026-01-11');
SELECT test.try($$SELECT * FROM iot.data_near(91, 0, 10)$$), test.try($$SELECT * FROM iot.data_near(0, 0, -1)$$);

-- boxes (topLeft, bottomRight), across the antimeridian too; the box's
-- northern edge is a parallel, not a great circle
SELECT string_agg(m #>> '{value,v}', ',' ORDER BY m #>> '{value,v}') AS in_biscay FROM iot.data_in_box(44, -4, 43.5, -3) m;
SELECT string_agg(m #>> '{value,v}', ',' ORDER BY m #>> '{value,v}') AS across_antimeridian FROM iot.data_in_box(-16, 179, -17, -179) m;
SELECT string_agg(m #>> '{value,v}', ',' ORDER BY m #>> '{value,v}') AS on_the_parallel FROM iot.data_in_box(60.00001, -10, 59.99999, 30) m;
SELECT string_agg(m #>> '{value,v}', ',' ORDER BY m #>> '{value,v}') AS world FROM iot.data_in_box(90, -180, -90, 180) m;
SELECT test.try($$SELECT * FROM iot.data_in_box(10, 0, 20, 5)$$);

-- geohash grid over message locations in a time range
SELECT jsonb_pretty(iot.data_geo_grid(3, '2026-01-01', '2026-01-13')) AS grid;
SELECT iot.data_geo_grid(1) -> 'keys' AS cells_p1, iot.data_geo_grid(1, buckets => 1) -> 'buckets' AS top_cell,
       iot.data_geo_grid(5, '2030-01-01') AS empty_range;
SELECT test.try($$SELECT iot.data_geo_grid(13)$$);

-- another tenant sees none of it
SELECT iot.tenant_create('query-data-other') IS NOT NULL;
SELECT iot.use_tenant('query-data-other') IS NOT NULL;
SELECT (SELECT count(*) FROM iot.data_messages()) AS messages, (SELECT count(*) FROM iot.data_tags()) AS tags,
       (SELECT count(*) FROM iot.data_near(43.848, -3.417, 100000)) AS near, iot.data_geo_grid(1) -> 'count' AS grid;
SELECT iot.use_tenant('query-data') IS NOT NULL;

-- the GiST index on iot.message.location serves distance and box queries
-- (partition names depend on the day, so the plans are summarised)
CREATE FUNCTION pg_temp.plan(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    line text;
    all_lines text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        all_lines := all_lines || line || E'\n';
    END LOOP;
    RETURN CASE WHEN all_lines ~ 'Seq Scan' THEN 'sequential scan'
                WHEN all_lines ~ 'Index Scan using "?message_p[0-9T]+_location_idx' THEN 'location index'
                ELSE all_lines END;
END $$;
SET enable_seqscan = off;
SELECT pg_temp.plan($q$SELECT m.id FROM iot.message m WHERE m.tenant_id = iot.current_tenant()
                        AND ST_DWithin(m.location, ST_MakePoint(-3.417, 43.848)::geography, 10000)$q$) AS distance_plan,
       pg_temp.plan($q$SELECT m.id FROM iot.message m WHERE m.tenant_id = iot.current_tenant()
                        AND m.location && iot._box_region(43.5, -4, 44, -3)$q$) AS box_plan;
RESET enable_seqscan;
SELECT count(*) AS partitions, count(*) FILTER (WHERE EXISTS (
           SELECT FROM pg_index x WHERE x.indrelid = i.inhrelid AND pg_get_indexdef(x.indexrelid) LIKE '%USING gist (location) WHERE (location IS NOT NULL)%')) AS with_location_index
  FROM pg_inherits i WHERE i.inhparent = 'iot.message'::regclass \gset
SELECT :partitions > 0 AND :partitions = :with_location_index AS every_partition_indexed;
