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
