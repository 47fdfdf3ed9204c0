-- Device management, part 1: the downlink helpers shared by commands,
-- configuration and resources, and commands (Live Objects manual 8.3).
--
-- A command waits in its device's queue (at most 10 not final), is sent
-- one at a time when an interface of its connector is available, and is
-- acknowledged by the device (dev/cmd/res, connector/v1/responses/command).
-- Statuses: PENDING, RETRYING, PROCESSING, PROCESSED, ERROR, CANCELED,
-- EXPIRED; delivery statuses SENT, DELIVERED, REPLIED.  Expiration and
-- acknowledgement timeouts are applied by the maintenance task
-- 'device_timeouts' (resolution: pgiot.maintenance_interval).

-- Correlation ids ("cid") of MQTT downlinks: numbers, as in the manual.
CREATE SEQUENCE iot.downlink_cid_seq AS bigint START 1000;
GRANT USAGE ON SEQUENCE iot.downlink_cid_seq TO pgiot_tenant, pgiot_service;

-- How a device can be reached for a capability (command, configuration,
-- resource) through a connector: the interface's node id and the MQTT
-- mode, or nothing while it is not available (offline, not subscribed,
-- capability not announced, disabled).
CREATE FUNCTION iot._downlink_target(t uuid, device_id text, connector text, capability text)
    RETURNS TABLE (node_id text, mode text)
    LANGUAGE sql STABLE
AS $$
    SELECT i.node_id, CASE i.connector WHEN 'mqtt' THEN 'device' ELSE 'connector' END
      FROM iot.device_interface i
     WHERE i.tenant_id = t AND i.device_id = _downlink_target.device_id
       AND i.connector = _downlink_target.connector AND i.connector IN ('mqtt', 'x-connector')
       AND i.enabled AND i.status = 'ONLINE'
       AND coalesce((i.capabilities -> capability ->> 'available')::boolean,
                    (i.capabilities -> (capability || 's') ->> 'available')::boolean, false)
     ORDER BY i.last_contact DESC NULLS LAST
     LIMIT 1
$$;

-- Queue an MQTT downlink for the bridge: to one device-mode client, or to
-- the tenant's connector clients (clientId "*").
CREATE FUNCTION iot._mqtt_send(topic text, mode text, client_id text, message jsonb, device_id text)
    RETURNS bigint
    LANGUAGE sql
    RETURN iot.outbox_put('mqtt', topic,
                          jsonb_build_object('mode', mode, 'clientId', client_id, 'message', message),
                          device_id);

-- The device an MQTT client / x-connector node stands for in this tenant.
CREATE FUNCTION iot._interface_device(connector text, node_id text) RETURNS text
    LANGUAGE sql STABLE
AS $$
    SELECT i.device_id FROM iot.device_interface i
     WHERE i.tenant_id = (SELECT iot.current_tenant()) AND i.connector = _interface_device.connector
       AND i.node_id = _interface_device.node_id
$$;

------------------------------------------------------------------------------
-- Commands
------------------------------------------------------------------------------

CREATE TABLE iot.command (
    tenant_id        uuid NOT NULL,
    id               text NOT NULL DEFAULT iot.short_id(24),
    device_id        text NOT NULL,
    connector        text NOT NULL CHECK (connector IN ('mqtt', 'x-connector', 'lora', 'sms')),
    value            jsonb NOT NULL,
    ack_mode         text NOT NULL CHECK (ack_mode IN ('NONE', 'NETWORK', 'APPLICATIVE')),
    expiration_s     int NOT NULL CHECK (expiration_s BETWEEN 5 AND 2592000),
    ack_timeout_s    int CHECK (ack_timeout_s BETWEEN 10 AND 604800),
    attempts         int NOT NULL DEFAULT 1 CHECK (attempts BETWEEN 1 AND 5),
    attempt          int NOT NULL DEFAULT 0,
    status           text NOT NULL DEFAULT 'PENDING' CHECK (status IN
                     ('PENDING', 'RETRYING', 'PROCESSING', 'PROCESSED', 'ERROR', 'CANCELED', 'EXPIRED')),
    delivery_status  text CHECK (delivery_status IN ('SENT', 'DELIVERED', 'REPLIED')),
    error_code       text,
    response         jsonb,
    node_id          text,            -- the interface of the current attempt
    cid              bigint,          -- correlation id of the current attempt
    sent_at          timestamptz,
    expires_at       timestamptz NOT NULL,
    history          jsonb NOT NULL DEFAULT '[]',
    created          timestamptz NOT NULL DEFAULT iot.now(),
    updated          timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, device_id) REFERENCES iot.device (tenant_id, id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX command_device ON iot.command (tenant_id, device_id, created);
CREATE UNIQUE INDEX command_cid ON iot.command (tenant_id, cid) WHERE cid IS NOT NULL;
CREATE INDEX command_active ON iot.command (status) WHERE status IN ('PENDING', 'RETRYING', 'PROCESSING');
COMMENT ON TABLE iot.command IS 'Device commands (manual 8.3): queue, status, delivery status, history, response';
SELECT iot.tenant_table('iot.command');

CREATE FUNCTION iot.command_json(c iot.command) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'id', c.id, 'targetDeviceId', c.device_id,
        'request', jsonb_build_object('connector', c.connector, 'value', c.value),
        'response', c.response, 'status', c.status, 'deliveryStatus', c.delivery_status,
        'errorCode', c.error_code,
        'policy', jsonb_build_object('expirationInSeconds', c.expiration_s, 'ackTimeoutInSeconds', c.ack_timeout_s,
                                     'ackMode', c.ack_mode, 'attempts', c.attempts),
        'history', c.history,
        'created', iot.iso_time(c.created), 'updated', iot.iso_time(c.updated)));

-- A command's change of status: history entry, and the routed
-- commandStatus event (manual 15.4.3; the response wrapped in "value").
CREATE FUNCTION iot._command_moved(c iot.command) RETURNS void
    LANGUAGE sql
AS $$
    SELECT iot.event_emit('commandStatus', 'commands', jsonb_strip_nulls(jsonb_build_object(
        'version', 1, 'id', c.id, 'targetDeviceId', c.device_id, 'status', c.status,
        'deliveryStatus', c.delivery_status, 'errorCode', c.error_code,
        'request', jsonb_build_object('connector', c.connector, 'value', c.value),
        'response', CASE WHEN c.response IS NOT NULL THEN jsonb_build_object('value', c.response) END,
        'created', iot.iso_time(c.created), 'updated', iot.iso_time(c.updated))), c.device_id)
$$;

CREATE FUNCTION iot._history_entry(status text, delivery_status text DEFAULT NULL, error_code text DEFAULT NULL,
                                   node_id text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
        'timestamp', iot.iso_time(iot.now()), 'status', status, 'deliveryStatus', delivery_status,
        'errorCode', error_code, 'nodeId', node_id)));

-- Validate the connector-specific value of a command (manual 8.3.10).
CREATE FUNCTION iot._command_value_check(connector text, v jsonb) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    bad text;
BEGIN
    IF jsonb_typeof(v) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'request.value must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    CASE connector
        WHEN 'mqtt' THEN
            IF jsonb_typeof(v -> 'req') IS DISTINCT FROM 'string' THEN
                RAISE EXCEPTION 'request.value.req must be a string' USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF v ? 'arg' AND jsonb_typeof(v -> 'arg') <> 'object' THEN
                RAISE EXCEPTION 'request.value.arg must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
            END IF;
            SELECT k INTO bad FROM jsonb_object_keys(coalesce(v -> 'arg', '{}')) k
             WHERE k LIKE '%.%' OR k LIKE '$%' LIMIT 1;
            IF bad IS NOT NULL THEN
                RAISE EXCEPTION 'request.value.arg key "%" must not contain ''.'' nor start with ''$''', bad
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
        WHEN 'x-connector' THEN
            IF (SELECT count(*) FROM jsonb_object_keys(v)) > 100 THEN
                RAISE EXCEPTION 'request.value holds % entries; at most 100 are allowed',
                    (SELECT count(*) FROM jsonb_object_keys(v)) USING ERRCODE = 'invalid_parameter_value';
            END IF;
            SELECT e.key INTO bad FROM jsonb_each(v) e
             WHERE length(CASE jsonb_typeof(e.value) WHEN 'string' THEN e.value #>> '{}' ELSE e.value::text END) > 255
             LIMIT 1;
            IF bad IS NOT NULL THEN
                RAISE EXCEPTION 'request.value entry "%" is longer than 255 characters', bad
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
        WHEN 'sms' THEN
            IF jsonb_typeof(v -> 'payload') IS DISTINCT FROM 'string'
               OR coalesce(v ->> 'type', 'TEXT') NOT IN ('TEXT', 'BINARY') THEN
                RAISE EXCEPTION 'an sms command value is {"payload": string, "type": "TEXT" or "BINARY"}'
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF coalesce(v ->> 'type', 'TEXT') = 'TEXT' AND length(v ->> 'payload') > 160 THEN
                RAISE EXCEPTION 'an sms TEXT payload holds at most 160 characters' USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF v ->> 'type' = 'BINARY' AND ((v ->> 'payload') !~ '^([0-9A-Fa-f]{2})*$' OR length(v ->> 'payload') > 280) THEN
                RAISE EXCEPTION 'an sms BINARY payload is hexadecimal, at most 140 bytes' USING ERRCODE = 'invalid_parameter_value';
            END IF;
        WHEN 'lora' THEN
            IF coalesce(v ->> 'data', '') !~ '^([0-9A-Fa-f]{2})+$' THEN
                RAISE EXCEPTION 'a lora command value.data must be hexadecimal' USING ERRCODE = 'invalid_parameter_value';
            END IF;
            IF coalesce(v ->> 'port', '') !~ '^[0-9]{1,3}$' OR (v ->> 'port')::int NOT BETWEEN 1 AND 254 THEN
                RAISE EXCEPTION 'a lora command value.port must be 1..254' USING ERRCODE = 'invalid_parameter_value';
            END IF;
    END CASE;
END
$$;

-- Register a command for a device (body of POST .../devices/{id}/commands):
--   {"request": {"connector", "value"}, "policy": {"expirationInSeconds",
--    "ackTimeoutInSeconds", "ackMode", "attempts"}}
-- Errors: PI001 unknown device, 22023 invalid request or policy, PI804 the
-- device already has 10 queued commands.
CREATE FUNCTION iot.command_create(device_id text, doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t       uuid := iot.require_tenant();
    conn    text := doc -> 'request' ->> 'connector';
    policy  jsonb := coalesce(doc -> 'policy', '{}');
    ack     text;
    expire  int;
    timeout int;
    tries   int;
    c       iot.command;
    queued  int;
BEGIN
    IF jsonb_typeof(doc) IS DISTINCT FROM 'object' OR jsonb_typeof(doc -> 'request') IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'a command is {"request": {...}, "policy": {...}}' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF conn IS NULL OR conn NOT IN ('mqtt', 'x-connector', 'lora', 'sms') THEN
        RAISE EXCEPTION 'request.connector must be mqtt, x-connector, lora or sms, not %', coalesce(conn, 'absent')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF jsonb_typeof(policy) <> 'object' THEN
        RAISE EXCEPTION 'policy must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    ack := coalesce(policy ->> 'ackMode', CASE conn WHEN 'mqtt' THEN 'APPLICATIVE' WHEN 'x-connector' THEN 'APPLICATIVE'
                                                    ELSE 'NONE' END);
    IF NOT ack = ANY (CASE conn WHEN 'mqtt' THEN ARRAY['NONE', 'APPLICATIVE']
                                WHEN 'x-connector' THEN ARRAY['NONE', 'NETWORK', 'APPLICATIVE']
                                WHEN 'lora' THEN ARRAY['NONE', 'NETWORK'] ELSE ARRAY['NONE'] END) THEN
        RAISE EXCEPTION 'ackMode % is not allowed for connector %', ack, conn USING ERRCODE = 'invalid_parameter_value';
    END IF;
    BEGIN
        expire := coalesce((policy ->> 'expirationInSeconds')::int, 604800);
        timeout := (policy ->> 'ackTimeoutInSeconds')::int;
        tries := coalesce((policy ->> 'attempts')::int, 1);
    EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
        RAISE EXCEPTION 'policy values must be integers' USING ERRCODE = 'invalid_parameter_value';
    END;
    IF expire NOT BETWEEN 5 AND 2592000 THEN
        RAISE EXCEPTION 'policy.expirationInSeconds must be between 5 and 2592000, not %', expire
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF tries NOT BETWEEN 1 AND 5 THEN
        RAISE EXCEPTION 'policy.attempts must be between 1 and 5, not %', tries USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF ack = 'NONE' AND timeout IS NOT NULL THEN
        RAISE EXCEPTION 'policy.ackTimeoutInSeconds is not allowed with ackMode NONE' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF conn = 'lora' AND timeout IS NOT NULL THEN
        RAISE EXCEPTION 'policy.ackTimeoutInSeconds cannot be set for lora' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF timeout IS NOT NULL AND timeout NOT BETWEEN 10 AND 604800 THEN
        RAISE EXCEPTION 'policy.ackTimeoutInSeconds must be between 10 and 604800, not %', timeout
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF ack <> 'NONE' AND timeout IS NULL THEN
        timeout := CASE conn WHEN 'lora' THEN 604800 ELSE 86400 END;
    END IF;
    PERFORM iot._command_value_check(conn, doc -> 'request' -> 'value');
    -- one queue per device: lock the device row while counting
    PERFORM FROM iot.device d WHERE d.tenant_id = t AND d.id = command_create.device_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'device % not found', device_id USING ERRCODE = 'PI001';
    END IF;
    SELECT count(*) INTO queued FROM iot.command x
     WHERE x.tenant_id = t AND x.device_id = command_create.device_id
       AND x.status IN ('PENDING', 'RETRYING', 'PROCESSING');
    IF queued >= 10 THEN
        RAISE EXCEPTION 'device % already has 10 queued commands', device_id USING ERRCODE = 'PI804';
    END IF;
    INSERT INTO iot.command (tenant_id, device_id, connector, value, ack_mode, expiration_s, ack_timeout_s,
                             attempts, expires_at, history)
    VALUES (t, device_id, conn, doc -> 'request' -> 'value', ack, expire, timeout, tries,
            iot.now() + make_interval(secs => expire), iot._history_entry('PENDING'))
    RETURNING * INTO c;
    PERFORM iot._command_moved(c);
    PERFORM iot.device_dispatch(ARRAY[c.device_id]);
    SELECT * INTO c FROM iot.command x WHERE x.tenant_id = t AND x.id = c.id;
    RETURN iot.command_json(c);
END
$$;

CREATE FUNCTION iot.command_get(id text) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.command_json(c) FROM iot.command c
     WHERE c.tenant_id = (SELECT iot.current_tenant()) AND c.id = command_get.id
$$;

-- GET /commands/{id}/status: {"content": status}; NULL when unknown.
CREATE FUNCTION iot.command_status(id text) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object('content', c.status) FROM iot.command c
     WHERE c.tenant_id = (SELECT iot.current_tenant()) AND c.id = command_status.id
$$;

CREATE FUNCTION iot.commands(device_id text DEFAULT NULL, status text DEFAULT NULL,
                             lim int DEFAULT 20, off int DEFAULT 0)
    RETURNS SETOF jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.command_json(c) FROM iot.command c
     WHERE c.tenant_id = (SELECT iot.current_tenant())
       AND (commands.device_id IS NULL OR c.device_id = commands.device_id)
       AND (commands.status IS NULL OR c.status = commands.status)
     ORDER BY c.created DESC, c.id
     LIMIT lim OFFSET off
$$;

-- Set a command's status (and what goes with it); emits the event.
CREATE FUNCTION iot._command_set(t uuid, cmd_id text, new_status text, delivery text DEFAULT NULL,
                                 error text DEFAULT NULL, resp jsonb DEFAULT NULL)
    RETURNS iot.command
    LANGUAGE plpgsql
AS $$
DECLARE
    c iot.command;
BEGIN
    UPDATE iot.command x
       SET status = new_status,
           delivery_status = coalesce(delivery, x.delivery_status),
           error_code = coalesce(error, x.error_code),
           response = coalesce(resp, x.response),
           history = x.history || iot._history_entry(new_status, delivery, error, x.node_id),
           updated = iot.now()
     WHERE x.tenant_id = t AND x.id = cmd_id
    RETURNING * INTO c;
    PERFORM iot._command_moved(c);
    RETURN c;
END
$$;

-- Cancel a command that is not final yet.  PI803: unknown command; PI808:
-- already final.
CREATE FUNCTION iot.command_cancel(id text) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    c iot.command;
BEGIN
    SELECT * INTO c FROM iot.command x WHERE x.tenant_id = t AND x.id = command_cancel.id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'command % not found', id USING ERRCODE = 'PI805';
    END IF;
    IF c.status NOT IN ('PENDING', 'RETRYING', 'PROCESSING') THEN
        RAISE EXCEPTION 'command % is already %', id, c.status USING ERRCODE = 'PI808';
    END IF;
    c := iot._command_set(t, c.id, 'CANCELED');
    PERFORM iot.device_dispatch(ARRAY[c.device_id]);
    RETURN iot.command_json(c);
END
$$;

-- Send the head of a device's command queue when nothing is in flight
-- and an interface of its connector announces the command capability.
-- ackMode NONE completes at once (PROCESSED/SENT) and the next one goes.
CREATE FUNCTION iot._command_dispatch(t uuid, dev text) RETURNS int
    LANGUAGE plpgsql
AS $$
DECLARE
    c      iot.command;
    target record;
    sent   int := 0;
BEGIN
    LOOP
        IF EXISTS (SELECT FROM iot.command x WHERE x.tenant_id = t AND x.device_id = dev AND x.status = 'PROCESSING') THEN
            RETURN sent;
        END IF;
        SELECT * INTO c FROM iot.command x
         WHERE x.tenant_id = t AND x.device_id = dev AND x.status IN ('PENDING', 'RETRYING')
           AND x.expires_at > iot.now()
         ORDER BY x.created, x.id LIMIT 1 FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            RETURN sent;
        END IF;
        SELECT * INTO target FROM iot._downlink_target(t, dev, c.connector, 'command');
        IF target.node_id IS NULL THEN
            RETURN sent;
        END IF;
        UPDATE iot.command x
           SET cid = nextval('iot.downlink_cid_seq'), node_id = target.node_id, attempt = x.attempt + 1,
               sent_at = iot.now()
         WHERE x.tenant_id = t AND x.id = c.id
        RETURNING * INTO c;
        IF c.connector = 'mqtt' THEN
            PERFORM iot._mqtt_send('dev/cmd', 'device', target.node_id,
                jsonb_build_object('req', c.value -> 'req', 'arg', coalesce(c.value -> 'arg', '{}'), 'cid', c.cid),
                dev);
        ELSE
            PERFORM iot._mqtt_send('connector/v1/requests/command', 'connector', '*',
                jsonb_build_object('id', c.id, 'nodeId', target.node_id, 'value', c.value, 'ackMode', c.ack_mode),
                dev);
        END IF;
        sent := sent + 1;
        c := iot._command_set(t, c.id, 'PROCESSING', 'SENT');
        IF c.ack_mode = 'NONE' THEN
            PERFORM iot._command_set(t, c.id, 'PROCESSED', 'SENT');
        END IF;
    END LOOP;
END
$$;

-- A device's answer: any response makes the command PROCESSED/REPLIED,
-- even one holding an "error" (decision 22).  False when no command of
-- this device waits for it.
CREATE FUNCTION iot._command_replied(t uuid, dev text, cmd_cid bigint, cmd_id text, resp jsonb)
    RETURNS boolean
    LANGUAGE plpgsql
AS $$
DECLARE
    c iot.command;
BEGIN
    SELECT * INTO c FROM iot.command x
     WHERE x.tenant_id = t AND x.device_id = dev
       AND ((cmd_cid IS NOT NULL AND x.cid = cmd_cid) OR (cmd_id IS NOT NULL AND x.id = cmd_id))
       AND x.status IN ('PROCESSING', 'RETRYING')
     FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM iot._command_set(t, c.id, 'PROCESSED', 'REPLIED', NULL, coalesce(resp, '{}'));
    PERFORM iot._command_dispatch(t, dev);
    RETURN true;
END
$$;

-- Expirations and acknowledgement timeouts (of one tenant, or of all).
CREATE FUNCTION iot._command_timeouts(only_tenant uuid DEFAULT NULL) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    c        iot.command;
    expired  int := 0;
    retried  int := 0;
    failed   int := 0;
BEGIN
    FOR c IN SELECT * FROM iot.command x
              WHERE x.status IN ('PENDING', 'RETRYING', 'PROCESSING')
                AND (only_tenant IS NULL OR x.tenant_id = only_tenant)
                AND ((x.status <> 'PROCESSING' AND x.expires_at <= iot.now())
                     OR (x.status = 'PROCESSING' AND x.ack_timeout_s IS NOT NULL
                         AND x.sent_at + make_interval(secs => x.ack_timeout_s) <= iot.now()))
              ORDER BY x.tenant_id, x.created
              FOR UPDATE SKIP LOCKED LOOP
        PERFORM set_config('iot.tenant', c.tenant_id::text, true);
        IF c.status <> 'PROCESSING' THEN
            PERFORM iot._command_set(c.tenant_id, c.id, 'EXPIRED');
            expired := expired + 1;
        ELSIF c.attempt < c.attempts THEN
            PERFORM iot._command_set(c.tenant_id, c.id, 'RETRYING');
            retried := retried + 1;
        ELSE
            PERFORM iot._command_set(c.tenant_id, c.id, 'ERROR', NULL, 'ACK_TIMEOUT');
            failed := failed + 1;
        END IF;
        PERFORM iot._command_dispatch(c.tenant_id, c.device_id);
    END LOOP;
    RETURN jsonb_build_object('commandsExpired', expired, 'commandsRetried', retried, 'commandsFailed', failed);
END
$$;
REVOKE EXECUTE ON FUNCTION iot._command_timeouts(uuid) FROM PUBLIC;
