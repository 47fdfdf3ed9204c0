-- Rules: activity processing, activity rules, their states, activity
-- from messages and connectors, the periodic sweep (manual 17.2.7).

------------------------------------------------------------------------------
-- Activity rules
------------------------------------------------------------------------------

-- targets.groupPaths, normalized: [{"path": "/a/b", "includeSubPath": bool}].
CREATE FUNCTION iot._activity_group_paths(j jsonb) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    e jsonb;
    out jsonb := '[]';
    p text;
BEGIN
    IF j IS NULL OR j = 'null' THEN
        RETURN '[]';
    END IF;
    IF jsonb_typeof(j) <> 'array' THEN
        RAISE EXCEPTION 'targets.groupPaths must be an array' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR e IN SELECT * FROM jsonb_array_elements(j) LOOP
        p := CASE WHEN jsonb_typeof(e) = 'object' AND jsonb_typeof(e -> 'path') = 'string' THEN e ->> 'path' END;
        IF p IS NULL OR left(p, 1) <> '/' THEN
            RAISE EXCEPTION 'targets.groupPaths entries are {"path": "/...", "includeSubPath": bool}'
                USING ERRCODE = 'invalid_parameter_value', DETAIL = format('got %s', e);
        END IF;
        IF p <> '/' THEN
            p := rtrim(p, '/');
        END IF;
        out := out || jsonb_build_array(jsonb_build_object(
            'path', p, 'includeSubPath', iot._json_bool(e, 'includeSubPath', false)));
    END LOOP;
    RETURN out;
END
$$;

-- Does the rule target this device (by id, or by its group's path)?
CREATE FUNCTION iot._activity_targets(r iot.activity_rule, device_id text, group_path text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN device_id = ANY (r.device_ids) OR EXISTS (
        SELECT FROM jsonb_array_elements(r.group_paths) gp
         WHERE group_path = gp ->> 'path'
            OR ((gp ->> 'includeSubPath')::boolean
                AND starts_with(group_path, CASE WHEN gp ->> 'path' = '/' THEN '/' ELSE (gp ->> 'path') || '/' END)));

CREATE FUNCTION iot._activity_fields(doc jsonb, current iot.activity_rule) RETURNS iot.activity_rule
    LANGUAGE plpgsql
AS $$
DECLARE
    r iot.activity_rule := current;
    policy jsonb := doc -> 'silentPolicy';
    targets jsonb := doc -> 'targets';
BEGIN
    IF doc ? 'name' OR r.name IS NULL THEN
        r.name := iot._json_text(doc, 'name', true);
        IF r.name = '' THEN
            RAISE EXCEPTION 'name must not be empty' USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;
    r.enabled := iot._json_bool(doc, 'enabled', coalesce(r.enabled, true));
    IF policy IS NOT NULL OR r.duration IS NULL THEN
        PERFORM iot._json_object(policy, 'silentPolicy');
        r.duration := iot._json_text(policy, 'duration', true);
        r.duration_value := iot.iso_duration(r.duration, 'silentPolicy.duration');
        r.repeat_interval := iot._json_text(policy, 'repeatInterval');
        r.repeat_value := CASE WHEN r.repeat_interval IS NOT NULL
                               THEN iot.iso_duration(r.repeat_interval, 'silentPolicy.repeatInterval') END;
    END IF;
    IF targets IS NOT NULL OR r.device_ids IS NULL THEN
        PERFORM iot._json_object(targets, 'targets');
        r.device_ids := iot._text_array(targets -> 'deviceIds', 'targets.deviceIds');
        r.group_paths := iot._activity_group_paths(targets -> 'groupPaths');
        IF cardinality(r.device_ids) > 100 OR jsonb_array_length(r.group_paths) > 100 THEN
            RAISE EXCEPTION 'an activity rule targets at most 100 devices and 100 group paths'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF cardinality(r.device_ids) = 0 AND jsonb_array_length(r.group_paths) = 0 THEN
            RAISE EXCEPTION 'targets must name at least one device id or group path'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;
    IF doc ? 'tags' OR r.tags IS NULL THEN
        r.tags := iot._text_array(doc -> 'tags', 'tags');
    END IF;
    RETURN r;
END
$$;

-- POST /eventprocessing/activity-rule: {"name", "enabled", "silentPolicy":
-- {"duration", "repeatInterval"}, "targets": {"deviceIds", "groupPaths"},
-- "tags"}.
CREATE FUNCTION iot.activity_rule_create(doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    r iot.activity_rule;
BEGIN
    PERFORM iot._json_object(doc, 'activity rule');
    PERFORM iot._rule_limit_check(t, 'activityRules', 'iot.activity_rule');
    r := iot._activity_fields(doc, NULL::iot.activity_rule);
    IF EXISTS (SELECT FROM iot.activity_rule x WHERE x.tenant_id = t AND x.name = r.name) THEN
        RAISE EXCEPTION 'an activity rule named "%" already exists', r.name USING ERRCODE = 'PI605';
    END IF;
    INSERT INTO iot.activity_rule (tenant_id, id, name, enabled, duration, duration_value, repeat_interval,
                                   repeat_value, device_ids, group_paths, tags)
    VALUES (t, iot._rule_id(doc), r.name, r.enabled, r.duration, r.duration_value, r.repeat_interval,
            r.repeat_value, r.device_ids, r.group_paths, r.tags)
    RETURNING * INTO r;
    PERFORM iot._activity_device_refresh(t, NULL);
    RETURN iot.activity_rule_json(r);
EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'activity rule % already exists', doc ->> 'id' USING ERRCODE = 'PI605';
END
$$;

CREATE FUNCTION iot.activity_rule_get(id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.activity_rule_json(r) FROM iot.activity_rule r
     WHERE r.tenant_id = (SELECT iot.current_tenant()) AND r.id = activity_rule_get.id
$$;

CREATE FUNCTION iot.activity_rules() RETURNS SETOF jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.activity_rule_json(r) FROM iot.activity_rule r
     WHERE r.tenant_id = (SELECT iot.current_tenant()) ORDER BY r.created, r.id
$$;

-- Update: members present replace the rule's; every activity state of
-- the rule goes back to UNKNOWN, its silence window starting now.
CREATE FUNCTION iot.activity_rule_update(id uuid, doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    r iot.activity_rule;
BEGIN
    PERFORM iot._json_object(doc, 'activity rule');
    SELECT * INTO r FROM iot.activity_rule x WHERE x.tenant_id = t AND x.id = activity_rule_update.id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'activity rule % not found', id USING ERRCODE = 'PI602';
    END IF;
    r := iot._activity_fields(doc, r);
    BEGIN
        UPDATE iot.activity_rule x SET
            name = r.name, enabled = r.enabled, duration = r.duration, duration_value = r.duration_value,
            repeat_interval = r.repeat_interval, repeat_value = r.repeat_value, device_ids = r.device_ids,
            group_paths = r.group_paths, tags = r.tags, updated = iot.now()
         WHERE x.tenant_id = t AND x.id = activity_rule_update.id
        RETURNING * INTO r;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION 'an activity rule named "%" already exists', r.name USING ERRCODE = 'PI605';
    END;
    DELETE FROM iot.activity_state s WHERE s.tenant_id = t AND s.rule_id = r.id;
    PERFORM iot._activity_device_refresh(t, NULL);
    RETURN iot.activity_rule_json(r);
END
$$;

CREATE FUNCTION iot.activity_rule_delete(id uuid) RETURNS void
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
BEGIN
    DELETE FROM iot.activity_rule r WHERE r.tenant_id = t AND r.id = activity_rule_delete.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'activity rule % not found', id USING ERRCODE = 'PI602';
    END IF;
    PERFORM iot._activity_device_refresh(t, NULL);
END
$$;

-- The activity state of every (enabled rule, targeted device), UNKNOWN
-- included, optionally for one rule or one device.
CREATE FUNCTION iot.activity_states(rule_id uuid DEFAULT NULL, device_id text DEFAULT NULL)
    RETURNS SETOF jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
               'activityRuleId', r.id, 'deviceId', d.id, 'state', coalesce(s.state, 'UNKNOWN'),
               'lastActivity', iot.iso_time(s.last_activity), 'lastAlarm', iot.iso_time(s.last_alarm),
               'numberOfAlarmReminders', coalesce(s.reminders, 0))
      FROM iot.activity_rule r
      JOIN iot.device d ON d.tenant_id = r.tenant_id
      JOIN iot.device_group g ON g.tenant_id = d.tenant_id AND g.id = d.group_id
      LEFT JOIN iot.activity_state s ON s.tenant_id = r.tenant_id AND s.rule_id = r.id AND s.device_id = d.id
     WHERE r.tenant_id = (SELECT iot.current_tenant()) AND r.enabled
       AND (activity_states.rule_id IS NULL OR r.id = activity_states.rule_id)
       AND (activity_states.device_id IS NULL OR d.id = activity_states.device_id)
       AND iot._activity_targets(r, d.id, g.path)
     ORDER BY r.created, r.id, d.id
$$;

-- iot.device.activity_state: SILENT if any rule says so, else ACTIVE if
-- any, else UNKNOWN if targeted, else NOT_MONITORED (devices: all if null).
CREATE FUNCTION iot._activity_device_refresh(t uuid, devices text[]) RETURNS void
    LANGUAGE sql
AS $$
    UPDATE iot.device d SET activity_state = x.agg
      FROM (SELECT dv.id,
                   CASE WHEN bool_or(s.state = 'SILENT') THEN 'SILENT'
                        WHEN bool_or(s.state = 'ACTIVE') THEN 'ACTIVE'
                        WHEN count(r.id) > 0 THEN 'UNKNOWN'
                        ELSE 'NOT_MONITORED' END AS agg
              FROM iot.device dv
              JOIN iot.device_group g ON g.tenant_id = dv.tenant_id AND g.id = dv.group_id
              LEFT JOIN iot.activity_rule r ON r.tenant_id = dv.tenant_id AND r.enabled
                                           AND iot._activity_targets(r, dv.id, g.path)
              LEFT JOIN iot.activity_state s ON s.tenant_id = dv.tenant_id AND s.rule_id = r.id
                                            AND s.device_id = dv.id
             WHERE dv.tenant_id = t AND (devices IS NULL OR dv.id = ANY (devices))
             GROUP BY dv.id) x
     WHERE d.tenant_id = t AND d.id = x.id AND d.activity_state IS DISTINCT FROM x.agg
$$;

-- Emit deviceActivity events (routed, and stored as data messages of
-- stream event:<deviceId>, model event:DeviceActivity); rows are
-- (rule_id, device_id, state, previous, reminders, at), in order.
CREATE FUNCTION iot._activity_emit(t uuid, rule_ids uuid[], device_ids text[], states text[],
                                   previous text[], reminders int[], ats timestamptz[])
    RETURNS int
    LANGUAGE plpgsql
AS $$
DECLARE
    payloads jsonb[];
    devs text[];
    whens timestamptz[];
BEGIN
    IF cardinality(rule_ids) = 0 THEN
        RETURN 0;
    END IF;
    SELECT array_agg(jsonb_build_object(
               'version', 1, 'deviceId', e.device_id,
               'deviceAdditionalInfo', jsonb_strip_nulls(jsonb_build_object('deviceName', d.name, 'groupPath', g.path)),
               'activityRule', iot._activity_rule_event_json(r),
               'state', e.state, 'previousState', e.previous,
               'numberOfAlarmReminders', e.reminders, 'timestamp', iot.iso_time(e.at)) ORDER BY e.ord),
           array_agg(e.device_id ORDER BY e.ord), array_agg(e.at ORDER BY e.ord)
      INTO payloads, devs, whens
      FROM unnest(rule_ids, device_ids, states, previous, reminders, ats)
           WITH ORDINALITY AS e(rule_id, device_id, state, previous, reminders, at, ord)
      JOIN iot.activity_rule r ON r.tenant_id = t AND r.id = e.rule_id
      JOIN iot.device d ON d.tenant_id = t AND d.id = e.device_id
      LEFT JOIN iot.device_group g ON g.tenant_id = t AND g.id = d.group_id;
    IF payloads IS NULL THEN
        RETURN 0;               -- the rules or devices went meanwhile
    END IF;
    PERFORM iot.event_emit_many(array_fill('deviceActivity'::text, ARRAY[cardinality(payloads)]),
                                'activity', payloads, devs);
    PERFORM iot.message_partition_ensure(w) FROM (SELECT DISTINCT w FROM unnest(whens) w) x;
    INSERT INTO iot.message (tenant_id, created, ts, stream_id, model, value, tags, metadata)
    SELECT t, p.at, p.at, 'event:' || p.device_id, 'event:DeviceActivity', p.payload, '{event}', '{}'
      FROM unnest(payloads, devs, whens) AS p(payload, device_id, at);
    PERFORM iot._activity_device_refresh(t, devs);
    RETURN cardinality(payloads);
END
$$;

-- Activity of devices at given times (a data message, a connection, a
-- command or configuration response): ACTIVE for every enabled rule
-- targeting them; an event when the state was SILENT or UNKNOWN.
CREATE FUNCTION iot._activity_touch(t uuid, devices text[], ats timestamptz[]) RETURNS int
    LANGUAGE plpgsql
AS $$
DECLARE
    r_ids uuid[];
    d_ids text[];
    prevs text[];
    whens timestamptz[];
BEGIN
    WITH act AS (
        SELECT u.d AS device_id, max(u.a) AS at FROM unnest(devices, ats) u(d, a)
         WHERE u.d IS NOT NULL GROUP BY u.d),
    tgt AS (
        SELECT r.id AS rule_id, act.device_id, act.at
          FROM act
          JOIN iot.device dv ON dv.tenant_id = t AND dv.id = act.device_id
          JOIN iot.device_group g ON g.tenant_id = t AND g.id = dv.group_id
          JOIN iot.activity_rule r ON r.tenant_id = t AND r.enabled AND iot._activity_targets(r, dv.id, g.path)),
    prev AS (
        SELECT tgt.*, coalesce(s.state, 'UNKNOWN') AS previous
          FROM tgt LEFT JOIN iot.activity_state s
            ON s.tenant_id = t AND s.rule_id = tgt.rule_id AND s.device_id = tgt.device_id),
    up AS (
        INSERT INTO iot.activity_state AS s (tenant_id, rule_id, device_id, state, last_activity, last_alarm,
                                             reminders, updated)
        SELECT t, rule_id, device_id, 'ACTIVE', at, NULL, 0, at FROM tgt
        ON CONFLICT (tenant_id, rule_id, device_id) DO UPDATE
           SET state = 'ACTIVE', last_activity = greatest(s.last_activity, excluded.last_activity),
               last_alarm = NULL, reminders = 0, updated = excluded.updated)
    SELECT array_agg(rule_id ORDER BY at, device_id, rule_id), array_agg(device_id ORDER BY at, device_id, rule_id),
           array_agg(previous ORDER BY at, device_id, rule_id), array_agg(at ORDER BY at, device_id, rule_id)
      INTO r_ids, d_ids, prevs, whens
      FROM prev WHERE previous <> 'ACTIVE';
    RETURN iot._activity_emit(t, coalesce(r_ids, '{}'), coalesce(d_ids, '{}'),
                              array_fill('ACTIVE'::text, ARRAY[cardinality(coalesce(r_ids, '{}'))]),
                              coalesce(prevs, '{}'), array_fill(0, ARRAY[cardinality(coalesce(r_ids, '{}'))]),
                              coalesce(whens, '{}'));
END
$$;

-- For connectors: record activity of a device of the current tenant (MQTT
-- connection, command or configuration response).  Data messages count by
-- themselves.  Returns the number of ACTIVE events emitted.
CREATE FUNCTION iot.activity_record(device_id text, at timestamptz DEFAULT NULL) RETURNS int
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
BEGIN
    IF NOT EXISTS (SELECT FROM iot.activity_rule r WHERE r.tenant_id = t AND r.enabled) THEN
        RETURN 0;
    END IF;
    PERFORM FROM iot.rule_tenant rt WHERE rt.tenant_id = t FOR UPDATE;
    RETURN iot._activity_touch(t, ARRAY[device_id], ARRAY[coalesce(at, iot.now())]);
END
$$;

-- One tenant's sweep at `now`: overdue devices go SILENT, silent ones get
-- their reminders.  Durations below pgiot.activity_min_duration count as
-- that (decision 20).
CREATE FUNCTION iot._activity_sweep_tenant(t uuid, now timestamptz) RETURNS int
    LANGUAGE plpgsql
AS $$
DECLARE
    floor interval := current_setting('pgiot.activity_min_duration')::interval;
    r_ids uuid[];
    d_ids text[];
    prevs text[];
    counts int[];
BEGIN
    WITH r AS (
        SELECT x.id, x.updated, x AS rule, greatest(x.duration_value, floor) AS dur,
               CASE WHEN x.repeat_value IS NOT NULL THEN greatest(x.repeat_value, floor) END AS rep
          FROM iot.activity_rule x WHERE x.tenant_id = t AND x.enabled),
    went_silent AS (
        UPDATE iot.activity_state s SET state = 'SILENT', last_alarm = now, reminders = 0, updated = now
          FROM r
         WHERE s.tenant_id = t AND s.rule_id = r.id AND s.state = 'ACTIVE' AND s.last_activity + r.dur <= now
        RETURNING s.rule_id, s.device_id, 'ACTIVE'::text AS previous, 0 AS reminders),
    reminded AS (
        UPDATE iot.activity_state s SET reminders = s.reminders + 1, updated = now,
               last_alarm = CASE WHEN s.last_alarm + 2 * r.rep <= now THEN now ELSE s.last_alarm + r.rep END
          FROM r
         WHERE s.tenant_id = t AND s.rule_id = r.id AND s.state = 'SILENT' AND r.rep IS NOT NULL
           AND s.last_alarm + r.rep <= now
        RETURNING s.rule_id, s.device_id, 'SILENT'::text AS previous, s.reminders),
    never_seen AS (
        INSERT INTO iot.activity_state (tenant_id, rule_id, device_id, state, last_activity, last_alarm,
                                        reminders, updated)
        SELECT t, r.id, d.id, 'SILENT', NULL, now, 0, now
          FROM r
          JOIN iot.device d ON d.tenant_id = t
          JOIN iot.device_group g ON g.tenant_id = t AND g.id = d.group_id
         WHERE greatest(r.updated, d.created) + r.dur <= now
           AND iot._activity_targets(r.rule, d.id, g.path)
           AND NOT EXISTS (SELECT FROM iot.activity_state s
                            WHERE s.tenant_id = t AND s.rule_id = r.id AND s.device_id = d.id)
        ON CONFLICT DO NOTHING
        RETURNING rule_id, device_id, 'UNKNOWN'::text AS previous, 0 AS reminders),
    events AS (
        SELECT * FROM went_silent UNION ALL SELECT * FROM reminded UNION ALL SELECT * FROM never_seen)
    SELECT array_agg(rule_id ORDER BY device_id, rule_id), array_agg(device_id ORDER BY device_id, rule_id),
           array_agg(previous ORDER BY device_id, rule_id), array_agg(reminders ORDER BY device_id, rule_id)
      INTO r_ids, d_ids, prevs, counts
      FROM events;
    IF r_ids IS NULL THEN
        RETURN 0;
    END IF;
    RETURN iot._activity_emit(t, r_ids, d_ids, array_fill('SILENT'::text, ARRAY[cardinality(r_ids)]),
                              prevs, counts, array_fill(now, ARRAY[cardinality(r_ids)]));
END
$$;

-- The periodic sweep of every tenant with activity rules, at iot.now()
-- (the rules worker runs it every pgiot.rules_interval).  A tenant is
-- swept while holding its rule_tenant lock, so it never races the
-- evaluation of its messages.
CREATE FUNCTION iot.activity_sweep() RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid;
    total int := 0;
    old_tenant text := current_setting('iot.tenant', true);
    now timestamptz := iot.now();
BEGIN
    FOR t IN SELECT DISTINCT r.tenant_id FROM iot.activity_rule r WHERE r.enabled ORDER BY 1 LOOP
        PERFORM FROM iot.rule_tenant rt WHERE rt.tenant_id = t FOR UPDATE;
        PERFORM set_config('iot.tenant', t::text, true);
        total := total + iot._activity_sweep_tenant(t, now);
    END LOOP;
    PERFORM set_config('iot.tenant', coalesce(old_tenant, ''), true);
    RETURN jsonb_build_object('activityEvents', total);
END
$$;
REVOKE EXECUTE ON FUNCTION iot.activity_sweep() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION iot.activity_sweep() TO pgiot_service;
