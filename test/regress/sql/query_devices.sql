-- Device listing with filterQuery (spec-devices D4.1, D10.5, T10) and the
-- inventory explorer's search (spec-data 5.1-5.4, T21, T22).
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2026-01-15 10:00:00+00';
SELECT iot.tenant_create('query-devices') IS NOT NULL;
SELECT iot.use_tenant('query-devices') IS NOT NULL;

-- T10 fixtures: A tags [FUT, TEST1, X] /France mqtt; B [FUT] /France lwm2m;
-- C [demo] /France lwm2m; D [demo] /Spain x-connector.
SELECT iot.group_ensure('/France') IS NOT NULL, iot.group_ensure('/Spain') IS NOT NULL;
SELECT count(iot.device_create(d)) AS created FROM (VALUES
    ('{"id": "urn:lo:nsid:t10:A", "name": "alpha", "tags": ["FUT", "TEST1", "X"], "group": {"path": "/France"},
       "properties": {"mykey": "enum1", "temp": "20.5"}, "interfaces": [{"connector": "mqtt", "definition": {"clientId": "A"}}]}'::jsonb),
    ('{"id": "urn:lo:nsid:t10:B", "name": "bravo", "tags": ["FUT"], "group": {"path": "/France"},
       "properties": {"mykey": "enum2", "temp": "9"}, "interfaces": [{"connector": "lwm2m", "definition": {"endpointName": "B"}}]}'),
    ('{"id": "urn:lo:nsid:t10:C", "name": "charlie", "tags": ["demo"], "group": {"path": "/France"},
       "properties": {"mykey": "enum3", "temp": "100"}, "interfaces": [{"connector": "lwm2m", "definition": {"endpointName": "C"}}]}'),
    ('{"id": "urn:lo:nsid:t10:D", "tags": ["demo"], "group": {"path": "/Spain"},
       "properties": {"temp": "warm"}, "interfaces": [{"connector": "x-connector", "definition": {"nodeId": "D"}}]}')
  ) v(d);
CREATE FUNCTION pg_temp.ids(filter text) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(right(device ->> 'id', 1), ',' ORDER BY device ->> 'id'), '-') FROM iot.device_find(filter, lim => 1000)
$$;
SELECT q AS filter_query, pg_temp.ids(q) AS devices
  FROM (VALUES
    ('tags=in=(FUT,TEST1)'),                    -- any-of (decisions.md 5): A, B
    ('tags=out=(FUT,TEST1)'),                   -- none-of: C, D
    ('tags==FUT;tags==TEST1'),                  -- all-of is written with AND: A
    ('connector==lwm2m'),                       -- B, C
    ('groupPath==/France;tags==demo;connector==lwm2m or (connector==x-connector)'),  -- AND first: C, D
    ('groupPath==/France;tags==demo;(connector==lwm2m or connector==x-connector)'),  -- the prose's reading: C
    ('tags!=demo'), ('connector!=lwm2m'), ('groupPath!=/France'), ('groupPath==/'), ('groupPath==/Fr*'),
    ('groupPath=in=(/Spain,/Italy)'), ('groupId==nope'),
    ('properties.mykey==enum1'), ('properties.mykey!=enum1'), ('properties.mykey=in=(enum1, enum3)'),
    ('properties.mykey=out=(enum1, enum3)'), ('properties.mykey==enum*'),
    ('properties.temp=gt=10'),                  -- numbers: 20.5 and 100; "warm" compares as text
    ('properties.temp=lt=10'), ('properties.temp=ge=warm'), ('properties.temp=le=100'),
    ('tags=lt=G'), ('tags=ge=demo'), ('properties.nope==x'), ('properties.nope!=x'),
    (NULL), ('  ')
  ) v(q);
SELECT iot.device_count('connector==lwm2m') AS lwm2m_devices, iot.device_count() AS all_devices;

-- paging: limit, offset, sort ("-" descending, id breaks ties), totals
SELECT total, device ->> 'id' AS id FROM iot.device_find(NULL, '-id', 2, 0);
SELECT total, device ->> 'id' AS id FROM iot.device_find(NULL, '-id', 2, 2);
SELECT total, device ->> 'id' AS id FROM iot.device_find(NULL, '-id', 2, 4);
SELECT device ->> 'id' AS id, device ->> 'name' AS name FROM iot.device_find(NULL, 'name');
SELECT device ->> 'id' AS id FROM iot.device_find(NULL, '-group,-name');
SELECT device ->> 'id' AS id FROM iot.device_find(NULL, 'interfaces.status,-interfaces.enabled,interfaces.lastContact,created,updated,-id');
SELECT device ->> 'id' AS id, device ->> 'name' AS name FROM iot.device_find('tags==FUT') LIMIT 1;
SELECT jsonb_pretty(device - '{created,updated,group,interfaces}'::text[]) AS public_model FROM iot.device_find('tags==TEST1');
SELECT test.try($$SELECT * FROM iot.device_find(NULL, 'color')$$);
SELECT test.try($$SELECT * FROM iot.device_find(NULL, 'id,name')$$);
SELECT test.try($$SELECT * FROM iot.device_find(NULL, NULL, 0)$$);
SELECT test.try($$SELECT * FROM iot.device_find(NULL, NULL, 1001)$$);
SELECT test.try($$SELECT * FROM iot.device_find(NULL, NULL, 20, -1)$$);
SELECT test.try($$SELECT * FROM iot.device_find('name==x')$$);
SELECT test.try($$SELECT * FROM iot.device_find('tags==')$$);
-- another tenant's devices are never seen
SELECT iot.tenant_create('query-devices-other') IS NOT NULL;
SELECT iot.use_tenant('query-devices-other') IS NOT NULL;
SELECT count(*) AS other_tenant_sees FROM iot.device_find(NULL);
SELECT iot.use_tenant('query-devices') IS NOT NULL;

-- Inventory dialect over the same fleet, with activities, LoRa analytics,
-- property values, interface details.
SELECT iot.device_activity_set('urn:lo:nsid:t10:A', 'r1', 'ACTIVE'),
       iot.device_activity_set('urn:lo:nsid:t10:A', 'r2', 'UNKNOWN'),
       iot.device_activity_set('urn:lo:nsid:t10:B', 'r1', 'SILENT'),
       iot.device_activity_set('urn:lo:nsid:t10:B', 'r2', 'ACTIVE'),
       iot.device_activity_set('urn:lo:nsid:t10:C', 'acme', 'UNKNOWN');
SELECT iot.device_activity_set('urn:lo:nsid:t10:C', 'acme', 'SILENT', '{x}', '2026-01-14 00:00:00+00');
SELECT iot.device_activity_set('urn:lo:nsid:t10:C', 'acme', 'UNKNOWN');
SELECT id, activities, iot.activity_aggregate(activities) AS aggregated FROM iot.device WHERE tenant_id = iot.current_tenant() ORDER BY id;
SELECT test.try($$SELECT iot.device_activity_set('urn:lo:nsid:t10:A', 'r1', 'SLEEPY')$$);
SELECT test.try($$SELECT iot.device_activity_set('urn:lo:nsid:t10:nope', 'r1', 'ACTIVE')$$);
UPDATE iot.device SET lora_lost_ratio = v.r FROM (VALUES ('urn:lo:nsid:t10:A', 0.0), ('urn:lo:nsid:t10:B', 0.1),
    ('urn:lo:nsid:t10:C', 0.2999)) v(i, r) WHERE id = v.i;
SELECT r, iot.lora_lost_label(r) FROM unnest(ARRAY[0, 0.0999, 0.1, 0.2, 0.3, 1, NULL]::float8[]) r;
SELECT iot.device_update('urn:lo:nsid:t10:D', '{"name": "Aujourd''hui", "tags": ["demo", "Aujourd''hui"]}') IS NOT NULL;
SELECT iot.interface_add('urn:lo:nsid:t10:C', '{"connector": "lora", "enabled": false,
    "definition": {"devEUI": "70B3D5E75E000001", "profile": "Generic_classA_RX2SF12"}}') ->> 'status' AS c_lora;
UPDATE iot.device_interface SET status = 'ONLINE' WHERE device_id = 'urn:lo:nsid:t10:A';
UPDATE iot.device_interface SET status = 'OFFLINE' WHERE device_id = 'urn:lo:nsid:t10:B';
CREATE FUNCTION pg_temp.inv(filter text) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(right(x ->> 'id', 1), ',' ORDER BY x ->> 'id'), '-')
      FROM jsonb_array_elements(iot.device_search(jsonb_build_object('filters', jsonb_build_object('queryString', filter),
                                                                     'size', 1000)) -> 'devices') x
$$;
SELECT q AS query_string, pg_temp.inv(q) AS devices
  FROM (VALUES
    ('name==''alpha'''), ('name==b*'), ('name!=alpha'), ('name=in=(alpha,charlie)'), ('id==urn:lo:nsid:t10:A'),
    ('id==urn:lo:nsid:t10*'), ('group.path==/France'), ('group.path==/Fr*'), ('group.path!=/France'),
    ('tags=in=(FUT, demo)'), ('tags==''Aujourd\''hui'''), ('properties.k==mykey'), ('properties.k!=mykey'),
    ('properties.v==enum2'), ('properties.v==en*'), ('properties=q=''k==mykey and v==enum3'''),
    ('properties=q=''k==temp and v==9*'''), ('properties=q=''k==mykey or v==warm'''), ('property.mykey==enum1'),
    ('property.mykey!=enum1'), ('property.temp=in=(9,100)'),
    ('interfaces=q=''connector==l*'''), ('interfaces=q=''connector==lora and enabled==true'''),
    ('interfaces=q=''connector==lora and enabled==false'''), ('interfaces.connector==mqtt'),
    ('interfaces.nodeId==70B3D5E75E000001'), ('interfaces.enabled==false'), ('interfaces.enabled==true'),
    ('interfaces.status!=OFFLINE'), ('interfaces.status=in=(ONLINE,OFFLINE)'),
    ('interfaces.definition.profile==Generic_classA_RX2SF12'), ('interfaces.definition.profile!=Generic_classA_RX2SF12'),
    ('activities=q=''state!=SILENT or ruleId==ac*'''), ('activities=q=''state==SILENT and ruleId==r1'''),
    ('activities.ruleId==r2'), ('activities.state==ACTIVE'),
    ('aggregatedActivityState==ACTIVE'),   -- T22: A [ACTIVE, UNKNOWN], not B [SILENT, ACTIVE]
    ('aggregatedActivityState==SILENT'), ('aggregatedActivityState==UNKNOWN'), ('aggregatedActivityState!=SILENT'),
    ('network.lora.lostMessagesRangeLabel==0-10%'), ('network.lora.lostMessagesRangeLabel=in=(10-20%,20-30%)'),
    ('(tags==FUT or name==char*) and (group.path==/Fr* or properties=q=''k==temp and v==\"100\"'' and interfaces.connector==lora)')
  ) v(q);

-- locations: the static location, else the newest location of a message
SELECT iot.device_update('urn:lo:nsid:t10:A', '{"staticLocation": {"lat": 48.85418222285807, "lon": 2.346379179507494, "alt": 35}}') IS NOT NULL;
SELECT iot.ingest('{"value": {"t": 1}, "timestamp": "2026-01-15T09:00:00Z", "location": {"lat": 44.840204967185855, "lon": -0.560115147382021, "provider": "GPS", "accuracy": 5}}',
                  'urn:lo:nsid:t10:B') IS NOT NULL AS stored;
SELECT iot.ingest('{"value": {"t": 2}, "timestamp": "2026-01-15T08:00:00Z", "location": {"lat": 1, "lon": 1, "provider": "GPS"}}',
                  'urn:lo:nsid:t10:B') IS NOT NULL AS older_stored;
SELECT iot.ingest('{"value": {"t": 3}, "location": {"lat": 10, "lon": 10}}', 'urn:lo:nsid:t10:A') IS NOT NULL AS static_wins;
SELECT id, location_lat, location_lon, location_provider, geohash FROM iot.device WHERE tenant_id = iot.current_tenant() AND id = 'urn:lo:nsid:t10:A';
-- (the maintenance worker may have run the refresh already: same outcome)
SELECT iot._device_location_refresh() ? 'devicesMoved' AS refreshed;
SELECT (iot._device_location_refresh() ->> 'devicesMoved')::int AS nothing_left_to_move;
SELECT id, location_lat, location_lon, location_alt, location_accuracy, location_provider, location_updated, geohash
  FROM iot.device WHERE tenant_id = iot.current_tenant() ORDER BY id;
-- removing the static location falls back to the last located message
-- the device sent while it had none
SELECT iot.ingest('{"value": {"t": 4}, "timestamp": "2026-01-15T09:30:00Z", "location": {"lat": -33.9, "lon": 151.2, "provider": "network"}}',
                  'urn:lo:nsid:t10:C') IS NOT NULL AS c_located;
SELECT iot.device_update('urn:lo:nsid:t10:C', '{"staticLocation": {"lat": 1.5, "lon": 2.5}}') IS NOT NULL;
SELECT id, location_lat, location_lon, location_provider, geohash FROM iot.device WHERE tenant_id = iot.current_tenant() AND id = 'urn:lo:nsid:t10:C';
SELECT iot.device_update('urn:lo:nsid:t10:C', '{"staticLocation": null}') IS NOT NULL;
SELECT id, location_lat, location_lon, location_provider, location_updated, geohash FROM iot.device WHERE tenant_id = iot.current_tenant() AND id = 'urn:lo:nsid:t10:C';
SELECT iot.device_update('urn:lo:nsid:t10:A', '{"name": "alpha"}') IS NOT NULL AS other_updates_keep_location;
SELECT id, location_lat, location_provider FROM iot.device WHERE tenant_id = iot.current_tenant() AND id = 'urn:lo:nsid:t10:A';

-- geoBounds (9.2.2): inside the box, devices without location never match;
-- a box across the antimeridian; combined with queryString (AND)
CREATE FUNCTION pg_temp.inv_f(filters jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(right(x ->> 'id', 1), ',' ORDER BY x ->> 'id'), '-')
      FROM jsonb_array_elements(iot.device_search(jsonb_build_object('filters', filters)) -> 'devices') x
$$;
SELECT pg_temp.inv_f('{"geoBounds": {"topLeft": {"lat": 50.56789, "lon": 1.10101}, "bottomRight": {"lat": 12.34567, "lon": 20.20202}}}') AS manual_box,
       pg_temp.inv_f('{"geoBounds": {"topLeft": {"lat": 50, "lon": -1}, "bottomRight": {"lat": 40, "lon": 3}}}') AS france,
       pg_temp.inv_f('{"geoBounds": {"topLeft": {"lat": 50, "lon": 170}, "bottomRight": {"lat": 40, "lon": 2.4}}}') AS across_antimeridian,
       pg_temp.inv_f('{"queryString": "interfaces.connector==lora", "geoBounds": {"topLeft": {"lat": 50.56789, "lon": 1.10101}, "bottomRight": {"lat": 12.34567, "lon": 20.20202}}}') AS lora_in_box,
       pg_temp.inv_f('{"queryString": "interfaces.connector==mqtt", "geoBounds": {"topLeft": {"lat": 50.56789, "lon": 1.10101}, "bottomRight": {"lat": 12.34567, "lon": 20.20202}}}') AS mqtt_in_box,
       pg_temp.inv_f('{}') AS no_filter, pg_temp.inv_f('{"queryString": ""}') AS empty_query_string;
SELECT test.try(format('SELECT iot.device_search(%L)', r)) AS refused
  FROM (VALUES ('{"filters": {"geoBounds": {"topLeft": {"lat": 10, "lon": 0}, "bottomRight": {"lat": 20, "lon": 5}}}}'),
               ('{"filters": {"geoBounds": {"topLeft": {"lat": 91, "lon": 0}, "bottomRight": {"lat": 20, "lon": 5}}}}'),
               ('{"filters": {"geoBounds": {"topLeft": {"lat": "50", "lon": 0}, "bottomRight": {"lat": 20, "lon": 5}}}}'),
               ('{"filters": {"geoBounds": {"topLeft": {"lat": 50}}}}'),
               ('{"filters": {"geoBox": {}}}'), ('{"filters": {"queryString": 5}}'), ('{"filters": []}'),
               ('{"filters": {"queryString": "name!=abc*"}}'), ('{"page": 2}'), ('[]'), ('{"size": 0}'),
               ('{"size": 1.5}'), ('{"size": "2"}'), ('{"sort": "id"}'), ('{"sort": ["colour"]}'), ('{"sort": ["id", "name"]}'),
               ('{"query": 5}'), ('{"bookmark": ["a", "b"]}'), ('{"bookmark": [{}]}'), ('{"bookmark": "x"}'),
               ('{"query": "' || repeat('x', 257) || '"}')) v(r);

-- search: partial words in id, name, group path, tags, property keys and
-- values; case-insensitive; words ORed; a word under 3 characters must be
-- a whole value; relevance = number of words found
SELECT q AS query, (SELECT string_agg(right(x ->> 'id', 1), ',') FROM jsonb_array_elements(r -> 'devices') x) AS devices,
       r -> 'bookmark' AS bookmark
  FROM (VALUES ('ALPH'), ('rav'), ('fut'), ('ENUM'), ('spa'), ('nsid'), ('ho'), ('x'), ('9'), ('zzz'), ('alpha bravo'),
               ('50%'), ('mykey'), ('aujourd''hui')) v(q),
       LATERAL (SELECT iot.device_search(jsonb_build_object('query', q, 'sort', '["relevance"]'::jsonb))) s(r);
SELECT s AS sort, (SELECT string_agg(right(x ->> 'id', 1), ',') FROM jsonb_array_elements(r -> 'devices') x) AS devices,
       r -> 'bookmark' AS bookmark
  FROM (VALUES ('["relevance"]'::jsonb), ('["-relevance"]'), ('["relevance", "-id"]')) v(s),
       LATERAL (SELECT iot.device_search(jsonb_build_object('query', 'alpha FUT demo', 'sort', s))) x(r);

-- keyset paging: every sort, pages of 2 chained by their bookmarks give
-- the same order as one page of everything
CREATE FUNCTION pg_temp.pages(sort jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r     jsonb;
    bm    jsonb := NULL;
    out   text[] := '{}';
BEGIN
    LOOP
        r := iot.device_search(jsonb_build_object('sort', sort, 'size', 2) || CASE WHEN bm IS NULL THEN '{}' ELSE jsonb_build_object('bookmark', bm) END);
        EXIT WHEN jsonb_array_length(r -> 'devices') = 0;
        out := out || ARRAY(SELECT right(x ->> 'id', 1) FROM jsonb_array_elements(r -> 'devices') x);
        bm := r -> 'bookmark';
    END LOOP;
    RETURN array_to_string(out, ',');
END $$;
SELECT s AS sort, pg_temp.pages(s) AS paged,
       (SELECT string_agg(right(x ->> 'id', 1), ',') FROM jsonb_array_elements(iot.device_search(jsonb_build_object('sort', s, 'size', 100)) -> 'devices') x) AS one_page
  FROM (VALUES ('[]'::jsonb), ('["-id"]'), ('["name"]'), ('["-name"]'), ('["group.path", "-name"]'), ('["interfaces.status"]'),
               ('["-interfaces.enabled"]'), ('["interfaces.lastContact"]'), ('["-lastCommunication"]'), ('["created", "id"]'),
               ('["-updated", "-id"]'), ('["network.lora.lostMessagesRatio"]'), ('["-network.lora.lostMessagesRatio", "-id"]'),
               ('["relevance"]')) v(s);
SELECT iot.device_search('{"sort": ["group.path", "interfaces.status", "interfaces.enabled", "interfaces.lastContact"], "size": 1}') -> 'bookmark' AS bookmark_shape;

-- T21: the manual's search example, its device rebuilt from 9.2.3
SET pgiot.now = '2019-09-11 15:26:19.157+00';
SELECT iot.group_create('foo', 'root', NULL, 'fooId') ->> 'path', iot.group_create('bar', 'fooId', NULL, 'uyVhhN') ->> 'path';
SELECT iot.device_create('{"id": "urn:lo:nsid:lora:0004A30B001FE084", "name": "my device", "description": "this is my device",
    "tags": ["spain", "v2"], "properties": {"prop1": "val1", "prop2": "val2"}, "group": {"id": "uyVhhN"},
    "interfaces": [{"connector": "lora", "enabled": true, "definition": {"devEUI": "0004A30B001FE084", "activationType": "OTAA",
        "profile": "Microchip RN2483", "encoding": "StartKit", "connectivityOptions": {"ackUl": false, "location": false}}}]}') IS NOT NULL;
SET pgiot.now = '2020-08-27 09:51:25.301+00';
UPDATE iot.device_interface SET status = 'ACTIVATED', last_contact = '2019-11-28 03:58:38.429+00', updated = iot.now(),
       capabilities = '{"configuration": {"available": false}, "command": {"available": false}, "resource": {"available": false}}',
       activity = '{"lastDlFcnt": 140, "lastUlFcnt": 12799, "lastDeactivationTs": "2019-10-23T09:06:10.898Z",
                    "lastActivationTs": "2019-10-23T09:06:35.549Z", "lastSignalLevel": 1, "avgSignalLevel": 1}'
 WHERE device_id = 'urn:lo:nsid:lora:0004A30B001FE084';
SELECT iot.device_update('urn:lo:nsid:lora:0004A30B001FE084', '{"staticLocation": {"lat": 44.888841, "lon": 4.8854379999999935, "alt": 123.0}}') IS NOT NULL;
SELECT iot.device_activity_set('urn:lo:nsid:lora:0004A30B001FE084', 'ec8a3217-7b3f-4020-b37b-133a65ad6384', 'SILENT', '{spain,v2}',
                               '2020-08-26 09:53:25.308+00');
UPDATE iot.device SET lora_lost_ratio = 0.018 WHERE id = 'urn:lo:nsid:lora:0004A30B001FE084';
SELECT jsonb_pretty(iot.device_search('{"filters": {"queryString": "id==urn:lo:nsid:lora:0004A30B001FE084"}}')) AS t21;
-- compared with the manual's response: equal but for the fields the
-- manual's sample lacks (aggregatedActivityState, lastCommunication) and
-- the ratio's name (lostMessagesRatio, as the manual's field table and
-- sort list call it; the sample says lostMessageRangeRatio)
WITH manual AS (SELECT $${"bookmark": ["urn:lo:nsid:lora:0004A30B001FE084"], "devices": [{
    "id": "urn:lo:nsid:lora:0004A30B001FE084", "name": "my device", "description": "this is my device",
    "group": {"id": "uyVhhN", "path": "/foo/bar"}, "tags": ["spain", "v2"],
    "properties": [{"key": "prop1", "value": "val1"}, {"key": "prop2", "value": "val2"}],
    "interfaces": [{"connector": "lora", "nodeId": "0004A30B001FE084",
        "definition": {"devEUI": "0004A30B001FE084", "activationType": "OTAA", "profile": "Microchip RN2483", "encoding": "StartKit",
                       "connectivityOptions": {"ackUl": false, "location": false}},
        "enabled": true, "status": "ACTIVATED",
        "capabilities": {"configuration": {"available": false}, "command": {"available": false}, "resource": {"available": false}},
        "activity": {"lastDlFcnt": 140, "lastUlFcnt": 12799, "lastDeactivationTs": "2019-10-23T09:06:10.898Z",
                     "lastActivationTs": "2019-10-23T09:06:35.549Z", "lastSignalLevel": 1, "avgSignalLevel": 1},
        "lastContact": "2019-11-28T03:58:38.429Z", "created": "2019-09-11T15:26:19.157Z", "updated": "2020-08-27T09:51:25.301Z"}],
    "activities": [{"ruleId": "ec8a3217-7b3f-4020-b37b-133a65ad6384", "state": "SILENT"}],
    "location": {"lat": 44.888841, "lon": 4.8854379999999935, "alt": 123.0, "provider": "static", "lastUpdate": "2020-08-27T09:51:25.301Z"},
    "created": "2019-09-11T15:26:19.157Z", "updated": "2020-08-27T09:51:25.301Z",
    "network": {"lora": {"lostMessageRangeRatio": 0.018}}}]}$$::jsonb AS doc),
ours AS (SELECT iot.device_search('{"filters": {"queryString": "id==urn:lo:nsid:lora:0004A30B001FE084"}}') AS doc)
SELECT (ours.doc #- '{devices,0,aggregatedActivityState}' #- '{devices,0,lastCommunication}' #- '{devices,0,network}')
     = (manual.doc #- '{devices,0,network}') AS same_as_manual,
       ours.doc #> '{devices,0,aggregatedActivityState}' AS aggregated, ours.doc #> '{devices,0,lastCommunication}' AS last_communication,
       ours.doc #> '{devices,0,network}' AS network
  FROM ours, manual;

-- activity states stay sorted by rule id; clearing one removes it
SELECT iot.device_activity_set('urn:lo:nsid:lora:0004A30B001FE084', '0000-first', 'ACTIVE');
SELECT (SELECT jsonb_agg(e -> 'rule' -> 'id') FROM iot.device d, jsonb_array_elements(d.activities) e
         WHERE d.tenant_id = iot.current_tenant() AND d.id = 'urn:lo:nsid:lora:0004A30B001FE084') AS stored_order,
       iot.device_search('{"filters": {"queryString": "id==urn:lo:nsid:lora:0004A30B001FE084"}}') #> '{devices,0,activities}' AS two_rules,
       iot.device_search('{"filters": {"queryString": "id==urn:lo:nsid:lora:0004A30B001FE084"}}') #> '{devices,0,aggregatedActivityState}' AS aggregated;
SELECT iot.device_activity_clear('urn:lo:nsid:lora:0004A30B001FE084', 'ec8a3217-7b3f-4020-b37b-133a65ad6384');
SELECT activities, iot.activity_aggregate(activities) FROM iot.device WHERE tenant_id = iot.current_tenant() AND id = 'urn:lo:nsid:lora:0004A30B001FE084';
