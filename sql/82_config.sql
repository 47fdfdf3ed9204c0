-- Device management, part 2: configuration parameters (manual 8.2).
--
-- Per device and key: the requested value (set by the API), the reported
-- value (sent by the device) and syncStatus:
--   NONE      reported, never requested
--   PENDING   requested, differs from reported, not sent yet
--   SENT      sent to the device (dev/cfg/upd with a cid, or
--             connector/v1/requests/configuration with a targetVersion)
--   OK        the device reported the requested value
--   FAILED    the device answered the request with another value
--   CANCELED  withdrawn while PENDING or SENT
-- MQTT types: i32, u32, str, bin, f64 = INT32, UINT32, STRING, BINARY, FLOAT.

CREATE TABLE iot.device_config (
    tenant_id        uuid NOT NULL,
    device_id        text NOT NULL,
    key              text NOT NULL CHECK (key <> '' AND left(key, 1) <> '$'),
    requested_type   text CHECK (requested_type IN ('INT32', 'UINT32', 'BINARY', 'STRING', 'FLOAT')),
    requested_value  jsonb,
    requested_at     timestamptz,
    reported_type    text CHECK (reported_type IN ('INT32', 'UINT32', 'BINARY', 'STRING', 'FLOAT')),
    reported_value   jsonb,
    reported_at      timestamptz,
    sync_status      text NOT NULL DEFAULT 'NONE'
                     CHECK (sync_status IN ('NONE', 'PENDING', 'SENT', 'CANCELED', 'OK', 'FAILED')),
    cid              bigint,          -- correlation id / targetVersion of the request sent
    sent_at          timestamptz,
    PRIMARY KEY (tenant_id, device_id, key),
    FOREIGN KEY (tenant_id, device_id) REFERENCES iot.device (tenant_id, id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX device_config_cid ON iot.device_config (tenant_id, cid) WHERE cid IS NOT NULL;
COMMENT ON TABLE iot.device_config IS 'Device configuration parameters: requested, reported, syncStatus (manual 8.2)';
SELECT iot.tenant_table('iot.device_config');

CREATE TABLE iot.device_config_target (
    tenant_id  uuid NOT NULL,
    device_id  text NOT NULL,
    notify_to  text,
    PRIMARY KEY (tenant_id, device_id),
    FOREIGN KEY (tenant_id, device_id) REFERENCES iot.device (tenant_id, id) ON DELETE CASCADE ON UPDATE CASCADE
);
COMMENT ON TABLE iot.device_config_target IS 'Per-device configuration settings (notifyTo)';
SELECT iot.tenant_table('iot.device_config_target');

CREATE FUNCTION iot.config_type_from_mqtt(t text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE t WHEN 'i32' THEN 'INT32' WHEN 'u32' THEN 'UINT32' WHEN 'str' THEN 'STRING'
                  WHEN 'bin' THEN 'BINARY' WHEN 'f64' THEN 'FLOAT' END;

CREATE FUNCTION iot.config_type_to_mqtt(t text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE t WHEN 'INT32' THEN 'i32' WHEN 'UINT32' THEN 'u32' WHEN 'STRING' THEN 'str'
                  WHEN 'BINARY' THEN 'bin' WHEN 'FLOAT' THEN 'f64' END;

-- Check one parameter value against its type; 22023 naming the key.
CREATE FUNCTION iot.config_value_check(key text, type text, value jsonb) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    n numeric;
BEGIN
    IF key IS NULL OR key = '' OR left(key, 1) = '$' THEN
        RAISE EXCEPTION 'configuration key "%" is invalid', key
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'A key is not empty and does not start with $.';
    END IF;
    CASE type
        WHEN 'INT32', 'UINT32' THEN
            IF jsonb_typeof(value) IS DISTINCT FROM 'number' THEN
                RAISE EXCEPTION 'parameter "%": a % value must be a number', key, type USING ERRCODE = 'invalid_parameter_value';
            END IF;
            n := value::text::numeric;
            IF n <> trunc(n) OR (type = 'INT32' AND n NOT BETWEEN -2147483648 AND 2147483647)
               OR (type = 'UINT32' AND n NOT BETWEEN 0 AND 4294967295) THEN
                RAISE EXCEPTION 'parameter "%": % is out of the % range', key, value, type
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            RETURN to_jsonb(trunc(n));
        WHEN 'FLOAT' THEN
            IF jsonb_typeof(value) IS DISTINCT FROM 'number' THEN
                RAISE EXCEPTION 'parameter "%": a FLOAT value must be a number', key USING ERRCODE = 'invalid_parameter_value';
            END IF;
            RETURN value;
        WHEN 'STRING' THEN
            IF jsonb_typeof(value) IS DISTINCT FROM 'string' THEN
                RAISE EXCEPTION 'parameter "%": a STRING value must be a string', key USING ERRCODE = 'invalid_parameter_value';
            END IF;
            RETURN value;
        WHEN 'BINARY' THEN
            IF jsonb_typeof(value) IS DISTINCT FROM 'string'
               OR (value #>> '{}') !~ '^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$' THEN
                RAISE EXCEPTION 'parameter "%": a BINARY value must be base64 text', key USING ERRCODE = 'invalid_parameter_value';
            END IF;
            RETURN value;
        ELSE
            RAISE EXCEPTION 'parameter "%": unknown type %', key, coalesce(type, 'absent')
                USING ERRCODE = 'invalid_parameter_value', HINT = 'Types: INT32, UINT32, BINARY, STRING, FLOAT.';
    END CASE;
END
$$;

CREATE FUNCTION iot._config_param_json(p iot.device_config) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'reported', CASE WHEN p.reported_type IS NOT NULL THEN jsonb_build_object(
            'type', p.reported_type, 'value', p.reported_value, 'timestamp', iot.iso_time(p.reported_at)) END,
        'requested', CASE WHEN p.requested_type IS NOT NULL THEN jsonb_build_object(
            'type', p.requested_type, 'value', p.requested_value, 'timestamp', iot.iso_time(p.requested_at)) END,
        'syncStatus', p.sync_status));

-- GET .../config/parameters: {key: {reported, requested, syncStatus}}.
CREATE FUNCTION iot.config_parameters(device_id text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    t uuid := iot.require_tenant();
BEGIN
    IF NOT EXISTS (SELECT FROM iot.device d WHERE d.tenant_id = t AND d.id = config_parameters.device_id) THEN
        RAISE EXCEPTION 'device % not found', device_id USING ERRCODE = 'PI001';
    END IF;
    RETURN coalesce((SELECT jsonb_object_agg(p.key, iot._config_param_json(p) ORDER BY p.key)
                       FROM iot.device_config p WHERE p.tenant_id = t AND p.device_id = config_parameters.device_id), '{}');
END
$$;

-- GET .../config: {"parameters": {...}, "notifyTo": ...}
CREATE FUNCTION iot.config_get(device_id text) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'parameters', iot.config_parameters(device_id),
        'notifyTo', (SELECT n.notify_to FROM iot.device_config_target n
                      WHERE n.tenant_id = (SELECT iot.current_tenant()) AND n.device_id = config_get.device_id)))
$$;

-- GET .../config/parameters/{key}; PI809 when the device has no such key.
CREATE FUNCTION iot.config_parameter(device_id text, key text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    p iot.device_config;
BEGIN
    SELECT * INTO p FROM iot.device_config x
     WHERE x.tenant_id = iot.require_tenant() AND x.device_id = config_parameter.device_id AND x.key = config_parameter.key;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'configuration parameter % of device % not found', key, device_id USING ERRCODE = 'PI809';
    END IF;
    RETURN iot._config_param_json(p);
END
$$;

-- POST .../config: {"parameters": {key: {"type", "value"} | null}, "notifyTo"}.
-- A key set to null withdraws its request (CANCELED when it was not yet
-- acknowledged).  The device must exist (decision 23: no auto-provisioning
-- here): PI001.  Returns iot.config_get().
CREATE FUNCTION iot.config_set(device_id text, doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t     uuid := iot.require_tenant();
    p     record;
    typ   text;
    val   jsonb;
BEGIN
    IF jsonb_typeof(doc) IS DISTINCT FROM 'object' OR jsonb_typeof(coalesce(doc -> 'parameters', '{}')) <> 'object' THEN
        RAISE EXCEPTION 'configuration must be {"parameters": {key: {"type", "value"}}, "notifyTo"}'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM FROM iot.device d WHERE d.tenant_id = t AND d.id = config_set.device_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'device % not found', device_id USING ERRCODE = 'PI001';
    END IF;
    IF doc ? 'notifyTo' THEN
        INSERT INTO iot.device_config_target (tenant_id, device_id, notify_to)
        VALUES (t, device_id, doc ->> 'notifyTo')
        ON CONFLICT ON CONSTRAINT device_config_target_pkey DO UPDATE SET notify_to = excluded.notify_to;
    END IF;
    FOR p IN SELECT e.key, e.value FROM jsonb_each(coalesce(doc -> 'parameters', '{}')) e ORDER BY e.key LOOP
        IF p.value = 'null' THEN
            UPDATE iot.device_config x
               SET requested_type = NULL, requested_value = NULL, requested_at = NULL, cid = NULL,
                   sync_status = CASE WHEN x.sync_status IN ('PENDING', 'SENT') THEN 'CANCELED'
                                      WHEN x.reported_type IS NOT NULL THEN 'NONE' ELSE x.sync_status END
             WHERE x.tenant_id = t AND x.device_id = config_set.device_id AND x.key = p.key;
            CONTINUE;
        END IF;
        IF jsonb_typeof(p.value) <> 'object' THEN
            RAISE EXCEPTION 'parameter "%" must be {"type", "value"}', p.key USING ERRCODE = 'invalid_parameter_value';
        END IF;
        typ := p.value ->> 'type';
        val := iot.config_value_check(p.key, typ, p.value -> 'value');
        INSERT INTO iot.device_config AS x (tenant_id, device_id, key, requested_type, requested_value, requested_at,
                                            sync_status)
        VALUES (t, device_id, p.key, typ, val, iot.now(), 'PENDING')
        ON CONFLICT ON CONSTRAINT device_config_pkey DO UPDATE
           SET requested_type = excluded.requested_type, requested_value = excluded.requested_value,
               requested_at = excluded.requested_at, cid = NULL,
               sync_status = CASE WHEN x.reported_type = excluded.requested_type
                                       AND x.reported_value = excluded.requested_value THEN 'OK'
                                  ELSE 'PENDING' END;
    END LOOP;
    PERFORM iot.device_dispatch(ARRAY[device_id]);
    RETURN iot.config_get(device_id);
END
$$;

-- Send the PENDING parameters of a device in one request.
CREATE FUNCTION iot._config_dispatch(t uuid, dev text) RETURNS int
    LANGUAGE plpgsql
AS $$
DECLARE
    target record;
    conn   text;
    req_cid bigint;
    params jsonb;
    n      int;
BEGIN
    IF NOT EXISTS (SELECT FROM iot.device_config x WHERE x.tenant_id = t AND x.device_id = dev AND x.sync_status = 'PENDING') THEN
        RETURN 0;
    END IF;
    FOREACH conn IN ARRAY ARRAY['mqtt', 'x-connector'] LOOP
        SELECT * INTO target FROM iot._downlink_target(t, dev, conn, 'configuration');
        EXIT WHEN target.node_id IS NOT NULL;
    END LOOP;
    IF target.node_id IS NULL THEN
        RETURN 0;
    END IF;
    req_cid := nextval('iot.downlink_cid_seq');
    WITH sent AS (
        UPDATE iot.device_config x SET sync_status = 'SENT', cid = req_cid, sent_at = iot.now()
         WHERE x.tenant_id = t AND x.device_id = dev AND x.sync_status = 'PENDING'
        RETURNING x.key, x.requested_type, x.requested_value)
    SELECT count(*),
           CASE WHEN conn = 'mqtt'
                THEN jsonb_object_agg(key, jsonb_build_object('t', iot.config_type_to_mqtt(requested_type), 'v', requested_value))
                ELSE jsonb_object_agg(key, jsonb_build_object('type', requested_type, 'value', requested_value)) END
      INTO n, params FROM sent;
    IF conn = 'mqtt' THEN
        PERFORM iot._mqtt_send('dev/cfg/upd', 'device', target.node_id,
                               jsonb_build_object('cfg', params, 'cid', req_cid), dev);
    ELSE
        PERFORM iot._mqtt_send('connector/v1/requests/configuration', 'connector', '*',
                               jsonb_build_object('nodeId', target.node_id, 'targetVersion', req_cid, 'parameters', params), dev);
    END IF;
    RETURN n;
END
$$;

-- A device reports parameters: {key: {"type", "value"}} (REST types).
--   answer_to: the cid/targetVersion the report answers (NULL: a plain
--   report of the current configuration).
--   strict: only parameters sent with that cid and reported with the
--   requested value are acknowledged (x-connector); otherwise every
--   parameter of that request is OK or FAILED (MQTT dev/cfg).
CREATE FUNCTION iot._config_reported(t uuid, dev text, params jsonb, answer_to bigint, strict boolean)
    RETURNS int
    LANGUAGE plpgsql
AS $$
DECLARE
    p     record;
    typ   text;
    val   jsonb;
    n     int := 0;
    changed jsonb := '{}';
BEGIN
    IF jsonb_typeof(params) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'the reported configuration must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR p IN SELECT e.key, e.value FROM jsonb_each(params) e ORDER BY e.key LOOP
        typ := p.value ->> 'type';
        val := iot.config_value_check(p.key, typ, p.value -> 'value');
        INSERT INTO iot.device_config AS x (tenant_id, device_id, key, reported_type, reported_value, reported_at, sync_status)
        VALUES (t, dev, p.key, typ, val, iot.now(), 'NONE')
        ON CONFLICT ON CONSTRAINT device_config_pkey DO UPDATE
           SET reported_type = excluded.reported_type, reported_value = excluded.reported_value,
               reported_at = excluded.reported_at,
               sync_status = CASE
                   WHEN x.requested_type IS NULL THEN 'NONE'
                   WHEN answer_to IS NOT NULL AND x.sync_status = 'SENT' AND x.cid = answer_to THEN
                        CASE WHEN x.requested_type = excluded.reported_type AND x.requested_value = excluded.reported_value
                             THEN 'OK' WHEN strict THEN x.sync_status ELSE 'FAILED' END
                   WHEN x.sync_status IN ('PENDING', 'SENT', 'NONE')
                        AND x.requested_type = excluded.reported_type AND x.requested_value = excluded.reported_value THEN 'OK'
                   ELSE x.sync_status END;
        changed := changed || jsonb_build_object(p.key, p.value);
        n := n + 1;
    END LOOP;
    IF n > 0 THEN
        PERFORM iot.event_emit('deviceConfigUpdate', 'configuration', jsonb_strip_nulls(jsonb_build_object(
            'version', 1, 'deviceId', dev, 'parameters', changed,
            'notifyTo', (SELECT notify_to FROM iot.device_config_target n WHERE n.tenant_id = t AND n.device_id = dev),
            'timestamp', iot.iso_time(iot.now()))), dev);
    END IF;
    -- what still differs is sent (sync steps 2-3)
    PERFORM iot._config_dispatch(t, dev);
    RETURN n;
END
$$;
