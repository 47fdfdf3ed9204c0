-- Groups, devices and their interfaces (Live Objects device management).

------------------------------------------------------------------------------
-- Groups: a filesystem-like tree per tenant.  `path` is derived from the
-- path nodes of the ancestors and kept current by a trigger.
------------------------------------------------------------------------------

CREATE TABLE iot.device_group (
    tenant_id    uuid NOT NULL REFERENCES iot.tenant ON DELETE CASCADE,
    id           text NOT NULL,
    path_node    text CHECK (path_node ~ '^[A-Za-z0-9_.~-][A-Za-z0-9 _.~-]*$'),
    parent_id    text,
    path         text NOT NULL,
    description  text,
    created      timestamptz NOT NULL DEFAULT iot.now(),
    updated      timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, path),
    FOREIGN KEY (tenant_id, parent_id) REFERENCES iot.device_group (tenant_id, id),
    CHECK ((id = 'root') = (parent_id IS NULL)),
    CHECK ((id = 'root') = (path_node IS NULL))
);
CREATE INDEX device_group_parent ON iot.device_group (tenant_id, parent_id);
CREATE INDEX device_group_path_prefix ON iot.device_group (tenant_id, path text_pattern_ops);
COMMENT ON TABLE iot.device_group IS 'Device groups; path like /France/Paris, unique per tenant, at most 7 levels';
SELECT iot.tenant_table('iot.device_group');

-- Derive path from the parent; refuse cycles, duplicates and depth > 7.
CREATE FUNCTION iot._group_path() RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    parent_path text;
BEGIN
    IF NEW.id = 'root' THEN
        NEW.path := '/';
        RETURN NEW;
    END IF;
    IF NEW.path_node IS NULL OR NEW.path_node !~ '^[A-Za-z0-9_.~-][A-Za-z0-9 _.~-]*$' THEN
        RAISE EXCEPTION 'invalid group pathNode "%"', NEW.path_node
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = CASE WHEN coalesce(NEW.path_node, '') = '' THEN 'It is empty.'
                           ELSE format('Character %s is not allowed (A-Z a-z 0-9 space _ . ~ -).',
                                       strpos(NEW.path_node, substring(NEW.path_node FROM '^ |[^A-Za-z0-9 _.~-]')))
                           END;
    END IF;
    SELECT path INTO parent_path FROM iot.device_group
     WHERE tenant_id = NEW.tenant_id AND id = NEW.parent_id;
    IF parent_path IS NULL THEN
        RAISE EXCEPTION 'group % not found', NEW.parent_id USING ERRCODE = 'PI002';
    END IF;
    IF TG_OP = 'UPDATE' AND (parent_path || '/') LIKE replace(OLD.path, '_', '\_') || '/%' THEN
        RAISE EXCEPTION 'cannot move group % under its own subtree', OLD.path
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    NEW.path := CASE parent_path WHEN '/' THEN '' ELSE parent_path END || '/' || NEW.path_node;
    IF array_length(string_to_array(substr(NEW.path, 2), '/'), 1) > 7 THEN
        RAISE EXCEPTION 'group path % is deeper than 7 levels', NEW.path
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT FROM iot.device_group
                WHERE tenant_id = NEW.tenant_id AND path = NEW.path AND id <> NEW.id) THEN
        RAISE EXCEPTION 'group path % already exists', NEW.path USING ERRCODE = 'PI005';
    END IF;
    NEW.updated := iot.now();
    RETURN NEW;
END
$$;
CREATE TRIGGER derive_path BEFORE INSERT OR UPDATE OF path_node, parent_id ON iot.device_group
    FOR EACH ROW EXECUTE FUNCTION iot._group_path();

-- After a rename or move, re-derive the paths of the subtree (each child
-- update fires the trigger again, one level at a time).
CREATE FUNCTION iot._group_cascade_path() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.path IS DISTINCT FROM OLD.path THEN
        UPDATE iot.device_group SET parent_id = parent_id
         WHERE tenant_id = NEW.tenant_id AND parent_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER cascade_path AFTER UPDATE OF path_node, parent_id ON iot.device_group
    FOR EACH ROW EXECUTE FUNCTION iot._group_cascade_path();

CREATE FUNCTION iot._group_limit() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF (SELECT count(*) FROM iot.device_group WHERE tenant_id = NEW.tenant_id) > 1500 THEN
        RAISE EXCEPTION 'a tenant holds at most 1500 groups' USING ERRCODE = 'PI013';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER group_limit AFTER INSERT ON iot.device_group
    FOR EACH ROW EXECUTE FUNCTION iot._group_limit();

CREATE FUNCTION iot.group_json(g iot.device_group) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'id', g.id, 'pathNode', g.path_node, 'path', g.path, 'parentId', g.parent_id,
        'description', g.description,
        'created', iot.iso_time(g.created), 'updated', iot.iso_time(g.updated)));

CREATE FUNCTION iot.group_create(path_node text, parent_id text DEFAULT 'root',
                                 description text DEFAULT NULL, id text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    g iot.device_group;
BEGIN
    INSERT INTO iot.device_group (tenant_id, id, path_node, parent_id, path, description)
    VALUES (iot.require_tenant(), coalesce(id, iot.short_id()), path_node,
            coalesce(parent_id, 'root'), '', description)
    RETURNING * INTO g;
    RETURN iot.group_json(g);
END
$$;

-- Find a group by path, creating the missing levels (used by provisioning
-- scripts and the demo).
CREATE FUNCTION iot.group_ensure(path text) RETURNS text
    LANGUAGE plpgsql
AS $$
DECLARE
    t       uuid := iot.require_tenant();
    node    text;
    current text := 'root';
    found   text;
BEGIN
    IF path IS NULL OR path = '/' OR path = '' THEN
        RETURN 'root';
    END IF;
    IF left(path, 1) <> '/' THEN
        RAISE EXCEPTION 'group path "%" must start with /', path USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOREACH node IN ARRAY string_to_array(trim(trailing '/' from substr(path, 2)), '/') LOOP
        SELECT id INTO found FROM iot.device_group g
         WHERE g.tenant_id = t AND g.parent_id = current AND g.path_node = node;
        IF found IS NULL THEN
            found := iot.group_create(node, current) ->> 'id';
        END IF;
        current := found;
        found := NULL;
    END LOOP;
    RETURN current;
END
$$;

CREATE FUNCTION iot.group_update(id text, path_node text DEFAULT NULL, parent_id text DEFAULT NULL,
                                 description text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    g iot.device_group;
BEGIN
    IF id = 'root' THEN
        RAISE EXCEPTION 'the root group cannot be changed' USING ERRCODE = 'PI014';
    END IF;
    UPDATE iot.device_group d
       SET path_node = coalesce(group_update.path_node, d.path_node),
           parent_id = coalesce(group_update.parent_id, d.parent_id),
           description = coalesce(group_update.description, d.description),
           updated = iot.now()
     WHERE d.tenant_id = iot.require_tenant() AND d.id = group_update.id
    RETURNING * INTO g;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'group % not found', id USING ERRCODE = 'PI002';
    END IF;
    RETURN iot.group_json(g);
END
$$;

CREATE FUNCTION iot.group_delete(id text) RETURNS void
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
BEGIN
    IF id = 'root'
       OR EXISTS (SELECT FROM iot.device_group g WHERE g.tenant_id = t AND g.parent_id = group_delete.id)
       OR EXISTS (SELECT FROM iot.device d WHERE d.tenant_id = t AND d.group_id = group_delete.id) THEN
        RAISE EXCEPTION 'group % holds devices or sub-groups', id USING ERRCODE = 'PI006';
    END IF;
    DELETE FROM iot.device_group g WHERE g.tenant_id = t AND g.id = group_delete.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'group % not found', id USING ERRCODE = 'PI002';
    END IF;
END
$$;

-- The manual's group listing: groupPath exact, "/x/*" (node and
-- descendants, never root), "/x/*/" (direct children); parentId (direct
-- children); both combine with AND.
CREATE FUNCTION iot.groups(group_path text DEFAULT NULL, parent_id text DEFAULT NULL,
                           lim int DEFAULT 20, off int DEFAULT 0)
    RETURNS SETOF jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.group_json(g)
      FROM iot.device_group g
     WHERE g.tenant_id = (SELECT iot.current_tenant())
       AND (groups.parent_id IS NULL OR g.parent_id = groups.parent_id)
       AND CASE
             WHEN group_path IS NULL THEN true
             WHEN group_path LIKE '%/*/' THEN
                  g.parent_id IS NOT NULL AND g.path LIKE rtrim(left(group_path, -3), '/') || '/%'
                  AND g.path NOT LIKE rtrim(left(group_path, -3), '/') || '/%/%'
             WHEN group_path LIKE '%/*' THEN
                  g.id <> 'root' AND (g.path = left(group_path, -2) OR g.path LIKE rtrim(left(group_path, -2), '/') || '/%')
             ELSE g.path = group_path
           END
     ORDER BY g.path
     LIMIT lim OFFSET off
$$;

------------------------------------------------------------------------------
-- Devices
------------------------------------------------------------------------------

CREATE TABLE iot.device (
    tenant_id          uuid NOT NULL REFERENCES iot.tenant ON DELETE CASCADE,
    id                 text NOT NULL CHECK (iot.device_id_valid(id)),
    name               text,
    description        text,
    default_stream_id  text,
    tags               text[] NOT NULL DEFAULT '{}',
    properties         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(properties) = 'object'),
    group_id           text NOT NULL DEFAULT 'root',
    static_location    geography(Point, 4326),
    static_alt         double precision,
    static_accuracy    double precision,
    activity_state     text NOT NULL DEFAULT 'NOT_MONITORED',
    last_seen          timestamptz,
    created            timestamptz NOT NULL DEFAULT iot.now(),
    updated            timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES iot.device_group (tenant_id, id)
) WITH (fillfactor = 80);  -- room for HOT updates of last_seen on ingest
CREATE INDEX device_tags ON iot.device USING gin (tags);
CREATE INDEX device_properties ON iot.device USING gin (properties jsonb_path_ops);
CREATE INDEX device_group_idx ON iot.device (tenant_id, group_id);
CREATE INDEX device_static_location ON iot.device USING gist (static_location);
COMMENT ON TABLE iot.device IS 'Devices (urn:lo:nsid:{ns}:{id}) with tags, properties, group and static location';
SELECT iot.tenant_table('iot.device');

CREATE TABLE iot.device_interface (
    tenant_id     uuid NOT NULL,
    device_id     text NOT NULL,
    connector     text NOT NULL CHECK (connector IN ('lora', 'sms', 'mqtt', 'x-connector', 'lwm2m', 'enocean', 'coap')),
    node_id       text NOT NULL CHECK (node_id <> '' AND length(node_id) <= 269),
    enabled       boolean NOT NULL DEFAULT true,
    status        text NOT NULL DEFAULT 'REGISTERED' CHECK (status IN
                  ('REGISTERED', 'INITIALIZING', 'INITIALIZED', 'ACTIVATED', 'DEACTIVATED', 'REACTIVATED',
                   'CONNECTIVITY_ERROR', 'ONLINE', 'OFFLINE', 'SLEEPING', 'UNKNOWN')),
    definition    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(definition) = 'object'),
    activity      jsonb NOT NULL DEFAULT '{}',
    capabilities  jsonb NOT NULL DEFAULT '{"command": {"version": 1, "available": false},
                                           "configuration": {"version": 1, "available": false},
                                           "resource": {"version": 1, "available": false}}',
    last_contact  timestamptz,
    created       timestamptz NOT NULL DEFAULT iot.now(),
    updated       timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, connector, node_id),
    FOREIGN KEY (tenant_id, device_id) REFERENCES iot.device (tenant_id, id) ON DELETE CASCADE ON UPDATE CASCADE
) WITH (fillfactor = 80);
CREATE INDEX device_interface_device ON iot.device_interface (tenant_id, device_id);
COMMENT ON TABLE iot.device_interface IS 'One connectivity of a device: (connector, nodeId) is unique per tenant';
SELECT iot.tenant_table('iot.device_interface');

-- nodeId of an interface is derived from its definition (manual 5.2.1.3).
CREATE FUNCTION iot.interface_node_id(connector text, definition jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE connector
        WHEN 'lora' THEN definition ->> 'devEUI'
        WHEN 'sms' THEN definition ->> 'msisdn'
        WHEN 'mqtt' THEN definition ->> 'clientId'
        WHEN 'lwm2m' THEN definition ->> 'endpointName'
        WHEN 'enocean' THEN definition ->> 'eurid'
        ELSE definition ->> 'nodeId'
    END;

CREATE FUNCTION iot.interface_json(i iot.device_interface) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'connector', i.connector, 'nodeId', i.node_id, 'deviceId', i.device_id,
        'enabled', i.enabled, 'status', i.status, 'definition', i.definition,
        'activity', i.activity, 'capabilities', i.capabilities,
        'lastContact', iot.iso_time(i.last_contact),
        'created', iot.iso_time(i.created), 'updated', iot.iso_time(i.updated)));

-- The device as the manual's JSON document.
CREATE FUNCTION iot.device_json(d iot.device) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', d.id, 'name', d.name, 'description', d.description,
        'defaultDataStreamId', coalesce(d.default_stream_id, d.id),
        'activityState', d.activity_state,
        'tags', to_jsonb(d.tags), 'properties', d.properties,
        'group', (SELECT jsonb_build_object('id', g.id, 'path', g.path) FROM iot.device_group g
                   WHERE g.tenant_id = d.tenant_id AND g.id = d.group_id),
        'interfaces', coalesce((SELECT jsonb_agg(iot.interface_json(i) ORDER BY i.connector, i.node_id)
                                  FROM iot.device_interface i
                                 WHERE i.tenant_id = d.tenant_id AND i.device_id = d.id), '[]'),
        'staticLocation', CASE WHEN d.static_location IS NOT NULL THEN jsonb_strip_nulls(jsonb_build_object(
              'lat', ST_Y(d.static_location::geometry), 'lon', ST_X(d.static_location::geometry),
              'alt', d.static_alt, 'accuracy', d.static_accuracy)) END,
        'lastSeen', iot.iso_time(d.last_seen),
        'created', iot.iso_time(d.created), 'updated', iot.iso_time(d.updated)))
$$;

-- Resolve {"id": ...} or {"path": ...} to a group id of the tenant.
CREATE FUNCTION iot._group_resolve(t uuid, spec jsonb) RETURNS text
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    gid text;
BEGIN
    IF spec IS NULL OR spec = 'null' THEN
        RETURN 'root';
    END IF;
    SELECT id INTO gid FROM iot.device_group g
     WHERE g.tenant_id = t
       AND ((spec ? 'id' AND g.id = spec ->> 'id') OR (NOT spec ? 'id' AND g.path = spec ->> 'path'));
    IF gid IS NULL THEN
        RAISE EXCEPTION 'group % not found', coalesce(spec ->> 'id', spec ->> 'path')
            USING ERRCODE = 'PI002';
    END IF;
    RETURN gid;
END
$$;

CREATE FUNCTION iot._location_point(loc jsonb) RETURNS geography
    LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF loc IS NULL OR loc = 'null' OR loc = '{}' THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(loc -> 'lat') <> 'number' OR jsonb_typeof(loc -> 'lon') <> 'number'
       OR abs((loc ->> 'lat')::float8) > 90 OR abs((loc ->> 'lon')::float8) > 180 THEN
        RAISE EXCEPTION 'invalid location %', loc USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'lat must be a number in [-90, 90] and lon a number in [-180, 180].';
    END IF;
    RETURN ST_SetSRID(ST_MakePoint((loc ->> 'lon')::float8, (loc ->> 'lat')::float8), 4326)::geography;
END
$$;

CREATE FUNCTION iot._text_array(j jsonb, what text) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF j IS NULL OR j = 'null' THEN
        RETURN '{}';
    END IF;
    IF jsonb_typeof(j) <> 'array' OR EXISTS (SELECT FROM jsonb_array_elements(j) e WHERE jsonb_typeof(e) <> 'string') THEN
        RAISE EXCEPTION '% must be an array of strings', what USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN ARRAY(SELECT jsonb_array_elements_text(j));
END
$$;

CREATE FUNCTION iot._string_map(j jsonb, what text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF j IS NULL OR j = 'null' THEN
        RETURN '{}';
    END IF;
    IF jsonb_typeof(j) <> 'object' OR EXISTS (SELECT FROM jsonb_each(j) e WHERE jsonb_typeof(e.value) <> 'string') THEN
        RAISE EXCEPTION '% must be an object of strings', what USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN j;
END
$$;

-- Add one interface to a device (body: connector, enabled, definition).
CREATE FUNCTION iot.interface_add(device_id text, doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t    uuid := iot.require_tenant();
    conn text := doc ->> 'connector';
    def  jsonb := coalesce(doc -> 'definition', '{}');
    node text;
    i    iot.device_interface;
BEGIN
    IF conn IS NULL THEN
        RAISE EXCEPTION 'interface connector is required' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    node := coalesce(iot.interface_node_id(conn, def), doc ->> 'nodeId');
    IF node IS NULL THEN
        RAISE EXCEPTION 'the % interface definition lacks its node id', conn
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT FROM iot.device d WHERE d.tenant_id = t AND d.id = interface_add.device_id) THEN
        RAISE EXCEPTION 'device % not found', device_id USING ERRCODE = 'PI001';
    END IF;
    BEGIN
        INSERT INTO iot.device_interface (tenant_id, device_id, connector, node_id, enabled, status, definition)
        VALUES (t, device_id, conn, node, coalesce((doc ->> 'enabled')::boolean, true),
                CASE WHEN coalesce((doc ->> 'enabled')::boolean, true) THEN
                     CASE conn WHEN 'sms' THEN 'ONLINE' ELSE 'REGISTERED' END
                     ELSE 'DEACTIVATED' END,
                def)
        RETURNING * INTO i;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION 'Interface already exists. Conflict on (connector/nodeId) %/%', conn, node
            USING ERRCODE = 'PI004';
    END;
    RETURN iot.interface_json(i);
END
$$;

-- Register a device from the manual's JSON body.
CREATE FUNCTION iot.device_create(doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t   uuid := iot.require_tenant();
    d   iot.device;
    ifc jsonb;
BEGIN
    IF jsonb_typeof(doc) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'device must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM iot.device_id_check(doc ->> 'id');
    BEGIN
        INSERT INTO iot.device (tenant_id, id, name, description, default_stream_id, tags, properties,
                                group_id, static_location, static_alt, static_accuracy)
        VALUES (t, doc ->> 'id', doc ->> 'name', doc ->> 'description', doc ->> 'defaultDataStreamId',
                iot._text_array(doc -> 'tags', 'tags'), iot._string_map(doc -> 'properties', 'properties'),
                iot._group_resolve(t, doc -> 'group'), iot._location_point(doc -> 'staticLocation'),
                (doc -> 'staticLocation' ->> 'alt')::float8, (doc -> 'staticLocation' ->> 'accuracy')::float8)
        RETURNING * INTO d;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION 'device % already exists', doc ->> 'id' USING ERRCODE = 'PI003';
    END;
    FOR ifc IN SELECT * FROM jsonb_array_elements(coalesce(doc -> 'interfaces', '[]')) LOOP
        PERFORM iot.interface_add(d.id, ifc);
    END LOOP;
    RETURN iot.device_json(d);
END
$$;

CREATE FUNCTION iot.device_get(id text) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.device_json(d) FROM iot.device d
     WHERE d.tenant_id = (SELECT iot.current_tenant()) AND d.id = device_get.id
$$;

-- Update name, description, defaultDataStreamId, tags, properties, group,
-- staticLocation (null or {} removes it).  Absent keys keep their value.
CREATE FUNCTION iot.device_update(id text, patch jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    d iot.device;
    drop_location boolean := patch ? 'staticLocation'
                             AND (patch -> 'staticLocation' = 'null' OR patch -> 'staticLocation' = '{}');
BEGIN
    UPDATE iot.device x SET
        name = CASE WHEN patch ? 'name' THEN patch ->> 'name' ELSE x.name END,
        description = CASE WHEN patch ? 'description' THEN patch ->> 'description' ELSE x.description END,
        default_stream_id = CASE WHEN patch ? 'defaultDataStreamId' THEN patch ->> 'defaultDataStreamId'
                                 ELSE x.default_stream_id END,
        tags = CASE WHEN patch ? 'tags' THEN iot._text_array(patch -> 'tags', 'tags') ELSE x.tags END,
        properties = CASE WHEN patch ? 'properties' THEN iot._string_map(patch -> 'properties', 'properties')
                          ELSE x.properties END,
        group_id = CASE WHEN patch ? 'group' THEN iot._group_resolve(t, patch -> 'group') ELSE x.group_id END,
        static_location = CASE WHEN drop_location THEN NULL
                               WHEN patch ? 'staticLocation' THEN iot._location_point(patch -> 'staticLocation')
                               ELSE x.static_location END,
        static_alt = CASE WHEN drop_location THEN NULL
                          WHEN patch ? 'staticLocation' THEN (patch -> 'staticLocation' ->> 'alt')::float8
                          ELSE x.static_alt END,
        static_accuracy = CASE WHEN drop_location THEN NULL
                               WHEN patch ? 'staticLocation' THEN (patch -> 'staticLocation' ->> 'accuracy')::float8
                               ELSE x.static_accuracy END,
        updated = iot.now()
     WHERE x.tenant_id = t AND x.id = device_update.id
    RETURNING * INTO d;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'device % not found', id USING ERRCODE = 'PI001';
    END IF;
    RETURN iot.device_json(d);
END
$$;

CREATE FUNCTION iot.device_delete(id text) RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM iot.device d WHERE d.tenant_id = iot.require_tenant() AND d.id = device_delete.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'device % not found', id USING ERRCODE = 'PI001';
    END IF;
END
$$;

-- PATCH an interface: enabled, definition (merged), deviceId (move).
CREATE FUNCTION iot.interface_update(device_id text, connector text, node_id text, patch jsonb)
    RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    i iot.device_interface;
    en boolean := (patch ->> 'enabled')::boolean;
BEGIN
    IF patch ? 'deviceId' AND NOT EXISTS (SELECT FROM iot.device d WHERE d.tenant_id = t AND d.id = patch ->> 'deviceId') THEN
        RAISE EXCEPTION 'device % not found', patch ->> 'deviceId' USING ERRCODE = 'PI001';
    END IF;
    UPDATE iot.device_interface x SET
        device_id = coalesce(patch ->> 'deviceId', x.device_id),
        enabled = coalesce(en, x.enabled),
        status = CASE WHEN en IS NULL OR en = x.enabled THEN x.status
                      WHEN NOT en THEN 'DEACTIVATED'
                      WHEN x.connector = 'lora' THEN 'REACTIVATED'
                      WHEN x.connector = 'sms' THEN 'ONLINE'
                      WHEN x.last_contact IS NULL THEN 'REGISTERED'
                      ELSE 'OFFLINE' END,
        definition = x.definition || coalesce(patch -> 'definition', '{}'),
        updated = iot.now()
     WHERE x.tenant_id = t AND x.device_id = interface_update.device_id
       AND x.connector = interface_update.connector AND x.node_id = interface_update.node_id
    RETURNING * INTO i;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'interface %:% of device % not found', connector, node_id, device_id
            USING ERRCODE = 'PI007';
    END IF;
    RETURN iot.interface_json(i);
END
$$;

CREATE FUNCTION iot.interface_delete(device_id text, connector text, node_id text) RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM iot.device_interface x
     WHERE x.tenant_id = iot.require_tenant() AND x.device_id = interface_delete.device_id
       AND x.connector = interface_delete.connector AND x.node_id = interface_delete.node_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'interface %:% of device % not found', connector, node_id, device_id
            USING ERRCODE = 'PI007';
    END IF;
END
$$;
