-- The three worked use cases of the manual (17.4), end to end: messages
-- in, the exact events out, evaluated by the rules worker.  Digest 6.1-6.3,
-- T19, T20, T23, T24, T25.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2100-06-01 00:00:00+00';

CREATE FUNCTION pg_temp.settle() RETURNS boolean LANGUAGE sql AS $$
    SELECT test.wait_for(format('SELECT NOT EXISTS (SELECT FROM iot.rule_queue WHERE tenant_id = %L)',
                                iot.current_tenant()))
$$;
CREATE FUNCTION pg_temp.mark() RETURNS bigint LANGUAGE sql AS $$ SELECT coalesce(max(id), 0) FROM iot.event $$;
-- every event of the tenant after `after`, summarized
CREATE FUNCTION pg_temp.events(after bigint) RETURNS TABLE (type text, rule text, key text, event text)
    LANGUAGE sql AS $$
    SELECT e.type,
           coalesce(e.payload -> 'firingRule' ->> 'name', e.payload -> 'stateProcessingRule' ->> 'name'),
           coalesce(e.payload -> 'matchingContext' -> 'data' ->> 'streamId', e.payload ->> 'stateKey'),
           CASE e.type WHEN 'matchingFired' THEN format('%s matched at %s: %s', e.payload -> 'matchingContext' -> 'matchingRule' ->> 'name',
                                                        e.payload ->> 'timestamp', e.payload -> 'matchingContext' -> 'data' -> 'value')
                       ELSE format('%s -> %s at %s', e.payload -> 'previousState', e.payload -> 'newState', e.payload ->> 'timestamp') END
      FROM iot.event e WHERE e.tenant_id = iot.current_tenant() AND e.id > after ORDER BY e.id
$$;

------------------------------------------------------------------------------
-- Use case 1: motion detection during the night (SEP, SLEEP PT2M)
------------------------------------------------------------------------------
SELECT iot.tenant_create('rules-uc1') IS NOT NULL;
SELECT iot.use_tenant('rules-uc1') IS NOT NULL;
SELECT iot.matching_rule_create('{"id": "0c100000-0000-0000-0000-000000000001", "name": "matching rule with time condition",
    "enabled": true, "dataPredicate": {"and": [
        {"==": [{"var": "value.motionSensorDetection"}, 1]},
        {"or": [{">=": [{"get_utc_hours": [{"var": "timestamp"}]}, 20]},
                {"<": [{"get_utc_hours": [{"var": "timestamp"}]}, 6]}]}]}}') ->> 'name';
SELECT iot.firing_rule_create('{"id": "0c100000-0000-0000-0000-000000000002", "name": "firing rule with sleep mode to avoid flooding",
    "enabled": true, "matchingRuleIds": ["0c100000-0000-0000-0000-000000000001"],
    "aggregationKeys": ["metadata.source"], "firingType": "SLEEP", "sleepDuration": "PT2M"}') ->> 'name';
-- detections published over MQTT (the payload of 17.4.1) at these processing times
CREATE FUNCTION pg_temp.motion(client text, ts text) RETURNS boolean LANGUAGE sql AS $$
    SELECT iot.ingest(jsonb_build_object('location', '{"provider": "gps", "lon": 2.99616, "lat": 50.21142}'::jsonb,
        'model', 'demoDevGuide', 'value', '{"motionSensorDetection": 1, "type": "alert", "typeId": 4, "version": "1.2.4"}'::jsonb,
        'timestamp', ts, 'tags', '["last_version", "areaSouth"]'::jsonb), connector => 'mqtt', node_id => client) IS NOT NULL
$$;
SELECT pg_temp.mark() AS uc1 \gset
SELECT pg_temp.motion('1234qfre', '2019-09-06T23:58:10.953Z');     -- night: SMS
SET pgiot.now = '2100-06-01 00:00:10+00';
SELECT pg_temp.motion('1234qfre', '2019-09-06T23:58:20.953Z');     -- 10 s later: asleep
SET pgiot.now = '2100-06-01 00:00:20+00';
SELECT pg_temp.motion('5678abcd', '2019-09-06T23:58:30.953Z');     -- another sensor: SMS
SET pgiot.now = '2100-06-01 00:02:10+00';
SELECT pg_temp.motion('1234qfre', '2019-09-07T00:00:20.953Z');     -- 2 min after the first: SMS
SET pgiot.now = '2100-06-01 01:00:00+00';
SELECT pg_temp.motion('1234qfre', '2019-09-06T08:58:10.953Z');     -- daytime: no match
SELECT pg_temp.motion('aaaa0001', '2019-09-06T20:00:00.000Z');     -- 20h: match
SELECT pg_temp.motion('aaaa0002', '2019-09-07T05:59:59.999Z');     -- before 6h: match
SELECT pg_temp.motion('aaaa0003', '2019-09-07T06:00:00.000Z');     -- 6h: no match
SELECT pg_temp.settle();
-- the events, and the SMS the manual's action policy renders from them
SELECT type, rule, event FROM pg_temp.events(:uc1);
SELECT format('Motion detection! Sensor: %s at %s', payload #>> '{matchingContext,data,metadata,network,mqtt,clientId}',
              payload #>> '{matchingContext,data,timestamp}') AS sms
  FROM iot.event WHERE tenant_id = iot.current_tenant() ORDER BY id;

------------------------------------------------------------------------------
-- Use case 2: geozone supervision of a tracker (SP, geozones, contexts)
------------------------------------------------------------------------------
SELECT iot.tenant_create('rules-uc2') IS NOT NULL;
SELECT iot.use_tenant('rules-uc2') IS NOT NULL;
SET pgiot.now = '2100-06-02 00:00:00+00';
SELECT iot.geozone_put('san-francisco', '{"description": "San Francisco zone", "geometry": {"coordinates": [[
    [-123.019952, 38.358596],[-120.954523, 38.306889],[-121.789484, 37.124990],[-123.019952, 38.358596]]],
    "type": "Polygon"}, "tags": ["SF-area", "shipment"]}') ->> 'geozoneId';
SELECT iot.geozone_put('los-angeles', '{"description": "Los Angeles zone", "geometry": {"coordinates": [[
    [-118.909873, 34.238622],[-117.747086, 34.346562],[-117.551111, 33.620728],[-118.269687, 33.533648],[-118.909873, 34.238622]]],
    "type": "Polygon"}, "tags": ["LA-area", "delivery"]}') ->> 'geozoneId';
SELECT iot.geozone_put('transportation1', '{"description": "Transportation zone Highway 101", "geometry": {"coordinates": [[
    [-122.05261237, 37.561997],[-118.154639, 34.059617],[-119.203276, 34.102708],[-122.641996, 37.440666],[-122.05261237, 37.561997]]],
    "type": "Polygon"}, "tags": ["transportation"]}') ->> 'geozoneId';
SELECT iot.geozone_put('transportation2', '{"description": "Transportation zone Route 5", "geometry": {"coordinates": [[
    [-121.3220217, 37.8705177],[-118.027739, 34.309766],[-118.377685, 33.679366],[-121.662597, 37.714244],[-121.3220217, 37.8705177]]],
    "type": "Polygon"}, "tags": ["transportation"]}') ->> 'geozoneId';
SELECT iot.context_put('transportation', '{"contextData": ["transportation1","transportation2"], "tags": ["transportation","zone","california"]}') ->> 'contextKey';
SELECT iot.context_put('device-group', '{"contextData": ["urn:lo:nsid:lora:0020B20000000101"], "tags": ["device","truck"]}') ->> 'contextKey';
SELECT iot.context_put('shipment', '{"contextData": "san-francisco", "tags": ["geozone"]}') ->> 'contextKey';
SELECT iot.context_put('delivery', '{"contextData": "los-angeles", "tags": ["geozone"]}') ->> 'contextKey';
CREATE TEMP TABLE geo_function AS SELECT '{"if": [
    {"inside": [{"var": "location.lon"}, {"var": "location.lat"}, {"ctx": {"ctx": "shipment"}}]}, "shipment_zone",
    {"inside": [{"var": "location.lon"}, {"var": "location.lat"}, {"ctx": {"ctx": ["transportation"]}}]}, "transportation_zone",
    {"inside": [{"var": "location.lon"}, {"var": "location.lat"}, {"ctx": {"ctx": "delivery"}}]}, "delivery_zone",
    "unknown_zone"]}'::jsonb AS fn;
SELECT iot.state_rule_create(jsonb_build_object('id', '78063026-51e2-4c3e-aaf5-99efc4ee0255', 'name', 'geo tracking',
    'enabled', true, 'stateFunction', fn, 'stateKeyPath', 'metadata.source',
    'filterPredicate', '{"in": [{"var": "metadata.source"}, {"ctx": "device-group"}]}'::jsonb)) ->> 'name'
  FROM geo_function;
-- the tracker posts to /streams (HTTP) with its metadata.source
CREATE FUNCTION pg_temp.track(source text, lon float8, lat float8, tags text[]) RETURNS boolean LANGUAGE sql AS $$
    SELECT iot.ingest(jsonb_build_object('metadata', jsonb_build_object('connector', 'http', 'source', source),
        'location', jsonb_build_object('provider', 'lora', 'accuracy', 10, 'lon', lon, 'lat', lat),
        'model', 'lora_v0', 'value', '{"payload": "ae2109000cf3"}'::jsonb,
        'timestamp', '2017-07-26T08:32:44.034Z', 'tags', to_jsonb(tags))) IS NOT NULL
$$;
-- the test call first (T23)
SELECT iot.state_rule_test(jsonb_build_object('currentState', '{}'::jsonb, 'stateProcessingFunction', fn,
    'data', '{"metadata": {"connector": "http", "source": "urn:lo:nsid:lora:0020B20000000101"},
              "streamId": "urn:lo:nsid:lora:0020B20000000101",
              "location": {"provider": "lora", "accuracy": 10, "lon": -122.169846, "lat": 37.602902},
              "model": "lora_v0", "value": {"payload": "ae2109000cf3"}, "timestamp": "2017-07-26T08:32:44.034Z",
              "tags": ["San Francisco", "Tracker"]}'::jsonb)) AS test_call
  FROM geo_function;
SELECT pg_temp.mark() AS uc2 \gset
SELECT pg_temp.track('urn:lo:nsid:lora:0020B20000000101', -122.169846, 37.602902, '{San Francisco,Tracker}');
SELECT pg_temp.track('urn:lo:nsid:lora:0020B20000000101', -121.562765, 36.969311, '{Highway 101,Tracker}');
SELECT pg_temp.track('urn:lo:nsid:lora:0020B20000000101', -118.154555, 33.881571, '{Los Angeles,Tracker}');
SELECT pg_temp.track('urn:lo:nsid:lora:0020B20000000101', -118.154555, 33.881571, '{Los Angeles,Tracker}');  -- same zone
SELECT pg_temp.track('urn:lo:nsid:lora:FFFF', -121.562765, 36.969311, '{Highway 101,Tracker}');  -- not in device-group
SELECT pg_temp.settle();
SELECT type, rule, key, event FROM pg_temp.events(:uc2);
-- the third event whole (the manual prints it)
SELECT jsonb_pretty(payload - 'tenantId' - 'timestamp' #- '{data,id}' #- '{data,created}' #- '{data,metadata,group}') AS delivery_event
  FROM iot.event WHERE tenant_id = iot.current_tenant() ORDER BY id OFFSET 2 LIMIT 1;
-- T24: the LA geozone moves away; the next message at the same point is
-- in no zone at once (no stale cache), then back in the moved zone
SELECT pg_temp.mark() AS uc2b \gset
SELECT iot.geozone_put('los-angeles', '{"description": "Los Angeles zone, moved", "geometry": {"coordinates": [[
    [-117.0, 34.0],[-116.0, 34.0],[-116.0, 33.0],[-117.0, 33.0],[-117.0, 34.0]]], "type": "Polygon"}, "tags": ["LA-area"]}') ->> 'description';
SELECT pg_temp.track('urn:lo:nsid:lora:0020B20000000101', -118.154555, 33.881571, '{Los Angeles,Tracker}');
SELECT pg_temp.track('urn:lo:nsid:lora:0020B20000000101', -116.5, 33.5, '{Moved,Tracker}');
SELECT pg_temp.settle();
SELECT type, rule, key, event FROM pg_temp.events(:uc2b);

------------------------------------------------------------------------------
-- Use case 3: air quality monitoring (SEP ALWAYS and SLEEP, SP, contexts)
------------------------------------------------------------------------------
SELECT iot.tenant_create('rules-uc3') IS NOT NULL;
SELECT iot.use_tenant('rules-uc3') IS NOT NULL;
SET pgiot.now = '2100-06-03 11:16:04+00';
SELECT iot.context_put('no2-previous-day-medium-level-reached', '{"contextData": true, "tags": ["previous day"]}') ->> 'contextKey';
SELECT iot.context_put('no2-previous-day-high-level-reached', '{"contextData": false, "tags": ["previous day"]}') ->> 'contextKey';
SELECT iot.context_put('no2-alert-threshold-1', '{"contextData": 400, "tags": ["threshold","alert","no2"]}') ->> 'contextKey';
SELECT iot.context_put('no2-alert-threshold-2', '{"contextData": 200, "tags": ["threshold","alert","no2"]}') ->> 'contextKey';
SELECT iot.context_put('no2-info-threshold-1', '{"contextData": 200, "tags": ["threshold","info","no2"]}') ->> 'contextKey';
SELECT iot.state_rule_create('{"id": "a1300000-0000-0000-0000-000000000001", "name": "NO2 daily pollution level", "enabled": true,
    "stateFunction": {"if": [
        {"and": [{"<": [{"var": "value.avg-NO2"}, {"ctx": "no2-alert-threshold-2"}]}, {"==": [{"var": "value.type"}, "daily"]}]}, "LOW",
        {"and": [{"<": [{"ctx": "no2-alert-threshold-2"}, {"var": "value.avg-NO2"}, {"ctx": "no2-alert-threshold-1"}]}, {"==": [{"var": "value.type"}, "daily"]}]}, "MEDIUM",
        {"and": [{">": [{"var": "value.avg-NO2"}, {"ctx": "no2-alert-threshold-1"}]}, {"==": [{"var": "value.type"}, "daily"]}]}, "HIGH"]},
    "stateKeyPath": "streamId"}') ->> 'name';
SELECT iot.matching_rule_create('{"id": "0476993c-b7cc-49a7-9a86-87431ead76e7", "name": "no2-alert-level-reached-threshold2",
    "dataPredicate": {"and": [
        {">": [{"var": "value.NO2"}, {"ctx": "no2-alert-threshold-2"}]},
        {"or": [{"==": [{"ctx": "no2-previous-day-medium-level-reached"}, true]},
                {"==": [{"ctx": "no2-previous-day-high-level-reached"}, true]}]},
        {"==": [{"var": "value.type"}, "hourly"]}]}, "enabled": true}') ->> 'id';
SELECT iot.matching_rule_create('{"id": "84b1cbd7-5184-4460-b05e-41236fbfe770", "name": "no2-info-level-reached",
    "dataPredicate": {"and": [{">": [{"var": "value.NO2"}, {"ctx": "no2-info-threshold-1"}]}, {"==": [{"var": "value.type"}, "hourly"]}]},
    "enabled": true}') ->> 'id';
SELECT iot.firing_rule_create('{"id": "a1300000-0000-0000-0000-000000000002", "aggregationKeys": ["streamId"], "enabled": true,
    "firingType": "ALWAYS", "matchingRuleIds": ["0476993c-b7cc-49a7-9a86-87431ead76e7"], "name": "firing NO2 alert 200"}') ->> 'name';
SELECT iot.firing_rule_create('{"id": "f1dfc01d-a236-4bf6-b8a7-fdb2aa6a4e10", "aggregationKeys": ["streamId"], "enabled": true,
    "firingType": "SLEEP", "sleepDuration": "PT6H", "matchingRuleIds": ["84b1cbd7-5184-4460-b05e-41236fbfe770"], "name": "firing NO2 INFO"}') ->> 'name';
-- the test calls of 17.4.3
SELECT iot.matching_rule_test('{"data": {"metadata": {"connector": "http"}, "streamId": "paris-centre-hourly",
    "location": {"lon": 2.2945, "lat": 48.8584}, "model": "model_hourly",
    "value": {"type": "hourly", "NO2": 201, "PM10": 15, "monitoring-station": "paris-centre"}, "timestamp": "2017-07-27T02:00:00Z"},
    "dataPredicate": {"and": [{">": [{"var": "value.NO2"}, {"ctx": "no2-alert-threshold-2"}]},
        {"or": [{"==": [{"ctx": "no2-previous-day-medium-level-reached"}, true]}, {"==": [{"ctx": "no2-previous-day-high-level-reached"}, true]}]},
        {"==": [{"var": "value.type"}, "hourly"]}]}}') AS matching_test;
SELECT iot.state_rule_test(jsonb_build_object('currentState', '{}'::jsonb,
    'stateProcessingFunction', (SELECT r -> 'stateFunction' FROM iot.state_rules() r),
    'data', '{"streamId": "paris-centre-daily", "model": "model_daily", "timestamp": "2017-07-27T00:00:00Z",
              "value": {"type": "daily", "avg-NO2": 9, "avg-PM10": 9, "monitoring-station": "paris-centre"}}'::jsonb))
    -> 'stateFunctionResult' AS state_test;
-- the three messages sent (POST /data/streams/<streamId>)
SELECT pg_temp.mark() AS uc3 \gset
SELECT iot.ingest('{"streamId": "paris-centre-hourly", "location": {"lon": 2.2945, "lat": 48.8584}, "model": "model_hourly",
    "value": {"type": "hourly", "NO2": 250, "PM10": 45, "monitoring-station": "paris-centre"}, "timestamp": "2017-07-27T14:00:00Z"}') IS NOT NULL;
SELECT iot.ingest('{"streamId": "paris-centre-last-3-hours", "location": {"lon": 2.2945, "lat": 48.8584}, "model": "model_last_three_hours",
    "value": {"type": "last_three_hours",
              "data1": {"value": {"NO2": 420, "PM10": 16}, "timestamp": "2017-07-27T11:00:00Z"},
              "data2": {"value": {"NO2": 401, "PM10": 14}, "timestamp": "2017-07-27T12:00:00Z"},
              "data3": {"value": {"NO2": 450, "PM10": 17}, "timestamp": "2017-07-27T13:00:00Z"},
              "monitoring-station": "paris-centre"}, "timestamp": "2017-07-27T13:00:00Z"}') IS NOT NULL;
SELECT iot.ingest('{"streamId": "paris-centre-daily", "location": {"lon": 2.2945, "lat": 48.8584}, "model": "model_daily",
    "value": {"type": "daily", "avg-NO2": 92, "avg-PM10": 20, "monitoring-station": "paris-centre"}, "timestamp": "2017-07-28T00:00:00Z"}') IS NOT NULL;
SELECT pg_temp.settle();
SELECT type, rule, key, event FROM pg_temp.events(:uc3);
-- the stored INFO event, found by its stream like the manual's search
SELECT m.stream_id, m.model, m.tags, m.value -> 'firingRule' ->> 'name' AS firing_rule,
       m.value -> 'firingRule' ->> 'sleepDuration' AS sleep, m.value #>> '{matchingContext,matchingRule,dataPredicate}' AS predicate,
       ST_AsText(m.location::geometry) AS location
  FROM iot.message m
 WHERE m.tenant_id = iot.current_tenant() AND m.stream_id = 'event:paris-centre-hourly'
   AND m.value -> 'firingRule' ->> 'name' = 'firing NO2 INFO';
-- more hourly values: ALERT every time, INFO at most every 6 hours
SELECT pg_temp.mark() AS uc3b \gset
SET pgiot.now = '2100-06-03 12:16:04+00';
SELECT iot.ingest('{"streamId": "paris-centre-hourly", "model": "model_hourly", "value": {"type": "hourly", "NO2": 260}}') IS NOT NULL;
SET pgiot.now = '2100-06-03 17:16:04+00';
SELECT iot.ingest('{"streamId": "paris-centre-hourly", "model": "model_hourly", "value": {"type": "hourly", "NO2": 270}}') IS NOT NULL;
-- T19: previous days were not MEDIUM: the 200 alert threshold is off
-- (contexts are read when a message is evaluated: let the worker finish first)
SELECT pg_temp.settle();
SELECT iot.context_put('no2-previous-day-medium-level-reached', '{"contextData": false}') ->> 'contextData';
SET pgiot.now = '2100-06-03 18:16:04+00';
SELECT iot.ingest('{"streamId": "paris-centre-hourly", "model": "model_hourly", "value": {"type": "hourly", "NO2": 280}}') IS NOT NULL;
-- T25: daily levels 250, 450, 450, and an hourly message on the daily stream
SELECT iot.ingest(jsonb_build_object('streamId', 'paris-centre-daily', 'model', 'model_daily',
                  'value', jsonb_build_object('type', 'daily', 'avg-NO2', n))) IS NOT NULL
  FROM unnest(ARRAY[250, 450, 450]) n;
SELECT iot.ingest('{"streamId": "paris-centre-daily", "model": "model_hourly", "value": {"type": "hourly", "NO2": 1}}') IS NOT NULL;
SELECT pg_temp.settle();
SELECT type, rule, key, event FROM pg_temp.events(:uc3b);
SELECT iot.rule_states() - 'updated' - 'stateProcessingRuleId' AS states;
