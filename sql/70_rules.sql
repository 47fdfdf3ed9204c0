-- Rules (Live Objects alarming, manual section 17): the JsonLogic engine,
-- the context and geozone repositories, matching and firing rules (simple
-- event processing), state rules (state processing), activity rules
-- (activity processing), and the queue the rules worker consumes.
--
-- Every data message committed for a tenant that has rules is queued by a
-- statement trigger on iot.message; the "rules" background worker (or
-- anyone calling iot.rules_process()) evaluates the queue in order, in the
-- same transaction that writes the events, guards and states and deletes
-- the queue rows, so a message is evaluated exactly once.

------------------------------------------------------------------------------
-- The JsonLogic engine
------------------------------------------------------------------------------

-- The rule applied to the data (json-logic-js semantics plus the Live
-- Objects operators).  ctx reads the session tenant's contexts and
-- geozones, now_utc reads iot.now(), currentstate is current_state.
CREATE FUNCTION iot.jsonlogic_apply(rule jsonb, data jsonb DEFAULT NULL, current_state jsonb DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE c STABLE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'pgiot_jsonlogic_apply';

-- The rule itself when it compiles; error PI601 (with the rule path of the
-- fault) when it does not.
CREATE FUNCTION iot.jsonlogic_check(rule jsonb) RETURNS jsonb
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_jsonlogic_check';

CREATE FUNCTION iot.jsonlogic_valid(rule jsonb) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_jsonlogic_valid';

-- Compact JSON text ({"a":[1,2]}), the form events carry rules in.
CREATE FUNCTION iot.json_compact(value jsonb) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_json_compact';

-- An ISO-8601 duration (P1D, PT12H, P2DT3H30M, PT2M) as an interval;
-- 22007 for anything else.
CREATE FUNCTION iot.iso_duration(duration text, what text DEFAULT 'duration') RETURNS interval
    LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF duration IS NULL
       OR duration !~ '^P([0-9]+Y)?([0-9]+M)?([0-9]+W)?([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+([.,][0-9]+)?S)?)?$'
       OR duration ~ '^PT?$' OR duration ~ 'T$' THEN
        RAISE EXCEPTION 'invalid ISO-8601 % "%"', what, duration
            USING ERRCODE = 'invalid_datetime_format',
                  HINT = 'Write durations like P1D, PT12H, P2DT3H30M.';
    END IF;
    RETURN replace(duration, ',', '.')::interval;
END
$$;

-- A boolean member of a JSON document: true/false, or the strings
-- "true"/"false" (the manual has both); `dflt` when absent.
CREATE FUNCTION iot._json_bool(doc jsonb, key text, dflt boolean) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF doc -> key IS NULL OR doc -> key = 'null' THEN
        RETURN dflt;
    END IF;
    IF jsonb_typeof(doc -> key) = 'boolean' THEN
        RETURN (doc ->> key)::boolean;
    END IF;
    IF doc ->> key IN ('true', 'false') THEN
        RETURN (doc ->> key)::boolean;
    END IF;
    RAISE EXCEPTION '% must be a boolean', key USING ERRCODE = 'invalid_parameter_value';
END
$$;

-- A member that must be a JSON string (or absent when not required).
CREATE FUNCTION iot._json_text(doc jsonb, key text, required boolean DEFAULT false) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF doc -> key IS NULL OR doc -> key = 'null' THEN
        IF required THEN
            RAISE EXCEPTION '% is required', key USING ERRCODE = 'invalid_parameter_value';
        END IF;
        RETURN NULL;
    END IF;
    IF jsonb_typeof(doc -> key) <> 'string' THEN
        RAISE EXCEPTION '% must be a string', key USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN doc ->> key;
END
$$;

CREATE FUNCTION iot._json_object(doc jsonb, what text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF jsonb_typeof(doc) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION '% must be a JSON object', what USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN doc;
END
$$;

-- How many rules of a kind a tenant may hold: the tenant setting
-- alarming.<kind>Max, else 50 (the manual's default).
CREATE FUNCTION iot._rule_limit_check(t uuid, kind text, tbl regclass) RETURNS void
    LANGUAGE plpgsql
AS $$
DECLARE
    lim int;
    n bigint;
BEGIN
    SELECT coalesce((settings -> 'alarming' ->> (kind || 'Max'))::int, 50) INTO lim
      FROM iot.tenant WHERE id = t;
    EXECUTE format('SELECT count(*) FROM %s WHERE tenant_id = $1', tbl) INTO n USING t;
    IF n >= lim THEN
        RAISE EXCEPTION 'a tenant holds at most % %', lim, kind
            USING ERRCODE = 'PI604', HINT = format('The tenant setting alarming.%sMax raises the limit.', kind);
    END IF;
END
$$;

------------------------------------------------------------------------------
-- Context repository (17.2.1): key -> value, read by the ctx operator
------------------------------------------------------------------------------

CREATE TABLE iot.rule_context (
    tenant_id  uuid NOT NULL REFERENCES iot.tenant ON DELETE CASCADE,
    key        text NOT NULL CHECK (key <> '' AND length(key) <= 256),
    data       jsonb NOT NULL CHECK (data <> 'null'),
    tags       text[] NOT NULL DEFAULT '{}',
    created    timestamptz NOT NULL DEFAULT iot.now(),
    updated    timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, key)
);
COMMENT ON TABLE iot.rule_context IS 'Context repository of the rules: key -> contextData (thresholds, key groups, polygons)';
SELECT iot.tenant_table('iot.rule_context');

CREATE FUNCTION iot.context_json(c iot.rule_context) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object('contextKey', c.key, 'contextData', c.data, 'tags', to_jsonb(c.tags),
                              'created', iot.iso_time(c.created), 'updated', iot.iso_time(c.updated));

-- PUT /eventprocessing/context/{key}: {"contextData": value, "tags": [...]}.
CREATE FUNCTION iot.context_put(key text, doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    c iot.rule_context;
BEGIN
    PERFORM iot._json_object(doc, 'context');
    IF doc -> 'contextData' IS NULL OR doc -> 'contextData' = 'null' THEN
        RAISE EXCEPTION 'contextData is required' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF key IS NULL OR key = '' OR length(key) > 256 THEN
        RAISE EXCEPTION 'a context key is 1 to 256 characters' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO iot.rule_context AS x (tenant_id, key, data, tags)
    VALUES (t, key, doc -> 'contextData', iot._text_array(doc -> 'tags', 'tags'))
    ON CONFLICT ON CONSTRAINT rule_context_pkey DO UPDATE
       SET data = excluded.data, tags = excluded.tags, updated = iot.now()
    RETURNING * INTO c;
    RETURN iot.context_json(c);
END
$$;

CREATE FUNCTION iot.context_get(key text) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.context_json(c) FROM iot.rule_context c
     WHERE c.tenant_id = (SELECT iot.current_tenant()) AND c.key = context_get.key
$$;

-- Contexts, those carrying any of `tags` when given, by key.
CREATE FUNCTION iot.contexts(tags text[] DEFAULT NULL) RETURNS SETOF jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.context_json(c) FROM iot.rule_context c
     WHERE c.tenant_id = (SELECT iot.current_tenant()) AND (contexts.tags IS NULL OR c.tags && contexts.tags)
     ORDER BY c.key
$$;

CREATE FUNCTION iot.context_delete(key text) RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM iot.rule_context c WHERE c.tenant_id = iot.require_tenant() AND c.key = context_delete.key;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'context % not found', key USING ERRCODE = 'PI602';
    END IF;
END
$$;

------------------------------------------------------------------------------
-- Geozone repository (17.2.2): PostGIS polygons, also part of the context
------------------------------------------------------------------------------

CREATE TABLE iot.geozone (
    tenant_id    uuid NOT NULL REFERENCES iot.tenant ON DELETE CASCADE,
    id           text NOT NULL CHECK (id <> '' AND length(id) <= 256),
    description  text,
    tags         text[] NOT NULL DEFAULT '{}',
    geometry     geometry(Polygon, 4326) NOT NULL CHECK (ST_IsValid(geometry)),
    coordinates  jsonb NOT NULL,     -- the GeoJSON coordinates, what ctx returns
    created      timestamptz NOT NULL DEFAULT iot.now(),
    updated      timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX geozone_geometry ON iot.geozone USING gist (geometry);
COMMENT ON TABLE iot.geozone IS 'Geozones of the rules (lon/lat polygons); each id is also a context key';
SELECT iot.tenant_table('iot.geozone');

CREATE FUNCTION iot.geozone_json(g iot.geozone) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'geozoneId', g.id, 'description', g.description,
        'geometry', jsonb_build_object('type', 'Polygon', 'coordinates', g.coordinates),
        'tags', to_jsonb(g.tags), 'created', iot.iso_time(g.created), 'updated', iot.iso_time(g.updated)));

-- The polygon of a GeoJSON geometry, checked: closed rings of at least
-- four [lon, lat] positions, valid as a polygon.  22023 otherwise.
CREATE FUNCTION iot._geozone_polygon(geometry jsonb) RETURNS geometry
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    ring jsonb;
    i int := 0;
    g geometry;
    pos jsonb;
BEGIN
    IF jsonb_typeof(geometry) IS DISTINCT FROM 'object' OR geometry ->> 'type' IS DISTINCT FROM 'Polygon'
       OR jsonb_typeof(geometry -> 'coordinates') IS DISTINCT FROM 'array'
       OR jsonb_array_length(geometry -> 'coordinates') = 0 THEN
        RAISE EXCEPTION 'geometry must be a GeoJSON Polygon' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = '{"type": "Polygon", "coordinates": [[[lon, lat], ...]]}';
    END IF;
    FOR ring IN SELECT * FROM jsonb_array_elements(geometry -> 'coordinates') LOOP
        i := i + 1;
        IF jsonb_typeof(ring) <> 'array' OR jsonb_array_length(ring) < 4 THEN
            RAISE EXCEPTION 'ring % of the polygon has fewer than 4 positions', i
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        FOR pos IN SELECT * FROM jsonb_array_elements(ring) LOOP
            IF jsonb_typeof(pos) <> 'array' OR jsonb_array_length(pos) < 2
               OR jsonb_typeof(pos -> 0) <> 'number' OR jsonb_typeof(pos -> 1) <> 'number'
               OR abs((pos ->> 0)::float8) > 180 OR abs((pos ->> 1)::float8) > 90 THEN
                RAISE EXCEPTION 'ring % holds an invalid position %', i, pos
                    USING ERRCODE = 'invalid_parameter_value', DETAIL = 'A position is [lon, lat] in degrees.';
            END IF;
        END LOOP;
        IF ring -> 0 <> ring -> -1 THEN
            RAISE EXCEPTION 'ring % of the polygon is not closed', i USING ERRCODE = 'invalid_parameter_value',
                DETAIL = 'Its last position must repeat its first.';
        END IF;
    END LOOP;
    g := ST_SetSRID(ST_GeomFromGeoJSON(geometry::text), 4326);
    IF NOT ST_IsValid(g) THEN
        RAISE EXCEPTION 'invalid polygon: %', ST_IsValidReason(g) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN g;
END
$$;

-- PUT /eventprocessing/geozones/{id}: {"description", "geometry", "tags"}.
CREATE FUNCTION iot.geozone_put(id text, doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    poly geometry;
    g iot.geozone;
BEGIN
    PERFORM iot._json_object(doc, 'geozone');
    IF id IS NULL OR id = '' OR length(id) > 256 THEN
        RAISE EXCEPTION 'a geozone id is 1 to 256 characters' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    poly := iot._geozone_polygon(doc -> 'geometry');
    INSERT INTO iot.geozone AS x (tenant_id, id, description, tags, geometry, coordinates)
    VALUES (t, id, iot._json_text(doc, 'description'), iot._text_array(doc -> 'tags', 'tags'), poly,
            doc -> 'geometry' -> 'coordinates')
    ON CONFLICT ON CONSTRAINT geozone_pkey DO UPDATE
       SET description = excluded.description, tags = excluded.tags, geometry = excluded.geometry,
           coordinates = excluded.coordinates, updated = iot.now()
    RETURNING * INTO g;
    RETURN iot.geozone_json(g);
END
$$;

CREATE FUNCTION iot.geozone_get(id text) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.geozone_json(g) FROM iot.geozone g
     WHERE g.tenant_id = (SELECT iot.current_tenant()) AND g.id = geozone_get.id
$$;

CREATE FUNCTION iot.geozones(tags text[] DEFAULT NULL) RETURNS SETOF jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.geozone_json(g) FROM iot.geozone g
     WHERE g.tenant_id = (SELECT iot.current_tenant()) AND (geozones.tags IS NULL OR g.tags && geozones.tags)
     ORDER BY g.id
$$;

-- The geozones that cover a point (PostGIS, through the GiST index).
CREATE FUNCTION iot.geozones_at(lon double precision, lat double precision) RETURNS SETOF text
    LANGUAGE sql STABLE
AS $$
    SELECT g.id FROM iot.geozone g
     WHERE g.tenant_id = (SELECT iot.current_tenant())
       AND ST_Covers(g.geometry, ST_SetSRID(ST_MakePoint(lon, lat), 4326))
     ORDER BY g.id
$$;

CREATE FUNCTION iot.geozone_delete(id text) RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM iot.geozone g WHERE g.tenant_id = iot.require_tenant() AND g.id = geozone_delete.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'geozone % not found', id USING ERRCODE = 'PI602';
    END IF;
END
$$;

------------------------------------------------------------------------------
-- Rule tables
------------------------------------------------------------------------------

-- Simple event processing: a matching rule tests each data message ...
CREATE TABLE iot.matching_rule (
    tenant_id       uuid NOT NULL REFERENCES iot.tenant ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    name            text,
    enabled         boolean NOT NULL DEFAULT true,
    data_predicate  jsonb NOT NULL CHECK (iot.jsonlogic_valid(data_predicate)),
    created         timestamptz NOT NULL DEFAULT iot.now(),
    updated         timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, id)
);
COMMENT ON TABLE iot.matching_rule IS 'Matching rules: a JsonLogic predicate applied to every data message';
SELECT iot.tenant_table('iot.matching_rule');

-- ... and a firing rule turns the matches into fired events, ALWAYS, ONCE
-- per aggregation context, or at most once per sleepDuration.
CREATE TABLE iot.firing_rule (
    tenant_id          uuid NOT NULL REFERENCES iot.tenant ON DELETE CASCADE,
    id                 uuid NOT NULL DEFAULT gen_random_uuid(),
    name               text,
    enabled            boolean NOT NULL DEFAULT true,
    matching_rule_ids  uuid[] NOT NULL CHECK (cardinality(matching_rule_ids) BETWEEN 1 AND 50),
    aggregation_keys   text[] NOT NULL DEFAULT '{}' CHECK (cardinality(aggregation_keys) <= 20),
    firing_type        text NOT NULL CHECK (firing_type IN ('ONCE', 'ALWAYS', 'SLEEP')),
    sleep_duration     text,          -- ISO-8601, as given
    sleep_interval     interval CHECK (sleep_interval > interval '0'),
    created            timestamptz NOT NULL DEFAULT iot.now(),
    updated            timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, id),
    CHECK ((firing_type = 'SLEEP') = (sleep_interval IS NOT NULL))
);
CREATE INDEX firing_rule_matching ON iot.firing_rule USING gin (matching_rule_ids);
COMMENT ON TABLE iot.firing_rule IS 'Firing rules: how often matches of their matching rules become matchingFired events';
SELECT iot.tenant_table('iot.firing_rule');

-- What ONCE and SLEEP leave behind: one guard per (firing rule, values of
-- the aggregation keys); no expiry = ONCE, until deleted.
CREATE TABLE iot.firing_guard (
    tenant_id       uuid NOT NULL,
    firing_rule_id  uuid NOT NULL,
    context_key     text NOT NULL,     -- JSON array of the aggregation key values
    context         jsonb NOT NULL,    -- {"<aggregation key>": value, ...}
    created         timestamptz NOT NULL,
    expires         timestamptz,
    PRIMARY KEY (tenant_id, firing_rule_id, context_key),
    FOREIGN KEY (tenant_id, firing_rule_id) REFERENCES iot.firing_rule ON DELETE CASCADE
);
CREATE INDEX firing_guard_expires ON iot.firing_guard (expires) WHERE expires IS NOT NULL;
COMMENT ON TABLE iot.firing_guard IS 'Firing contexts blocked by ONCE (until deleted) or SLEEP (until expires)';
SELECT iot.tenant_table('iot.firing_guard', 'SELECT, DELETE');

-- State processing: a state function per message, one state per key.
CREATE TABLE iot.state_rule (
    tenant_id         uuid NOT NULL REFERENCES iot.tenant ON DELETE CASCADE,
    id                uuid NOT NULL DEFAULT gen_random_uuid(),
    name              text,
    enabled           boolean NOT NULL DEFAULT true,
    state_key_path    text NOT NULL CHECK (state_key_path <> ''),
    state_function    jsonb NOT NULL CHECK (iot.jsonlogic_valid(state_function)),
    filter_predicate  jsonb CHECK (iot.jsonlogic_valid(filter_predicate)),
    created           timestamptz NOT NULL DEFAULT iot.now(),
    updated           timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, id)
);
COMMENT ON TABLE iot.state_rule IS 'State processing rules: stateFunction computes the state of stateKeyPath''s key';
SELECT iot.tenant_table('iot.state_rule');

CREATE TABLE iot.rule_state (
    tenant_id   uuid NOT NULL,
    rule_id     uuid NOT NULL,
    state_key   text NOT NULL,
    state       jsonb NOT NULL,
    message_id  bigint,              -- the message that set it
    updated     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, rule_id, state_key),
    FOREIGN KEY (tenant_id, rule_id) REFERENCES iot.state_rule ON DELETE CASCADE
);
COMMENT ON TABLE iot.rule_state IS 'The current state of each (state rule, state key)';
SELECT iot.tenant_table('iot.rule_state', 'SELECT, DELETE');

-- Activity processing: devices (by id or group) silent for too long.
CREATE TABLE iot.activity_rule (
    tenant_id        uuid NOT NULL REFERENCES iot.tenant ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    name             text NOT NULL CHECK (name <> ''),
    enabled          boolean NOT NULL DEFAULT true,
    duration         text NOT NULL,          -- silentPolicy.duration, ISO-8601
    duration_value   interval NOT NULL CHECK (duration_value > interval '0'),
    repeat_interval  text,                   -- silentPolicy.repeatInterval
    repeat_value     interval CHECK (repeat_value > interval '0'),
    device_ids       text[] NOT NULL DEFAULT '{}' CHECK (cardinality(device_ids) <= 100),
    group_paths      jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_array_length(group_paths) <= 100),
    tags             text[] NOT NULL DEFAULT '{}',
    created          timestamptz NOT NULL DEFAULT iot.now(),
    updated          timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name),
    CHECK (cardinality(device_ids) > 0 OR jsonb_array_length(group_paths) > 0),
    CHECK ((repeat_interval IS NULL) = (repeat_value IS NULL))
);
COMMENT ON TABLE iot.activity_rule IS 'Activity rules: SILENT after silentPolicy.duration without activity, reminders every repeatInterval';
SELECT iot.tenant_table('iot.activity_rule');

-- The activity state of each (rule, device) that has one; a targeted
-- device without a row is UNKNOWN (since the rule was created or updated).
CREATE TABLE iot.activity_state (
    tenant_id      uuid NOT NULL,
    rule_id        uuid NOT NULL,
    device_id      text NOT NULL,
    state          text NOT NULL CHECK (state IN ('ACTIVE', 'SILENT')),
    last_activity  timestamptz,
    last_alarm     timestamptz,          -- the last SILENT event (first or reminder)
    reminders      int NOT NULL DEFAULT 0,
    updated        timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, rule_id, device_id),
    FOREIGN KEY (tenant_id, rule_id) REFERENCES iot.activity_rule ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, device_id) REFERENCES iot.device ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX activity_state_device ON iot.activity_state (tenant_id, device_id);
COMMENT ON TABLE iot.activity_state IS 'Activity state per (activity rule, device): ACTIVE or SILENT (no row: UNKNOWN)';
SELECT iot.tenant_table('iot.activity_state', 'SELECT');

-- One row per tenant that has (or had) rules: the rules worker locks it
-- while it evaluates the tenant's messages, so a tenant's messages are
-- evaluated by one worker at a time, in order.  `active`: an enabled
-- matching, state or activity rule exists, so messages are queued.
CREATE TABLE iot.rule_tenant (
    tenant_id  uuid PRIMARY KEY REFERENCES iot.tenant ON DELETE CASCADE,
    active     boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE iot.rule_tenant IS 'Tenants with rules; row lock = the right to evaluate the tenant''s queue';
SELECT iot.tenant_table('iot.rule_tenant', 'SELECT');

-- Committed messages not yet evaluated.  Filled by the statement trigger
-- of iot.message; emptied by iot.rules_process() in the transaction that
-- writes the results.
CREATE TABLE iot.rule_queue (
    tenant_id   uuid NOT NULL,
    message_id  bigint NOT NULL,
    created     timestamptz NOT NULL,   -- the message's: its partition, and the rules clock
    PRIMARY KEY (tenant_id, message_id)
);
COMMENT ON TABLE iot.rule_queue IS 'Data messages waiting for rule evaluation';
SELECT iot.tenant_table('iot.rule_queue', 'SELECT');

------------------------------------------------------------------------------
-- The manual's JSON shapes
------------------------------------------------------------------------------

CREATE FUNCTION iot.matching_rule_json(r iot.matching_rule) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object('id', r.id, 'name', r.name, 'enabled', r.enabled,
                              'dataPredicate', r.data_predicate,
                              'created', iot.iso_time(r.created), 'updated', iot.iso_time(r.updated));

CREATE FUNCTION iot.firing_rule_json(r iot.firing_rule) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'id', r.id, 'name', r.name, 'enabled', r.enabled, 'matchingRuleIds', to_jsonb(r.matching_rule_ids),
        'aggregationKeys', to_jsonb(r.aggregation_keys), 'firingType', r.firing_type,
        'sleepDuration', r.sleep_duration,
        'created', iot.iso_time(r.created), 'updated', iot.iso_time(r.updated)));

CREATE FUNCTION iot.state_rule_json(r iot.state_rule) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object('id', r.id, 'name', r.name, 'enabled', r.enabled,
                              'stateKeyPath', r.state_key_path, 'stateFunction', r.state_function,
                              'filterPredicate', r.filter_predicate,
                              'created', iot.iso_time(r.created), 'updated', iot.iso_time(r.updated));

CREATE FUNCTION iot.activity_rule_json(r iot.activity_rule) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object(
        'id', r.id, 'name', r.name, 'enabled', r.enabled,
        'silentPolicy', jsonb_strip_nulls(jsonb_build_object('duration', r.duration,
                                                             'repeatInterval', r.repeat_interval)),
        'targets', jsonb_build_object('deviceIds', to_jsonb(r.device_ids), 'groupPaths', r.group_paths),
        'tags', to_jsonb(r.tags),
        'created', iot.iso_time(r.created), 'updated', iot.iso_time(r.updated));

-- In events, rules travel whole, with their JsonLogic as JSON text
-- (manual 17.2.5.5, 17.2.6.5; decision 17).
CREATE FUNCTION iot._matching_rule_event_json(r iot.matching_rule) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object('id', r.id, 'name', r.name, 'enabled', r.enabled,
                              'dataPredicate', iot.json_compact(r.data_predicate));

CREATE FUNCTION iot._firing_rule_event_json(r iot.firing_rule) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN iot.firing_rule_json(r) - 'created' - 'updated';

CREATE FUNCTION iot._state_rule_event_json(r iot.state_rule) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object('id', r.id, 'name', r.name, 'enabled', r.enabled,
                              'stateKeyPath', r.state_key_path,
                              'stateFunction', iot.json_compact(r.state_function),
                              'filterPredicate', coalesce(iot.json_compact(r.filter_predicate), 'null'));

CREATE FUNCTION iot._activity_rule_event_json(r iot.activity_rule) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN iot.activity_rule_json(r) - 'created' - 'updated';

------------------------------------------------------------------------------
-- Matching rules
------------------------------------------------------------------------------

-- The id a create body may carry (else a new one).
CREATE FUNCTION iot._rule_id(doc jsonb) RETURNS uuid
    LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    IF doc -> 'id' IS NULL OR doc -> 'id' = 'null' THEN
        RETURN gen_random_uuid();
    END IF;
    IF doc ->> 'id' !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        RAISE EXCEPTION 'id must be a UUID' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN (doc ->> 'id')::uuid;
END
$$;

CREATE FUNCTION iot._rule_predicate(doc jsonb, key text, required boolean) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF doc -> key IS NULL OR doc -> key = 'null' THEN
        IF required THEN
            RAISE EXCEPTION '% is required', key USING ERRCODE = 'invalid_parameter_value';
        END IF;
        RETURN NULL;
    END IF;
    BEGIN
        RETURN iot.jsonlogic_check(doc -> key);
    EXCEPTION WHEN SQLSTATE 'PI601' THEN
        DECLARE
            msg text;
            detail text;
        BEGIN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
            RAISE EXCEPTION '%: %', key, msg USING ERRCODE = 'PI601', DETAIL = detail;
        END;
    END;
END
$$;

-- POST /eventprocessing/matching-rule: {"name", "enabled", "dataPredicate"}.
CREATE FUNCTION iot.matching_rule_create(doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    r iot.matching_rule;
BEGIN
    PERFORM iot._json_object(doc, 'matching rule');
    PERFORM iot._rule_limit_check(t, 'matchingRules', 'iot.matching_rule');
    INSERT INTO iot.matching_rule (tenant_id, id, name, enabled, data_predicate)
    VALUES (t, iot._rule_id(doc), iot._json_text(doc, 'name'), iot._json_bool(doc, 'enabled', true),
            iot._rule_predicate(doc, 'dataPredicate', true))
    RETURNING * INTO r;
    RETURN iot.matching_rule_json(r);
EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'matching rule % already exists', doc ->> 'id' USING ERRCODE = 'PI605';
END
$$;

CREATE FUNCTION iot.matching_rule_get(id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.matching_rule_json(r) FROM iot.matching_rule r
     WHERE r.tenant_id = (SELECT iot.current_tenant()) AND r.id = matching_rule_get.id
$$;

CREATE FUNCTION iot.matching_rules() RETURNS SETOF jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.matching_rule_json(r) FROM iot.matching_rule r
     WHERE r.tenant_id = (SELECT iot.current_tenant()) ORDER BY r.created, r.id
$$;

-- Update: the members present replace the rule's.
CREATE FUNCTION iot.matching_rule_update(id uuid, doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    r iot.matching_rule;
BEGIN
    PERFORM iot._json_object(doc, 'matching rule');
    UPDATE iot.matching_rule x SET
        name = CASE WHEN doc ? 'name' THEN iot._json_text(doc, 'name') ELSE x.name END,
        enabled = iot._json_bool(doc, 'enabled', x.enabled),
        data_predicate = coalesce(iot._rule_predicate(doc, 'dataPredicate', false), x.data_predicate),
        updated = iot.now()
     WHERE x.tenant_id = iot.require_tenant() AND x.id = matching_rule_update.id
    RETURNING * INTO r;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'matching rule % not found', id USING ERRCODE = 'PI602';
    END IF;
    RETURN iot.matching_rule_json(r);
END
$$;

-- A matching rule that a firing rule listens to cannot go (PI603).
CREATE FUNCTION iot.matching_rule_delete(id uuid) RETURNS void
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    user_rule uuid;
BEGIN
    SELECT f.id INTO user_rule FROM iot.firing_rule f
     WHERE f.tenant_id = t AND f.matching_rule_ids @> ARRAY[matching_rule_delete.id] LIMIT 1;
    IF user_rule IS NOT NULL THEN
        RAISE EXCEPTION 'matching rule % is used by firing rule %', id, user_rule USING ERRCODE = 'PI603';
    END IF;
    DELETE FROM iot.matching_rule r WHERE r.tenant_id = t AND r.id = matching_rule_delete.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'matching rule % not found', id USING ERRCODE = 'PI602';
    END IF;
END
$$;

-- POST /eventprocessing/matching-rule/test: {"data", "dataPredicate"} ->
-- {"dataPredicateValid", "dataValid", "dataPredicateResult"}.
CREATE FUNCTION iot.matching_rule_test(doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    predicate_valid boolean := doc -> 'dataPredicate' IS NOT NULL
                               AND iot.jsonlogic_valid(doc -> 'dataPredicate');
    data_valid boolean := jsonb_typeof(doc -> 'data') = 'object';
BEGIN
    RETURN jsonb_build_object(
        'dataPredicateValid', predicate_valid, 'dataValid', data_valid,
        'dataPredicateResult', CASE WHEN predicate_valid AND data_valid THEN
            iot.jsonlogic_apply(jsonb_build_object('!!', jsonb_build_array(doc -> 'dataPredicate')), doc -> 'data')
        END);
END
$$;

------------------------------------------------------------------------------
-- Firing rules and their guards
------------------------------------------------------------------------------

CREATE FUNCTION iot._firing_fields(t uuid, doc jsonb, current iot.firing_rule)
    RETURNS iot.firing_rule
    LANGUAGE plpgsql
AS $$
DECLARE
    r iot.firing_rule := current;
    missing uuid;
BEGIN
    IF doc ? 'name' THEN
        r.name := iot._json_text(doc, 'name');
    END IF;
    r.enabled := iot._json_bool(doc, 'enabled', coalesce(r.enabled, true));
    IF doc ? 'matchingRuleIds' OR r.matching_rule_ids IS NULL THEN
        IF jsonb_typeof(doc -> 'matchingRuleIds') IS DISTINCT FROM 'array'
           OR jsonb_array_length(doc -> 'matchingRuleIds') = 0
           OR EXISTS (SELECT FROM jsonb_array_elements(doc -> 'matchingRuleIds') e
                       WHERE jsonb_typeof(e) <> 'string'
                          OR e #>> '{}' !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$') THEN
            RAISE EXCEPTION 'matchingRuleIds must be a non-empty array of matching rule ids'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        r.matching_rule_ids := ARRAY(SELECT (e #>> '{}')::uuid FROM jsonb_array_elements(doc -> 'matchingRuleIds') e);
        SELECT m INTO missing FROM unnest(r.matching_rule_ids) m
         WHERE NOT EXISTS (SELECT FROM iot.matching_rule x WHERE x.tenant_id = t AND x.id = m) LIMIT 1;
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION 'matching rule % not found', missing USING ERRCODE = 'PI602';
        END IF;
    END IF;
    IF doc ? 'aggregationKeys' THEN
        r.aggregation_keys := iot._text_array(doc -> 'aggregationKeys', 'aggregationKeys');
        IF '' = ANY (r.aggregation_keys) THEN
            RAISE EXCEPTION 'aggregationKeys must not hold empty paths' USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;
    r.aggregation_keys := coalesce(r.aggregation_keys, '{}');
    IF doc ? 'firingType' THEN
        r.firing_type := doc ->> 'firingType';
    END IF;
    IF r.firing_type IS NULL OR r.firing_type NOT IN ('ONCE', 'ALWAYS', 'SLEEP') THEN
        RAISE EXCEPTION 'firingType must be ONCE, ALWAYS or SLEEP' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF doc ? 'sleepDuration' THEN
        r.sleep_duration := iot._json_text(doc, 'sleepDuration');
    END IF;
    IF r.firing_type = 'SLEEP' THEN
        IF r.sleep_duration IS NULL THEN
            RAISE EXCEPTION 'sleepDuration is required with firingType SLEEP'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        r.sleep_interval := iot.iso_duration(r.sleep_duration, 'sleepDuration');
    ELSE
        r.sleep_duration := NULL;
        r.sleep_interval := NULL;
    END IF;
    RETURN r;
END
$$;

-- POST /eventprocessing/firing-rule: {"name", "enabled", "matchingRuleIds",
-- "aggregationKeys", "firingType", "sleepDuration"}.
CREATE FUNCTION iot.firing_rule_create(doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    r iot.firing_rule;
BEGIN
    PERFORM iot._json_object(doc, 'firing rule');
    PERFORM iot._rule_limit_check(t, 'firingRules', 'iot.firing_rule');
    r := iot._firing_fields(t, doc, NULL::iot.firing_rule);
    INSERT INTO iot.firing_rule (tenant_id, id, name, enabled, matching_rule_ids, aggregation_keys,
                                 firing_type, sleep_duration, sleep_interval)
    VALUES (t, iot._rule_id(doc), r.name, r.enabled, r.matching_rule_ids, r.aggregation_keys,
            r.firing_type, r.sleep_duration, r.sleep_interval)
    RETURNING * INTO r;
    RETURN iot.firing_rule_json(r);
EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'firing rule % already exists', doc ->> 'id' USING ERRCODE = 'PI605';
END
$$;

CREATE FUNCTION iot.firing_rule_get(id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.firing_rule_json(r) FROM iot.firing_rule r
     WHERE r.tenant_id = (SELECT iot.current_tenant()) AND r.id = firing_rule_get.id
$$;

CREATE FUNCTION iot.firing_rules() RETURNS SETOF jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.firing_rule_json(r) FROM iot.firing_rule r
     WHERE r.tenant_id = (SELECT iot.current_tenant()) ORDER BY r.created, r.id
$$;

CREATE FUNCTION iot.firing_rule_update(id uuid, doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    r iot.firing_rule;
BEGIN
    PERFORM iot._json_object(doc, 'firing rule');
    SELECT * INTO r FROM iot.firing_rule x WHERE x.tenant_id = t AND x.id = firing_rule_update.id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'firing rule % not found', id USING ERRCODE = 'PI602';
    END IF;
    r := iot._firing_fields(t, doc, r);
    UPDATE iot.firing_rule x SET
        name = r.name, enabled = r.enabled, matching_rule_ids = r.matching_rule_ids,
        aggregation_keys = r.aggregation_keys, firing_type = r.firing_type,
        sleep_duration = r.sleep_duration, sleep_interval = r.sleep_interval, updated = iot.now()
     WHERE x.tenant_id = t AND x.id = firing_rule_update.id
    RETURNING * INTO r;
    RETURN iot.firing_rule_json(r);
END
$$;

CREATE FUNCTION iot.firing_rule_delete(id uuid) RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM iot.firing_rule r WHERE r.tenant_id = iot.require_tenant() AND r.id = firing_rule_delete.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'firing rule % not found', id USING ERRCODE = 'PI602';
    END IF;
END
$$;

CREATE FUNCTION iot.firing_guard_json(g iot.firing_guard) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object('firingRuleId', g.firing_rule_id, 'context', g.context,
                              'created', iot.iso_time(g.created), 'expires', iot.iso_time(g.expires));

-- The blocks ONCE and SLEEP left (expired SLEEP guards excluded).
CREATE FUNCTION iot.firing_guards(firing_rule_id uuid DEFAULT NULL) RETURNS SETOF jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.firing_guard_json(g) FROM iot.firing_guard g
     WHERE g.tenant_id = (SELECT iot.current_tenant())
       AND (firing_guards.firing_rule_id IS NULL OR g.firing_rule_id = firing_guards.firing_rule_id)
       AND (g.expires IS NULL OR g.expires > iot.now())
     ORDER BY g.firing_rule_id, g.created, g.context_key
$$;

-- Re-arm: delete the guard of one firing context ({"metadata.source":
-- "..."}), or every guard of the rule when context is null.  Returns how
-- many went.
CREATE FUNCTION iot.firing_guard_delete(firing_rule_id uuid, context jsonb DEFAULT NULL) RETURNS int
    LANGUAGE plpgsql
AS $$
DECLARE
    n int;
BEGIN
    DELETE FROM iot.firing_guard g
     WHERE g.tenant_id = iot.require_tenant() AND g.firing_rule_id = firing_guard_delete.firing_rule_id
       AND (firing_guard_delete.context IS NULL OR g.context = firing_guard_delete.context);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

------------------------------------------------------------------------------
-- State rules and their states
------------------------------------------------------------------------------

-- POST /eventprocessing/stateprocessing-rule: {"name", "enabled",
-- "stateKeyPath", "stateFunction", "filterPredicate"}.
CREATE FUNCTION iot.state_rule_create(doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    r iot.state_rule;
BEGIN
    PERFORM iot._json_object(doc, 'state rule');
    PERFORM iot._rule_limit_check(t, 'stateRules', 'iot.state_rule');
    INSERT INTO iot.state_rule (tenant_id, id, name, enabled, state_key_path, state_function, filter_predicate)
    VALUES (t, iot._rule_id(doc), iot._json_text(doc, 'name'), iot._json_bool(doc, 'enabled', true),
            iot._json_text(doc, 'stateKeyPath', true), iot._rule_predicate(doc, 'stateFunction', true),
            iot._rule_predicate(doc, 'filterPredicate', false))
    RETURNING * INTO r;
    RETURN iot.state_rule_json(r);
EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'state rule % already exists', doc ->> 'id' USING ERRCODE = 'PI605';
END
$$;

CREATE FUNCTION iot.state_rule_get(id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.state_rule_json(r) FROM iot.state_rule r
     WHERE r.tenant_id = (SELECT iot.current_tenant()) AND r.id = state_rule_get.id
$$;

CREATE FUNCTION iot.state_rules() RETURNS SETOF jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.state_rule_json(r) FROM iot.state_rule r
     WHERE r.tenant_id = (SELECT iot.current_tenant()) ORDER BY r.created, r.id
$$;

-- Update: members present replace the rule's ("filterPredicate": null
-- removes the filter).  States are kept.
CREATE FUNCTION iot.state_rule_update(id uuid, doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    r iot.state_rule;
BEGIN
    PERFORM iot._json_object(doc, 'state rule');
    UPDATE iot.state_rule x SET
        name = CASE WHEN doc ? 'name' THEN iot._json_text(doc, 'name') ELSE x.name END,
        enabled = iot._json_bool(doc, 'enabled', x.enabled),
        state_key_path = coalesce(iot._json_text(doc, 'stateKeyPath'), x.state_key_path),
        state_function = coalesce(iot._rule_predicate(doc, 'stateFunction', false), x.state_function),
        filter_predicate = CASE WHEN doc ? 'filterPredicate' THEN iot._rule_predicate(doc, 'filterPredicate', false)
                                ELSE x.filter_predicate END,
        updated = iot.now()
     WHERE x.tenant_id = iot.require_tenant() AND x.id = state_rule_update.id
    RETURNING * INTO r;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'state rule % not found', id USING ERRCODE = 'PI602';
    END IF;
    RETURN iot.state_rule_json(r);
END
$$;

CREATE FUNCTION iot.state_rule_delete(id uuid) RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM iot.state_rule r WHERE r.tenant_id = iot.require_tenant() AND r.id = state_rule_delete.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'state rule % not found', id USING ERRCODE = 'PI602';
    END IF;
END
$$;

-- POST /eventprocessing/stateprocessing-rule/test: {"currentState",
-- "data", "stateProcessingFunction"} -> {"stateFunctionValid",
-- "dataValid", "stateFunctionResult"}.  A currentState of {} is no state.
CREATE FUNCTION iot.state_rule_test(doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    fn jsonb := doc -> 'stateProcessingFunction';
    function_valid boolean := fn IS NOT NULL AND iot.jsonlogic_valid(fn);
    data_valid boolean := jsonb_typeof(doc -> 'data') = 'object';
    current_state jsonb := nullif(nullif(doc -> 'currentState', '{}'), 'null');
BEGIN
    RETURN jsonb_build_object(
        'stateFunctionValid', function_valid, 'dataValid', data_valid,
        'stateFunctionResult', CASE WHEN function_valid AND data_valid THEN
            iot.jsonlogic_apply(fn, doc -> 'data', current_state) END);
END
$$;

CREATE FUNCTION iot.rule_state_json(s iot.rule_state) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object('stateProcessingRuleId', s.rule_id, 'stateKey', s.state_key,
                              'state', s.state, 'updated', iot.iso_time(s.updated));

CREATE FUNCTION iot.rule_states(rule_id uuid DEFAULT NULL) RETURNS SETOF jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.rule_state_json(s) FROM iot.rule_state s
     WHERE s.tenant_id = (SELECT iot.current_tenant())
       AND (rule_states.rule_id IS NULL OR s.rule_id = rule_states.rule_id)
     ORDER BY s.rule_id, s.state_key
$$;

-- Forget states (all of the rule, or one key): the next message starts
-- from no state.
CREATE FUNCTION iot.rule_state_delete(rule_id uuid, state_key text DEFAULT NULL) RETURNS int
    LANGUAGE plpgsql
AS $$
DECLARE
    n int;
BEGIN
    DELETE FROM iot.rule_state s
     WHERE s.tenant_id = iot.require_tenant() AND s.rule_id = rule_state_delete.rule_id
       AND (rule_state_delete.state_key IS NULL OR s.state_key = rule_state_delete.state_key);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

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
    PERFORM iot.event_emit('deviceActivity', 'activity', p.payload, p.device_id)
       FROM unnest(payloads, devs) WITH ORDINALITY AS p(payload, device_id, ord) ORDER BY p.ord;
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

------------------------------------------------------------------------------
-- Evaluation: the queue, the cache invalidation, the write side
------------------------------------------------------------------------------

-- Keep iot.rule_tenant current: a tenant's messages are queued only while
-- it has an enabled matching, state or activity rule.
CREATE FUNCTION iot._rule_tenant_refresh() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    t uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.tenant_id ELSE NEW.tenant_id END;
BEGIN
    IF NOT EXISTS (SELECT FROM iot.tenant WHERE id = t) THEN
        RETURN NULL;            -- the tenant is being deleted
    END IF;
    INSERT INTO iot.rule_tenant AS x (tenant_id, active)
    VALUES (t, EXISTS (SELECT FROM iot.matching_rule WHERE tenant_id = t AND enabled)
               OR EXISTS (SELECT FROM iot.state_rule WHERE tenant_id = t AND enabled)
               OR EXISTS (SELECT FROM iot.activity_rule WHERE tenant_id = t AND enabled))
    ON CONFLICT (tenant_id) DO UPDATE SET active = excluded.active
     WHERE x.active IS DISTINCT FROM excluded.active;
    RETURN NULL;
END
$$;
CREATE TRIGGER rule_tenant_refresh AFTER INSERT OR UPDATE OF enabled OR DELETE ON iot.matching_rule
    FOR EACH ROW EXECUTE FUNCTION iot._rule_tenant_refresh();
CREATE TRIGGER rule_tenant_refresh AFTER INSERT OR UPDATE OF enabled OR DELETE ON iot.state_rule
    FOR EACH ROW EXECUTE FUNCTION iot._rule_tenant_refresh();
CREATE TRIGGER rule_tenant_refresh AFTER INSERT OR UPDATE OF enabled OR DELETE ON iot.activity_rule
    FOR EACH ROW EXECUTE FUNCTION iot._rule_tenant_refresh();

-- Compiled rules are cached per backend; a change to a rule table
-- invalidates the caches of every backend when it commits.
CREATE FUNCTION iot._rules_invalidate() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'pgiot_rules_invalidate';
CREATE TRIGGER rules_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON iot.matching_rule
    FOR EACH STATEMENT EXECUTE FUNCTION iot._rules_invalidate();
CREATE TRIGGER rules_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON iot.firing_rule
    FOR EACH STATEMENT EXECUTE FUNCTION iot._rules_invalidate();
CREATE TRIGGER rules_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON iot.state_rule
    FOR EACH STATEMENT EXECUTE FUNCTION iot._rules_invalidate();
CREATE TRIGGER rules_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON iot.activity_rule
    FOR EACH STATEMENT EXECUTE FUNCTION iot._rules_invalidate();

-- Queue the data messages of an ingest for evaluation, in the ingesting
-- transaction (one set-based insert per statement).  Stored events
-- (model event or event:*) are not data for rules.
CREATE FUNCTION iot._rules_enqueue() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    INSERT INTO iot.rule_queue (tenant_id, message_id, created)
    SELECT n.tenant_id, n.id, n.created
      FROM new_messages n
     WHERE n.tenant_id IN (SELECT rt.tenant_id FROM iot.rule_tenant rt WHERE rt.active)
       AND (n.model IS NULL OR (n.model <> 'event' AND n.model NOT LIKE 'event:%'));
    RETURN NULL;
END
$$;
CREATE TRIGGER rules_enqueue AFTER INSERT ON iot.message
    REFERENCING NEW TABLE AS new_messages
    FOR EACH STATEMENT EXECUTE FUNCTION iot._rules_enqueue();

-- The write side of one evaluated batch (called by iot.rules_process()):
-- events in order (routed through iot.event_emit, stored as data messages
-- of stream event:<streamId>), guards and states, activity, audit, and the
-- queue rows done.  Events: kind matchingFired (rule = firing rule,
-- matching = matching rule) or stateChange (rule = state rule, key,
-- previous, new); message = the data message, doc = the document the
-- rules saw (iot.message_json's, numbers as doubles), at = its processing
-- time (its created).
CREATE FUNCTION iot._rules_commit(
    t uuid, done bigint[],
    e_kind text[], e_rule uuid[], e_matching uuid[], e_key text[], e_prev jsonb[], e_new jsonb[],
    e_message bigint[], e_doc jsonb[], e_at timestamptz[], e_device text[],
    g_rule uuid[], g_key text[], g_context jsonb[], g_created timestamptz[], g_expires timestamptz[],
    s_rule uuid[], s_key text[], s_state jsonb[], s_message bigint[], s_at timestamptz[],
    a_device text[], a_at timestamptz[],
    x_message bigint[], x_rule uuid[], x_error text[])
    RETURNS void
    LANGUAGE plpgsql
AS $$
DECLARE
    payloads jsonb[];
BEGIN
    IF cardinality(e_kind) > 0 THEN
        SELECT array_agg(CASE e.kind
                   WHEN 'matchingFired' THEN jsonb_build_object(
                       'version', 1, 'tenantId', t, 'timestamp', iot.iso_time(e.at),
                       'firingRule', iot._firing_rule_event_json(f),
                       'matchingContext', jsonb_build_object(
                           'tenantId', t, 'timestamp', iot.iso_time(e.at),
                           'matchingRule', iot._matching_rule_event_json(mr), 'data', e.doc))
                   ELSE jsonb_build_object(
                       'version', 1, 'tenantId', t, 'stateKey', e.key,
                       'previousState', coalesce(e.prev, 'null'), 'newState', e.new,
                       'timestamp', iot.iso_time(e.at), 'stateProcessingRuleId', s.id,
                       'stateProcessingRule', iot._state_rule_event_json(s), 'data', e.doc)
                   END ORDER BY e.ord)
          INTO payloads
          FROM unnest(e_kind, e_rule, e_matching, e_key, e_prev, e_new, e_doc, e_at)
               WITH ORDINALITY AS e(kind, rule, matching, key, prev, new, doc, at, ord)
          LEFT JOIN iot.firing_rule f ON e.kind = 'matchingFired' AND f.tenant_id = t AND f.id = e.rule
          LEFT JOIN iot.matching_rule mr ON e.kind = 'matchingFired' AND mr.tenant_id = t AND mr.id = e.matching
          LEFT JOIN iot.state_rule s ON e.kind = 'stateChange' AND s.tenant_id = t AND s.id = e.rule;
        PERFORM iot.event_emit(p.kind, 'rules', p.payload, p.device)
           FROM unnest(e_kind, payloads, e_device) WITH ORDINALITY AS p(kind, payload, device, ord)
          ORDER BY p.ord;
        -- stored in the partition of the message that caused them, at its place
        INSERT INTO iot.message (tenant_id, created, ts, stream_id, model, value, tags, metadata,
                                 location, location_alt, location_accuracy, location_provider)
        SELECT t, p.at, p.at, 'event:' || m.stream_id,
               CASE p.kind WHEN 'matchingFired' THEN 'event:MatchingFired' ELSE 'event:StateChange' END,
               p.payload, '{event}', '{}', m.location, m.location_alt, m.location_accuracy, m.location_provider
          FROM unnest(e_kind, payloads, e_message, e_at) AS p(kind, payload, message, at)
          JOIN iot.message m ON m.tenant_id = t AND m.id = p.message AND m.created = p.at;
    END IF;
    INSERT INTO iot.firing_guard AS g (tenant_id, firing_rule_id, context_key, context, created, expires)
    SELECT t, u.rule, u.key, u.context, u.created, u.expires
      FROM unnest(g_rule, g_key, g_context, g_created, g_expires) AS u(rule, key, context, created, expires)
    ON CONFLICT (tenant_id, firing_rule_id, context_key) DO UPDATE
       SET created = excluded.created, expires = excluded.expires, context = excluded.context;
    INSERT INTO iot.rule_state AS s (tenant_id, rule_id, state_key, state, message_id, updated)
    SELECT t, u.rule, u.key, u.state, u.message, u.at
      FROM unnest(s_rule, s_key, s_state, s_message, s_at) AS u(rule, key, state, message, at)
    ON CONFLICT (tenant_id, rule_id, state_key) DO UPDATE
       SET state = excluded.state, message_id = excluded.message_id, updated = excluded.updated;
    IF cardinality(a_device) > 0 THEN
        PERFORM iot._activity_touch(t, a_device, a_at);
    END IF;
    IF cardinality(x_message) > 0 THEN
        INSERT INTO iot.audit_log (tenant_id, level, component, code, message, details)
        SELECT t, 'WARNING', 'rules', '54001', u.error,
               jsonb_build_object('messageId', u.message, 'ruleId', u.rule)
          FROM unnest(x_message, x_rule, x_error) AS u(message, rule, error);
    END IF;
    DELETE FROM iot.rule_queue q WHERE q.tenant_id = t AND q.message_id = ANY (done);
END
$$;
REVOKE EXECUTE ON FUNCTION iot._rules_commit(uuid, bigint[], text[], uuid[], uuid[], text[], jsonb[], jsonb[],
    bigint[], jsonb[], timestamptz[], text[], uuid[], text[], jsonb[], timestamptz[], timestamptz[], uuid[], text[],
    jsonb[], bigint[], timestamptz[], text[], timestamptz[], bigint[], uuid[], text[]) FROM PUBLIC;

-- Evaluate up to max_messages queued messages, tenant by tenant (the one
-- with the oldest message first), each tenant's in queue order, with the
-- tenant's rule_tenant row locked (SKIP LOCKED: another worker busy with a
-- tenant is left alone).  Returns how many messages were evaluated.
CREATE FUNCTION iot.rules_process(max_messages int DEFAULT 1000) RETURNS bigint
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'pgiot_rules_process';
REVOKE EXECUTE ON FUNCTION iot.rules_process(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION iot.rules_process(int) TO pgiot_service;

-- Housekeeping (maintenance task "rules"): expired SLEEP guards, queue
-- rows of tenants without rules any more.
CREATE FUNCTION iot._rules_maintenance() RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    n_guards bigint;
    n_queue bigint;
BEGIN
    DELETE FROM iot.firing_guard WHERE expires < iot.now() - interval '1 day';
    GET DIAGNOSTICS n_guards = ROW_COUNT;
    DELETE FROM iot.rule_queue q
     WHERE NOT EXISTS (SELECT FROM iot.rule_tenant rt WHERE rt.tenant_id = q.tenant_id);
    GET DIAGNOSTICS n_queue = ROW_COUNT;
    RETURN jsonb_build_object('guardsPurged', n_guards, 'orphanQueueRows', n_queue);
END
$$;
REVOKE EXECUTE ON FUNCTION iot._rules_maintenance() FROM PUBLIC;
INSERT INTO iot.maintenance_task (name, fn) VALUES ('rules', 'iot._rules_maintenance()');
