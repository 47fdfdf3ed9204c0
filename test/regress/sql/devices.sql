-- Devices and interfaces (manual 5.2-5.4; digest T1, T2).
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2026-01-15 10:00:00+00';
SELECT iot.tenant_create('devices-t') IS NOT NULL;
SELECT iot.use_tenant('devices-t') IS NOT NULL;

-- T1: device ids
SELECT id, iot.device_id_valid(id) FROM (VALUES
    ('urn:lo:nsid:sensor:temp001'), ('urn:lo:nsid:tempSensor:17872800001W'),
    ('urn:lo:nsid:gtw_M50:7891001'), ('urn:lo:nsid:gtw-M200:7891:001'),
    ('urn:lo:nsid:sensor:temp#1'), ('urn:lo:nsid:a/b:1'), ('urn:lo:sensor:1'),
    ('urn:lo:nsid:' || repeat('n', 128) || ':' || repeat('i', 128)),
    ('urn:lo:nsid:' || repeat('n', 129) || ':1'), ('urn:lo:nsid:ns:' || repeat('i', 129)),
    ('urn:lo:nsid::1'), ('urn:lo:nsid:ns:'), ('urn:lo:nsid:ns')) v(id);
SELECT test.try($$SELECT iot.device_id_check('urn:lo:nsid:sensor:temp#1')$$);
SELECT test.try($$SELECT iot.device_id_check('urn:lo:nsid:a/b:1')$$);
SELECT test.try($$SELECT iot.device_id_check('urn:lo:sensor:1')$$);

-- T2: register a device
SELECT iot.group_ensure('/france/lyon') AS lyon \gset
SELECT iot.device_create('{"id": "urn:lo:nsid:sensor:temp001", "tags": ["Lyon", "Test"], "name": "mySensor001",
    "description": "moisture sensor", "properties": {"manufacturer": "Orange", "model": "MoistureSensorV3"},
    "group": {"path": "/france/lyon"}}') - 'group' AS created;
SELECT iot.device_get('urn:lo:nsid:sensor:temp001') -> 'group' = jsonb_build_object('id', :'lyon', 'path', '/france/lyon') AS group_ok;
SELECT test.try($$SELECT iot.device_create('{"id": "urn:lo:nsid:sensor:temp001"}')$$);
SELECT test.try($$SELECT iot.device_create('{"id": "urn:lo:nsid:sensor:temp002", "group": {"path": "/nowhere"}}')$$);
SELECT test.try($$SELECT iot.device_create('{"id": "urn:lo:nsid:sensor:bad id"}')$$);
SELECT test.try($$SELECT iot.device_create('{"id": "urn:lo:nsid:sensor:x", "tags": "notalist"}')$$);
SELECT test.try($$SELECT iot.device_create('{"id": "urn:lo:nsid:sensor:x", "properties": {"n": 1}}')$$);
SELECT test.try($$SELECT iot.device_create('{"id": "urn:lo:nsid:sensor:x", "staticLocation": {"lat": 91, "lon": 0}}')$$);
SELECT test.try($$SELECT iot.device_create('[1]')$$);
SELECT count(*) AS nothing_half_created FROM iot.device WHERE id LIKE 'urn:lo:nsid:sensor:x%';

-- with interfaces and a static location
SELECT jsonb_pretty(iot.device_create('{"id": "urn:lo:nsid:mqtt:dev42", "staticLocation": {"lat": 48.82198, "lon": 2.545599, "alt": 12},
    "interfaces": [{"connector": "mqtt", "enabled": true, "definition": {"clientId": "urn:lo:nsid:mqtt:dev42", "encoding": "enc_v1"}},
                   {"connector": "sms", "definition": {"msisdn": "33601201201"}}]}') - '{created,updated}'::text[]) AS dev42;
SELECT test.try($$SELECT iot.device_create('{"id": "urn:lo:nsid:mqtt:dev43", "interfaces": [{"connector": "sms", "definition": {"msisdn": "33601201201"}}]}')$$);
SELECT count(*) AS dev43_absent FROM iot.device WHERE id = 'urn:lo:nsid:mqtt:dev43';
SELECT test.try($$SELECT iot.interface_add('urn:lo:nsid:mqtt:dev42', '{"connector": "lora", "definition": {}}')$$);
SELECT test.try($$SELECT iot.interface_add('urn:lo:nsid:mqtt:nope', '{"connector": "lora", "definition": {"devEUI": "01"}}')$$);
SELECT iot.interface_add('urn:lo:nsid:mqtt:dev42', '{"connector": "lora", "definition": {"devEUI": "20635F0108000C8D", "profile": "Generic_classA_RX2SF9"}}') ->> 'status' AS lora_status;

-- PATCH an interface: definition merged, enabled toggles the status
SELECT iot.interface_update('urn:lo:nsid:mqtt:dev42', 'sms', '33601201201', '{"enabled": false, "definition": {"encoding": "myDecoder"}}') - '{created,updated}'::text[] AS sms_patched;
SELECT iot.interface_update('urn:lo:nsid:mqtt:dev42', 'lora', '20635F0108000C8D', '{"enabled": false}') ->> 'status' AS lora_off,
       iot.interface_update('urn:lo:nsid:mqtt:dev42', 'lora', '20635F0108000C8D', '{"enabled": true}') ->> 'status' AS lora_on;
-- move an interface to another device
SELECT iot.interface_update('urn:lo:nsid:mqtt:dev42', 'lora', '20635F0108000C8D', '{"deviceId": "urn:lo:nsid:sensor:temp001"}') ->> 'deviceId' AS moved_to;
SELECT test.try($$SELECT iot.interface_update('urn:lo:nsid:mqtt:dev42', 'lora', '20635F0108000C8D', '{"enabled": false}')$$);
SELECT iot.interface_delete('urn:lo:nsid:sensor:temp001', 'lora', '20635F0108000C8D');
SELECT test.try($$SELECT iot.interface_delete('urn:lo:nsid:sensor:temp001', 'lora', '20635F0108000C8D')$$);

-- update: absent keys unchanged, staticLocation {} removes it
SELECT jsonb_pretty(iot.device_update('urn:lo:nsid:mqtt:dev42', '{"name": "renamed", "tags": ["a"], "group": {"path": "/france"}}')
       - '{created,updated,interfaces}'::text[] #- '{group,id}') AS updated;
SELECT iot.device_update('urn:lo:nsid:mqtt:dev42', '{"staticLocation": {}}') ? 'staticLocation' AS still_located;
SELECT test.try($$SELECT iot.device_update('urn:lo:nsid:mqtt:nope', '{"name": "x"}')$$);
SELECT test.try($$SELECT iot.device_update('urn:lo:nsid:mqtt:dev42', '{"group": {"id": "nope"}}')$$);

-- delete: interfaces go with the device
SELECT iot.device_delete('urn:lo:nsid:mqtt:dev42');
SELECT count(*) AS interfaces_left FROM iot.device_interface WHERE device_id = 'urn:lo:nsid:mqtt:dev42';
SELECT test.try($$SELECT iot.device_delete('urn:lo:nsid:mqtt:dev42')$$);
