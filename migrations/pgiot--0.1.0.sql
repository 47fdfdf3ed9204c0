-- pgiot: schema, roles and the shared helpers every area uses.
--
-- The install script is the concatenation of sql/NN_*.sql in name order.

\echo Use "CREATE EXTENSION pgiot CASCADE" to load this file. \quit

-- Two cluster-wide group roles (created once, shared by every database):
--   pgiot_tenant  : members are bound to one tenant (iot.tenant_role) and
--                   see only that tenant's rows;
--   pgiot_service : trusted front ends (bridges, PostgREST's roles) that
--                   select the tenant per transaction with the setting
--                   iot.tenant or PostgREST's request.jwt.claims.
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgiot_tenant') THEN
        CREATE ROLE pgiot_tenant NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgiot_service') THEN
        CREATE ROLE pgiot_service NOLOGIN;
    END IF;
END
$roles$;

GRANT USAGE ON SCHEMA @extschema@ TO pgiot_tenant, pgiot_service;

COMMENT ON SCHEMA @extschema@ IS 'pgiot: IoT device platform (tables, functions, views)';

-- The platform clock.  Tests and replays move it with the superuser-only
-- setting pgiot.now; otherwise it is the transaction time.
CREATE FUNCTION iot.now() RETURNS timestamptz
    LANGUAGE c STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_now';

-- Device id validation: urn:lo:nsid:{ns}:{id}.
CREATE FUNCTION iot.device_id_valid(id text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_device_id_valid';

-- Raises 22P02 with the position of the fault; returns the id otherwise.
CREATE FUNCTION iot.device_id_check(id text) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_device_id_check';

-- Strict ISO-8601 parsing (what devices may send as a timestamp).
CREATE FUNCTION iot.parse_timestamp(text) RETURNS timestamptz
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_parse_timestamp';

-- Live Objects renders times as ISO-8601 UTC with milliseconds.
CREATE FUNCTION iot.iso_time(ts timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');

-- Hex text of n cryptographically strong random bytes.
CREATE FUNCTION iot.random_hex(nbytes int) RETURNS text
    LANGUAGE c VOLATILE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_random_hex';

-- A short random identifier (groups, commands): 6..24 lower-case hex chars.
CREATE FUNCTION iot.short_id(len int DEFAULT 6) RETURNS text
    LANGUAGE sql VOLATILE PARALLEL SAFE
    RETURN left(iot.random_hex((len + 1) / 2), len);
-- Tenants, the binding of database roles to tenants, row-level security
-- helpers, API keys.

CREATE TABLE iot.tenant (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL UNIQUE CHECK (name <> ''),
    -- autoProvisioning (bool, default true): data from an unknown device
    -- creates it; fifoMaxBytes etc. are added by later areas.
    settings    jsonb NOT NULL DEFAULT '{"autoProvisioning": true}'
                CHECK (jsonb_typeof(settings) = 'object'),
    created     timestamptz NOT NULL DEFAULT iot.now()
);
COMMENT ON TABLE iot.tenant IS 'An isolated customer space; every other table is scoped to one';

-- Roles that may only ever act for one tenant.
CREATE TABLE iot.tenant_role (
    role_name   name PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES iot.tenant ON DELETE CASCADE
);
COMMENT ON TABLE iot.tenant_role IS 'Database roles bound to one tenant (see iot.current_tenant())';
ALTER TABLE iot.tenant_role ENABLE ROW LEVEL SECURITY;
-- A role reads its own binding and nothing else.
CREATE POLICY own_binding ON iot.tenant_role FOR SELECT USING (role_name = current_user);
GRANT SELECT ON iot.tenant_role TO pgiot_tenant, pgiot_service;

-- The tenant the current statement acts for.
--   * a role bound in iot.tenant_role always acts for its tenant; naming
--     another one in the setting or a JWT claim is an error (42501);
--   * members of pgiot_service (and superusers) act for the `tenant`
--     claim of PostgREST's request.jwt.claims when present, else for the
--     setting iot.tenant;
--   * anyone else acts for no tenant and sees nothing.
CREATE FUNCTION iot.current_tenant() RETURNS uuid
    LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
    bound   uuid;
    claims  text := nullif(current_setting('request.jwt.claims', true), '');
    wanted  text := nullif(current_setting('iot.tenant', true), '');
BEGIN
    IF claims IS NOT NULL AND claims::jsonb ? 'tenant' THEN
        wanted := claims::jsonb ->> 'tenant';
    END IF;
    SELECT tenant_id INTO bound FROM iot.tenant_role WHERE role_name = current_user;
    IF bound IS NOT NULL THEN
        IF wanted IS NOT NULL AND wanted::uuid IS DISTINCT FROM bound THEN
            RAISE EXCEPTION 'role "%" is bound to tenant %', current_user, bound
                USING ERRCODE = 'insufficient_privilege',
                      DETAIL = format('The session asked for tenant %s.', wanted);
        END IF;
        RETURN bound;
    END IF;
    IF wanted IS NULL OR NOT pg_has_role(current_user, 'pgiot_service', 'MEMBER') THEN
        RETURN NULL;
    END IF;
    RETURN wanted::uuid;
END
$$;

-- The tenant of the statement, or error PI020 when none is selected.
CREATE FUNCTION iot.require_tenant() RETURNS uuid
    LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
    t uuid := iot.current_tenant();
BEGIN
    IF t IS NULL THEN
        RAISE EXCEPTION 'no tenant selected'
            USING ERRCODE = 'PI020',
                  HINT = 'SELECT iot.use_tenant(''name''), or SET iot.tenant to a tenant id.';
    END IF;
    RETURN t;
END
$$;

-- Row-level security for a tenant-owned table: a session reads and writes
-- only the rows of iot.current_tenant().  Every area calls this for each of
-- its tables; the policy compares against an InitPlan, so the tenant is
-- computed once per statement, not per row.
CREATE FUNCTION iot.tenant_table(tbl regclass, privileges text DEFAULT 'SELECT, INSERT, UPDATE, DELETE')
    RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (tenant_id = (SELECT iot.current_tenant())) '
                   'WITH CHECK (tenant_id = (SELECT iot.current_tenant()))', tbl);
    EXECUTE format('GRANT %s ON %s TO pgiot_tenant, pgiot_service', privileges, tbl);
END
$$;
REVOKE EXECUTE ON FUNCTION iot.tenant_table(regclass, text) FROM PUBLIC;

ALTER TABLE iot.tenant ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON iot.tenant
    USING (id = (SELECT iot.current_tenant()))
    WITH CHECK (id = (SELECT iot.current_tenant()));
GRANT SELECT ON iot.tenant TO pgiot_tenant, pgiot_service;
GRANT UPDATE (settings) ON iot.tenant TO pgiot_tenant, pgiot_service;

-- Select the tenant for this session by name or id.  Allowed when the
-- caller may act for it (see iot.current_tenant()).
CREATE FUNCTION iot.use_tenant(tenant_ref text) RETURNS uuid
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid;
BEGIN
    t := iot._tenant_lookup(tenant_ref);
    IF t IS NULL THEN
        RAISE EXCEPTION 'tenant "%" does not exist', tenant_ref USING ERRCODE = 'PI021';
    END IF;
    PERFORM set_config('iot.tenant', t::text, false);
    IF iot.current_tenant() IS DISTINCT FROM t THEN
        PERFORM set_config('iot.tenant', '', false);
        RAISE EXCEPTION 'role "%" may not act for tenant "%"', current_user, tenant_ref
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN t;
END
$$;

CREATE FUNCTION iot._tenant_lookup(tenant_ref text) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found uuid;
BEGIN
    SELECT t.id INTO found FROM iot.tenant t WHERE t.name = tenant_ref;
    IF found IS NULL AND tenant_ref ~ '^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$' THEN
        SELECT t.id INTO found FROM iot.tenant t WHERE t.id = tenant_ref::uuid;
    END IF;
    RETURN found;
END
$$;
REVOKE EXECUTE ON FUNCTION iot._tenant_lookup(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION iot._tenant_lookup(text) TO pgiot_tenant, pgiot_service;

-- Bind a database role to a tenant (platform administrators only).
CREATE FUNCTION iot.tenant_bind_role(bind_role name, tenant_ref text) RETURNS void
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot._tenant_lookup(tenant_ref);
BEGIN
    IF t IS NULL THEN
        RAISE EXCEPTION 'tenant "%" does not exist', tenant_ref USING ERRCODE = 'PI021';
    END IF;
    INSERT INTO iot.tenant_role (role_name, tenant_id) VALUES (bind_role, t)
        ON CONFLICT ON CONSTRAINT tenant_role_pkey DO UPDATE SET tenant_id = excluded.tenant_id;
    EXECUTE format('GRANT pgiot_tenant TO %I', bind_role);
END
$$;
REVOKE EXECUTE ON FUNCTION iot.tenant_bind_role(name, text) FROM PUBLIC;

------------------------------------------------------------------------------
-- API keys
------------------------------------------------------------------------------

-- The 21 role names of the Live Objects manual.
CREATE FUNCTION iot.api_roles() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ARRAY['API_KEY_R', 'API_KEY_W', 'USER_R', 'USER_W', 'SETTINGS_R', 'SETTINGS_W',
                 'DEVICE_R', 'DEVICE_W', 'CAMPAIGN_R', 'CAMPAIGN_W', 'DATA_R', 'DATA_W',
                 'DATA_PROCESSING_R', 'DATA_PROCESSING_W', 'BUS_CONFIG_R', 'BUS_CONFIG_W',
                 'BUS_R', 'BUS_W', 'DEVICE_ACCESS', 'CONNECTOR_ACCESS', 'LOGS_R'];

CREATE TABLE iot.api_key (
    tenant_id    uuid NOT NULL REFERENCES iot.tenant ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    parent_id    uuid,
    name         text NOT NULL DEFAULT '',
    description  text,
    roles        text[] NOT NULL DEFAULT '{}' CHECK (roles <@ iot.api_roles()),
    fifos        text[] NOT NULL DEFAULT '{}',   -- empty: every FIFO
    valid_from   timestamptz,
    valid_to     timestamptz,
    enabled      boolean NOT NULL DEFAULT true,
    is_master    boolean NOT NULL DEFAULT false,
    secret_hash  bytea NOT NULL UNIQUE,          -- sha256 of the secret
    created      timestamptz NOT NULL DEFAULT iot.now(),
    updated      timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, parent_id) REFERENCES iot.api_key (tenant_id, id) ON DELETE CASCADE,
    CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from)
);
CREATE UNIQUE INDEX api_key_one_master ON iot.api_key (tenant_id) WHERE is_master;
COMMENT ON TABLE iot.api_key IS 'API keys; the secret is shown once at creation, only its SHA-256 is kept';
SELECT iot.tenant_table('iot.api_key');
-- The hash never leaves the table through the tenant roles.
REVOKE SELECT ON iot.api_key FROM pgiot_tenant, pgiot_service;
GRANT SELECT (tenant_id, id, parent_id, name, description, roles, fifos, valid_from, valid_to,
              enabled, is_master, created, updated) ON iot.api_key TO pgiot_tenant, pgiot_service;

-- A master key is deleted only with its tenant.
CREATE FUNCTION iot._api_key_protect_master() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF OLD.is_master AND EXISTS (SELECT FROM iot.tenant WHERE id = OLD.tenant_id) THEN
        RAISE EXCEPTION 'the master API key of a tenant cannot be deleted'
            USING ERRCODE = 'PI010', DETAIL = format('key %s', OLD.id);
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER protect_master BEFORE DELETE ON iot.api_key
    FOR EACH ROW EXECUTE FUNCTION iot._api_key_protect_master();

-- Create a key for the current tenant.  A child key (parent_id given) holds
-- a subset of its parent's roles and FIFOs and lives within its validity.
-- Returns the secret: it is never shown again.
CREATE FUNCTION iot.api_key_create(
    name        text,
    roles       text[],
    parent_id   uuid DEFAULT NULL,
    valid_from  timestamptz DEFAULT NULL,
    valid_to    timestamptz DEFAULT NULL,
    fifos       text[] DEFAULT '{}',
    description text DEFAULT NULL)
    RETURNS TABLE (id uuid, secret text)
    LANGUAGE plpgsql
AS $$
DECLARE
    t      uuid := iot.require_tenant();
    parent iot.api_key;
    s      text := iot.random_hex(32);
    k      uuid;
    bad    text[];
BEGIN
    bad := ARRAY(SELECT unnest(roles) EXCEPT SELECT unnest(iot.api_roles()));
    IF cardinality(bad) > 0 THEN
        RAISE EXCEPTION 'unknown API key role %', bad[1] USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Roles are listed by iot.api_roles().';
    END IF;
    IF parent_id IS NOT NULL THEN
        SELECT * INTO parent FROM iot.api_key a WHERE a.tenant_id = t AND a.id = api_key_create.parent_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'parent API key % not found', parent_id USING ERRCODE = 'PI011';
        END IF;
        IF NOT roles <@ parent.roles THEN
            RAISE EXCEPTION 'a child key''s roles must be a subset of its parent''s'
                USING ERRCODE = 'PI012',
                      DETAIL = format('not held by the parent: %s',
                                      array_to_string(ARRAY(SELECT unnest(roles) EXCEPT SELECT unnest(parent.roles)), ', '));
        END IF;
        IF cardinality(parent.fifos) > 0 AND (cardinality(fifos) = 0 OR NOT fifos <@ parent.fifos) THEN
            RAISE EXCEPTION 'a child key''s FIFOs must be a subset of its parent''s' USING ERRCODE = 'PI012';
        END IF;
        valid_from := greatest(valid_from, parent.valid_from);
        valid_to := least(valid_to, parent.valid_to);
    END IF;
    INSERT INTO iot.api_key (tenant_id, parent_id, name, description, roles, fifos, valid_from, valid_to, secret_hash)
    VALUES (t, parent_id, name, description, ARRAY(SELECT DISTINCT unnest(roles) ORDER BY 1), fifos,
            valid_from, valid_to, sha256(convert_to(s, 'UTF8')))
    RETURNING api_key.id INTO k;
    RETURN QUERY SELECT k, s;
END
$$;

-- Who holds this secret?  Nothing when the key is unknown, disabled, out
-- of its validity window, or when any ancestor is.  Used by the MQTT
-- plugin and PostgREST's pre-request hook; callable by service roles.
CREATE FUNCTION iot.api_key_authenticate(secret text)
    RETURNS TABLE (tenant_id uuid, key_id uuid, roles text[], fifos text[])
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE k AS (
        SELECT a.tenant_id, a.id AS key_id, a.roles, a.fifos, a.parent_id,
               a.enabled AND (a.valid_from IS NULL OR a.valid_from <= iot.now())
                         AND (a.valid_to IS NULL OR a.valid_to > iot.now()) AS ok
          FROM iot.api_key a
         WHERE a.secret_hash = sha256(convert_to(secret, 'UTF8'))
        UNION ALL
        SELECT k.tenant_id, k.key_id, k.roles, k.fifos, p.parent_id,
               p.enabled AND (p.valid_from IS NULL OR p.valid_from <= iot.now())
                         AND (p.valid_to IS NULL OR p.valid_to > iot.now())
          FROM k JOIN iot.api_key p ON p.tenant_id = k.tenant_id AND p.id = k.parent_id
    )
    SELECT tenant_id, key_id, roles, fifos FROM k
     GROUP BY tenant_id, key_id, roles, fifos
    HAVING bool_and(ok)
$$;
REVOKE EXECUTE ON FUNCTION iot.api_key_authenticate(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION iot.api_key_authenticate(text) TO pgiot_service;

CREATE FUNCTION iot.api_key_update(key_id uuid, enabled boolean DEFAULT NULL,
                                   valid_to timestamptz DEFAULT NULL, name text DEFAULT NULL,
                                   description text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE iot.api_key a
       SET enabled = coalesce(api_key_update.enabled, a.enabled),
           valid_to = coalesce(api_key_update.valid_to, a.valid_to),
           name = coalesce(api_key_update.name, a.name),
           description = coalesce(api_key_update.description, a.description),
           updated = iot.now()
     WHERE a.tenant_id = iot.require_tenant() AND a.id = key_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'API key % not found', key_id USING ERRCODE = 'PI011';
    END IF;
END
$$;

CREATE FUNCTION iot.api_key_delete(key_id uuid) RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM iot.api_key a WHERE a.tenant_id = iot.require_tenant() AND a.id = key_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'API key % not found', key_id USING ERRCODE = 'PI011';
    END IF;
END
$$;

-- Create a tenant with its root group and master key (platform
-- administrators only).  The master secret is returned once.
CREATE FUNCTION iot.tenant_create(name text, settings jsonb DEFAULT '{}')
    RETURNS TABLE (tenant_id uuid, master_key_id uuid, master_key text)
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid;
    s text := iot.random_hex(32);
    k uuid;
BEGIN
    INSERT INTO iot.tenant (name, settings)
    VALUES (name, '{"autoProvisioning": true}'::jsonb || coalesce(settings, '{}'))
    RETURNING id INTO t;
    INSERT INTO iot.device_group (tenant_id, id, path_node, parent_id, path, description)
    VALUES (t, 'root', NULL, NULL, '/', 'root group');
    INSERT INTO iot.api_key (tenant_id, name, roles, is_master, secret_hash)
    VALUES (t, 'master', iot.api_roles(), true, sha256(convert_to(s, 'UTF8')))
    RETURNING id INTO k;
    RETURN QUERY SELECT t, k, s;
END
$$;
REVOKE EXECUTE ON FUNCTION iot.tenant_create(text, jsonb) FROM PUBLIC;
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
-- The data message store, its time partitions, and the audit log.

CREATE SEQUENCE iot.message_id_seq AS bigint CACHE 1000;

-- One Live Objects data message.  Range-partitioned by `created` (the
-- platform's clock, always near now, so partitions made ahead always
-- exist); `ts` is the device's timestamp.
CREATE TABLE iot.message (
    tenant_id          uuid NOT NULL,
    id                 bigint NOT NULL DEFAULT nextval('iot.message_id_seq'),
    created            timestamptz NOT NULL DEFAULT iot.now(),
    ts                 timestamptz NOT NULL,
    received           timestamptz,
    device_id          text,
    stream_id          text NOT NULL,
    model              text,
    value              jsonb NOT NULL,
    tags               text[] NOT NULL DEFAULT '{}',
    extra              jsonb,
    location           geography(Point, 4326),
    location_alt       double precision,
    location_accuracy  double precision,
    location_provider  text,
    metadata           jsonb NOT NULL DEFAULT '{}',
    raw                bytea,
    PRIMARY KEY (id, created)
) PARTITION BY RANGE (created);
CREATE INDEX message_stream ON iot.message (tenant_id, stream_id, ts DESC);
CREATE INDEX message_device ON iot.message (tenant_id, device_id, ts DESC);
ALTER SEQUENCE iot.message_id_seq OWNED BY iot.message.id;
COMMENT ON TABLE iot.message IS 'Data messages (Live Objects data message model), partitioned by created';
SELECT iot.tenant_table('iot.message', 'SELECT, INSERT, DELETE');
GRANT USAGE ON SEQUENCE iot.message_id_seq TO pgiot_tenant, pgiot_service;

-- The partitions of iot.message, [range_start, range_end).
CREATE TABLE iot.message_partition (
    relname      name PRIMARY KEY,
    range_start  timestamptz NOT NULL,
    range_end    timestamptz NOT NULL,
    CHECK (range_end > range_start),
    EXCLUDE USING gist (tstzrange(range_start, range_end) WITH &&)
);
COMMENT ON TABLE iot.message_partition IS 'Registry of iot.message partitions (maintained by iot.message_partition_ensure)';

-- Make sure a partition covers `at`.  The partition spans the
-- pgiot.partition_interval slot that contains `at`, clipped so it never
-- overlaps an existing one (the interval may change over time).
CREATE FUNCTION iot.message_partition_ensure(at timestamptz) RETURNS name
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    step   interval := current_setting('pgiot.partition_interval')::interval;
    lo     timestamptz;
    hi     timestamptz;
    name   name;
BEGIN
    SELECT relname INTO name FROM iot.message_partition
     WHERE range_start <= at AND at < range_end;
    IF FOUND THEN
        RETURN name;
    END IF;
    -- One creator at a time; re-check after the lock.
    PERFORM pg_advisory_xact_lock(hashtext('iot.message_partition'));
    SELECT relname INTO name FROM iot.message_partition
     WHERE range_start <= at AND at < range_end;
    IF FOUND THEN
        RETURN name;
    END IF;
    lo := date_bin(step, at, timestamptz '2000-01-03 00:00:00+00');  -- a Monday, UTC
    hi := lo + step;
    SELECT greatest(lo, max(range_end)) INTO lo FROM iot.message_partition WHERE range_end <= at AND range_end > lo;
    SELECT least(hi, min(range_start)) INTO hi FROM iot.message_partition WHERE range_start > at AND range_start < hi;
    name := format('message_p%s', to_char(lo AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MI'));
    EXECUTE format('CREATE TABLE iot.%I PARTITION OF iot.message FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
    INSERT INTO iot.message_partition VALUES (name, lo, hi);
    RETURN name;
END
$$;
REVOKE EXECUTE ON FUNCTION iot.message_partition_ensure(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION iot.message_partition_ensure(timestamptz) TO pgiot_tenant, pgiot_service;

-- Drop the partitions whose whole range is older than the retention.
CREATE FUNCTION iot.message_partition_drop_expired(retention interval) RETURNS SETOF name
    LANGUAGE plpgsql
AS $$
DECLARE
    p iot.message_partition;
BEGIN
    FOR p IN SELECT * FROM iot.message_partition
              WHERE range_end <= iot.now() - retention ORDER BY range_start LOOP
        EXECUTE format('DROP TABLE iot.%I', p.relname);
        DELETE FROM iot.message_partition WHERE relname = p.relname;
        RETURN NEXT p.relname;
    END LOOP;
END
$$;
REVOKE EXECUTE ON FUNCTION iot.message_partition_drop_expired(interval) FROM PUBLIC;

------------------------------------------------------------------------------
-- Audit log: what was refused or went wrong, per tenant (LOGS_R).
------------------------------------------------------------------------------

CREATE TABLE iot.audit_log (
    tenant_id  uuid,
    id         bigint GENERATED ALWAYS AS IDENTITY,
    at         timestamptz NOT NULL DEFAULT iot.now(),
    level      text NOT NULL DEFAULT 'ERROR' CHECK (level IN ('DEBUG', 'INFO', 'WARNING', 'ERROR')),
    component  text NOT NULL,            -- ingest, mqtt, coap, enocean, rules, ...
    code       text,                     -- SQLSTATE or platform code
    message    text NOT NULL,
    details    jsonb,
    PRIMARY KEY (id)
);
CREATE INDEX audit_log_tenant_at ON iot.audit_log (tenant_id, at DESC);
CREATE INDEX audit_log_at ON iot.audit_log (at);
COMMENT ON TABLE iot.audit_log IS 'Refused input and platform errors, per tenant; purged after pgiot.audit_retention_days';
SELECT iot.tenant_table('iot.audit_log', 'SELECT, INSERT');

-- Write one audit entry (bridges call this for input they could not
-- attribute to a tenant too: tenant_id may be NULL, visible to admins).
CREATE FUNCTION iot.audit(component text, message text, code text DEFAULT NULL,
                          details jsonb DEFAULT NULL, level text DEFAULT 'ERROR')
    RETURNS void
    LANGUAGE sql
AS $$
    INSERT INTO iot.audit_log (tenant_id, component, code, message, details, level)
    VALUES (iot.current_tenant(), component, code, message, details, level)
$$;

-- The stored message as the manual's JSON document (store/search shape).
CREATE FUNCTION iot.message_json(m iot.message) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object(
        'id', lpad(to_hex(m.id), 24, '0'),
        'streamId', m.stream_id,
        'timestamp', iot.iso_time(m.ts),
        'created', iot.iso_time(m.created),
        'model', m.model,
        'value', m.value,
        'tags', to_jsonb(m.tags),
        'extra', m.extra,
        'location', CASE WHEN m.location IS NOT NULL THEN jsonb_build_object(
            'provider', m.location_provider, 'alt', m.location_alt, 'accuracy', m.location_accuracy,
            'lon', ST_X(m.location::geometry), 'lat', ST_Y(m.location::geometry)) END,
        'metadata', m.metadata);

-- Readable form for psql and BI tools.
CREATE VIEW iot.message_doc WITH (security_invoker = true) AS
    SELECT m.tenant_id, m.id, m.created, m.ts, m.device_id, m.stream_id, iot.message_json(m) AS doc
      FROM iot.message m;
GRANT SELECT ON iot.message_doc TO pgiot_tenant, pgiot_service;
-- Ingest: one message or a batch, validated, enriched and stored.

CREATE TYPE iot.ingest_result AS (
    ord         int,      -- 1-based position in the batch
    id          bigint,   -- iot.message id when stored
    device_id   text,     -- the device the message was attributed to
    error_code  text,     -- SQLSTATE when rejected
    error       text      -- reason when rejected
);

-- Store one data message; raises on bad input (22P02 bad device id, 22023
-- bad field, 22007 bad timestamp, PI001 unknown device, ...).
--   message    the Live Objects data message (streamId, timestamp, model,
--              value, tags, location, extra, metadata)
--   device_id  the device it comes from (else metadata.source, else the
--              interface (connector, node_id))
--   connector  mqtt, x-connector, lora, sms, lwm2m, enocean, coap or http
--   node_id    the interface node id (MQTT clientId, x-connector nodeId)
--   raw        the payload as received, kept with the message
--   received   when the bridge received it (timestamp defaults to it)
--   network    merged into metadata.network
CREATE FUNCTION iot.ingest(message jsonb, device_id text DEFAULT NULL, connector text DEFAULT NULL,
                           node_id text DEFAULT NULL, raw bytea DEFAULT NULL,
                           received timestamptz DEFAULT NULL, network jsonb DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'pgiot_ingest';

-- Store a JSON array of items, each {"message": {...}, "deviceId",
-- "connector", "nodeId", "raw" (hex), "received", "network"}, in one pass:
-- one lookup of the devices, one insert of the messages, one update of
-- the devices.  A bad item is rejected alone (its reason is returned and
-- written to iot.audit_log); the others are stored.
CREATE FUNCTION iot.ingest_batch(items jsonb)
    RETURNS SETOF iot.ingest_result
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'pgiot_ingest_batch';
-- Background workers: maintenance and status.

-- One maintenance pass: partitions ahead, retention, audit-log purge.
-- The per-database worker runs it every pgiot.maintenance_interval.
CREATE FUNCTION iot.maintenance_run() RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    ahead     int := current_setting('pgiot.partitions_ahead')::int;
    step      interval := current_setting('pgiot.partition_interval')::interval;
    keep_days int := current_setting('pgiot.retention_days')::int;
    audit_days int := current_setting('pgiot.audit_retention_days')::int;
    created   text[] := '{}';
    dropped   text[] := '{}';
    purged    bigint := 0;
    p         name;
BEGIN
    FOR i IN 0 .. ahead LOOP
        IF NOT EXISTS (SELECT FROM iot.message_partition
                        WHERE range_start <= iot.now() + step * i AND iot.now() + step * i < range_end) THEN
            created := created || iot.message_partition_ensure(iot.now() + step * i)::text;
        END IF;
    END LOOP;
    IF keep_days > 0 THEN
        dropped := ARRAY(SELECT iot.message_partition_drop_expired(make_interval(days => keep_days)));
    END IF;
    IF audit_days > 0 THEN
        DELETE FROM iot.audit_log WHERE at < iot.now() - make_interval(days => audit_days);
        GET DIAGNOSTICS purged = ROW_COUNT;
    END IF;
    RETURN jsonb_build_object('partitionsCreated', to_jsonb(created), 'partitionsDropped', to_jsonb(dropped),
                              'auditPurged', purged);
END
$$;
REVOKE EXECUTE ON FUNCTION iot.maintenance_run() FROM PUBLIC;

-- The launcher's view of this database's workers.
CREATE FUNCTION iot.worker_status(
    OUT kind text, OUT pid int, OUT started timestamptz, OUT last_tick timestamptz,
    OUT ticks bigint, OUT ingest_wakeups bigint, OUT last_error text)
    RETURNS SETOF record
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'pgiot_worker_status';

-- Tell the launcher that this database now has pgiot (called below, on
-- CREATE EXTENSION, so workers start without waiting for a rescan).
CREATE FUNCTION iot._launcher_notify() RETURNS void
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'pgiot_launcher_notify';
REVOKE EXECUTE ON FUNCTION iot._launcher_notify() FROM PUBLIC;

-- Workers start when this transaction commits.  They create the message
-- partitions: tables made here would become members of the extension.
SELECT iot._launcher_notify();
