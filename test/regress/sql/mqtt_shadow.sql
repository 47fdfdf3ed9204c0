-- Device shadows ($aws/things/<thing>/shadow/...): update with merge,
-- metadata and versions, accepted/rejected, documents, delta, get, delete,
-- named shadows; the application side (iot.shadow_update / _get / _delete).
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2030-06-01 00:00:00+00';
SELECT iot.tenant_create('mqtt-sh') IS NOT NULL;
SELECT iot.use_tenant('mqtt-sh') IS NOT NULL;
SELECT iot.mqtt_sessions(jsonb_build_array(jsonb_build_object(
    'event', 'connect', 'tenant', iot.current_tenant(), 'mode', 'device', 'clientId', 'printer1', 'keyId', 'k',
    'username', 'json+device', 'address', '127.0.0.1', 'protocolVersion', 4, 'keepalive', 60,
    'tls', true, 'certAuth', true, 'at', '2030-06-01T00:00:00.000Z')));
CREATE FUNCTION pg_temp.shadow(topic text, payload jsonb) RETURNS jsonb
    LANGUAGE sql AS $$
    SELECT iot.mqtt_handle(jsonb_build_array(jsonb_build_object(
        'kind', 'shadow', 'mode', 'device', 'clientId', 'printer1', 'keyId', 'k', 'topic', topic, 'payload', payload))) $$;
-- what the device receives, then marked sent
CREATE FUNCTION pg_temp.received() RETURNS TABLE (topic text, client text, message jsonb)
    LANGUAGE sql AS $$
    WITH d AS (UPDATE iot.outbox o SET delivered = iot.now()
                WHERE o.tenant_id = iot.current_tenant() AND o.channel = 'mqtt' AND o.delivered IS NULL
               RETURNING o.id, o.topic, o.payload)
    SELECT d.topic, d.payload ->> 'clientId', d.payload -> 'message' FROM d ORDER BY d.id $$;

-- the reference client reports its state (seed 002)
SELECT pg_temp.shadow('$aws/things/printer1/shadow/update',
    '{"state": {"reported": {"event_publishing_enabled": true, "event_type_blacklist": []}}, "clientToken": "c1"}');
SELECT * FROM pg_temp.received();
-- the application sets a desired state: the device gets the delta
SET pgiot.now = '2030-06-01 00:00:10+00';
SELECT iot.shadow_update('printer1', '{"state": {"desired": {"event_publishing_enabled": false, "event_type_blacklist": []}}}');
SELECT * FROM pg_temp.received();
-- a stale version is refused (409), a bad state too (400)
SELECT pg_temp.shadow('$aws/things/printer1/shadow/update', '{"state": {"reported": {"x": 1}}, "version": 1, "clientToken": "c2"}');
SELECT pg_temp.shadow('$aws/things/printer1/shadow/update', '{"reported": {"x": 1}}');
SELECT pg_temp.shadow('$aws/things/printer1/shadow/update', '{"state": {"other": {}}}');
SELECT pg_temp.shadow('$aws/things/printer1/shadow/update', '[]');
SELECT * FROM pg_temp.received();
SELECT test.try($$SELECT iot.shadow_update('printer1', '{"state": {"desired": {"a": 1}}, "version": 99}')$$);
SELECT test.try($$SELECT iot.shadow_update('printer1', '{"state": 5}')$$);
-- the device complies (current version given), nested merge and removal with null
SET pgiot.now = '2030-06-01 00:00:20+00';
SELECT pg_temp.shadow('$aws/things/printer1/shadow/update',
    '{"state": {"reported": {"event_publishing_enabled": false, "tray": {"a4": 100, "a3": 3}}}, "version": 2}');
SELECT pg_temp.shadow('$aws/things/printer1/shadow/update', '{"state": {"reported": {"tray": {"a3": null}}}}');
SELECT topic, message -> 'state' AS state, message -> 'version' AS version FROM pg_temp.received();
-- get: state with delta (none left), metadata, version
SELECT pg_temp.shadow('$aws/things/printer1/shadow/get', '{"clientToken": "g1"}');
SELECT * FROM pg_temp.received();
SELECT iot.shadow_get('printer1') -> 'state' -> 'desired';
-- a desired value the device does not have yet shows in get's delta
SELECT iot.shadow_update('printer1', '{"state": {"desired": {"tray": {"a4": 50}}}}') -> 'version';
SELECT topic, message -> 'state' AS state FROM pg_temp.received() WHERE topic LIKE '%delta';
SELECT iot.shadow_get('printer1') -> 'state' -> 'delta';
-- named shadows are separate documents
SELECT pg_temp.shadow('$aws/things/printer1/shadow/name/ink/update', '{"state": {"reported": {"cyan": 80}}}');
SELECT topic, message -> 'version' AS version FROM pg_temp.received();
SELECT thing, name, version FROM iot.device_shadow WHERE tenant_id = iot.current_tenant() ORDER BY name;
-- delete, then get and delete are 404
SELECT pg_temp.shadow('$aws/things/printer1/shadow/delete', '{}');
SELECT pg_temp.shadow('$aws/things/printer1/shadow/get', '{}');
SELECT pg_temp.shadow('$aws/things/printer1/shadow/delete', '{}');
SELECT * FROM pg_temp.received();
SELECT test.try($$SELECT iot.shadow_get('printer1')$$);
-- another thing's shadow cannot be reached from this client
SELECT pg_temp.shadow('$aws/things/printer2/shadow/get', '{}');
SELECT code, message FROM iot.audit_log WHERE tenant_id = iot.current_tenant() ORDER BY id;
-- the helpers
SELECT iot._shadow_merge('{"a": {"b": 1, "c": 2}, "d": 3}', '{"a": {"b": null, "e": 4}, "d": null}');
SELECT iot._shadow_delta('{"a": {"b": 1, "c": 2}, "d": [1]}', '{"a": {"b": 1, "c": 3}, "d": [1]}');
SELECT iot._shadow_meta('{"a": {"b": 1}, "c": null}', 1);
