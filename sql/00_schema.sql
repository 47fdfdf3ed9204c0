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
