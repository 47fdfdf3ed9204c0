-- The dispatcher of device management and the handler of MQTT control
-- messages (everything a device or connector publishes that is not data).

-- Send whatever waits for these devices (commands, configuration,
-- resource updates) through the interfaces that are available now.
CREATE FUNCTION iot.device_dispatch(device_ids text[]) RETURNS int
    LANGUAGE plpgsql
AS $$
DECLARE
    t   uuid := iot.require_tenant();
    dev text;
    n   int := 0;
BEGIN
    FOREACH dev IN ARRAY coalesce(device_ids, '{}') LOOP
        n := n + iot._command_dispatch(t, dev) + iot._config_dispatch(t, dev) + iot._resource_dispatch(t, dev);
    END LOOP;
    RETURN n;
END
$$;

-- The timeouts of commands and resource updates: of one tenant
-- (_device_timeouts_for), of every tenant (the maintenance task).
CREATE FUNCTION iot._device_timeouts_for(only_tenant uuid) RETURNS jsonb
    LANGUAGE sql
    RETURN iot._command_timeouts(only_tenant) || iot._resource_timeouts(only_tenant);
REVOKE EXECUTE ON FUNCTION iot._device_timeouts_for(uuid) FROM PUBLIC;
CREATE FUNCTION iot._device_timeouts() RETURNS jsonb
    LANGUAGE sql
    RETURN iot._device_timeouts_for(NULL);
REVOKE EXECUTE ON FUNCTION iot._device_timeouts() FROM PUBLIC;
INSERT INTO iot.maintenance_task (name, fn) VALUES ('device_timeouts', 'iot._device_timeouts()');

-- x-connector NodeStatus (connector/v1/nodes/{nodeId}/status):
-- {"status": "ONLINE"|"OFFLINE", "capabilities", "lastContact",
--  "sessionSequenceId", "eventSequenceId"}.  Unknown nodes are
-- auto-provisioned; an event older than the last applied one (by
-- (sessionSequenceId, eventSequenceId)) is ignored.  Returns false when
-- ignored.
CREATE FUNCTION iot._node_status(t uuid, node text, p jsonb) RETURNS boolean
    LANGUAGE plpgsql
AS $$
DECLARE
    i        iot.device_interface;
    previous text;
    s_in     numeric;
    e_in     numeric;
    s_last   numeric;
    e_last   numeric;
    caps     jsonb;
    cap      text;
BEGIN
    IF jsonb_typeof(p) IS DISTINCT FROM 'object' OR p ->> 'status' IS NULL OR p ->> 'status' NOT IN ('ONLINE', 'OFFLINE') THEN
        RAISE EXCEPTION 'NodeStatus.status must be ONLINE or OFFLINE, not %', coalesce(p ->> 'status', 'absent')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF (p ? 'sessionSequenceId' AND jsonb_typeof(p -> 'sessionSequenceId') <> 'number')
       OR (p ? 'eventSequenceId' AND jsonb_typeof(p -> 'eventSequenceId') <> 'number') THEN
        RAISE EXCEPTION 'sessionSequenceId and eventSequenceId must be numbers' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p ? 'lastContact' THEN
        PERFORM iot.parse_timestamp(p ->> 'lastContact');
    END IF;
    SELECT * INTO i FROM iot.device_interface x
     WHERE x.tenant_id = t AND x.connector = 'x-connector' AND x.node_id = node FOR UPDATE;
    IF NOT FOUND THEN
        IF NOT coalesce((SELECT (x.settings ->> 'autoProvisioning')::boolean FROM iot.tenant x WHERE x.id = t), true) THEN
            RAISE EXCEPTION 'unknown node % and auto-provisioning is off', node USING ERRCODE = 'PI007';
        END IF;
        INSERT INTO iot.device (tenant_id, id, description)
        VALUES (t, 'urn:lo:nsid:x-connector:' || node,
                format('This device was auto registered by the connector [x-connector] with the nodeId [%s]', node))
        ON CONFLICT DO NOTHING;
        INSERT INTO iot.device_interface (tenant_id, device_id, connector, node_id, definition)
        VALUES (t, 'urn:lo:nsid:x-connector:' || node, 'x-connector', node, jsonb_build_object('nodeId', node))
        RETURNING * INTO i;
    END IF;
    s_in := (p ->> 'sessionSequenceId')::numeric;
    e_in := (p ->> 'eventSequenceId')::numeric;
    s_last := (i.activity ->> 'sessionSequenceId')::numeric;
    e_last := (i.activity ->> 'eventSequenceId')::numeric;
    IF (s_in IS NOT NULL AND s_last IS NOT NULL AND s_in < s_last)
       OR (e_in IS NOT NULL AND e_last IS NOT NULL AND coalesce(s_in, s_last) IS NOT DISTINCT FROM s_last AND e_in < e_last) THEN
        RETURN false;
    END IF;
    caps := i.capabilities;
    FOREACH cap IN ARRAY ARRAY['command', 'configuration', 'resource'] LOOP
        IF p -> 'capabilities' ? cap OR (cap = 'resource' AND p -> 'capabilities' ? 'resources') THEN
            caps := caps || jsonb_build_object(cap, jsonb_build_object('version', 1, 'available',
                coalesce((coalesce(p -> 'capabilities' -> cap, p -> 'capabilities' -> 'resources') ->> 'available')::boolean, false)));
        END IF;
    END LOOP;
    previous := i.status;
    UPDATE iot.device_interface x
       SET status = CASE WHEN x.enabled THEN p ->> 'status' ELSE x.status END,
           capabilities = caps,
           last_contact = coalesce(iot.parse_timestamp(p ->> 'lastContact'), iot.now()),
           activity = x.activity || jsonb_strip_nulls(jsonb_build_object(
               'sessionSequenceId', coalesce(p -> 'sessionSequenceId', x.activity -> 'sessionSequenceId'),
               'eventSequenceId', coalesce(p -> 'eventSequenceId', x.activity -> 'eventSequenceId'))),
           updated = iot.now()
     WHERE x.tenant_id = t AND x.connector = 'x-connector' AND x.node_id = node
    RETURNING * INTO i;
    IF i.status IS DISTINCT FROM previous THEN
        PERFORM iot._interface_status_event(i, previous);
    END IF;
    PERFORM iot.device_dispatch(ARRAY[i.device_id]);
    RETURN true;
END
$$;

-- MQTT dev/cfg {"cfg": {key: {"t", "v"}}, "cid"} → REST-typed parameters.
CREATE FUNCTION iot._mqtt_cfg_params(cfg jsonb) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    bad text;
BEGIN
    IF jsonb_typeof(cfg) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'dev/cfg needs a "cfg" object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT e.key INTO bad FROM jsonb_each(cfg) e
     WHERE jsonb_typeof(e.value) <> 'object' OR iot.config_type_from_mqtt(e.value ->> 't') IS NULL LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'cfg.% must be {"t": i32|u32|str|bin|f64, "v": value}', bad USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN coalesce((SELECT jsonb_object_agg(e.key, jsonb_build_object('type', iot.config_type_from_mqtt(e.value ->> 't'),
                                                                        'value', e.value -> 'v'))
                       FROM jsonb_each(cfg) e), '{}');
END
$$;

-- A correlation id from a payload: a number or a numeric string.
CREATE FUNCTION iot._cid(v jsonb) RETURNS bigint
    LANGUAGE sql IMMUTABLE
    RETURN CASE WHEN jsonb_typeof(v) = 'number' OR (jsonb_typeof(v) = 'string' AND (v #>> '{}') ~ '^[0-9]{1,18}$')
                THEN (v #>> '{}')::numeric::bigint END;

-- Handle one control message of the current tenant; raises on bad input.
CREATE FUNCTION iot._mqtt_handle_one(it jsonb) RETURNS text
    LANGUAGE plpgsql
AS $$
DECLARE
    t      uuid := iot.require_tenant();
    kind   text := it ->> 'kind';
    p      jsonb := it -> 'payload';
    cid    text := it ->> 'clientId';
    dev    text;
    node   text;
    parts  text[];
    r      record;
BEGIN
    IF it ->> 'mode' = 'device' THEN
        dev := iot._interface_device('mqtt', cid);
        IF dev IS NULL AND kind <> 'shadow' THEN
            RAISE EXCEPTION 'no mqtt interface for client %', cid USING ERRCODE = 'PI007';
        END IF;
    END IF;
    IF kind LIKE 'connector/%' AND kind <> 'connector/status' THEN
        node := p ->> 'nodeId';
        IF node IS NULL THEN
            RAISE EXCEPTION '% lacks its nodeId', it ->> 'topic' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        dev := iot._interface_device('x-connector', node);
        IF dev IS NULL THEN
            RAISE EXCEPTION 'unknown node %', node USING ERRCODE = 'PI007';
        END IF;
    END IF;
    CASE kind
        WHEN 'dev/cmd/res' THEN
            IF jsonb_typeof(p) <> 'object' OR iot._cid(p -> 'cid') IS NULL THEN
                RAISE EXCEPTION 'dev/cmd/res is {"res": {...}, "cid": number}' USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF NOT iot._command_replied(t, dev, iot._cid(p -> 'cid'), NULL, coalesce(p -> 'res', '{}')) THEN
                RAISE EXCEPTION 'no command of % waits for cid %', dev, p ->> 'cid' USING ERRCODE = 'PI813';
            END IF;
        WHEN 'dev/cfg' THEN
            PERFORM iot._config_reported(t, dev, iot._mqtt_cfg_params(p -> 'cfg'), iot._cid(p -> 'cid'), false);
        WHEN 'dev/rsc' THEN
            IF jsonb_typeof(p -> 'rsc') IS DISTINCT FROM 'object' THEN
                RAISE EXCEPTION 'dev/rsc needs a "rsc" object' USING ERRCODE = 'invalid_parameter_value';
            END IF;
            PERFORM iot._resource_reported(t, dev,
                coalesce((SELECT jsonb_object_agg(e.key, jsonb_strip_nulls(jsonb_build_object('version', e.value -> 'v',
                                                                                              'metadata', e.value -> 'm')))
                            FROM jsonb_each(p -> 'rsc') e), '{}'));
        WHEN 'dev/rsc/upd/res' THEN
            IF jsonb_typeof(p -> 'res') IS DISTINCT FROM 'string' OR iot._cid(p -> 'cid') IS NULL THEN
                RAISE EXCEPTION 'dev/rsc/upd/res is {"res": string, "cid": ...}' USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF NOT iot._resource_answered(t, dev, iot._cid(p -> 'cid'), p ->> 'res') THEN
                RAISE EXCEPTION 'no resource update of % waits for cid %', dev, p ->> 'cid' USING ERRCODE = 'PI813';
            END IF;
        WHEN 'dev/rsc/upd/err' THEN
            IF jsonb_typeof(p) <> 'object' THEN
                RAISE EXCEPTION 'dev/rsc/upd/err is {"errorCode", "errorDetails"}' USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF NOT iot._resource_failed(t, dev, NULL, p ->> 'errorCode', p ->> 'errorDetails') THEN
                RAISE EXCEPTION 'no resource update of % is in progress', dev USING ERRCODE = 'PI813';
            END IF;
        WHEN 'shadow' THEN
            -- $aws/things/<thing>/shadow/[name/<n>/]<op>
            parts := regexp_match(it ->> 'topic', '^\$aws/things/([^/]+)/shadow/(?:name/([^/]+)/)?(update|get|delete)$');
            IF parts IS NULL OR parts[1] <> cid THEN
                RAISE EXCEPTION 'bad shadow topic %', it ->> 'topic' USING ERRCODE = 'invalid_parameter_value';
            END IF;
            FOR r IN SELECT * FROM iot.shadow_operate(parts[1], coalesce(parts[2], ''), parts[3], p) LOOP
                PERFORM iot._mqtt_send(iot._shadow_topic(parts[1], parts[2], r.suffix), 'device', cid, r.message, dev);
            END LOOP;
        WHEN 'connector/status' THEN
            IF NOT iot._node_status(t, it ->> 'nodeId', p) THEN
                RETURN 'ignored';
            END IF;
        WHEN 'connector/response' THEN
            CASE it ->> 'topic'
                WHEN 'connector/v1/responses/command' THEN
                    IF NOT iot._command_replied(t, dev, NULL, p ->> 'id', coalesce(p -> 'response', '{}')) THEN
                        RAISE EXCEPTION 'no command % waits for node %', p ->> 'id', node USING ERRCODE = 'PI813';
                    END IF;
                WHEN 'connector/v1/responses/configuration' THEN
                    IF iot._cid(p -> 'targetVersion') IS NULL OR jsonb_typeof(p -> 'parameters') IS DISTINCT FROM 'object' THEN
                        RAISE EXCEPTION 'a configuration response needs targetVersion and parameters'
                            USING ERRCODE = 'invalid_parameter_value';
                    END IF;
                    PERFORM iot._config_reported(t, dev, p -> 'parameters', iot._cid(p -> 'targetVersion'), true);
                WHEN 'connector/v1/responses/resource' THEN
                    IF p ->> 'status' IS DISTINCT FROM 'FAILED' THEN
                        RAISE EXCEPTION 'a resource response must have status FAILED' USING ERRCODE = 'invalid_parameter_value';
                    END IF;
                    IF NOT iot._resource_failed(t, dev, p ->> 'updateCorrelationId', p -> 'error' ->> 'code',
                                                p -> 'error' ->> 'details') THEN
                        RAISE EXCEPTION 'no resource update % on node %', p ->> 'updateCorrelationId', node
                            USING ERRCODE = 'PI813';
                    END IF;
            END CASE;
        WHEN 'connector/current' THEN
            IF it ->> 'topic' = 'connector/v1/current/configuration' THEN
                PERFORM iot._config_reported(t, dev, p -> 'parameters', NULL, true);
            ELSE
                PERFORM iot._resource_reported(t, dev, p -> 'resources');
            END IF;
        ELSE
            RAISE EXCEPTION 'unknown control message kind %', kind USING ERRCODE = 'invalid_parameter_value';
    END CASE;
    RETURN 'ok';
END
$$;

-- Handle a batch of control messages of the current tenant, in order:
-- [{"kind", "mode", "clientId", "keyId", "topic", "nodeId", "payload"}].
-- A bad message is written to the audit log (with its SQLSTATE) and
-- skipped; the others are applied.  Returns counts.
CREATE FUNCTION iot.mqtt_handle(items jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    it      jsonb;
    ok      int := 0;
    ignored int := 0;
    bad     int := 0;
    res     text;
BEGIN
    IF jsonb_typeof(items) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'mqtt_handle takes a JSON array of items' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM iot.require_tenant();
    FOR it IN SELECT e FROM jsonb_array_elements(items) e LOOP
        BEGIN
            res := iot._mqtt_handle_one(it);
            IF res = 'ok' THEN ok := ok + 1; ELSE ignored := ignored + 1; END IF;
        EXCEPTION WHEN OTHERS THEN
            bad := bad + 1;
            PERFORM iot.audit('mqtt', format('%s from %s client %s: %s', it ->> 'topic', it ->> 'mode',
                                             it ->> 'clientId', SQLERRM),
                              SQLSTATE, jsonb_strip_nulls(jsonb_build_object('topic', it ->> 'topic', 'clientId', it ->> 'clientId',
                                                                             'mode', it ->> 'mode', 'payload', it -> 'payload')));
        END;
    END LOOP;
    RETURN jsonb_build_object('handled', ok, 'ignored', ignored, 'rejected', bad);
END
$$;

-- The bridge's flush: one statement (one transaction, one round trip)
-- for every tenant of a batch:
--   [{"tenant": uuid, "data": [ingest items], "control": [control items],
--     "audit": [{"message", "code", "details"}]}, ...]
-- Data goes through iot.ingest_batch, control messages through
-- iot.mqtt_handle, malformed publications to the audit log.  The caller
-- must be allowed to act for each tenant (pgiot_service).
CREATE FUNCTION iot.mqtt_store(batches jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    b        jsonb;
    stored   bigint := 0;
    rejected bigint := 0;
    controls bigint := 0;
    ok       bigint;
    bad      bigint;
BEGIN
    IF jsonb_typeof(batches) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'mqtt_store takes a JSON array of per-tenant batches' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR b IN SELECT e FROM jsonb_array_elements(batches) e LOOP
        PERFORM iot.use_tenant(b ->> 'tenant');
        IF jsonb_array_length(coalesce(b -> 'data', '[]')) > 0 THEN
            SELECT count(*) FILTER (WHERE error_code IS NULL), count(*) FILTER (WHERE error_code IS NOT NULL)
              INTO ok, bad FROM iot.ingest_batch(b -> 'data');
            stored := stored + ok;
            rejected := rejected + bad;
        END IF;
        IF jsonb_array_length(coalesce(b -> 'control', '[]')) > 0 THEN
            PERFORM iot.mqtt_handle(b -> 'control');
            controls := controls + jsonb_array_length(b -> 'control');
        END IF;
        PERFORM iot.audit('mqtt', a ->> 'message', a ->> 'code', a -> 'details', 'ERROR')
           FROM jsonb_array_elements(coalesce(b -> 'audit', '[]')) a;
        rejected := rejected + jsonb_array_length(coalesce(b -> 'audit', '[]'));
    END LOOP;
    PERFORM set_config('iot.tenant', '', true);
    RETURN jsonb_build_object('stored', stored, 'rejected', rejected, 'controls', controls);
END
$$;
