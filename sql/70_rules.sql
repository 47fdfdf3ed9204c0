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
