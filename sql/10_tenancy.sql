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
