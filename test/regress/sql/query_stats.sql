-- The Statistics API (manual 9.3; spec-data 5.5, T23-T27): every example
-- of the manual, each on a fleet built to the example's numbers, compared
-- with the manual's response.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2026-01-15 10:00:00+00';

-- Fleets are inserted directly (set-based) into the tenant's tables.
CREATE FUNCTION pg_temp.fleet(name text) RETURNS uuid LANGUAGE plpgsql AS $$
BEGIN
    PERFORM iot.tenant_create(name);
    RETURN iot.use_tenant(name);
END $$;
CREATE FUNCTION pg_temp.add(n int, tags text[] DEFAULT '{}', lat float8 DEFAULT NULL, lon float8 DEFAULT NULL,
                            connector text DEFAULT NULL, status text DEFAULT NULL, definition jsonb DEFAULT '{}',
                            properties jsonb DEFAULT '{}') RETURNS bigint LANGUAGE sql AS $$
    WITH d AS (
        INSERT INTO iot.device (tenant_id, id, tags, properties, static_location)
        SELECT iot.current_tenant(), 'urn:lo:nsid:stats:' || iot.random_hex(8), tags, properties,
               CASE WHEN lat IS NOT NULL THEN ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography END
          FROM generate_series(1, n)
        RETURNING tenant_id, id)
    , i AS (
        INSERT INTO iot.device_interface (tenant_id, device_id, connector, node_id, status, definition)
        SELECT d.tenant_id, d.id, connector, d.id, status, definition FROM d WHERE connector IS NOT NULL)
    SELECT count(*) FROM d
$$;
-- numbers compared as float8 (the shortest decimal of a double may differ
-- from the manual's 17-digit spelling of the same double)
CREATE FUNCTION pg_temp.norm(j jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT CASE jsonb_typeof(j)
        WHEN 'number' THEN to_jsonb((j::text)::float8)
        WHEN 'array' THEN (SELECT coalesce(jsonb_agg(pg_temp.norm(x) ORDER BY n), '[]') FROM jsonb_array_elements(j) WITH ORDINALITY a(x, n))
        WHEN 'object' THEN (SELECT coalesce(jsonb_object_agg(k, pg_temp.norm(v)), '{}') FROM jsonb_each(j) e(k, v))
        ELSE j END
$$;
-- the manual's response next to ours
CREATE FUNCTION pg_temp.check(request jsonb, manual jsonb) RETURNS TABLE (same boolean, ours jsonb) LANGUAGE sql AS $$
    SELECT pg_temp.norm(iot.device_stats(request)) = pg_temp.norm(manual), iot.device_stats(request)
$$;

------------------------------------------------------------------------------
-- 9.3.2 and 9.3.4.1: a fleet of 100 devices
--   interfaces: 85 ONLINE, 15 OFFLINE; tags: spain 25, a/b/c 20 each, 15 none;
--   locations: 50 in one Paris cell (mean = the manual's geoKey), 30 Lyon, 20 Bordeaux
------------------------------------------------------------------------------
SELECT pg_temp.fleet('stats-100') IS NOT NULL;
-- 8 points whose mean and bounds are the manual's bucket (see T27)
CREATE TEMP TABLE paris8 (lat float8, lon float8);
INSERT INTO paris8 VALUES (48.85418226476759, 2.3463791574827945), (48.85418221085362, 2.3463792633265257);
INSERT INTO paris8 SELECT (8 * 48.85418222285807 - 48.85418226476759 - 48.85418221085362) / 6,
                          (8 * 2.346379179507494 - 2.3463791574827945 - 2.3463792633265257) / 6 FROM generate_series(1, 6);
SELECT avg(lat) AS paris8_lat, avg(lon) AS paris8_lon FROM paris8;
SELECT sum(pg_temp.add(1, ARRAY['spain'], p.lat, p.lon, 'mqtt', 'ONLINE')) AS added FROM paris8 p, generate_series(1, 3);       -- 24
SELECT pg_temp.add(1, ARRAY['spain'], 48.85418222285807, 2.346379179507494, 'mqtt', 'ONLINE') AS added;                    -- 25
SELECT sum(pg_temp.add(1, ARRAY['a'], p.lat, p.lon, 'mqtt', 'ONLINE')) AS added FROM paris8 p, generate_series(1, 3);           -- 24
SELECT pg_temp.add(1, ARRAY['a'], 48.85418222285807, 2.346379179507494, 'mqtt', 'ONLINE') AS added;                        -- 25: 50 in Paris
SELECT pg_temp.add(30, ARRAY['b'], 45.764043, 4.835659, 'mqtt', 'ONLINE') AS added;                                        -- Lyon
SELECT pg_temp.add(5, ARRAY['c'], 44.840204967185855, -0.560115147382021, 'mqtt', 'ONLINE') AS added;                      -- Bordeaux
SELECT pg_temp.add(15, ARRAY['c'], 44.840204967185855, -0.560115147382021, 'mqtt', 'OFFLINE') AS added;
UPDATE iot.device SET tags = '{}' WHERE tenant_id = iot.current_tenant() AND id IN (
    SELECT id FROM iot.device WHERE tenant_id = iot.current_tenant() AND tags = '{a}' ORDER BY id LIMIT 5);
UPDATE iot.device SET tags = '{}' WHERE tenant_id = iot.current_tenant() AND id IN (
    SELECT id FROM iot.device WHERE tenant_id = iot.current_tenant() AND tags = '{b}' ORDER BY id LIMIT 10);
SELECT tags, count(*) FROM iot.device WHERE tenant_id = iot.current_tenant() GROUP BY 1 ORDER BY 2 DESC, 1;
-- 9.3.2: grouped by interface status
SELECT * FROM pg_temp.check('{"groupBy": {"interfaces": {"field": "status"}}}',
    '{"devices": 100, "fieldAggregation": {"count": 100, "devices": 100, "buckets": [
        {"key": "ONLINE", "count": 85, "devices": 85}, {"key": "OFFLINE", "count": 15, "devices": 15}]}}');
-- 9.3.4.1: field aggregation on tags (the manual shows the first bucket)
SELECT (r -> 'fieldAggregation' -> 'buckets' -> 0) = '{"key": "spain", "count": 25, "devices": 25}' AS first_bucket_as_manual,
       jsonb_pretty(r) AS ours
  FROM iot.device_stats('{"groupBy": {"field": "tags"}}') r;
-- 9.3.4.1: geolocation aggregation, precision 5, bounds in buckets (first bucket as the manual)
SELECT r -> 'devices' AS devices, r #> '{geoAggregation,devices}' AS agg_devices,
       b -> 'devices' AS first_bucket_devices,
       abs((b #>> '{geoKey,lat}')::float8 - 48.85418222285807) < 1e-12 AND abs((b #>> '{geoKey,lon}')::float8 - 2.346379179507494) < 1e-12 AS geokey_as_manual,
       pg_temp.norm(b -> 'geoBounds') = pg_temp.norm('{"topLeft": {"lat": 48.85418226476759, "lon": 2.3463791574827945},
                            "bottomRight": {"lat": 48.85418221085362, "lon": 2.3463792633265257}}') AS geobounds_as_manual,
       jsonb_array_length(r #> '{geoAggregation,buckets}') AS buckets,
       (SELECT jsonb_agg(x - 'geoKey') FROM jsonb_array_elements(r #> '{geoAggregation,buckets}') x) AS all_buckets
  FROM iot.device_stats('{"groupBy": {"location": {"precision": 5}}, "options": {"includeGeoBoundsInBuckets": true}}') r,
       LATERAL (SELECT r #> '{geoAggregation,buckets,0}') x(b);
-- a field aggregation on top, a field aggregation inside (sibling groupBy)
SELECT jsonb_pretty(iot.device_stats('{"groupBy": {"interfaces": {"field": "status"}, "groupBy": {"field": "tags"}}}')) AS field_then_field;
-- global filters narrow the devices first (queryString, geoBounds, both)
SELECT iot.device_stats('{"filters": {"queryString": "tags==c"}, "groupBy": {"interfaces": {"field": "status"}}}') AS tag_c,
       iot.device_stats('{"filters": {"geoBounds": {"topLeft": {"lat": 46, "lon": 4}, "bottomRight": {"lat": 45, "lon": 5}}}}') AS lyon_box,
       iot.device_stats('{"filters": {"queryString": "interfaces.status==OFFLINE", "geoBounds": {"topLeft": {"lat": 50.56789, "lon": -1.10101}, "bottomRight": {"lat": 12.34567, "lon": 20.20202}}}}') AS offline_in_box;

------------------------------------------------------------------------------
-- 9.3.4.2: two levels, location then interface status (30 devices)
------------------------------------------------------------------------------
SELECT pg_temp.fleet('stats-2levels') IS NOT NULL;
SELECT sum(pg_temp.add(1, '{}', p.lat, p.lon, 'lora', s)) AS added FROM paris8 p,
       unnest(ARRAY['ACTIVATED', 'ACTIVATED', 'ACTIVATED']) s;                                            -- 24 ACTIVATED
SELECT sum(pg_temp.add(1, '{}', 48.85418222285807, 2.346379179507494, 'lora', s)) AS added
  FROM unnest(ARRAY['DEACTIVATED', 'DEACTIVATED', 'DEACTIVATED', 'DEACTIVATED', 'CONNECTIVITY_ERROR', 'CONNECTIVITY_ERROR']) s;
UPDATE iot.device_interface SET status = 'CONNECTIVITY_ERROR' WHERE tenant_id = iot.current_tenant() AND device_id IN (
    SELECT device_id FROM iot.device_interface WHERE tenant_id = iot.current_tenant() AND status = 'ACTIVATED' ORDER BY device_id LIMIT 2);
SELECT pg_temp.norm(r #- '{geoAggregation,buckets,0,geoKey}') = pg_temp.norm('{"devices": 30, "geoAggregation": {"count": 30, "devices": 30, "buckets": [{
        "geoBounds": {"topLeft": {"lat": 48.85418226476759, "lon": 2.3463791574827945},
                      "bottomRight": {"lat": 48.85418221085362, "lon": 2.3463792633265257}},
        "devices": 30,
        "fieldAggregation": {"count": 30, "devices": 30, "buckets": [{"key": "ACTIVATED", "count": 22, "devices": 22},
            {"key": "CONNECTIVITY_ERROR", "count": 4, "devices": 4}, {"key": "DEACTIVATED", "count": 4, "devices": 4}]}}],
        "geoBounds": {"topLeft": {"lat": 48.85418226476759, "lon": 2.3463791574827945},
                      "bottomRight": {"lat": 48.85418221085362, "lon": 2.3463792633265257}}}}') AS as_manual_but_tie_order,
       abs((r #>> '{geoAggregation,buckets,0,geoKey,lat}')::float8 - 48.85418222285807) < 1e-12 AS geokey_lat,
       abs((r #>> '{geoAggregation,buckets,0,geoKey,lon}')::float8 - 2.346379179507494) < 1e-12 AS geokey_lon
  FROM iot.device_stats('{"groupBy": {"location": {"groupBy": {"interfaces": {"field": "status"}}}}, "options": {"includeGeoBoundsInBuckets": true}}') r;

------------------------------------------------------------------------------
-- 9.3.5.2 lists (T23) and composite fields (T24)
------------------------------------------------------------------------------
SELECT pg_temp.fleet('stats-list') IS NOT NULL;
SELECT pg_temp.add(1, ARRAY['spain', 'v2']) AS added;
SELECT * FROM pg_temp.check('{"groupBy": {"field": "tags"}}',
    '{"devices": 1, "fieldAggregation": {"count": 1, "devices": 1, "buckets": [
        {"key": "spain", "count": 1, "devices": 1}, {"key": "v2", "count": 1, "devices": 1}]}}');
SELECT pg_temp.fleet('stats-composite') IS NOT NULL;
SELECT pg_temp.add(5, '{}', NULL, NULL, 'lora', 'ACTIVATED') AS added;
SELECT pg_temp.add(1, '{}', NULL, NULL, 'lora', 'ACTIVATED') AS added;
INSERT INTO iot.device_interface (tenant_id, device_id, connector, node_id)
SELECT tenant_id, device_id, 'sms', '3360' FROM iot.device_interface WHERE tenant_id = iot.current_tenant() ORDER BY device_id LIMIT 1;
SELECT pg_temp.add(1) AS added;
SELECT * FROM pg_temp.check('{"groupBy": {"compositeField": "connectors"}}',
    '{"devices": 7, "fieldAggregation": {"count": 7, "devices": 7, "buckets": [
        {"key": ["lora"], "count": 5, "devices": 5}, {"key": ["lora", "sms"], "count": 1, "devices": 1},
        {"key": [], "count": 1, "devices": 1}]}}');

------------------------------------------------------------------------------
-- 9.3.6 nested components (T25): one device with two ONLINE interfaces
------------------------------------------------------------------------------
SELECT pg_temp.fleet('stats-nested') IS NOT NULL;
SELECT pg_temp.add(1, '{}', NULL, NULL, 'mqtt', 'ONLINE') AS added;
INSERT INTO iot.device_interface (tenant_id, device_id, connector, node_id, status)
SELECT tenant_id, device_id, 'x-connector', 'n2', 'ONLINE' FROM iot.device_interface WHERE tenant_id = iot.current_tenant();
SELECT * FROM pg_temp.check('{"groupBy": {"interfaces": {"field": "status"}}}',
    '{"devices": 1, "fieldAggregation": {"count": 2, "devices": 1, "buckets": [{"key": "ONLINE", "count": 2, "devices": 1}]}}');

------------------------------------------------------------------------------
-- 9.3.7 global vs nested filters (T26): properties
------------------------------------------------------------------------------
SELECT pg_temp.fleet('stats-properties') IS NOT NULL;
SELECT pg_temp.add(1, properties => '{"prop1": "val1", "prop2": "val2"}') AS added;
SELECT pg_temp.add(1, properties => '{"other": "x"}') AS added;
SELECT * FROM pg_temp.check('{"filters": {"queryString": "properties.k==prop1"}, "groupBy": {"properties": {"field": "value"}}}',
    '{"devices": 1, "fieldAggregation": {"count": 2, "devices": 1, "buckets": [
        {"key": "val1", "count": 1, "devices": 1}, {"key": "val2", "count": 1, "devices": 1}]}}');
-- the manual prints "texttest" for the bucket; the matching property's value is val1
SELECT * FROM pg_temp.check('{"groupBy": {"properties": {"field": "value", "filter": {"key": "prop1"}}}}',
    '{"devices": 2, "fieldAggregation": {"count": 1, "devices": 1, "buckets": [{"key": "val1", "count": 1, "devices": 1}]}}');

------------------------------------------------------------------------------
-- 9.3.7 on a fleet of 10639 devices: property value, interface connector,
-- status and profile filters, with the manual's exact counters
------------------------------------------------------------------------------
SELECT pg_temp.fleet('stats-10639') IS NOT NULL;
-- LoRa: DEACTIVATED 205 interfaces on 202 devices (40 with myProfile),
-- REGISTERED 34/34 (2 with myProfile), REACTIVATED 22/20 (7 with myProfile),
-- ACTIVATED 2/2, INITIALIZED 1/1
SELECT pg_temp.add(40, connector => 'lora', status => 'DEACTIVATED', definition => '{"profile": "myProfile"}') AS added;
SELECT pg_temp.add(162, connector => 'lora', status => 'DEACTIVATED', definition => '{"profile": "Generic_classA"}') AS added;
SELECT pg_temp.add(2, connector => 'lora', status => 'REGISTERED', definition => '{"profile": "myProfile"}') AS added;
SELECT pg_temp.add(32, connector => 'lora', status => 'REGISTERED') AS added;
SELECT pg_temp.add(7, connector => 'lora', status => 'REACTIVATED', definition => '{"profile": "myProfile"}') AS added;
SELECT pg_temp.add(13, connector => 'lora', status => 'REACTIVATED') AS added;
SELECT pg_temp.add(2, connector => 'lora', status => 'ACTIVATED') AS added;
SELECT pg_temp.add(1, connector => 'lora', status => 'INITIALIZED') AS added;
-- second LoRa interfaces: 3 more DEACTIVATED, 2 more REACTIVATED on devices that have one already
INSERT INTO iot.device_interface (tenant_id, device_id, connector, node_id, status)
SELECT tenant_id, device_id, 'lora', 'second-' || device_id, status
  FROM (SELECT *, row_number() OVER (PARTITION BY status ORDER BY device_id) AS k FROM iot.device_interface
         WHERE tenant_id = iot.current_tenant() AND status IN ('DEACTIVATED', 'REACTIVATED') AND definition ->> 'profile' IS DISTINCT FROM 'myProfile') x
 WHERE (status = 'DEACTIVATED' AND k <= 3) OR (status = 'REACTIVATED' AND k <= 2);
-- ONLINE interfaces: sms 57, x-connector 9, mqtt 2; the rest of the fleet offline or without interface
SELECT pg_temp.add(57, connector => 'sms', status => 'ONLINE') AS added;
SELECT pg_temp.add(9, connector => 'x-connector', status => 'ONLINE') AS added;
SELECT pg_temp.add(2, connector => 'mqtt', status => 'ONLINE') AS added;
SELECT pg_temp.add(300, connector => 'sms', status => 'OFFLINE') AS added;
SELECT pg_temp.add(1, properties => '{"111": "val1"}') AS added;
SELECT pg_temp.add(1, properties => '{"test": "val1", "other": "val2"}') AS added;
SELECT pg_temp.add(10639 - (SELECT count(*)::int FROM iot.device WHERE tenant_id = iot.current_tenant())) AS added;
SELECT count(*) AS fleet FROM iot.device WHERE tenant_id = iot.current_tenant();
SELECT * FROM pg_temp.check('{"groupBy": {"properties": {"field": "key", "filter": {"value": "val1"}}}}',
    '{"devices": 10639, "fieldAggregation": {"count": 2, "devices": 2, "buckets": [
        {"key": "111", "count": 1, "devices": 1}, {"key": "test", "count": 1, "devices": 1}]}}');
SELECT * FROM pg_temp.check('{"groupBy": {"interfaces": {"field": "status", "filter": {"connector": "lora"}}}}',
    '{"devices": 10639, "fieldAggregation": {"count": 264, "devices": 259, "buckets": [
        {"key": "DEACTIVATED", "count": 205, "devices": 202}, {"key": "REGISTERED", "count": 34, "devices": 34},
        {"key": "REACTIVATED", "count": 22, "devices": 20}, {"key": "ACTIVATED", "count": 2, "devices": 2},
        {"key": "INITIALIZED", "count": 1, "devices": 1}]}}');
SELECT * FROM pg_temp.check('{"groupBy": {"interfaces": {"field": "connector", "filter": {"status": "ONLINE"}}}}',
    '{"devices": 10639, "fieldAggregation": {"count": 68, "devices": 68, "buckets": [
        {"key": "sms", "count": 57, "devices": 57}, {"key": "x-connector", "count": 9, "devices": 9},
        {"key": "mqtt", "count": 2, "devices": 2}]}}');
SELECT * FROM pg_temp.check('{"groupBy": {"interfaces": {"field": "status", "filter": {"definition": {"profile": "myProfile"}}}}}',
    '{"devices": 10639, "fieldAggregation": {"count": 49, "devices": 49, "buckets": [
        {"key": "DEACTIVATED", "count": 40, "devices": 40}, {"key": "REACTIVATED", "count": 7, "devices": 7},
        {"key": "REGISTERED", "count": 2, "devices": 2}]}}');
-- the same in dot notation, and a list of values in a nested filter
SELECT iot.device_stats('{"groupBy": {"interfaces": {"field": "status", "filter": {"definition.profile": "myProfile"}}}}')
     = iot.device_stats('{"groupBy": {"interfaces": {"field": "status", "filter": {"definition": {"profile": ["myProfile"]}}}}}') AS dot_and_object_filters,
       iot.device_stats('{"groupBy": {"interfaces": {"field": "connector", "filter": {"status": ["ONLINE", "OFFLINE"], "enabled": true}}}}') AS status_list;

------------------------------------------------------------------------------
-- 9.3.7 activity states: 40 devices, states filter and rule filter
------------------------------------------------------------------------------
SELECT pg_temp.fleet('stats-activity') IS NOT NULL;
SELECT pg_temp.add(40) AS added;
WITH d AS (SELECT id, row_number() OVER (ORDER BY id) AS k FROM iot.device WHERE tenant_id = iot.current_tenant())
UPDATE iot.device x SET activities = (
    SELECT jsonb_agg(s) FROM (
        SELECT jsonb_build_object('rule', jsonb_build_object('id', 'myRuleId', 'tags', '[]'::jsonb), 'state',
                                  CASE WHEN d.k <= 31 THEN 'SILENT' ELSE 'UNKNOWN' END) AS s
        UNION ALL SELECT jsonb_build_object('rule', jsonb_build_object('id', 'r2'), 'state', 'SILENT') WHERE d.k <= 11
        UNION ALL SELECT jsonb_build_object('rule', jsonb_build_object('id', 'r2'), 'state', 'UNKNOWN') WHERE d.k IN (32, 33)
        UNION ALL SELECT jsonb_build_object('rule', jsonb_build_object('id', 'r3'), 'state', 'ACTIVE') WHERE d.k <= 5) z)
  FROM d WHERE x.tenant_id = iot.current_tenant() AND x.id = d.id;
SELECT * FROM pg_temp.check('{"groupBy": {"activityStates": {"field": "state", "filter": {"states": ["SILENT", "UNKNOWN"]}}}}',
    '{"devices": 40, "fieldAggregation": {"count": 53, "devices": 40, "buckets": [
        {"key": "SILENT", "count": 42, "devices": 31}, {"key": "UNKNOWN", "count": 11, "devices": 9}]}}');
SELECT * FROM pg_temp.check('{"groupBy": {"activityStates": {"field": "rule.id", "filter": {"rule": {"id": "myRuleId"}}}}}',
    '{"devices": 40, "fieldAggregation": {"count": 40, "devices": 40, "buckets": [{"key": "myRuleId", "count": 40, "devices": 40}]}}');
-- object notation for the field; without a filter every state counts
SELECT iot.device_stats('{"groupBy": {"activityStates": {"rule": {"field": "id"}}}}') AS by_rule,
       iot.device_stats('{"groupBy": {"activityStates": {"field": "state"}}}') AS by_state,
       iot.device_stats('{"groupBy": {"field": "aggregatedActivityState"}, "options": {"includeMissingDevicesCount": true}}') AS aggregated;

------------------------------------------------------------------------------
-- 9.3.8 geolocation (T27): 8 devices around Paris, 2 in Bordeaux, precision 3
------------------------------------------------------------------------------
SELECT pg_temp.fleet('stats-geo') IS NOT NULL;
SELECT sum(pg_temp.add(1, '{}', p.lat, p.lon)) AS added FROM paris8 p;
SELECT pg_temp.add(2, '{}', 44.840204967185855, -0.560115147382021) AS added;
SELECT pg_temp.norm(r #- '{geoAggregation,buckets,0,geoKey}') = pg_temp.norm('{"devices": 10, "geoAggregation": {"count": 10, "devices": 10, "buckets": [
        {"geoBounds": {"topLeft": {"lat": 48.85418226476759, "lon": 2.3463791574827945},
                       "bottomRight": {"lat": 48.85418221085362, "lon": 2.3463792633265257}}, "devices": 8},
        {"geoKey": {"lat": 44.840204967185855, "lon": -0.560115147382021},
         "geoBounds": {"topLeft": {"lat": 44.840204967185855, "lon": -0.560115147382021},
                       "bottomRight": {"lat": 44.840204967185855, "lon": -0.560115147382021}}, "devices": 2}],
        "geoBounds": {"topLeft": {"lat": 48.85418226476759, "lon": -0.560115147382021},
                      "bottomRight": {"lat": 44.840204967185855, "lon": 2.3463792633265257}}}}') AS as_manual,
       abs((r #>> '{geoAggregation,buckets,0,geoKey,lat}')::float8 - 48.85418222285807) < 1e-12 AS geokey_lat,
       abs((r #>> '{geoAggregation,buckets,0,geoKey,lon}')::float8 - 2.346379179507494) < 1e-12 AS geokey_lon
  FROM iot.device_stats('{"groupBy": {"location": {"precision": 3}}, "options": {"includeGeoBoundsInBuckets": true}}') r;
-- centroid always, bucket bounds only on request; default precision 5;
-- the two clusters fall in different cells at every precision
SELECT p, jsonb_array_length(iot.device_stats(jsonb_build_object('groupBy', jsonb_build_object('location', jsonb_build_object('precision', p))))
                             #> '{geoAggregation,buckets}') AS buckets
  FROM generate_series(1, 12) p;
SELECT iot.device_stats('{"groupBy": {"location": {}}}') #> '{geoAggregation,buckets,1}' AS default_precision_no_bounds;
-- the grid agrees with a GROUP BY over PostGIS ST_GeoHash
SELECT p, (SELECT jsonb_agg(x -> 'devices' ORDER BY x -> 'devices' DESC) FROM jsonb_array_elements(
              iot.device_stats(jsonb_build_object('groupBy', jsonb_build_object('location', jsonb_build_object('precision', p))))
              #> '{geoAggregation,buckets}') x)
        = (SELECT jsonb_agg(n ORDER BY n DESC) FROM (SELECT count(*) AS n FROM iot.device d WHERE tenant_id = iot.current_tenant()
                                                     GROUP BY ST_GeoHash(d.static_location::geometry, p)) g) AS same_as_st_geohash
  FROM generate_series(1, 12) p;

-- at most 50 cells, most devices first, the total with includeTotalKeys
SELECT sum(pg_temp.add(1 + (k % 3), '{}', 10 + k, 20 + k)) AS added FROM generate_series(1, 60) k;
SELECT jsonb_array_length(r #> '{geoAggregation,buckets}') AS buckets, r #> '{geoAggregation,keys}' AS keys,
       r #> '{geoAggregation,buckets,0,devices}' AS first, r #> '{geoAggregation,buckets,49,devices}' AS last,
       r #> '{geoAggregation,geoBounds}' AS bounds_of_all
  FROM iot.device_stats('{"groupBy": {"location": {"precision": 3}}, "options": {"includeTotalKeys": true}}') r;

------------------------------------------------------------------------------
-- 9.3.9 options: total buckets (1000 devices, 120 tags), missing devices
------------------------------------------------------------------------------
SELECT pg_temp.fleet('stats-keys') IS NOT NULL;
SELECT sum(pg_temp.add(1, ARRAY['tag' || lpad((k % 120)::text, 3, '0')])) AS added FROM generate_series(1, 1000) k;
SELECT r -> 'devices' AS devices, r #> '{fieldAggregation,count}' AS count, r #> '{fieldAggregation,devices}' AS agg_devices,
       jsonb_array_length(r #> '{fieldAggregation,buckets}') AS buckets, r #> '{fieldAggregation,keys}' AS keys,
       r #> '{fieldAggregation,buckets,0}' AS first, r #> '{fieldAggregation,buckets,49}' AS last
  FROM iot.device_stats('{"groupBy": {"field": "tags"}, "options": {"includeTotalKeys": true}}') r;
SELECT pg_temp.fleet('stats-missing') IS NOT NULL;
SELECT pg_temp.add(5, ARRAY['spain']) AS added;
SELECT pg_temp.add(1) AS added;
SELECT * FROM pg_temp.check('{"groupBy": {"field": "tags"}, "options": {"includeMissingDevicesCount": true}}',
    '{"devices": 6, "fieldAggregation": {"count": 6, "devices": 6, "buckets": [{"key": "spain", "count": 5, "devices": 5}], "missing": 1}}');
SELECT pg_temp.fleet('stats-profiles') IS NOT NULL;
-- 10 devices, 6 with interfaces (8 interfaces), 4 LoRa with the profile
SELECT pg_temp.add(4, connector => 'lora', status => 'ACTIVATED', definition => '{"profile": "Generic_classA_RX2SF12"}') AS added;
SELECT pg_temp.add(2, connector => 'sms', status => 'ONLINE') AS added;
INSERT INTO iot.device_interface (tenant_id, device_id, connector, node_id, status)
SELECT tenant_id, device_id, 'mqtt', 'm-' || device_id, 'ONLINE' FROM iot.device_interface
 WHERE tenant_id = iot.current_tenant() AND connector = 'sms';
SELECT pg_temp.add(4) AS added;
SELECT * FROM pg_temp.check('{"groupBy": {"interfaces": {"definition": {"field": "profile"}}}, "options": {"includeMissingDevicesCount": true}}',
    '{"devices": 10, "fieldAggregation": {"count": 8, "devices": 6, "buckets": [{"key": "Generic_classA_RX2SF12", "count": 4, "devices": 4}], "missing": 2}}');
-- other nested keys are never missing
SELECT iot.device_stats('{"groupBy": {"interfaces": {"field": "connector"}}, "options": {"includeMissingDevicesCount": true, "includeTotalKeys": true}}') AS connectors;
-- fields that may be absent: description, group.path, LoRa label
UPDATE iot.device SET description = 'sensor', lora_lost_ratio = 0.15 WHERE tenant_id = iot.current_tenant() AND id IN (
    SELECT device_id FROM iot.device_interface WHERE tenant_id = iot.current_tenant() AND connector = 'lora');
SELECT iot.device_stats('{"groupBy": {"field": "description"}, "options": {"includeMissingDevicesCount": true}}') AS description,
       iot.device_stats('{"groupBy": {"field": "group.path"}, "options": {"includeMissingDevicesCount": true}}') AS group_path,
       iot.device_stats('{"groupBy": {"field": "network.lora.lostMessagesRangeLabel"}, "options": {"includeMissingDevicesCount": true, "includeTotalKeys": true}}') AS lora_label;
-- a geolocation aggregation counts devices without a location as missing
SELECT iot.device_stats('{"groupBy": {"location": {"precision": 2}}, "options": {"includeMissingDevicesCount": true, "includeTotalKeys": true}}') AS no_locations;

------------------------------------------------------------------------------
-- refused requests (22023)
------------------------------------------------------------------------------
SELECT r AS request, test.try(format('SELECT iot.device_stats(%L)', r)) AS error
  FROM (VALUES ('{"groupBy": {"location": {"precision": 13}}}'), ('{"groupBy": {"location": {"precision": 0}}}'),
               ('{"groupBy": {"location": {"precision": "5"}}}'), ('{"groupBy": {"location": {"precision": 2.5}}}'),
               ('{"groupBy": {"location": {"size": 5}}}'), ('{"groupBy": {"field": "name"}}'), ('{"groupBy": {"field": 5}}'),
               ('{"groupBy": {"compositeField": "tags"}}'), ('{"groupBy": {"interfaces": {"field": "nodeId"}}}'),
               ('{"groupBy": {"interfaces": {}}}'), ('{"groupBy": {"interfaces": "status"}}'),
               ('{"groupBy": {"interfaces": {"field": "status", "filter": {"colour": "red"}}}}'),
               ('{"groupBy": {"interfaces": {"field": "status", "filter": {"connector": 5}}}}'),
               ('{"groupBy": {"interfaces": {"field": "status", "filter": "lora"}}}'),
               ('{"groupBy": {"activityStates": {"field": "timestamp"}}}'), ('{"groupBy": {"properties": {"field": "k"}}}'),
               ('{"groupBy": {"field": "tags", "compositeField": "connectors"}}'), ('{"groupBy": {}}'), ('{"groupBy": {"tags": "x"}}'),
               ('{"groupBy": {"field": "tags", "groupBy": {"location": {}}}}'),
               ('{"groupBy": {"field": "tags", "groupBy": {"field": "tags", "groupBy": {"field": "tags"}}}}'),
               ('{"groupBy": {"location": {"groupBy": {"field": "tags", "groupBy": {"field": "description"}}}}}'),
               ('{"options": {"includeTotalKeys": "yes"}}'), ('{"options": {"pageSize": 5}}'), ('{"options": []}'),
               ('{"filters": {"queryString": "groupPath==/"}}'), ('{"filter": {}}'), ('[]')) v(r);
