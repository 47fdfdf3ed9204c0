-- Commands (manual 8.3): validation, queue of 10, dispatch to MQTT
-- (dev/cmd) and x-connector clients, responses, timeouts and retries,
-- cancel.  The broker plugin's session events and the bridge's control
-- messages are played with iot.mqtt_sessions() and iot.mqtt_handle().
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2030-04-01 12:00:00+00';
SELECT iot.tenant_create('mqtt-c') IS NOT NULL;
SELECT iot.use_tenant('mqtt-c') IS NOT NULL;
-- what a device does through the broker
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
-- the downlinks queued for the bridge, cid and ids masked
CREATE FUNCTION pg_temp.downlinks() RETURNS TABLE (topic text, client text, message jsonb)
    LANGUAGE sql AS $$
    SELECT o.topic, o.payload ->> 'clientId',
           CASE WHEN o.payload -> 'message' ? 'cid' THEN jsonb_set(o.payload -> 'message', '{cid}', '"<cid>"')
                WHEN o.payload -> 'message' ? 'id' THEN jsonb_set(o.payload -> 'message', '{id}', '"<id>"')
                ELSE o.payload -> 'message' END
      FROM iot.outbox o WHERE o.tenant_id = iot.current_tenant() AND o.channel = 'mqtt' AND o.delivered IS NULL
     ORDER BY o.id $$;
CREATE FUNCTION pg_temp.sent() RETURNS void
    LANGUAGE sql AS $$ UPDATE iot.outbox SET delivered = iot.now() WHERE tenant_id = iot.current_tenant() AND channel = 'mqtt' $$;
CREATE FUNCTION pg_temp.last_cid() RETURNS bigint
    LANGUAGE sql AS $$ SELECT (payload -> 'message' ->> 'cid')::bigint FROM iot.outbox
                        WHERE tenant_id = iot.current_tenant() AND channel = 'mqtt' ORDER BY id DESC LIMIT 1 $$;
CREATE FUNCTION pg_temp.cmd(id text) RETURNS jsonb
    LANGUAGE sql AS $$ SELECT iot.command_get(id) - 'id' - 'created' - 'updated' $$;

SELECT pg_temp.session('connect', 'lock1');
-- T8 (d): validation
SELECT test.try($$SELECT iot.command_create('urn:lo:nsid:mqtt:lock1', '{"request": {"connector": "mqtt", "value": {"req": "x"}}, "policy": {"expirationInSeconds": 4}}')$$);
SELECT test.try($$SELECT iot.command_create('urn:lo:nsid:mqtt:lock1', '{"request": {"connector": "mqtt", "value": {"req": "x"}}, "policy": {"expirationInSeconds": 2592001}}')$$);
SELECT test.try($$SELECT iot.command_create('urn:lo:nsid:mqtt:lock1', '{"request": {"connector": "mqtt", "value": {"req": "x"}}, "policy": {"attempts": 6}}')$$);
SELECT test.try($$SELECT iot.command_create('urn:lo:nsid:mqtt:lock1', '{"request": {"connector": "mqtt", "value": {"req": "x"}}, "policy": {"ackTimeoutInSeconds": 9}}')$$);
SELECT test.try($$SELECT iot.command_create('urn:lo:nsid:mqtt:lock1', '{"request": {"connector": "mqtt", "value": {"req": "x"}}, "policy": {"ackMode": "NONE", "ackTimeoutInSeconds": 30}}')$$);
SELECT test.try($$SELECT iot.command_create('urn:lo:nsid:mqtt:lock1', '{"request": {"connector": "sms", "value": {"payload": "hi"}}, "policy": {"ackMode": "APPLICATIVE"}}')$$);
SELECT test.try($$SELECT iot.command_create('urn:lo:nsid:mqtt:lock1', '{"request": {"connector": "mqtt", "value": {"arg": {}}}}')$$);
SELECT test.try($$SELECT iot.command_create('urn:lo:nsid:mqtt:lock1', '{"request": {"connector": "mqtt", "value": {"req": "x", "arg": {"a.b": 1}}}}')$$);
SELECT test.try($$SELECT iot.command_create('urn:lo:nsid:mqtt:lock1', '{"request": {"connector": "pigeon", "value": {}}}')$$);
SELECT test.try($$SELECT iot.command_create('urn:lo:nsid:mqtt:nobody', '{"request": {"connector": "mqtt", "value": {"req": "x"}}}')$$);
SELECT test.try(format($$SELECT iot.command_create('urn:lo:nsid:mqtt:lock1', %L)$$,
    '{"request": {"connector": "x-connector", "value": {"big": "' || repeat('x', 256) || '"}}}'));
SELECT test.try(format($$SELECT iot.command_create('urn:lo:nsid:mqtt:lock1', %L)$$,
    jsonb_build_object('request', jsonb_build_object('connector', 'x-connector',
        'value', (SELECT jsonb_object_agg('k' || n, n) FROM generate_series(1, 101) n)))));

-- T6: the smart lock.  Not subscribed to dev/cmd yet: the command waits.
CREATE TEMP TABLE c AS SELECT iot.command_create('urn:lo:nsid:mqtt:lock1',
    '{"request": {"connector": "mqtt", "value": {"req": "unlock", "arg": {"delay": 1000}}},
      "policy": {"expirationInSeconds": 120, "ackMode": "APPLICATIVE", "ackTimeoutInSeconds": 180}}') ->> 'id' AS id;
SELECT pg_temp.cmd(id) FROM c;
SELECT * FROM pg_temp.downlinks();
-- subscribing announces the capability: the command goes out
SET pgiot.now = '2030-04-01 12:00:05+00';
SELECT pg_temp.session('subscribe', 'lock1', '{"command": true, "configuration": false, "resource": false}');
SELECT * FROM pg_temp.downlinks();
SELECT iot.command_status(id) FROM c;
-- the device answers with the cid it got
SET pgiot.now = '2030-04-01 12:00:07+00';
SELECT pg_temp.publish('lock1', 'dev/cmd/res', 'dev/cmd/res', jsonb_build_object('res', '{"done": true}'::jsonb, 'cid', pg_temp.last_cid()));
SELECT pg_temp.cmd(id) FROM c;
SELECT iot.command_status(id) FROM c;
SELECT payload - 'created' - 'updated' - 'id' FROM iot.event
 WHERE tenant_id = iot.current_tenant() AND type = 'commandStatus' ORDER BY id DESC LIMIT 1;
SELECT pg_temp.sent();

-- T7: an error response is still PROCESSED, the error kept; an unknown cid is audited
TRUNCATE c;
INSERT INTO c SELECT iot.command_create('urn:lo:nsid:mqtt:lock1',
    '{"request": {"connector": "mqtt", "value": {"req": "buzz", "arg": {"durationSec": 100, "freqHz": 800.0}}}}') ->> 'id';
SELECT * FROM pg_temp.downlinks();
SELECT pg_temp.publish('lock1', 'dev/cmd/res', 'dev/cmd/res', jsonb_build_object('res', jsonb_build_object('error', 'unknown method ''buzz'''), 'cid', pg_temp.last_cid()));
SELECT c2 ->> 'status' AS status, c2 ->> 'deliveryStatus' AS delivery, c2 -> 'response' AS response
  FROM c, LATERAL pg_temp.cmd(id) c2;
SELECT pg_temp.publish('lock1', 'dev/cmd/res', 'dev/cmd/res', '{"res": {"done": true}, "cid": 12238987}');
SELECT pg_temp.publish('lock1', 'dev/cmd/res', 'dev/cmd/res', '{"res": {"done": true}}');
SELECT code, message FROM iot.audit_log WHERE tenant_id = iot.current_tenant() ORDER BY id;
SELECT pg_temp.sent();

-- one at a time: the second waits for the first's answer
TRUNCATE c;
INSERT INTO c SELECT iot.command_create('urn:lo:nsid:mqtt:lock1', '{"request": {"connector": "mqtt", "value": {"req": "first"}}}') ->> 'id';
INSERT INTO c SELECT iot.command_create('urn:lo:nsid:mqtt:lock1', '{"request": {"connector": "mqtt", "value": {"req": "second"}}}') ->> 'id';
SELECT message ->> 'req' AS req FROM pg_temp.downlinks();
SELECT pg_temp.publish('lock1', 'dev/cmd/res', 'dev/cmd/res', jsonb_build_object('res', '{}'::jsonb, 'cid', pg_temp.last_cid()));
SELECT message ->> 'req' AS req FROM pg_temp.downlinks();
SELECT pg_temp.publish('lock1', 'dev/cmd/res', 'dev/cmd/res', jsonb_build_object('res', '{}'::jsonb, 'cid', pg_temp.last_cid()));
SELECT iot.command_status(id) ->> 'content' FROM c;
SELECT pg_temp.sent();

-- ackMode NONE: PROCESSED/SENT as soon as it is sent
SELECT iot.command_create('urn:lo:nsid:mqtt:lock1', '{"request": {"connector": "mqtt", "value": {"req": "fire"}}, "policy": {"ackMode": "NONE"}}')
       -> 'history';
SELECT pg_temp.sent();

-- T8 (b, c): no answer: retried while attempts remain, then ERROR ACK_TIMEOUT
TRUNCATE c;
INSERT INTO c SELECT iot.command_create('urn:lo:nsid:mqtt:lock1',
    '{"request": {"connector": "mqtt", "value": {"req": "silent"}}, "policy": {"ackTimeoutInSeconds": 10, "attempts": 3}}') ->> 'id';
SET pgiot.now = '2030-04-01 12:00:17+00';
SELECT iot._device_timeouts_for(iot.current_tenant());
SELECT c2 ->> 'status' FROM c, LATERAL pg_temp.cmd(id) c2;
SET pgiot.now = '2030-04-01 12:00:27+00';
SELECT iot._device_timeouts_for(iot.current_tenant());
SET pgiot.now = '2030-04-01 12:00:37+00';
SELECT iot._device_timeouts_for(iot.current_tenant());
SELECT c2 ->> 'status' AS status, c2 ->> 'errorCode' AS error, jsonb_path_query_array(c2 -> 'history', '$[*].status') AS history
  FROM c, LATERAL pg_temp.cmd(id) c2;
SELECT count(*) AS sent_three_times FROM pg_temp.downlinks() WHERE message ->> 'req' = 'silent';
SELECT pg_temp.sent();

-- an offline device: commands wait, then expire
SELECT pg_temp.session('disconnect', 'lock1');
TRUNCATE c;
INSERT INTO c SELECT iot.command_create('urn:lo:nsid:mqtt:lock1',
    '{"request": {"connector": "mqtt", "value": {"req": "later"}}, "policy": {"expirationInSeconds": 60}}') ->> 'id';
SET pgiot.now = '2030-04-01 12:01:38+00';
SELECT iot._device_timeouts_for(iot.current_tenant());
SELECT iot.command_status(id) FROM c;

-- T8 (e): at most 10 queued commands per device
SELECT count(iot.command_create('urn:lo:nsid:mqtt:lock1', '{"request": {"connector": "mqtt", "value": {"req": "q"}}}'))
  FROM generate_series(1, 10) n;
SELECT test.try($$SELECT iot.command_create('urn:lo:nsid:mqtt:lock1', '{"request": {"connector": "mqtt", "value": {"req": "eleventh"}}}')$$);
-- cancel frees a place; a final command cannot be canceled
SELECT iot.command_cancel((SELECT id FROM iot.command WHERE tenant_id = iot.current_tenant() AND status = 'PENDING'
                            ORDER BY created, id LIMIT 1)) ->> 'status';
SELECT test.try($$SELECT iot.command_create('urn:lo:nsid:mqtt:lock1', '{"request": {"connector": "mqtt", "value": {"req": "now fits"}}}')$$);
SELECT regexp_replace(test.try(format('SELECT iot.command_cancel(%L)', (SELECT id FROM c))), '[0-9a-f]{24}', '<id>');
SELECT test.try($$SELECT iot.command_cancel('nope')$$);
SELECT count(*) AS listed FROM iot.commands('urn:lo:nsid:mqtt:lock1', lim => 100);

-- T14: x-connector command to an ONLINE node with the command capability
SELECT pg_temp.publish('gw', 'connector/status', 'connector/v1/nodes/myDevice/status',
                       '{"status": "ONLINE", "capabilities": {"command": {"available": true}}}', 'connector')
       || jsonb_build_object('node', 'myDevice');
UPDATE iot.command SET status = 'CANCELED' WHERE tenant_id = iot.current_tenant() AND status = 'PENDING';
TRUNCATE c;
INSERT INTO c SELECT iot.command_create('urn:lo:nsid:x-connector:myDevice',
    '{"request": {"connector": "x-connector", "value": {"req": "on", "args": {"level": 75}}}, "policy": {"ackMode": "APPLICATIVE"}}') ->> 'id';
INSERT INTO c SELECT iot.command_create('urn:lo:nsid:x-connector:myDevice',
    '{"request": {"connector": "x-connector", "value": {"req": "off"}}}') ->> 'id';
SELECT * FROM pg_temp.downlinks();
SELECT pg_temp.publish('gw', 'connector/response', 'connector/v1/responses/command',
    jsonb_build_object('id', (SELECT id FROM c LIMIT 1), 'nodeId', 'myDevice',
                       'response', '{"status": "ok", "message": {"level": 75}}'::jsonb), 'connector');
SELECT c2 ->> 'status' AS status, c2 ->> 'deliveryStatus' AS delivery, c2 -> 'response' AS response
  FROM c, LATERAL pg_temp.cmd(id) c2;
SELECT topic, message ->> 'nodeId' AS node, message -> 'value' AS value FROM pg_temp.downlinks();
-- a response for another node is refused
SELECT pg_temp.publish('gw', 'connector/response', 'connector/v1/responses/command',
    jsonb_build_object('id', (SELECT id FROM c OFFSET 1), 'nodeId', 'someoneElse'), 'connector');
