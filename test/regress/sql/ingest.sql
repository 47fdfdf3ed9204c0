-- iot.ingest: one message, enrichment, location priority, bad input
-- (manual 11.2, 15.2, 15.3; digest T4).
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2026-01-15 10:00:00+00';
SELECT tenant_id AS t FROM iot.tenant_create('ingest-t') \gset
SELECT iot.use_tenant('ingest-t') IS NOT NULL;
SELECT iot.group_ensure('/france/paris') IS NOT NULL;
SELECT iot.device_create('{"id": "urn:lo:nsid:mqtt:12345", "tags": ["Paris", "CityNYC"],
    "properties": {"propertyDevice1": "12:1b:2e"}, "group": {"path": "/france/paris"},
    "interfaces": [{"connector": "mqtt", "definition": {"clientId": "urn:lo:nsid:mqtt:12345"}}]}') IS NOT NULL;

-- T4: the manual's dev/data message from an MQTT device
SELECT iot.ingest('{"streamId": "mydeviceTemp1234", "timestamp": "2020-10-13T12:15:02Z", "model": "tempV2",
    "value": {"temp": 12.75, "humidity": 62.1, "doorOpen": true},
    "location": {"lat": 48.86667, "lon": 2.33333, "alt": 35.2, "accuracy": 12.3, "provider": "GPS"},
    "tags": ["CityNYC", "Prototype"]}', connector => 'mqtt', node_id => 'urn:lo:nsid:mqtt:12345') AS m1 \gset
SELECT jsonb_pretty(iot.message_json(m) - 'id' - 'created' #- '{metadata,group,id}') FROM iot.message m WHERE id = :m1;
SELECT device_id, created = iot.now() AS created_now FROM iot.message WHERE id = :m1;

-- without streamId and timestamp: the device's stream, the reception time
SELECT iot.ingest('{"value": {"temp": 13}}', connector => 'mqtt', node_id => 'urn:lo:nsid:mqtt:12345',
                  received => '2026-01-15 09:59:59.5+00') AS m2 \gset
SELECT stream_id, ts, received FROM iot.message WHERE id = :m2;
SELECT iot.ingest('{"value": {"temp": 14}}', 'urn:lo:nsid:mqtt:12345') AS m3 \gset
SELECT stream_id, ts = iot.now() AS ts_is_now, metadata ->> 'connector' AS connector FROM iot.message WHERE id = :m3;
-- the device's defaultDataStreamId when it has one
SELECT iot.device_update('urn:lo:nsid:mqtt:12345', '{"defaultDataStreamId": "urn:lo:nsid:mqtt:12345!measures"}') IS NOT NULL;
SELECT stream_id FROM test.msg(iot.ingest('{"value": {}}', 'urn:lo:nsid:mqtt:12345')) m;

-- a device changed earlier in the same transaction is seen by the next ingest
BEGIN;
SELECT iot.ingest('{"value": {}}', 'urn:lo:nsid:mqtt:12345') IS NOT NULL;
SELECT iot.device_update('urn:lo:nsid:mqtt:12345', '{"tags": ["Paris", "changed"]}') IS NOT NULL;
SELECT tags FROM test.msg(iot.ingest('{"value": {}}', 'urn:lo:nsid:mqtt:12345')) m;
COMMIT;
SELECT tags FROM test.msg(iot.ingest('{"value": {}}', 'urn:lo:nsid:mqtt:12345')) m;
SELECT iot.device_update('urn:lo:nsid:mqtt:12345', '{"tags": ["Paris", "CityNYC"]}') IS NOT NULL;

-- location priority: static beats decoded, published and network
SELECT iot.device_update('urn:lo:nsid:mqtt:12345', '{"staticLocation": {"lat": 48.82198, "lon": 2.545599}}') IS NOT NULL;
SELECT iot.message_json(m) -> 'location' AS root, metadata -> 'device' AS static,
       metadata #> '{transformation,published}' AS published
  FROM test.msg(iot.ingest('{"value": {}, "location": {"lat": 1, "lon": 2, "provider": "GPS"}}',
                                          'urn:lo:nsid:mqtt:12345')) m;
-- an external enricher's location beats everything
SELECT iot.message_json(m) -> 'location' AS root
  FROM test.msg(iot.ingest('{"value": {}, "metadata": {"transformation": {"external":
      {"location": {"lat": 48.80138888888889, "lon": 2.2938888888888886, "accuracy": 412, "provider": "custom"}}}}}',
      'urn:lo:nsid:mqtt:12345')) m;
SELECT iot.device_update('urn:lo:nsid:mqtt:12345', '{"staticLocation": null}') IS NOT NULL;
-- decoded beats published; published beats network
SELECT iot.message_json(m) -> 'location' AS root
  FROM test.msg(iot.ingest('{"value": {}, "location": {"lat": 1, "lon": 2},
      "metadata": {"transformation": {"decoder": {"location": {"lat": 3, "lon": 4}}}}}', 'urn:lo:nsid:mqtt:12345')) m;
SELECT iot.message_json(m) -> 'location' AS root
  FROM test.msg(iot.ingest('{"value": {}, "location": {"lat": 1, "lon": 2}}', 'urn:lo:nsid:mqtt:12345',
      network => '{"lora": {"location": {"lat": 5, "lon": 6, "provider": "lora", "accuracy": 10000}}}')) m;
SELECT iot.message_json(m) -> 'location' AS root, metadata -> 'network' AS network
  FROM test.msg(iot.ingest('{"value": {}}', 'urn:lo:nsid:mqtt:12345',
      network => '{"lora": {"location": {"lat": 5, "lon": 6, "provider": "lora", "accuracy": 10000}}}')) m;

-- a device cannot claim another identity: source, group and network are the platform's
SELECT metadata #- '{group,id}' AS metadata FROM test.msg(iot.ingest('{"value": {},
    "metadata": {"source": "urn:lo:nsid:x:other", "group": {"id": "g", "path": "/evil"}, "network": {"lora": {}}, "custom": 1}}',
    connector => 'mqtt', node_id => 'urn:lo:nsid:mqtt:12345')) m;

-- the interface's encoding overrides the message's
SELECT iot.interface_update('urn:lo:nsid:mqtt:12345', 'mqtt', 'urn:lo:nsid:mqtt:12345', '{"definition": {"encoding": "twointegers"}}') IS NOT NULL;
SELECT metadata ->> 'encoding' AS encoding, raw FROM test.msg(iot.ingest(
    '{"value": {"payload": "000003F5000000DD"}, "metadata": {"encoding": "other"}}',
    connector => 'mqtt', node_id => 'urn:lo:nsid:mqtt:12345', raw => '\x000003f5000000dd')) m;

-- a message without a device (HTTP): stored as is, streamId required
SELECT iot.message_json(m) - 'id' - 'created' AS http_message
  FROM test.msg(iot.ingest('{"streamId": "urn:lo:nsid:sensor:2327398!measures", "model": "data_model_v1",
      "timestamp": "2020-06-09T15:18:58.033Z", "value": {"revmin": 9992}}')) m;

-- last seen
SELECT last_seen = iot.now() AS seen FROM iot.device WHERE id = 'urn:lo:nsid:mqtt:12345';
SELECT last_contact = iot.now() AS contact FROM iot.device_interface WHERE node_id = 'urn:lo:nsid:mqtt:12345';

-- auto-provisioning (on by default): MQTT and x-connector ids
SELECT device_id FROM test.msg(iot.ingest('{"value": {}}', connector => 'mqtt', node_id => 'myTest')) m;
SELECT device_id FROM test.msg(iot.ingest('{"value": {}}', connector => 'x-connector', node_id => 'myDevice_101')) m;
SELECT d.id, d.description, i.connector, i.node_id, i.status, i.definition
  FROM iot.device d JOIN iot.device_interface i ON i.device_id = d.id
 WHERE d.id IN ('urn:lo:nsid:mqtt:myTest', 'urn:lo:nsid:x-connector:myDevice_101') ORDER BY 1;

-- bad input: a clear error, a stable SQLSTATE, the position; nothing stored
SELECT count(*) AS before FROM iot.message \gset
SELECT test.try($$SELECT iot.ingest('{"value": {}}', 'urn:lo:nsid:bad id:1')$$);
SELECT test.try($$SELECT iot.ingest('{"value": [1, 2]}', 'urn:lo:nsid:mqtt:12345')$$);
SELECT test.try($$SELECT iot.ingest('{"value": 42}', 'urn:lo:nsid:mqtt:12345')$$);
SELECT test.try($$SELECT iot.ingest('"just a string"', 'urn:lo:nsid:mqtt:12345')$$);
SELECT test.try($$SELECT iot.ingest('{"value": {}, "timestamp": "2020-13-01T00:00:00Z"}', 'urn:lo:nsid:mqtt:12345')$$);
SELECT test.try($$SELECT iot.ingest('{"value": {}, "timestamp": "2020-02-30T00:00:00Z"}', 'urn:lo:nsid:mqtt:12345')$$);
SELECT test.try($$SELECT iot.ingest('{"value": {}, "timestamp": "yesterday"}', 'urn:lo:nsid:mqtt:12345')$$);
SELECT test.try($$SELECT iot.ingest('{"value": {}, "timestamp": 1700000000}', 'urn:lo:nsid:mqtt:12345')$$);
SELECT test.try($$SELECT iot.ingest('{"value": {}, "timestamp": "2020-10-13T12:15:02Zjunk"}', 'urn:lo:nsid:mqtt:12345')$$);
SELECT test.try($$SELECT iot.ingest('{"value": {"a.b": 1}}', 'urn:lo:nsid:mqtt:12345')$$);
SELECT test.try($$SELECT iot.ingest('{"value": {}, "streamId": "a b"}', 'urn:lo:nsid:mqtt:12345')$$);
SELECT test.try($$SELECT iot.ingest('{"value": {}, "model": "v1.0"}', 'urn:lo:nsid:mqtt:12345')$$);
SELECT test.try($$SELECT iot.ingest('{"value": {}, "tags": ["a", 1]}', 'urn:lo:nsid:mqtt:12345')$$);
SELECT test.try($$SELECT iot.ingest('{"value": {}, "tags": ["1","2","3","4","5","6","7","8","9","10","11"]}', 'urn:lo:nsid:mqtt:12345')$$);
SELECT test.try($$SELECT iot.ingest('{"value": {}, "location": {"lat": 95, "lon": 0}}', 'urn:lo:nsid:mqtt:12345')$$);
SELECT test.try($$SELECT iot.ingest('{"value": {}, "location": {"lat": "48", "lon": 2}}', 'urn:lo:nsid:mqtt:12345')$$);
SELECT test.try($$SELECT iot.ingest('{"value": {}}')$$);
SELECT test.try($$SELECT iot.ingest('{"value": {}}', connector => 'carrier-pigeon', node_id => 'x')$$);
SELECT test.try($$SELECT iot.ingest('{"value": {}}', connector => 'mqtt', node_id => 'bad/node')$$);
SELECT test.try($$SELECT iot.ingest('{"value": {}}', 'urn:lo:nsid:x:other', connector => 'mqtt', node_id => 'urn:lo:nsid:mqtt:12345')$$);
SELECT test.try(format($$SELECT iot.ingest('{"value": {"big": "%s"}}', 'urn:lo:nsid:mqtt:12345')$$, repeat('x', 1048577)));
-- unknown device when auto-provisioning is off
UPDATE iot.tenant SET settings = settings || '{"autoProvisioning": false}' WHERE id = :'t';
SELECT test.try($$SELECT iot.ingest('{"value": {}}', 'urn:lo:nsid:mqtt:unknown')$$);
SELECT test.try($$SELECT iot.ingest('{"value": {}}', connector => 'mqtt', node_id => 'unknown2')$$);
SELECT count(*) AS devices_created FROM iot.device WHERE id LIKE 'urn:lo:nsid:mqtt:unknown%';
-- a disabled interface cannot send
SELECT iot.interface_update('urn:lo:nsid:mqtt:12345', 'mqtt', 'urn:lo:nsid:mqtt:12345', '{"enabled": false}') ->> 'status';
SELECT test.try($$SELECT iot.ingest('{"value": {}}', connector => 'mqtt', node_id => 'urn:lo:nsid:mqtt:12345')$$);
SELECT count(*) - :before AS stored_by_bad_input FROM iot.message;
-- no tenant selected
RESET iot.tenant;
SELECT test.try($$SELECT iot.ingest('{"value": {}}', 'urn:lo:nsid:mqtt:12345')$$);
