-- MQTT: CONNECT authentication (iot.mqtt_authenticate) and the broker
-- plugin's session events (iot.mqtt_sessions): interface status,
-- activity, capabilities, deviceStatus events, refused topics.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2030-03-01 10:00:00+00';
CREATE TEMP TABLE k AS
SELECT (SELECT master_key FROM iot.tenant_create('mqtt-s')) AS master;
SELECT iot.use_tenant('mqtt-s') IS NOT NULL;
ALTER TABLE k ADD dev text, ADD data_w text, ADD conn text, ADD app text;
UPDATE k SET dev = (SELECT secret FROM iot.api_key_create('dev', ARRAY['DEVICE_ACCESS'])),
             data_w = (SELECT secret FROM iot.api_key_create('data', ARRAY['DATA_W'])),
             conn = (SELECT secret FROM iot.api_key_create('conn', ARRAY['CONNECTOR_ACCESS'])),
             app = (SELECT secret FROM iot.api_key_create('app', ARRAY['BUS_R'], fifos => ARRAY['a']));
CREATE FUNCTION pg_temp.auth(secret text, username text, client text, fp text DEFAULT NULL) RETURNS text
    LANGUAGE sql AS $$
    SELECT verdict || ' ' || coalesce(array_to_string(roles, ','), '-') || ' ' || coalesce(array_to_string(fifos, ','), '-')
           || ' ' || detail
      FROM iot.mqtt_authenticate(secret, username, client, fp) $$;

-- verdicts: 0 accepted, 4 bad credentials, 5 not authorised
SELECT pg_temp.auth(dev, 'json+device', 'urn:lo:nsid:mqtt:a') FROM k;
SELECT pg_temp.auth('not-a-key', 'json+device', 'urn:lo:nsid:mqtt:a');
SELECT pg_temp.auth(dev, 'JSON+DEVICE', 'urn:lo:nsid:mqtt:a') FROM k;
SELECT pg_temp.auth(data_w, 'json+device', 'urn:lo:nsid:mqtt:a') FROM k;
SELECT pg_temp.auth(dev, 'connector', 'gw1') FROM k;
SELECT pg_temp.auth(conn, 'connector', 'gw1') FROM k;
SELECT pg_temp.auth(app, 'application', 'app1') FROM k;
SELECT pg_temp.auth(data_w, 'application', 'app1') FROM k;
SELECT pg_temp.auth(conn, 'application', 'app1') FROM k;
-- a disabled key no longer authenticates
SELECT iot.api_key_update((SELECT id FROM iot.api_key WHERE name = 'data'), enabled => false);
SELECT pg_temp.auth(data_w, 'application', 'app1') FROM k;
-- a client id that makes no valid device id
SELECT pg_temp.auth(dev, 'json+device', 'urn:lo:nsid:bad') FROM k;
-- clientCert.required: the key works only with a client certificate
SELECT iot.api_key_client_cert((SELECT id FROM iot.api_key WHERE name = 'conn')) AS never_set;
SELECT iot.api_key_client_cert_set((SELECT id FROM iot.api_key WHERE name = 'conn'),
                                   '{"caCertIds": ["ca1"], "required": true}') AS client_cert;
SELECT pg_temp.auth(conn, 'connector', 'gw1') FROM k;
SELECT pg_temp.auth(conn, 'connector', 'gw1', repeat('ab', 32)) FROM k;
SELECT iot.api_key_client_cert_set((SELECT id FROM iot.api_key WHERE name = 'conn'), '{"required": false}') AS kept_ca;
SELECT pg_temp.auth(conn, 'connector', 'gw1') FROM k;
SELECT test.try($$SELECT iot.api_key_client_cert_set((SELECT id FROM iot.api_key WHERE name = 'conn'), '{"required": "yes"}')$$);
SELECT test.try($$SELECT iot.api_key_client_cert_set((SELECT id FROM iot.api_key WHERE name = 'conn'), '{"caCertIds": [1]}')$$);
SELECT test.try($$SELECT iot.api_key_client_cert_set((SELECT id FROM iot.api_key WHERE name = 'conn'), '{"other": 1}')$$);
SELECT test.try($$SELECT iot.api_key_client_cert_set('00000000-0000-0000-0000-000000000000', '{"required": true}')$$);

-- the plugin's events: connect provisions device and interface, ONLINE
SELECT iot.mqtt_sessions(jsonb_build_array(
    jsonb_build_object('event', 'connect', 'tenant', iot.current_tenant(), 'mode', 'device',
                       'clientId', 'urn:lo:nsid:mqtt:a', 'keyId', 'k1', 'username', 'json+device',
                       'address', '127.0.0.1', 'protocolVersion', 4, 'keepalive', 60, 'tls', false,
                       'certAuth', false, 'at', '2030-03-01T10:00:00.000Z')));
SELECT id, description FROM iot.device WHERE tenant_id = iot.current_tenant() ORDER BY id;
SELECT connector, node_id, status, activity, capabilities FROM iot.device_interface WHERE tenant_id = iot.current_tenant();
-- subscribing to dev/cmd and dev/cfg/upd announces capabilities
SELECT iot.mqtt_sessions(jsonb_build_array(
    jsonb_build_object('event', 'subscribe', 'tenant', iot.current_tenant(), 'mode', 'device',
                       'clientId', 'urn:lo:nsid:mqtt:a', 'keyId', 'k1', 'command', true,
                       'configuration', true, 'resource', false, 'shadow', false)));
SELECT capabilities FROM iot.device_interface WHERE tenant_id = iot.current_tenant();
-- disconnect: OFFLINE, end of session recorded, capabilities gone
SET pgiot.now = '2030-03-01 10:05:00+00';
SELECT iot.mqtt_sessions(jsonb_build_array(
    jsonb_build_object('event', 'disconnect', 'tenant', iot.current_tenant(), 'mode', 'device',
                       'clientId', 'urn:lo:nsid:mqtt:a', 'keyId', 'k1', 'at', '2030-03-01T10:05:00.000Z')));
SELECT status, activity ->> 'lastSessionEndTime' AS ended, capabilities -> 'command' AS command
  FROM iot.device_interface WHERE tenant_id = iot.current_tenant();
-- reconnect: ONLINE again
SELECT iot.mqtt_sessions(jsonb_build_array(
    jsonb_build_object('event', 'connect', 'tenant', iot.current_tenant(), 'mode', 'device',
                       'clientId', 'urn:lo:nsid:mqtt:a', 'keyId', 'k1', 'username', 'json+device',
                       'address', '127.0.0.1', 'protocolVersion', 4, 'keepalive', 30, 'tls', true,
                       'certAuth', false, 'at', '2030-03-01T10:06:00.000Z')));
SELECT status, activity ? 'lastSessionEndTime' AS has_end, activity -> 'security' AS security FROM iot.device_interface WHERE tenant_id = iot.current_tenant();
SELECT type, payload -> 'updatedInterface' -> 'status' AS status FROM iot.event
 WHERE tenant_id = iot.current_tenant() AND type = 'deviceStatus' ORDER BY id;
-- refused topics are audited; a bad event is audited, the rest applied
SELECT iot.mqtt_sessions(jsonb_build_array(
    jsonb_build_object('event', 'denied', 'tenant', iot.current_tenant(), 'mode', 'device',
                       'clientId', 'urn:lo:nsid:mqtt:a', 'keyId', 'k1', 'access', 'subscribe', 'topic', 'dev/#'),
    jsonb_build_object('event', 'bogus', 'tenant', iot.current_tenant()),
    jsonb_build_object('event', 'connect', 'tenant', 'not-a-uuid')));
SELECT code, message, details - 'tenant' FROM iot.audit_log
 WHERE tenant_id = iot.current_tenant() OR (tenant_id IS NULL AND component = 'mqtt') ORDER BY id;
SELECT test.try($$SELECT iot.mqtt_sessions('{}')$$);

-- a disabled interface refuses the connection
SELECT iot.interface_update('urn:lo:nsid:mqtt:a', 'mqtt', 'urn:lo:nsid:mqtt:a', '{"enabled": false}') ->> 'status';
SELECT pg_temp.auth(dev, 'json+device', 'urn:lo:nsid:mqtt:a') FROM k;
-- auto-provisioning off: unknown clients are refused, known ones accepted
UPDATE iot.tenant SET settings = settings || '{"autoProvisioning": false}' WHERE name = 'mqtt-s';
SELECT pg_temp.auth(dev, 'json+device', 'urn:lo:nsid:mqtt:new') FROM k;
SELECT iot.device_create('{"id": "urn:lo:nsid:mqtt:pre", "interfaces": [{"connector": "mqtt", "definition": {"clientId": "pre"}}]}') ->> 'id';
SELECT pg_temp.auth(dev, 'json+device', 'pre') FROM k;

-- client certificates: a registered fingerprint identifies its client id
SELECT test.try($$SELECT iot.mqtt_cert_register('zz', 'pre')$$);
SELECT test.try($$SELECT iot.mqtt_cert_register(repeat('ab', 32), 'bad id')$$);
SELECT iot.mqtt_cert_register(repeat('AB:', 31) || 'AB', 'pre');
SELECT test.try($$SELECT iot.mqtt_cert_register(repeat('ab', 32), 'pre')$$);
SELECT pg_temp.auth(NULL, 'json+device', 'pre', repeat('ab', 32));
SELECT pg_temp.auth(NULL, 'json+device', 'other', repeat('ab', 32));
SELECT pg_temp.auth(NULL, 'json+device', 'pre', repeat('cd', 32));

-- only pgiot_service may call the plugin's functions
CREATE ROLE regress_mqtt_nobody LOGIN IN ROLE pgiot_tenant;
SET ROLE regress_mqtt_nobody;
SELECT test.try($$SELECT * FROM iot.mqtt_authenticate('x', 'json+device', 'c')$$);
SELECT test.try($$SELECT iot.mqtt_sessions('[]')$$);
RESET ROLE;
DROP ROLE regress_mqtt_nobody;
