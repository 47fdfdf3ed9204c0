-- Configuration (8.2), resources (8.4) and x-connector NodeStatus (6.6.3)
-- over MQTT, played with iot.mqtt_sessions() / iot.mqtt_handle().
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2030-05-01 08:00:00+00';
SELECT iot.tenant_create('mqtt-d') IS NOT NULL;
SELECT iot.use_tenant('mqtt-d') IS NOT NULL;
CREATE FUNCTION pg_temp.session(ev text, client text, extra jsonb DEFAULT '{}') RETURNS jsonb
    LANGUAGE sql AS $$
    SELECT iot.mqtt_sessions(jsonb_build_array(jsonb_build_object(
        'event', ev, 'tenant', iot.current_tenant(), 'mode', 'device', 'clientId', client, 'keyId', 'k',
        'username', 'json+device', 'address', '127.0.0.1', 'protocolVersion', 4, 'keepalive', 60,
        'tls', false, 'certAuth', false, 'at', iot.iso_time(iot.now())) || extra)) $$;
CREATE FUNCTION pg_temp.publish(client text, kind text, topic text, payload jsonb, mode text DEFAULT 'device') RETURNS jsonb
    LANGUAGE sql AS $$
    SELECT iot.mqtt_handle(jsonb_build_array(jsonb_build_object(
        'kind', kind, 'mode', mode, 'clientId', client, 'keyId', 'k', 'topic', topic, 'payload', payload,
        'nodeId', substring(topic FROM '^connector/v1/nodes/([^/]+)/')))) $$;
CREATE FUNCTION pg_temp.downlinks() RETURNS TABLE (topic text, client text, message jsonb)
    LANGUAGE sql AS $$
    SELECT o.topic, o.payload ->> 'clientId',
           CASE WHEN jsonb_typeof(o.payload -> 'message' -> 'targetVersion') = 'number'
                THEN jsonb_set(o.payload -> 'message', '{targetVersion}', '"<cid>"')
                ELSE o.payload -> 'message' END - 'cid' - 'updateCorrelationId'
      FROM iot.outbox o WHERE o.tenant_id = iot.current_tenant() AND o.channel = 'mqtt' AND o.delivered IS NULL
     ORDER BY o.id $$;
CREATE FUNCTION pg_temp.sent() RETURNS void
    LANGUAGE sql AS $$ UPDATE iot.outbox SET delivered = iot.now() WHERE tenant_id = iot.current_tenant() AND channel = 'mqtt' $$;
CREATE FUNCTION pg_temp.last(field text) RETURNS jsonb
    LANGUAGE sql AS $$ SELECT payload -> 'message' -> field FROM iot.outbox
                        WHERE tenant_id = iot.current_tenant() AND channel = 'mqtt' ORDER BY id DESC LIMIT 1 $$;
CREATE FUNCTION pg_temp.status() RETURNS TABLE (key text, status text, requested jsonb, reported jsonb)
    LANGUAGE sql AS $$
    SELECT e.key, e.value ->> 'syncStatus', e.value -> 'requested' -> 'value', e.value -> 'reported' -> 'value'
      FROM jsonb_each(iot.config_parameters('urn:lo:nsid:mqtt:cfg1')) e ORDER BY 1 $$;

------------------------------------------------------------------------------
-- T12: configuration over MQTT
------------------------------------------------------------------------------
SELECT test.try($$SELECT iot.config_set('urn:lo:nsid:mqtt:nobody', '{"parameters": {}}')$$);
SELECT pg_temp.session('connect', 'cfg1');
SELECT test.try($$SELECT iot.config_set('urn:lo:nsid:mqtt:cfg1', '{"parameters": {"p": {"type": "INT32", "value": 2147483648}}}')$$);
SELECT test.try($$SELECT iot.config_set('urn:lo:nsid:mqtt:cfg1', '{"parameters": {"p": {"type": "UINT32", "value": -1}}}')$$);
SELECT test.try($$SELECT iot.config_set('urn:lo:nsid:mqtt:cfg1', '{"parameters": {"$foo": {"type": "STRING", "value": "x"}}}')$$);
SELECT test.try($$SELECT iot.config_set('urn:lo:nsid:mqtt:cfg1', '{"parameters": {"p": {"type": "BINARY", "value": "DEBUG"}}}')$$);
SELECT test.try($$SELECT iot.config_set('urn:lo:nsid:mqtt:cfg1', '{"parameters": {"p": {"type": "TIMESTAMP", "value": 1}}}')$$);
SELECT test.try($$SELECT iot.config_set('urn:lo:nsid:mqtt:cfg1', '{"parameters": {"p": {"type": "STRING", "value": 5}}}')$$);
SELECT iot.config_set('urn:lo:nsid:mqtt:cfg1', '{"parameters": {"MyParamINT32": {"type": "INT32", "value": -333},
    "MyParamSTRING": {"type": "STRING", "value": "My sentense"}}, "notifyTo": "fifo/configUpdateFifo"}');
SELECT * FROM pg_temp.downlinks();
-- subscribing to dev/cfg/upd sends the update
SELECT pg_temp.session('subscribe', 'cfg1', '{"command": false, "configuration": true, "resource": false}');
SELECT * FROM pg_temp.downlinks();
SELECT * FROM pg_temp.status();
-- the device answers on dev/cfg with the cid: equal -> OK, different -> FAILED
SET pgiot.now = '2030-05-01 08:00:10+00';
SELECT pg_temp.publish('cfg1', 'dev/cfg', 'dev/cfg', jsonb_build_object('cfg',
    '{"MyParamINT32": {"t": "i32", "v": -333}, "MyParamSTRING": {"t": "str", "v": "other"}}'::jsonb, 'cid', pg_temp.last('cid')));
SELECT * FROM pg_temp.status();
SELECT iot.config_parameter('urn:lo:nsid:mqtt:cfg1', 'MyParamINT32');
SELECT test.try($$SELECT iot.config_parameter('urn:lo:nsid:mqtt:cfg1', 'nope')$$);
SELECT iot.config_get('urn:lo:nsid:mqtt:cfg1') ->> 'notifyTo' AS notify_to;
SELECT payload -> 'parameters' AS parameters, payload ->> 'notifyTo' AS notify_to FROM iot.event
 WHERE tenant_id = iot.current_tenant() AND type = 'deviceConfigUpdate';
SELECT pg_temp.sent();
-- a device reporting its own current config: unrequested keys are NONE;
-- a PENDING request the device already meets is OK, the others are sent
SELECT pg_temp.session('disconnect', 'cfg1');
SELECT iot.config_set('urn:lo:nsid:mqtt:cfg1', '{"parameters": {"log_level": {"type": "STRING", "value": "DEBUG"},
    "conn_freq": {"type": "INT32", "value": 60}}}') IS NOT NULL;
SELECT pg_temp.session('connect', 'cfg1');
SELECT pg_temp.session('subscribe', 'cfg1', '{"command": false, "configuration": true, "resource": false}');
SELECT pg_temp.sent();
SELECT pg_temp.publish('cfg1', 'dev/cfg', 'dev/cfg', '{"cfg": {"log_level": {"t": "str", "v": "DEBUG"},
    "secret_key": {"t": "bin", "v": "Nzg3ODY4Ng=="}, "conn_freq": {"t": "i32", "v": 80000}}}');
SELECT * FROM pg_temp.status();
-- requested == reported: OK at once, nothing sent; withdrawing a request cancels it
SELECT iot.config_set('urn:lo:nsid:mqtt:cfg1', '{"parameters": {"conn_freq": {"type": "INT32", "value": 80000}}}') -> 'parameters' -> 'conn_freq' ->> 'syncStatus';
SELECT iot.config_set('urn:lo:nsid:mqtt:cfg1', '{"parameters": {"MyParamSTRING": {"type": "STRING", "value": "again"}}}') IS NOT NULL;
SELECT key, status FROM pg_temp.status() WHERE key = 'MyParamSTRING';
SELECT iot.config_set('urn:lo:nsid:mqtt:cfg1', '{"parameters": {"MyParamSTRING": null}}') -> 'parameters' -> 'MyParamSTRING';
SELECT pg_temp.publish('cfg1', 'dev/cfg', 'dev/cfg', '{"cfg": {"x": {"t": "float", "v": 1}}}');
SELECT pg_temp.publish('cfg1', 'dev/cfg', 'dev/cfg', '{"cfg": {"x": {"t": "i32", "v": "ten"}}}');
SELECT code, message FROM iot.audit_log WHERE tenant_id = iot.current_tenant() ORDER BY id;
SELECT pg_temp.sent();

------------------------------------------------------------------------------
-- T13: x-connector NodeStatus, auto-provisioning, ordering
------------------------------------------------------------------------------
SELECT pg_temp.publish('gw', 'connector/status', 'connector/v1/nodes/myDevice/status',
    '{"status": "ONLINE", "capabilities": {"command": {"available": true}, "configuration": {"available": true}, "resource": {"available": true}}, "sessionSequenceId": 1, "eventSequenceId": 3}', 'connector');
SELECT device_id, status, capabilities, activity FROM iot.device_interface
 WHERE tenant_id = iot.current_tenant() AND connector = 'x-connector';
SELECT pg_temp.publish('gw', 'connector/status', 'connector/v1/nodes/myDevice/status',
    '{"status": "OFFLINE", "sessionSequenceId": 1, "eventSequenceId": 2}', 'connector');
SELECT pg_temp.publish('gw', 'connector/status', 'connector/v1/nodes/myDevice/status', '{"status": "REGISTERED"}', 'connector');
SELECT status FROM iot.device_interface WHERE tenant_id = iot.current_tenant() AND connector = 'x-connector';
SELECT pg_temp.publish('gw', 'connector/status', 'connector/v1/nodes/myDevice/status',
    '{"status": "OFFLINE", "sessionSequenceId": 2, "eventSequenceId": 1, "lastContact": "2019-05-20T16:01:47Z"}', 'connector');
SELECT status, last_contact FROM iot.device_interface WHERE tenant_id = iot.current_tenant() AND connector = 'x-connector';
SELECT payload -> 'updatedInterface' -> 'status' FROM iot.event
 WHERE tenant_id = iot.current_tenant() AND type = 'deviceStatus' AND device_id LIKE '%x-connector%' ORDER BY id;
SELECT pg_temp.publish('gw', 'connector/status', 'connector/v1/nodes/myDevice/status',
    '{"status": "ONLINE", "sessionSequenceId": 3}', 'connector');

------------------------------------------------------------------------------
-- T15: x-connector configuration: acknowledged per parameter, by targetVersion and value
------------------------------------------------------------------------------
SELECT iot.config_set('urn:lo:nsid:x-connector:myDevice', '{"parameters": {
    "my_param1": {"type": "UINT32", "value": 4294967295}, "my_param2": {"type": "FLOAT", "value": 0.8862329945028716},
    "my_param3": {"type": "BINARY", "value": "WldGbE16QXdtRmlPV1pt"}, "my_param4": {"type": "INT32", "value": 1101263487},
    "my_param5": {"type": "STRING", "value": "my config as a string"}}}') IS NOT NULL;
SELECT topic, client, message FROM pg_temp.downlinks();
SELECT pg_temp.publish('gw', 'connector/response', 'connector/v1/responses/configuration',
    jsonb_build_object('nodeId', 'myDevice', 'targetVersion', pg_temp.last('targetVersion')::bigint + 1,
        'parameters', '{"my_param1": {"type": "UINT32", "value": 4294967295}}'::jsonb), 'connector');
SELECT e.key, e.value ->> 'syncStatus' FROM jsonb_each(iot.config_parameters('urn:lo:nsid:x-connector:myDevice')) e ORDER BY 1;
SELECT pg_temp.publish('gw', 'connector/response', 'connector/v1/responses/configuration',
    jsonb_build_object('nodeId', 'myDevice', 'targetVersion', pg_temp.last('targetVersion'),
        'parameters', '{"my_param1": {"type": "UINT32", "value": 4294967295}, "my_param2": {"type": "FLOAT", "value": 0.8862329945028716}}'::jsonb), 'connector');
SELECT e.key, e.value ->> 'syncStatus' FROM jsonb_each(iot.config_parameters('urn:lo:nsid:x-connector:myDevice')) e ORDER BY 1;
SELECT pg_temp.publish('gw', 'connector/current', 'connector/v1/current/configuration',
    '{"nodeId": "myDevice", "parameters": {"my_param4": {"type": "INT32", "value": 123}, "extra": {"type": "FLOAT", "value": 0.45562329946543}}}', 'connector');
SELECT e.key, e.value ->> 'syncStatus', e.value -> 'reported' ->> 'value' FROM jsonb_each(iot.config_parameters('urn:lo:nsid:x-connector:myDevice')) e ORDER BY 1;
SELECT pg_temp.sent();

------------------------------------------------------------------------------
-- T16/T17/T18: resources
------------------------------------------------------------------------------
SELECT iot.resource_put('X11_firmware', '{"label": "firmware", "connector": "http-updater"}') - 'creationTs' - 'updateTs';
SELECT iot.resource_version_add('X11_firmware', jsonb_build_object('resourceVersionId', '1.1', 'file', encode('v1.1 bytes', 'base64')));
SELECT iot.resource_version_add('X11_firmware', jsonb_build_object('resourceVersionId', '1.2', 'file', encode('v1.2 bytes', 'base64'),
       'checksum', encode(decode(md5('v1.2 bytes'), 'hex'), 'base64'), 'compatibleVersions', '["1.1"]'::jsonb));
SELECT test.try($$SELECT iot.resource_version_add('X11_firmware', '{"resourceVersionId": "1.3", "file": "AAAA", "checksum": "bad"}')$$);
SELECT test.try($$SELECT iot.resource_version_add('X11_firmware', '{"resourceVersionId": "1.1", "file": "AAAA"}')$$);
SELECT test.try($$SELECT iot.resource_put('X11_firmware', '{"versionAliases": {"prod": "9.9"}}')$$);
SELECT iot.resource_put('X11_firmware', '{"versionAliases": {"prod": "1.2"}}') -> 'versionAliases';
SELECT pg_temp.session('connect', 'fw1');
-- T16: 1.2 needs 1.1 and the device reported nothing yet
SELECT test.try($$SELECT iot.resource_update_create('urn:lo:nsid:mqtt:fw1', 'X11_firmware', '{"requestedVersion": "1.2"}')$$);
SELECT pg_temp.publish('fw1', 'dev/rsc', 'dev/rsc', '{"rsc": {"X11_firmware": {"v": "1.0"}}}');
SELECT test.try($$SELECT iot.resource_update_create('urn:lo:nsid:mqtt:fw1', 'X11_firmware', '{"requestedVersion": "prod"}')$$);
SELECT pg_temp.publish('fw1', 'dev/rsc', 'dev/rsc', '{"rsc": {"X11_firmware": {"v": "1.1", "m": {"size": 10}}, "X11_modem_driver": {"v": "4.0.M2"}}}');
SELECT iot.device_resources('urn:lo:nsid:mqtt:fw1');
-- T17: the update waits for the resource capability, then goes out
SELECT iot.resource_update_create('urn:lo:nsid:mqtt:fw1', 'X11_firmware', '{"requestedVersion": "prod"}') - 'id' - 'created' - 'updated' - 'history';
SELECT test.try($$SELECT iot.resource_update_create('urn:lo:nsid:mqtt:fw1', 'X11_firmware', '{"requestedVersion": "1.1"}')$$);
SELECT pg_temp.session('subscribe', 'fw1', '{"command": false, "configuration": false, "resource": true}');
SELECT topic, client, regexp_replace(message::text, '[0-9a-f]{48}', '<token>') FROM pg_temp.downlinks();
SELECT status FROM iot.resource_update WHERE tenant_id = iot.current_tenant();
-- accepted, downloaded, new version reported: DONE
SELECT pg_temp.publish('fw1', 'dev/rsc/upd/res', 'dev/rsc/upd/res', jsonb_build_object('res', 'OK', 'cid', pg_temp.last('cid')::text));
SELECT convert_from(iot.resource_download(token), 'UTF8') FROM iot.resource_update WHERE tenant_id = iot.current_tenant();
SELECT pg_temp.publish('fw1', 'dev/rsc', 'dev/rsc', '{"rsc": {"X11_firmware": {"v": "1.2"}}}');
SELECT status, initial_version, requested_version, token IS NULL AS link_revoked,
       jsonb_path_query_array(history, '$[*].status') FROM iot.resource_update WHERE tenant_id = iot.current_tenant();
SELECT pg_temp.sent();
-- a refusal ends in ERROR
SET pgiot.now = '2030-05-01 08:00:11+00';
UPDATE iot.device_resource SET reported_version = '1.1' WHERE tenant_id = iot.current_tenant() AND resource_id = 'X11_firmware';
SELECT iot.resource_update_create('urn:lo:nsid:mqtt:fw1', 'X11_firmware', '{"requestedVersion": "1.2"}') ->> 'status';
SELECT pg_temp.publish('fw1', 'dev/rsc/upd/res', 'dev/rsc/upd/res', jsonb_build_object('res', 'UNKNOWN_RESOURCE', 'cid', pg_temp.last('cid')));
SELECT status, error_code FROM iot.resource_update WHERE tenant_id = iot.current_tenant() ORDER BY created, id;
SELECT pg_temp.sent();
-- no answer within 5 minutes: back to PENDING; accepted then silence: ERROR
SET pgiot.now = '2030-05-01 08:00:12+00';
SELECT iot.resource_update_create('urn:lo:nsid:mqtt:fw1', 'X11_firmware', '{"requestedVersion": "1.2"}') ->> 'status';
SET pgiot.now = '2030-05-01 08:05:13+00';
SELECT iot._device_timeouts_for(iot.current_tenant());
SELECT status FROM iot.resource_update WHERE tenant_id = iot.current_tenant() ORDER BY created DESC, id LIMIT 1;
SELECT pg_temp.session('subscribe', 'fw1', '{"command": true, "configuration": false, "resource": true}');
SELECT pg_temp.publish('fw1', 'dev/rsc/upd/res', 'dev/rsc/upd/res', jsonb_build_object('res', 'OK', 'cid', pg_temp.last('cid')));
SET pgiot.now = '2030-05-01 08:10:14+00';
SELECT iot._device_timeouts_for(iot.current_tenant());
SELECT status, error_code FROM iot.resource_update WHERE tenant_id = iot.current_tenant() ORDER BY created DESC, id LIMIT 1;
SELECT pg_temp.sent();
-- dev/rsc/upd/err: the device's error, cut to 256 characters
SET pgiot.now = '2030-05-01 08:10:15+00';
SELECT iot.resource_update_create('urn:lo:nsid:mqtt:fw1', 'X11_firmware', '{"requestedVersion": "1.2"}') ->> 'status';
SELECT pg_temp.publish('fw1', 'dev/rsc/upd/err', 'dev/rsc/upd/err', jsonb_build_object('errorCode', 'DEV123.Z_FIRMW_CRC', 'errorDetails', repeat('x', 300)));
SELECT status, error_code, length(error_details) FROM iot.resource_update WHERE tenant_id = iot.current_tenant() ORDER BY created DESC, id LIMIT 1;
SELECT pg_temp.sent();
-- T18: cancels
SET pgiot.now = '2030-05-01 08:10:16+00';
SELECT iot.resource_update_create('urn:lo:nsid:mqtt:fw1', 'X11_firmware', '{"requestedVersion": "1.2"}') ->> 'status';
SELECT pg_temp.publish('fw1', 'dev/rsc/upd/res', 'dev/rsc/upd/res', jsonb_build_object('res', 'OK', 'cid', pg_temp.last('cid')));
SELECT test.try($$SELECT iot.resource_update_cancel('urn:lo:nsid:mqtt:fw1', 'X11_firmware')$$);
SELECT iot.resource_update_cancel('urn:lo:nsid:mqtt:fw1', 'X11_firmware', force => true) ->> 'status';
SELECT test.try($$SELECT iot.resource_download((SELECT token FROM iot.resource_update WHERE status = 'CANCELED' LIMIT 1))$$);
SELECT test.try($$SELECT iot.resource_update_cancel('urn:lo:nsid:mqtt:fw1', 'X11_firmware', true)$$);
-- requested version (set, then reset while PENDING: soft cancel)
SELECT pg_temp.sent();
SET pgiot.now = '2030-05-01 08:10:17+00';
SELECT pg_temp.session('disconnect', 'fw1');
SELECT iot.device_resource_request('urn:lo:nsid:mqtt:fw1', 'X11_firmware', '{"version": "prod"}') -> 'requested' ->> 'version';
SELECT status FROM iot.resource_update WHERE tenant_id = iot.current_tenant() ORDER BY created DESC, id LIMIT 1;
SELECT iot.device_resource_reset('urn:lo:nsid:mqtt:fw1', 'X11_firmware');
SELECT status FROM iot.resource_update WHERE tenant_id = iot.current_tenant() ORDER BY created DESC, id LIMIT 1;
SELECT count(*) AS updates FROM iot.resource_updates('urn:lo:nsid:mqtt:fw1');
-- x-connector resources: current versions and a failure report
SET pgiot.now = '2030-05-01 08:10:18+00';
SELECT pg_temp.publish('gw', 'connector/current', 'connector/v1/current/resource',
    '{"nodeId": "myDevice", "resources": {"X11_firmware": {"version": "1.1"}}}', 'connector');
SELECT iot.resource_update_create('urn:lo:nsid:x-connector:myDevice', 'X11_firmware', '{"requestedVersion": "1.2"}') ->> 'status';
SELECT topic, regexp_replace(message::text, '[0-9a-f]{48}', '<token>') FROM pg_temp.downlinks();
SELECT pg_temp.publish('gw', 'connector/response', 'connector/v1/responses/resource',
    jsonb_build_object('nodeId', 'myDevice', 'updateCorrelationId', (SELECT id FROM iot.resource_update
        WHERE tenant_id = iot.current_tenant() AND device_id LIKE '%myDevice' AND status = 'TRANSFER_PENDING'),
        'status', 'FAILED', 'error', '{"code": "myErrorCode", "details": "myErrorDetails"}'::jsonb), 'connector');
SELECT status, error_code, error_details FROM iot.resource_update WHERE tenant_id = iot.current_tenant() AND device_id LIKE '%myDevice';
SELECT pg_temp.publish('gw', 'connector/response', 'connector/v1/responses/resource',
    '{"nodeId": "myDevice", "updateCorrelationId": "x", "status": "OK"}', 'connector');
SELECT code, message FROM iot.audit_log WHERE tenant_id = iot.current_tenant() ORDER BY id DESC LIMIT 2;
