-- State processing (17.2.6): a state per (rule, stateKeyPath value), an
-- event for each change with previous and new state (the first with
-- previousState null; a null state sets nothing, decision 16), filter
-- predicates, currentstate, states listed and forgotten.  Digest T21, T22.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2100-03-01 10:00:00+00';
SELECT iot.tenant_create('rules-state-t') IS NOT NULL;
SELECT iot.use_tenant('rules-state-t') IS NOT NULL;

CREATE FUNCTION pg_temp.settle() RETURNS boolean LANGUAGE sql AS $$
    SELECT test.wait_for(format('SELECT NOT EXISTS (SELECT FROM iot.rule_queue WHERE tenant_id = %L)',
                                iot.current_tenant()))
$$;
CREATE FUNCTION pg_temp.changes(after bigint) RETURNS TABLE (rule text, key text, previous jsonb, new jsonb, value jsonb)
    LANGUAGE sql AS $$
    SELECT e.payload -> 'stateProcessingRule' ->> 'name', e.payload ->> 'stateKey', e.payload -> 'previousState',
           e.payload -> 'newState', e.payload -> 'data' -> 'value'
      FROM iot.event e WHERE e.tenant_id = iot.current_tenant() AND e.type = 'stateChange' AND e.id > after
     ORDER BY e.id
$$;
CREATE FUNCTION pg_temp.mark() RETURNS bigint LANGUAGE sql AS $$ SELECT coalesce(max(id), 0) FROM iot.event $$;
CREATE FUNCTION pg_temp.temps(stream text, device text, VARIADIC temps numeric[]) RETURNS void LANGUAGE sql AS $$
    SELECT iot.ingest(jsonb_build_object('streamId', stream, 'value', jsonb_build_object('temp', t)), device)
      FROM unnest(temps) t;
$$;

-- T21: the manual's rule (with <= 100), key streamId
SELECT iot.state_rule_create('{"id": "57a70000-0000-0000-0000-000000000001", "name": "temperature state rule",
    "enabled": true, "stateKeyPath": "streamId",
    "stateFunction": {"if": [{"<": [{"var": "value.temp"}, 0]}, "cold", {"<=": [{"var": "value.temp"}, 100]}, "normal", "hot"]}}')
    - 'created' - 'updated' AS state_rule;
SELECT pg_temp.mark() AS m0 \gset
SELECT pg_temp.temps('urn:lo:nsid:dongle:00-14-22-01-23-45!temperature', 'urn:lo:nsid:st:d1', 50, 80, 200, 150, -5);
SELECT pg_temp.settle();
SELECT * FROM pg_temp.changes(:m0);
-- the whole event (17.2.6.5 / 15.4.2.3): stateKey, full rule, filterPredicate "null"
SELECT jsonb_pretty(payload - 'tenantId' #- '{data,id}' #- '{data,metadata,group,id}') AS state_change
  FROM iot.event WHERE tenant_id = iot.current_tenant() AND type = 'stateChange' ORDER BY id OFFSET 1 LIMIT 1;
SELECT m.stream_id, m.model, m.tags, m.value ->> 'newState' AS new_state FROM iot.message m
 WHERE m.tenant_id = iot.current_tenant() AND m.model LIKE 'event:%' ORDER BY m.id;
SELECT iot.rule_states('57a70000-0000-0000-0000-000000000001') - 'updated' AS states;

-- keys are independent; the streamId defaults to the device id; a
-- message without value.temp compares as 0 (JavaScript): "normal"
SELECT pg_temp.mark() AS m1 \gset
SELECT pg_temp.temps('s2', 'urn:lo:nsid:st:d2', 20, 150);
SELECT iot.ingest('{"value": {"temp": 500}}', 'urn:lo:nsid:st:d3') IS NOT NULL;
SELECT iot.ingest('{"streamId": "urn:lo:nsid:dongle:00-14-22-01-23-45!temperature", "value": {"other": 1}}', 'urn:lo:nsid:st:d1') IS NOT NULL;
SELECT pg_temp.settle();
SELECT * FROM pg_temp.changes(:m1);

-- T22: the hysteresis function with currentstate, key metadata.source
SELECT iot.state_rule_create('{"id": "57a70000-0000-0000-0000-000000000002", "name": "hysteresis",
    "stateKeyPath": "metadata.source", "filterPredicate": {"==": [{"var": "model"}, "hy"]},
    "stateFunction": {"if": [
        {"and": [{"!==": [{"currentstate": []}, "hot"]}, {"<": [80, {"var": "value.temp"}, 100]}]}, "normal",
        {"<": [{"var": "value.temp"}, 0]}, "cold", {"<": [{"var": "value.temp"}, 80]}, "normal", "hot"]}}') ->> 'name';
SELECT pg_temp.mark() AS m2 \gset
SELECT iot.ingest(jsonb_build_object('streamId', 'hy', 'model', 'hy', 'value', jsonb_build_object('temp', t)), 'urn:lo:nsid:st:h1') IS NOT NULL
  FROM unnest(ARRAY[20, 120, 90, 70, 90, 80, 100, -1]) t;
-- filtered out (model is not "hy"), and without a device (no
-- metadata.source: no state key): no state change
SELECT iot.ingest('{"streamId": "hy", "model": "other", "value": {"temp": 500}}', 'urn:lo:nsid:st:h1') IS NOT NULL;
SELECT iot.ingest('{"streamId": "hy", "model": "hy", "value": {"temp": 500}}') IS NOT NULL;
SELECT pg_temp.settle();
SELECT rule, key, previous, new, value FROM pg_temp.changes(:m2) WHERE rule = 'hysteresis';

-- a state function that yields null sets no state and says nothing
SELECT iot.state_rule_create('{"id": "57a70000-0000-0000-0000-000000000003", "name": "daily only",
    "stateKeyPath": "streamId", "stateFunction": {"if": [{"==": [{"var": "value.type"}, "daily"]}, {"var": "value.level"}]}}') ->> 'name';
SELECT pg_temp.mark() AS m3 \gset
SELECT iot.ingest('{"streamId": "d", "value": {"type": "hourly", "level": 1}}', 'urn:lo:nsid:st:q') IS NOT NULL;
SELECT iot.ingest('{"streamId": "d", "value": {"type": "daily", "level": 2}}', 'urn:lo:nsid:st:q') IS NOT NULL;
SELECT iot.ingest('{"streamId": "d", "value": {"type": "hourly", "level": 3}}', 'urn:lo:nsid:st:q') IS NOT NULL;
SELECT iot.ingest('{"streamId": "d", "value": {"type": "daily", "level": 2}}', 'urn:lo:nsid:st:q') IS NOT NULL;
SELECT iot.ingest('{"streamId": "d", "value": {"type": "daily", "level": {"n": 4}}}', 'urn:lo:nsid:st:q') IS NOT NULL;
SELECT pg_temp.settle();
SELECT rule, key, previous, new FROM pg_temp.changes(:m3) WHERE rule = 'daily only';

-- forgetting a state: the next change starts again from null
SELECT iot.rule_state_delete('57a70000-0000-0000-0000-000000000003', 'd') AS forgotten;
SELECT pg_temp.mark() AS m4 \gset
SELECT iot.ingest('{"streamId": "d", "value": {"type": "daily", "level": {"n": 4}}}', 'urn:lo:nsid:st:q') IS NOT NULL;
SELECT pg_temp.settle();
SELECT rule, key, previous, new FROM pg_temp.changes(:m4) WHERE rule = 'daily only';

-- disabled rules are not evaluated; re-enabled they continue from their state
SELECT iot.state_rule_update('57a70000-0000-0000-0000-000000000001', '{"enabled": false}') ->> 'enabled';
SELECT pg_temp.mark() AS m5 \gset
SELECT pg_temp.temps('s2', 'urn:lo:nsid:st:d2', -40);
SELECT pg_temp.settle();
SELECT count(*) AS while_disabled FROM pg_temp.changes(:m5) WHERE rule = 'temperature state rule';
SELECT iot.state_rule_update('57a70000-0000-0000-0000-000000000001', '{"enabled": true, "filterPredicate": {"!!": [{"var": "value.temp"}]}}')
    -> 'filterPredicate' AS filter;
SELECT pg_temp.temps('s2', 'urn:lo:nsid:st:d2', -41);
SELECT pg_temp.settle();
SELECT * FROM pg_temp.changes(:m5);

-- stored events (streams event:...) are never evaluated: no state for them
SELECT count(*) AS event_stream_states FROM iot.rule_states() s WHERE s ->> 'stateKey' LIKE 'event:%';
SELECT count(*) AS queue_left FROM iot.rule_queue WHERE tenant_id = iot.current_tenant();

-- the document the rules see is the stored message's (iot.message_json):
-- a state function of the whole document keeps it as the state
SELECT iot.state_rule_create('{"id": "57a70000-0000-0000-0000-000000000004", "name": "whole message",
    "stateKeyPath": "streamId", "filterPredicate": {"in": ["doc", {"var": "streamId"}]}, "stateFunction": {"var": ""}}') ->> 'name';
SELECT iot.device_create('{"id": "urn:lo:nsid:st:doc", "tags": ["devtag"], "properties": {"p": "v"},
    "staticLocation": {"lat": 45.5, "lon": 4.25}}') IS NOT NULL;
SELECT iot.ingest('{"streamId": "doc1", "model": "m1", "value": {"temp": 12.75, "s": "é", "n": [1, {"x": null}]},
    "tags": ["a"], "extra": {"x": 1}, "timestamp": "2019-01-02T03:04:05.678Z",
    "location": {"lat": 48.86667, "lon": 2.33333, "alt": 35.2, "accuracy": 12.3, "provider": "GPS"}}',
    'urn:lo:nsid:st:doc') IS NOT NULL;
SELECT iot.ingest('{"streamId": "doc2", "value": {}}', 'urn:lo:nsid:st:doc') IS NOT NULL;
SELECT iot.ingest('{"streamId": "doc3", "value": {"v": -0.5}}') IS NOT NULL;
SELECT iot.ingest('{"streamId": "doc4", "value": {}, "location": {"lat": -33.8688197, "lon": 151.2092955, "alt": 35.2, "accuracy": 12.3, "provider": "GPS"}}',
    'urn:lo:nsid:st:doc4') IS NOT NULL;
SELECT pg_temp.settle();
SELECT s.state_key, s.state = iot.message_json(m) AS same_document, s.state -> 'location' AS location
  FROM iot.rule_state s JOIN iot.message m ON m.tenant_id = s.tenant_id AND m.id = s.message_id
 WHERE s.rule_id = '57a70000-0000-0000-0000-000000000004' ORDER BY 1;

-- errors
SELECT test.try($$SELECT iot.state_rule_create('{"stateFunction": "x"}')$$);
SELECT test.try($$SELECT iot.state_rule_create('{"stateKeyPath": 3, "stateFunction": "x"}')$$);
SELECT test.try($$SELECT iot.state_rule_create('{"stateKeyPath": "streamId"}')$$);
SELECT test.try($$SELECT iot.state_rule_create('{"stateKeyPath": "streamId", "stateFunction": "x", "filterPredicate": {"is": 1}}')$$);
SELECT test.try($$SELECT iot.state_rule_update('57a70000-0000-0000-0000-0000000000ff', '{}')$$);
SELECT test.try($$SELECT iot.state_rule_delete('57a70000-0000-0000-0000-0000000000ff')$$);
SELECT iot.state_rule_delete('57a70000-0000-0000-0000-000000000003');
SELECT count(*) AS states_of_deleted_rule FROM iot.rule_state WHERE rule_id = '57a70000-0000-0000-0000-000000000003';
SELECT count(*) AS state_rules FROM iot.state_rules();
