-- Events and the transactional outbox.
--
-- An event records something the platform decided (a rule fired, a state
-- changed, a device went silent, an EnOcean telegram failed to decode, an
-- interface went online).  The outbox holds what must leave the platform
-- (events and data routed to applications, downlinks to devices); it is
-- written in the transaction that caused it, so nothing is sent that was
-- not committed and nothing committed is lost.  NOTIFY pgiot_outbox_<channel>
-- only wakes the consumers (router, bridges), which claim rows with
-- iot.outbox_claim() and acknowledge them with iot.outbox_done().

CREATE TABLE iot.event (
    tenant_id  uuid NOT NULL,
    id         bigint GENERATED ALWAYS AS IDENTITY,
    created    timestamptz NOT NULL DEFAULT iot.now(),
    type       text NOT NULL,   -- matchingFired, stateChange, deviceActivity, deviceStatus, enocean.EEP_NOT_FOUND_ERROR, ...
    source     text NOT NULL,   -- the component: rules, activity, enocean, mqtt, devices, ...
    device_id  text,
    payload    jsonb NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX event_tenant_created ON iot.event (tenant_id, created DESC);
CREATE INDEX event_tenant_device ON iot.event (tenant_id, device_id, created DESC);
CREATE INDEX event_tenant_type ON iot.event (tenant_id, type, created DESC);
COMMENT ON TABLE iot.event IS 'Platform events (rules, activity, connectors), per tenant';
SELECT iot.tenant_table('iot.event', 'SELECT, INSERT, DELETE');

CREATE TABLE iot.outbox (
    tenant_id   uuid NOT NULL,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    created     timestamptz NOT NULL DEFAULT iot.now(),
    channel     text NOT NULL,   -- the consumer: router (applications), mqtt, coap, ws, ...
    topic       text NOT NULL,   -- what it is for the consumer: event, fifo/<name>, dev/cmd, ...
    device_id   text,
    payload     jsonb NOT NULL,
    not_before  timestamptz,     -- not to be delivered earlier
    attempts    int NOT NULL DEFAULT 0,
    delivered   timestamptz,
    last_error  text,
    PRIMARY KEY (id)
);
CREATE INDEX outbox_pending ON iot.outbox (channel, id) WHERE delivered IS NULL;
CREATE INDEX outbox_delivered ON iot.outbox (delivered) WHERE delivered IS NOT NULL;
COMMENT ON TABLE iot.outbox IS 'Transactional outbox: what must leave the platform, claimed by consumers per channel';
SELECT iot.tenant_table('iot.outbox', 'SELECT, INSERT');

-- Queue a payload for a channel's consumers, in the caller's transaction.
CREATE FUNCTION iot.outbox_put(channel text, topic text, payload jsonb, device_id text DEFAULT NULL,
                               not_before timestamptz DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql
AS $$
DECLARE
    new_id bigint;
BEGIN
    INSERT INTO iot.outbox (tenant_id, channel, topic, device_id, payload, not_before)
    VALUES (iot.require_tenant(), channel, topic, device_id, payload, not_before)
    RETURNING id INTO new_id;
    -- identical notifications of one transaction are folded into one
    PERFORM pg_notify('pgiot_outbox_' || channel, '');
    RETURN new_id;
END
$$;

-- Record an event; when `route`, also queue it for the router (the
-- applications' FIFOs and HTTP pushes), shaped {type, ...payload}.
CREATE FUNCTION iot.event_emit(type text, source text, payload jsonb, device_id text DEFAULT NULL,
                               route boolean DEFAULT true)
    RETURNS bigint
    LANGUAGE plpgsql
AS $$
DECLARE
    new_id bigint;
BEGIN
    INSERT INTO iot.event (tenant_id, type, source, device_id, payload)
    VALUES (iot.require_tenant(), type, source, device_id, payload)
    RETURNING id INTO new_id;
    IF route THEN
        PERFORM iot.outbox_put('router', 'event', jsonb_build_object('type', type) || payload, device_id);
    END IF;
    RETURN new_id;
END
$$;

-- Record events in one statement each for the events and the outbox, in
-- array order (ids follow it): the batch form of iot.event_emit, for the
-- rules worker and the activity sweep.  types, payloads and device_ids are
-- parallel arrays.
CREATE FUNCTION iot.event_emit_many(types text[], source text, payloads jsonb[], device_ids text[],
                                    route boolean DEFAULT true)
    RETURNS void
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid;
BEGIN
    IF coalesce(cardinality(types), 0) = 0 THEN
        RETURN;
    END IF;
    IF cardinality(payloads) <> cardinality(types) OR cardinality(device_ids) <> cardinality(types) THEN
        RAISE EXCEPTION 'event_emit_many takes arrays of one length' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    t := iot.require_tenant();
    INSERT INTO iot.event (tenant_id, type, source, device_id, payload)
    SELECT t, e.type, event_emit_many.source, e.device_id, e.payload
      FROM unnest(types, payloads, device_ids) WITH ORDINALITY AS e(type, payload, device_id, ord)
     ORDER BY e.ord;
    IF route THEN
        INSERT INTO iot.outbox (tenant_id, channel, topic, device_id, payload)
        SELECT t, 'router', 'event', e.device_id, jsonb_build_object('type', e.type) || e.payload
          FROM unnest(types, payloads, device_ids) WITH ORDINALITY AS e(type, payload, device_id, ord)
         ORDER BY e.ord;
        PERFORM pg_notify('pgiot_outbox_router', '');
    END IF;
END
$$;

-- A consumer takes up to `lim` pending rows of its channel, across
-- tenants, oldest first; rows another consumer holds are skipped, so
-- several consumers never take the same row.  Call within a transaction
-- and acknowledge with iot.outbox_done() before committing.
CREATE FUNCTION iot.outbox_claim(channel text, lim int DEFAULT 100)
    RETURNS SETOF iot.outbox
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT * FROM iot.outbox o
     WHERE o.channel = outbox_claim.channel AND o.delivered IS NULL
       AND (o.not_before IS NULL OR o.not_before <= iot.now())
     ORDER BY o.id
     LIMIT lim
       FOR UPDATE SKIP LOCKED
$$;
REVOKE EXECUTE ON FUNCTION iot.outbox_claim(text, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION iot.outbox_claim(text, int) TO pgiot_service;

-- Acknowledge claimed rows: delivered, or (error given) retried later
-- with `retry_after` of back-off.
CREATE FUNCTION iot.outbox_done(ids bigint[], error text DEFAULT NULL,
                                retry_after interval DEFAULT '10 seconds')
    RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE iot.outbox
       SET attempts = attempts + 1,
           delivered = CASE WHEN error IS NULL THEN iot.now() END,
           last_error = error,
           not_before = CASE WHEN error IS NOT NULL THEN iot.now() + retry_after END
     WHERE id = ANY (ids)
$$;
REVOKE EXECUTE ON FUNCTION iot.outbox_done(bigint[], text, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION iot.outbox_done(bigint[], text, interval) TO pgiot_service;

-- Delivered outbox rows and old events go after pgiot.audit_retention_days.
CREATE FUNCTION iot._purge_outbox_and_events() RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    keep interval := make_interval(days => current_setting('pgiot.audit_retention_days')::int);
    n_outbox bigint;
    n_events bigint;
BEGIN
    IF keep = interval '0' THEN
        RETURN '{}';
    END IF;
    DELETE FROM iot.outbox WHERE delivered < iot.now() - keep;
    GET DIAGNOSTICS n_outbox = ROW_COUNT;
    DELETE FROM iot.event WHERE created < iot.now() - keep;
    GET DIAGNOSTICS n_events = ROW_COUNT;
    RETURN jsonb_build_object('outboxPurged', n_outbox, 'eventsPurged', n_events);
END
$$;
REVOKE EXECUTE ON FUNCTION iot._purge_outbox_and_events() FROM PUBLIC;
INSERT INTO iot.maintenance_task (name, fn) VALUES ('events', 'iot._purge_outbox_and_events()');
