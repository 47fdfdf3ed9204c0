-- The Live Objects operators with the manual's examples (17.2.4; digest
-- T12-T17), contexts and geozones from their repositories through ctx,
-- and the matching and state test calls.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2100-01-15 10:00:00+00';
SELECT iot.tenant_create('rules-ops-t') IS NOT NULL;
SELECT iot.use_tenant('rules-ops-t') IS NOT NULL;

-- context repository (17.2.1)
SELECT iot.context_put('freezingThreshold', '{"contextData": 0}');
SELECT iot.context_put('liquidThreshold', '{"contextData": 100, "tags": ["threshold"]}') ->> 'contextData' AS liquid;
SELECT iot.context_put('2geopoints', '{"contextData": [48.800206, 2.296565, 48.800474, 2.295562]}') -> 'contextData';
SELECT iot.context_put('zone-nord', '{"contextData": ["zone-grandparis", "zone-grandorleans"]}') -> 'contextData';
SELECT iot.context_put('zone-grandparis', '{"contextData": [[[2.381121,48.627973],[2.129376,48.629499],[2.099351,48.768217],[2.116302,48.955198],[2.317994,48.927845],[2.455176,48.913357],[2.489472,48.841933],[2.392301,48.762871],[2.381121,48.627973]]]}') IS NOT NULL;
-- zone-grandorleans is a geozone: geozones are part of the context
SELECT iot.geozone_put('zone-grandorleans', '{"description": "my geozone grand Orleans",
    "geometry": {"type": "Polygon", "coordinates": [[[1.780892, 48.091452], [2.301382, 48.000565],
                 [2.281961, 47.509630], [1.252634, 47.729556], [1.780892, 48.091452]]]},
    "tags": ["zone-nord"]}');
SELECT iot.contexts(ARRAY['threshold']) ->> 'contextKey' AS tagged;
SELECT count(*) AS contexts FROM iot.contexts();

-- T12 ctx: thresholds
CREATE TEMP TABLE t12 AS SELECT '{"if": [
    {"<": [{"var":"value.temp"}, {"ctx": "freezingThreshold"}]}, "ice",
    {"<": [{"ctx": "freezingThreshold"}, {"var":"value.temp"}, {"ctx": "liquidThreshold"}]}, "liquid",
    "gas"]}'::jsonb AS rule;
SELECT temp, iot.jsonlogic_apply(rule, jsonb_build_object('value', jsonb_build_object('temp', temp))) AS phase
  FROM t12, unnest(ARRAY[55, -3, 120, 0, 100, -1]) temp;
-- ctx with key arrays, nested ctx (groups of contexts), unknown keys
SELECT iot.jsonlogic_apply('{"ctx": "nope"}') AS unknown,
       iot.jsonlogic_apply('{"ctx": [["freezingThreshold", "liquidThreshold"]]}') AS key_array,
       iot.jsonlogic_apply('{"ctx": ["freezingThreshold", ["nope", "liquidThreshold"]]}') AS flattened,
       jsonb_array_length(iot.jsonlogic_apply('{"ctx": {"ctx": "zone-nord"}}')) AS zone_group;

-- T15 distance: latitude first (decision 13), metres
SELECT iot.jsonlogic_apply('{">": [{"distance": [{"var": "location.lat"}, {"var": "location.lon"}, 48.800206, 2.296565]}, 6000]}',
                           '{"location": {"lon": 2.2945, "lat": 48.8584}}') AS eiffel_far,
       iot.jsonlogic_apply('{"distance": [{"get": [{"ctx": "2geopoints"}, 0]}, {"get": [{"ctx": "2geopoints"}, 1]},
                                          {"get": [{"ctx": "2geopoints"}, 2]}, {"get": [{"ctx": "2geopoints"}, 3]}]}', '{}') AS two_points;

-- get (out of range and negative: null; objects by key)
SELECT iot.jsonlogic_apply('{"get": [[10, 20], 1]}') AS second, iot.jsonlogic_apply('{"get": [[10, 20], 2]}') AS past_end,
       iot.jsonlogic_apply('{"get": [[10, 20], -1]}') AS negative, iot.jsonlogic_apply('{"get": [{"var": "o"}, "a"]}', '{"o": {"a": 1}}') AS member;

-- T13 inside
SELECT iot.jsonlogic_apply('{"inside": [{"var": "location.lon"}, {"var": "location.lat"},
    [[[2.381121,48.627973],[2.129376,48.629499],[2.099351,48.768217],[2.116302,48.955198],[2.317994,48.927845],
      [2.455176,48.913357],[2.489472,48.841933],[2.392301,48.762871],[2.381121,48.627973]]]]}',
    '{"location": {"lon": 2.350350, "lat": 48.854064}}') AS paris_inside;
-- T13 insideindex + get + filter with a bare string (decision 14)
CREATE TEMP TABLE t13 AS SELECT '{"get": [
    {"ctx": {"get": [{"filter": [{"var": "tags"}, "zone"]}, 0]}},
    {"insideindex": [{"var": "location.lon"}, {"var": "location.lat"},
                     {"ctx": {"ctx": {"get": [{"filter": [{"var": "tags"}, "zone"]}, 0]}}}]}]}'::jsonb AS rule;
SELECT lon, lat, iot.jsonlogic_apply(rule, jsonb_build_object('location', jsonb_build_object('lon', lon, 'lat', lat),
                                     'tags', '["otherTag2", "zone-nord", "otherTag1"]'::jsonb)) AS zone
  FROM t13, (VALUES (2.350350, 48.854064), (1.9, 47.8), (0, 0)) p(lon, lat);

-- T14 closeto (the degenerate 2-point ring is an edge) and closetoindex
CREATE TEMP TABLE t14 AS SELECT '{"closeto": [{"var": "location.lon"}, {"var": "location.lat"}, {"var": "location.accuracy"}, [
    [[[1.780892,48.091452],[2.301382,48.000565],[2.281961,47.509630],[1.252634,47.729556],[1.780892,48.091452]]],
    [[[2.281961,47.509630],[1.252634,47.729556]]],
    [[[2.22412,48.85863],[2.25219,48.88143],[2.28404,48.8785],[2.26816,48.86721],[2.2588,48.84913],[2.22859,48.85004],[2.22412,48.85863]]]]]}'::jsonb AS rule;
SELECT lon, lat, accuracy, iot.jsonlogic_apply(rule, jsonb_build_object('location',
           jsonb_build_object('lon', lon, 'lat', lat, 'accuracy', accuracy))) AS close
  FROM t14, (VALUES (2.263849, 48.855983, 100), (2.263849, 48.855983, 200),
                    (2.260265350341797, 48.85693640789798, 0)) p(lon, lat, accuracy);
SELECT iot.jsonlogic_apply('{"closetoindex": [{"var": "location.lon"}, {"var": "location.lat"}, {"var": "location.accuracy"}, [
    [[[1.780892, 48.091452], [2.301382, 48.000565], [2.281961, 47.509630], [1.252634, 47.729556], [1.780892, 48.091452]]],
    [[[2.224120, 48.858630], [2.252190, 48.881430], [2.284040, 48.878500], [2.268160, 48.867210], [2.258800, 48.849130], [2.228590, 48.850040], [2.224120, 48.858630]]]]]}',
    '{"location": {"lon": 2.263849, "lat": 48.855983, "accuracy": 500}}') AS closetoindex;
-- a GeoJSON geometry is accepted too, holes excluded
SELECT iot.jsonlogic_apply('{"inside": [5, 5, {"type": "Polygon", "coordinates": [[[0,0],[10,0],[10,10],[0,10],[0,0]], [[4,4],[6,4],[6,6],[4,6],[4,4]]]}]}') AS in_hole,
       iot.jsonlogic_apply('{"inside": [1, 1, {"type": "Polygon", "coordinates": [[[0,0],[10,0],[10,10],[0,10],[0,0]], [[4,4],[6,4],[6,6],[4,6],[4,4]]]}]}') AS in_ring,
       iot.jsonlogic_apply('{"inside": [10, 5, [[[0,0],[10,0],[10,10],[0,10],[0,0]]]]}') AS on_edge;

-- the engine's inside agrees with PostGIS on geozones
SELECT lon, lat, iot.jsonlogic_apply('{"inside": [{"var": "lon"}, {"var": "lat"}, {"ctx": "zone-grandorleans"}]}',
                                     jsonb_build_object('lon', lon, 'lat', lat)) AS engine,
       'zone-grandorleans' IN (SELECT iot.geozones_at(lon, lat)) AS postgis
  FROM (VALUES (1.9, 47.8), (1.5, 47.8), (2.25, 47.6), (2.3, 48.05), (2.0, 48.09), (1.3, 47.7), (2.29, 47.55), (2.35, 48.85)) p(lon, lat);

-- T16 time operators (UTC, JavaScript Date)
SELECT iot.jsonlogic_apply('{"get_utc_hours": ["2018-02-15T13:01:37.290Z"]}') AS hours,
       iot.jsonlogic_apply('{"get_utc_minutes": ["2018-02-15T13:01:37.290Z"]}') AS minutes,
       iot.jsonlogic_apply('{"get_utc_day": ["2018-02-15T13:01:37.290Z"]}') AS day,
       iot.jsonlogic_apply('{"get_utc_date": ["2018-02-15T13:01:37.290Z"]}') AS date,
       iot.jsonlogic_apply('{"get_time": ["2018-01-15T13:00:37.290Z"]}') AS time;
SELECT iot.jsonlogic_apply('{"get_utc_hours": ["2018-02-15"]}') AS date_only,
       iot.jsonlogic_apply('{"get_utc_hours": ["2018-02-15T13:01:37+02:00"]}') AS offset,
       iot.jsonlogic_apply('{"get_utc_day": [1516021237290]}') AS from_ms,
       iot.jsonlogic_apply('{"get_utc_hours": ["not a date"]}') AS invalid,
       iot.jsonlogic_apply('{"get_utc_hours": [null]}') AS null_date;
SELECT iot.jsonlogic_apply('{"now_utc": []}') AS now_utc,
       iot.jsonlogic_apply('{"<=": [0, {"get_utc_hours": [{"now_utc": []}]}, 12]}') AS morning_at_10;
SET pgiot.now = '2100-01-15 13:00:00+00';
SELECT iot.jsonlogic_apply('{"<=": [0, {"get_utc_hours": [{"now_utc": []}]}, 12]}') AS morning_at_13;

-- T17 a computed var path
SELECT model, v, iot.jsonlogic_apply('{">": [{"var": {"cat": ["value.", {"if": [
        {"in": [{"var": "model"}, "v0"]}, "temp", {"in": [{"var": "model"}, "v1"]}, "temperature", "t"]}]}}, 100]}',
        jsonb_build_object('model', model, 'value', v)) AS hot
  FROM (VALUES ('v0', '{"temp": 101}'::jsonb), ('v1', '{"temperature": 101}'), ('x', '{"t": 50}'), ('v0', '{"temp": 100}')) p(model, v);

-- currentstate: the hysteresis example (quirk at exactly 80 included)
SELECT current, temp, iot.jsonlogic_apply('{"if": [
        {"and": [{"!==": [{"currentstate": []}, "hot"]}, {"<": [80, {"var": "value.temp"}, 100]}]}, "normal",
        {"<": [{"var": "value.temp"}, 0]}, "cold", {"<": [{"var": "value.temp"}, 80]}, "normal", "hot"]}',
        jsonb_build_object('value', jsonb_build_object('temp', temp)), to_jsonb(current)) AS state
  FROM (VALUES (NULL, 20.0), ('hot', 90), ('normal', 90), ('normal', 80), ('hot', 70), ('normal', 100)) p(current, temp);

-- the test calls of the manual
SELECT iot.matching_rule_test('{"data": {"value": {"temp": 105}, "location": {"lat": 37.773972, "lon": -122.431297}},
    "dataPredicate": {"and": [{">": [{"distance": [{"var": "location.lat"}, {"var": "location.lon"}, 48.800206, 2.296565]}, 6000]},
                              {">": [{"var": "value.temp"}, 99]}]}}');
SELECT iot.matching_rule_test('{"data": {"value": {}}, "dataPredicate": {"bogus": 1}}');
SELECT iot.matching_rule_test('{"data": 3, "dataPredicate": {"var": "x"}}');
SELECT iot.state_rule_test('{"currentState": {}, "data": {"value": {"temp": 200}},
    "stateProcessingFunction": {"if": [{"<": [{"var": "value.temp"}, 0]}, "cold", {"<=": [{"var": "value.temp"}, 100]}, "normal", "hot"]}}');
SELECT iot.state_rule_test('{"currentState": "hot", "data": {"value": {"temp": 90}},
    "stateProcessingFunction": {"if": [{"===": [{"currentstate": []}, "hot"]}, "still hot", "other"]}}') -> 'stateFunctionResult' AS with_state;

-- repositories: errors and deletion
SELECT test.try($$SELECT iot.context_put('k', '{"tags": []}')$$);
SELECT test.try($$SELECT iot.context_put('', '{"contextData": 1}')$$);
SELECT test.try($$SELECT iot.geozone_put('open', '{"geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1]]]}}')$$);
SELECT test.try($$SELECT iot.geozone_put('short', '{"geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[0,0]]]}}')$$);
SELECT test.try($$SELECT iot.geozone_put('bowtie', '{"geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,1],[1,0],[0,1],[0,0]]]}}')$$);
SELECT test.try($$SELECT iot.geozone_put('point', '{"geometry": {"type": "Point", "coordinates": [0, 0]}}')$$);
SELECT test.try($$SELECT iot.geozone_put('far', '{"geometry": {"type": "Polygon", "coordinates": [[[0,0],[200,0],[1,1],[0,0]]]}}')$$);
SELECT iot.geozone_get('zone-grandorleans') -> 'geometry' ->> 'type' AS geozone, iot.geozones_at(1.9, 47.8) AS covering;
SELECT iot.context_delete('zone-grandparis');
SELECT test.try($$SELECT iot.context_delete('zone-grandparis')$$);
SELECT jsonb_array_length(iot.jsonlogic_apply('{"ctx": {"ctx": "zone-nord"}}')) AS zones, iot.jsonlogic_apply('{"ctx": {"ctx": "zone-nord"}}') -> 0 AS deleted_one;
SELECT iot.geozone_delete('zone-grandorleans');
SELECT iot.jsonlogic_apply('{"ctx": "zone-grandorleans"}') AS gone;
-- another tenant sees none of these
SELECT iot.tenant_create('rules-ops-other') IS NOT NULL;
SELECT iot.use_tenant('rules-ops-other') IS NOT NULL;
SELECT iot.jsonlogic_apply('{"ctx": "liquidThreshold"}') AS other_tenant, count(*) AS contexts FROM iot.contexts();
RESET iot.tenant;
SELECT iot.jsonlogic_apply('{"ctx": "liquidThreshold"}') AS no_tenant;
