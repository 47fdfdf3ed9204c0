-- Device shadows (the AWS IoT device shadow service, over MQTT on
-- $aws/things/<thing>/shadow[/name/<shadow>]/{update,get,delete}).
--
-- A shadow holds a desired and a reported state (JSON objects), the
-- metadata of each leaf ({"timestamp": epoch seconds of its last
-- update}) and a version incremented by every update.  An update merges
-- its state into the document (a null member removes it), may name the
-- version it expects (else 409 "Version conflict"), and is answered on
-- .../update/accepted (or /rejected with {code, message}); every update
-- also publishes .../update/documents (previous and current documents),
-- and an update that changes the desired state publishes .../update/delta
-- when desired and reported differ.  The thing name is the MQTT client id
-- of the device (the plugin lets a device use only its own shadow).

CREATE TABLE iot.device_shadow (
    tenant_id      uuid NOT NULL,
    thing          text NOT NULL,           -- thing name = the device's MQTT client id
    name           text NOT NULL DEFAULT '', -- '' = the classic shadow
    device_id      text,
    desired        jsonb,
    reported       jsonb,
    meta_desired   jsonb,
    meta_reported  jsonb,
    version        bigint NOT NULL DEFAULT 0,
    created        timestamptz NOT NULL DEFAULT iot.now(),
    updated        timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, thing, name),
    FOREIGN KEY (tenant_id, device_id) REFERENCES iot.device (tenant_id, id) ON DELETE CASCADE ON UPDATE CASCADE
);
COMMENT ON TABLE iot.device_shadow IS 'AWS-IoT-style device shadows: desired/reported state, metadata, version';
SELECT iot.tenant_table('iot.device_shadow');

-- Merge b into a: objects recursively, a null member of b removes the key.
CREATE FUNCTION iot._shadow_merge(a jsonb, b jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN b IS NULL OR jsonb_typeof(b) = 'null' THEN NULL
        WHEN jsonb_typeof(b) <> 'object' THEN b
        WHEN a IS NULL OR jsonb_typeof(a) <> 'object' THEN nullif(jsonb_strip_nulls(b), '{}')
        ELSE (SELECT nullif(coalesce(jsonb_object_agg(k, v), '{}'), '{}') FROM (
                SELECT coalesce(bk.key, ak.key) AS k,
                       CASE WHEN bk.key IS NULL THEN ak.value ELSE iot._shadow_merge(ak.value, bk.value) END AS v
                  FROM jsonb_each(a) ak FULL JOIN jsonb_each(b) bk ON ak.key = bk.key) m
               WHERE v IS NOT NULL)
    END
$$;

-- The metadata of a state patch: every leaf replaced by {"timestamp": ts}
-- (null leaves stay null, so merging removes their metadata).
CREATE FUNCTION iot._shadow_meta(patch jsonb, ts bigint) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN patch IS NULL OR jsonb_typeof(patch) = 'null' THEN 'null'::jsonb
        WHEN jsonb_typeof(patch) = 'object' THEN
             coalesce((SELECT jsonb_object_agg(e.key, iot._shadow_meta(e.value, ts)) FROM jsonb_each(patch) e), '{}')
        ELSE jsonb_build_object('timestamp', ts)
    END
$$;

-- What desired asks that reported does not have (objects compared member by member).
CREATE FUNCTION iot._shadow_delta(desired jsonb, reported jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN desired IS NULL THEN NULL
        WHEN jsonb_typeof(desired) = 'object' AND reported IS NOT NULL AND jsonb_typeof(reported) = 'object' THEN
             (SELECT nullif(coalesce(jsonb_object_agg(e.key, d), '{}'), '{}') FROM jsonb_each(desired) e,
                     LATERAL (SELECT iot._shadow_delta(e.value, reported -> e.key) AS d) x
               WHERE d IS NOT NULL)
        WHEN desired IS DISTINCT FROM reported THEN desired
        ELSE NULL
    END
$$;

-- Select the parts of metadata that a delta covers.
CREATE FUNCTION iot._shadow_meta_of(meta jsonb, delta jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
        WHEN delta IS NULL OR meta IS NULL THEN NULL
        WHEN jsonb_typeof(delta) = 'object' AND jsonb_typeof(meta) = 'object' AND NOT meta ? 'timestamp' THEN
             (SELECT jsonb_object_agg(e.key, iot._shadow_meta_of(meta -> e.key, e.value)) FROM jsonb_each(delta) e)
        ELSE meta
    END
$$;

-- Drop the top-level members that are null (nulls inside a state stay:
-- they are what the request said).
CREATE FUNCTION iot._shadow_compact(j jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(j) e WHERE e.value <> 'null'::jsonb);

CREATE FUNCTION iot._shadow_state(s iot.device_shadow) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN jsonb_build_object(
        'state', jsonb_strip_nulls(jsonb_build_object('desired', s.desired, 'reported', s.reported)),
        'metadata', jsonb_strip_nulls(jsonb_build_object('desired', s.meta_desired, 'reported', s.meta_reported)),
        'version', s.version);

CREATE FUNCTION iot._shadow_error(code int, message text, token text, ts bigint) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    RETURN jsonb_strip_nulls(jsonb_build_object('code', code, 'message', message, 'timestamp', ts, 'clientToken', token));

-- Apply one shadow operation (update, get, delete) for thing/name.
-- Returns the messages to publish: (suffix, message), suffix relative to
-- the shadow's topic, e.g. 'update/accepted'.
CREATE FUNCTION iot.shadow_operate(thing text, shadow_name text, operation text, request jsonb)
    RETURNS TABLE (suffix text, message jsonb)
    LANGUAGE plpgsql
AS $$
DECLARE
    t       uuid := iot.require_tenant();
    ts      bigint := floor(extract(epoch FROM iot.now()))::bigint;
    token   text := CASE WHEN jsonb_typeof(request) = 'object' THEN request ->> 'clientToken' END;
    s       iot.device_shadow;
    prev    iot.device_shadow;
    st      jsonb;
    delta   jsonb;
    found_s boolean;
BEGIN
    IF operation NOT IN ('update', 'get', 'delete') THEN
        RAISE EXCEPTION 'unknown shadow operation "%"', operation USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO s FROM iot.device_shadow x
     WHERE x.tenant_id = t AND x.thing = shadow_operate.thing AND x.name = coalesce(shadow_name, '') FOR UPDATE;
    found_s := FOUND;
    IF request IS NULL OR jsonb_typeof(request) <> 'object' THEN
        RETURN QUERY SELECT operation || '/rejected', iot._shadow_error(400, 'Invalid JSON', NULL, ts);
        RETURN;
    END IF;
    IF operation = 'get' THEN
        IF NOT found_s THEN
            RETURN QUERY SELECT 'get/rejected', iot._shadow_error(404, format('No shadow exists with name: ''%s''',
                                CASE WHEN coalesce(shadow_name, '') = '' THEN thing ELSE shadow_name END), token, ts);
            RETURN;
        END IF;
        delta := iot._shadow_delta(s.desired, s.reported);
        RETURN QUERY SELECT 'get/accepted', jsonb_strip_nulls(jsonb_build_object(
            'state', jsonb_build_object('desired', s.desired, 'reported', s.reported, 'delta', delta),
            'metadata', jsonb_build_object('desired', s.meta_desired, 'reported', s.meta_reported),
            'version', s.version, 'timestamp', ts, 'clientToken', token));
        RETURN;
    END IF;
    IF operation = 'delete' THEN
        IF NOT found_s THEN
            RETURN QUERY SELECT 'delete/rejected', iot._shadow_error(404, format('No shadow exists with name: ''%s''',
                                CASE WHEN coalesce(shadow_name, '') = '' THEN thing ELSE shadow_name END), token, ts);
            RETURN;
        END IF;
        DELETE FROM iot.device_shadow x WHERE x.tenant_id = t AND x.thing = s.thing AND x.name = s.name;
        RETURN QUERY SELECT 'delete/accepted', jsonb_strip_nulls(jsonb_build_object(
            'version', s.version, 'timestamp', ts, 'clientToken', token));
        RETURN;
    END IF;
    -- update
    st := request -> 'state';
    IF st IS NULL THEN
        RETURN QUERY SELECT 'update/rejected', iot._shadow_error(400, 'Missing required node: state', token, ts);
        RETURN;
    END IF;
    IF jsonb_typeof(st) <> 'object' OR (st ? 'desired' AND jsonb_typeof(st -> 'desired') NOT IN ('object', 'null'))
       OR (st ? 'reported' AND jsonb_typeof(st -> 'reported') NOT IN ('object', 'null'))
       OR EXISTS (SELECT FROM jsonb_object_keys(st) k WHERE k NOT IN ('desired', 'reported')) THEN
        RETURN QUERY SELECT 'update/rejected', iot._shadow_error(400,
            'State contains an invalid node: only desired and reported objects are allowed', token, ts);
        RETURN;
    END IF;
    IF request ? 'version' AND (jsonb_typeof(request -> 'version') <> 'number'
                                OR (request ->> 'version')::numeric <> coalesce(s.version, 0)) THEN
        RETURN QUERY SELECT 'update/rejected', iot._shadow_error(409, 'Version conflict', token, ts);
        RETURN;
    END IF;
    IF NOT found_s THEN
        INSERT INTO iot.device_shadow (tenant_id, thing, name, device_id)
        VALUES (t, thing, coalesce(shadow_name, ''), iot._interface_device('mqtt', thing))
        RETURNING * INTO s;
    END IF;
    prev := s;
    UPDATE iot.device_shadow x SET
        desired = CASE WHEN st ? 'desired' THEN iot._shadow_merge(x.desired, st -> 'desired') ELSE x.desired END,
        reported = CASE WHEN st ? 'reported' THEN iot._shadow_merge(x.reported, st -> 'reported') ELSE x.reported END,
        meta_desired = CASE WHEN st ? 'desired' THEN iot._shadow_merge(x.meta_desired, iot._shadow_meta(st -> 'desired', ts))
                            ELSE x.meta_desired END,
        meta_reported = CASE WHEN st ? 'reported' THEN iot._shadow_merge(x.meta_reported, iot._shadow_meta(st -> 'reported', ts))
                             ELSE x.meta_reported END,
        version = x.version + 1, updated = iot.now()
     WHERE x.tenant_id = t AND x.thing = s.thing AND x.name = s.name
    RETURNING * INTO s;
    RETURN QUERY SELECT 'update/accepted', iot._shadow_compact(jsonb_build_object(
        'state', st,
        'metadata', iot._shadow_compact(jsonb_build_object(
            'desired', CASE WHEN st ? 'desired' THEN iot._shadow_meta(st -> 'desired', ts) END,
            'reported', CASE WHEN st ? 'reported' THEN iot._shadow_meta(st -> 'reported', ts) END)),
        'version', s.version, 'timestamp', ts, 'clientToken', token));
    RETURN QUERY SELECT 'update/documents', jsonb_strip_nulls(jsonb_build_object(
        'previous', CASE WHEN found_s THEN iot._shadow_state(prev) END,
        'current', iot._shadow_state(s), 'timestamp', ts, 'clientToken', token));
    delta := iot._shadow_delta(s.desired, s.reported);
    IF st ? 'desired' AND delta IS NOT NULL THEN
        RETURN QUERY SELECT 'update/delta', jsonb_strip_nulls(jsonb_build_object(
            'version', s.version, 'timestamp', ts, 'state', delta,
            'metadata', iot._shadow_meta_of(s.meta_desired, delta), 'clientToken', token));
    END IF;
END
$$;

-- The topic of a shadow's messages.
CREATE FUNCTION iot._shadow_topic(thing text, shadow_name text, suffix text) RETURNS text
    LANGUAGE sql IMMUTABLE
    RETURN '$aws/things/' || thing || '/shadow/'
           || CASE WHEN coalesce(shadow_name, '') = '' THEN '' ELSE 'name/' || shadow_name || '/' END || suffix;

-- An application updates, reads or deletes a shadow from SQL; the
-- device is told over MQTT (delta, documents) like with a device's own
-- request.  Returns the accepted document; a rejection raises 22023
-- (400), PI812 (409 version conflict) or PI811 (404).
CREATE FUNCTION iot.shadow_update(thing text, doc jsonb, shadow_name text DEFAULT '')
    RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    r        record;
    accepted jsonb;
BEGIN
    FOR r IN SELECT * FROM iot.shadow_operate(thing, shadow_name, 'update', doc) LOOP
        IF r.suffix = 'update/rejected' THEN
            RAISE EXCEPTION 'shadow update rejected: %', r.message ->> 'message'
                USING ERRCODE = CASE (r.message ->> 'code')::int WHEN 409 THEN 'PI812' ELSE '22023' END;
        ELSIF r.suffix = 'update/accepted' THEN
            accepted := r.message;
        ELSE
            PERFORM iot._mqtt_send(iot._shadow_topic(thing, shadow_name, r.suffix), 'device', thing, r.message,
                                   iot._interface_device('mqtt', thing));
        END IF;
    END LOOP;
    RETURN accepted;
END
$$;

CREATE FUNCTION iot.shadow_get(thing text, shadow_name text DEFAULT '') RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    r record;
BEGIN
    SELECT * INTO r FROM iot.shadow_operate(thing, shadow_name, 'get', '{}');
    IF r.suffix = 'get/rejected' THEN
        RAISE EXCEPTION '%', r.message ->> 'message' USING ERRCODE = 'PI811';
    END IF;
    RETURN r.message - 'clientToken';
END
$$;

CREATE FUNCTION iot.shadow_delete(thing text, shadow_name text DEFAULT '') RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    r record;
BEGIN
    SELECT * INTO r FROM iot.shadow_operate(thing, shadow_name, 'delete', '{}');
    IF r.suffix = 'delete/rejected' THEN
        RAISE EXCEPTION '%', r.message ->> 'message' USING ERRCODE = 'PI811';
    END IF;
    RETURN r.message;
END
$$;
