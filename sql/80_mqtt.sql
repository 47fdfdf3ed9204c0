-- MQTT connectivity: authentication of broker connections, session
-- events (interface status, activity, capabilities), client
-- certificates, and the dispatcher of device/connector control messages.
--
-- The mosquitto plugin (bridges/mosquitto-plugin) calls
-- iot.mqtt_authenticate() on CONNECT and iot.mqtt_sessions() with batches
-- of connect/disconnect/subscribe events; the pgiot-mqtt bridge stores
-- data with iot.ingest_batch() and everything else with iot.mqtt_handle().

-- An API key's client-certificate setting (the manual's clientCert of an
-- API key): with required, every MQTT connection using the key must bring
-- a client certificate (the listener with client authentication), else it
-- is refused.  caCertIds are kept for the API's shape; the certificate is
-- checked against the listener's CA.
CREATE TABLE iot.api_key_client_cert (
    tenant_id    uuid NOT NULL,
    key_id       uuid NOT NULL,
    ca_cert_ids  text[] NOT NULL DEFAULT '{}',
    required     boolean NOT NULL DEFAULT false,
    updated      timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, key_id),
    FOREIGN KEY (tenant_id, key_id) REFERENCES iot.api_key (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE iot.api_key_client_cert IS 'clientCert of API keys: a client certificate required for MQTT';
SELECT iot.tenant_table('iot.api_key_client_cert');

-- Set an API key's clientCert: {"caCertIds": [...], "required": bool}
-- (members absent keep their value).  Returns the setting.
CREATE FUNCTION iot.api_key_client_cert_set(key_id uuid, client_cert jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    bad text;
BEGIN
    IF jsonb_typeof(client_cert) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'clientCert must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT k INTO bad FROM jsonb_object_keys(client_cert) k WHERE k NOT IN ('caCertIds', 'required') LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'unknown clientCert member "%"', bad USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF client_cert ? 'required' AND jsonb_typeof(client_cert -> 'required') <> 'boolean' THEN
        RAISE EXCEPTION 'clientCert.required must be a boolean' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF client_cert ? 'caCertIds' AND (jsonb_typeof(client_cert -> 'caCertIds') <> 'array'
        OR EXISTS (SELECT FROM jsonb_array_elements(client_cert -> 'caCertIds') e WHERE jsonb_typeof(e) <> 'string')) THEN
        RAISE EXCEPTION 'clientCert.caCertIds must be an array of strings' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT FROM iot.api_key a WHERE a.tenant_id = t AND a.id = key_id) THEN
        RAISE EXCEPTION 'API key % not found', key_id USING ERRCODE = 'PI011';
    END IF;
    INSERT INTO iot.api_key_client_cert AS c (tenant_id, key_id, ca_cert_ids, required)
    VALUES (t, key_id,
            coalesce(ARRAY(SELECT jsonb_array_elements_text(client_cert -> 'caCertIds')), '{}'),
            coalesce((client_cert ->> 'required')::boolean, false))
    ON CONFLICT ON CONSTRAINT api_key_client_cert_pkey DO UPDATE
       SET ca_cert_ids = CASE WHEN client_cert ? 'caCertIds' THEN excluded.ca_cert_ids ELSE c.ca_cert_ids END,
           required = CASE WHEN client_cert ? 'required' THEN excluded.required ELSE c.required END,
           updated = iot.now();
    RETURN iot.api_key_client_cert(key_id);
END
$$;

-- An API key's clientCert ({"caCertIds": [], "required": false} when never set).
CREATE FUNCTION iot.api_key_client_cert(key_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT coalesce((SELECT jsonb_build_object('caCertIds', to_jsonb(c.ca_cert_ids), 'required', c.required)
                       FROM iot.api_key_client_cert c
                      WHERE c.tenant_id = iot.require_tenant() AND c.key_id = api_key_client_cert.key_id),
                    '{"caCertIds": [], "required": false}')
$$;

------------------------------------------------------------------------------
-- Client certificates: a certificate (by SHA-256 fingerprint of its DER
-- form) identifies one device-mode client of one tenant.
------------------------------------------------------------------------------

CREATE TABLE iot.mqtt_client_cert (
    tenant_id    uuid NOT NULL REFERENCES iot.tenant ON DELETE CASCADE,
    fingerprint  text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
    client_id    text NOT NULL CHECK (client_id ~ '^[A-Za-z0-9:_.-]+$' AND length(client_id) <= 269),
    enabled      boolean NOT NULL DEFAULT true,
    comment      text,
    created      timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, fingerprint)
);
-- one certificate belongs to one tenant
CREATE UNIQUE INDEX mqtt_client_cert_fingerprint ON iot.mqtt_client_cert (fingerprint);
COMMENT ON TABLE iot.mqtt_client_cert IS 'Client certificates accepted for MQTT device mode (fingerprint -> clientId)';
SELECT iot.tenant_table('iot.mqtt_client_cert');

-- Register a client certificate for a device-mode client id.
CREATE FUNCTION iot.mqtt_cert_register(fingerprint text, client_id text, comment text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
AS $$
DECLARE
    fp text := lower(replace(fingerprint, ':', ''));
BEGIN
    IF fp !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'invalid certificate fingerprint "%"', fingerprint
            USING ERRCODE = 'invalid_text_representation',
                  DETAIL = 'Expected the SHA-256 of the DER certificate as 64 hexadecimal digits.';
    END IF;
    IF client_id IS NULL OR client_id !~ '^[A-Za-z0-9:_.-]+$' OR length(client_id) > 269 THEN
        RAISE EXCEPTION 'invalid MQTT client id "%"', client_id
            USING ERRCODE = 'invalid_text_representation',
                  DETAIL = format('Character %s is not allowed (A-Z a-z 0-9 : _ . -) or the length is not 1..269.',
                                  coalesce(nullif(strpos(client_id, substring(client_id FROM '[^A-Za-z0-9:_.-]')), 0), length(client_id) + 1));
    END IF;
    INSERT INTO iot.mqtt_client_cert (tenant_id, fingerprint, client_id, comment)
    VALUES (iot.require_tenant(), fp, client_id, comment);
EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'certificate % is already registered', fp USING ERRCODE = 'PI801';
END
$$;

------------------------------------------------------------------------------
-- Authentication of a CONNECT.
------------------------------------------------------------------------------

-- The device id an MQTT client id stands for (auto-provisioning rule).
CREATE FUNCTION iot.mqtt_device_id(client_id text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE WHEN client_id LIKE 'urn:lo:nsid:%' THEN client_id ELSE 'urn:lo:nsid:mqtt:' || client_id END;

-- verdict: 0 accepted, 4 bad username or API key (CONNACK 0x04),
-- 5 not authorised (a key without the mode's role, a disabled interface,
-- an unknown device when auto-provisioning is off).  Crosses tenants, so
-- it is granted to pgiot_service only.
CREATE FUNCTION iot.mqtt_authenticate(secret text, username text, client_id text,
                                      cert_fingerprint text DEFAULT NULL)
    RETURNS TABLE (verdict int, tenant_id uuid, key_id uuid, roles text[], fifos text[], detail text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    k_tenant  uuid;
    k_id      uuid;
    k_roles   text[];
    k_fifos   text[];
    c         iot.mqtt_client_cert;
    mode      text := CASE username WHEN 'json+device' THEN 'device' WHEN 'connector' THEN 'connector'
                                    WHEN 'application' THEN 'application' END;
    needed    text[];
    i         iot.device_interface;
    auto      boolean;
BEGIN
    IF mode IS NULL THEN
        RETURN QUERY SELECT 4, NULL::uuid, NULL::uuid, NULL::text[], NULL::text[],
                            format('unknown username "%s"', username);
        RETURN;
    END IF;
    IF cert_fingerprint IS NOT NULL AND mode = 'device' THEN
        SELECT * INTO c FROM iot.mqtt_client_cert x WHERE x.fingerprint = cert_fingerprint AND x.enabled;
        IF FOUND AND c.client_id = mqtt_authenticate.client_id THEN
            k_tenant := c.tenant_id;
            k_roles := ARRAY['DEVICE_ACCESS'];
            k_fifos := '{}';
        ELSIF FOUND THEN
            RETURN QUERY SELECT 5, NULL::uuid, NULL::uuid, NULL::text[], NULL::text[],
                                format('the client certificate belongs to client id "%s"', c.client_id);
            RETURN;
        END IF;
    END IF;
    IF k_tenant IS NULL THEN
        SELECT a.tenant_id, a.key_id, a.roles, a.fifos INTO k_tenant, k_id, k_roles, k_fifos
          FROM iot.api_key_authenticate(coalesce(secret, '')) a;
        IF k_tenant IS NULL THEN
            RETURN QUERY SELECT 4, NULL::uuid, NULL::uuid, NULL::text[], NULL::text[],
                                'unknown, disabled or expired API key'::text;
            RETURN;
        END IF;
    END IF;
    -- a key that requires a client certificate works only with one (decision:
    -- refused as a bad password, the manual's "Bad username or password")
    IF k_id IS NOT NULL AND cert_fingerprint IS NULL AND EXISTS (
           SELECT FROM iot.api_key_client_cert kc WHERE kc.tenant_id = k_tenant AND kc.key_id = k_id AND kc.required) THEN
        RETURN QUERY SELECT 4, NULL::uuid, NULL::uuid, NULL::text[], NULL::text[],
                            'the API key requires a client certificate (MQTTS with client authentication)'::text;
        RETURN;
    END IF;
    needed := CASE mode WHEN 'device' THEN ARRAY['DEVICE_ACCESS'] WHEN 'connector' THEN ARRAY['CONNECTOR_ACCESS']
                        ELSE ARRAY['BUS_R', 'DATA_W'] END;
    IF NOT (k_roles && needed) THEN
        RETURN QUERY SELECT 5, k_tenant, k_id, k_roles, k_fifos,
                            format('the API key lacks the role of %s mode (%s)', mode, array_to_string(needed, ' or '));
        RETURN;
    END IF;
    IF mode = 'device' THEN
        SELECT * INTO i FROM iot.device_interface x
         WHERE x.tenant_id = k_tenant AND x.connector = 'mqtt' AND x.node_id = mqtt_authenticate.client_id;
        IF FOUND AND NOT i.enabled THEN
            RETURN QUERY SELECT 5, k_tenant, k_id, k_roles, k_fifos,
                                format('the mqtt interface %s of device %s is disabled', i.node_id, i.device_id);
            RETURN;
        END IF;
        IF NOT FOUND THEN
            SELECT coalesce((t.settings ->> 'autoProvisioning')::boolean, true) INTO auto
              FROM iot.tenant t WHERE t.id = k_tenant;
            IF NOT auto THEN
                RETURN QUERY SELECT 5, k_tenant, k_id, k_roles, k_fifos,
                                    format('no mqtt interface %s and auto-provisioning is off', client_id);
                RETURN;
            END IF;
            IF NOT iot.device_id_valid(iot.mqtt_device_id(client_id)) THEN
                RETURN QUERY SELECT 5, k_tenant, k_id, k_roles, k_fifos,
                                    format('client id "%s" does not make a valid device id', client_id);
                RETURN;
            END IF;
        END IF;
    END IF;
    RETURN QUERY SELECT 0, k_tenant, k_id, k_roles, k_fifos, 'accepted'::text;
END
$$;
REVOKE EXECUTE ON FUNCTION iot.mqtt_authenticate(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION iot.mqtt_authenticate(text, text, text, text) TO pgiot_service;

------------------------------------------------------------------------------
-- Session events from the broker plugin.
------------------------------------------------------------------------------

-- Record a status change of an interface and route the deviceStatus event.
CREATE FUNCTION iot._interface_status_event(i iot.device_interface, previous text) RETURNS void
    LANGUAGE sql
AS $$
    SELECT iot.event_emit('deviceStatus', i.connector,
        jsonb_build_object('version', 1, 'deviceId', i.device_id,
            'updatedInterface', jsonb_build_object('connector', i.connector, 'nodeId', i.node_id,
                'enabled', i.enabled,
                'status', jsonb_strip_nulls(jsonb_build_object('current', i.status, 'previous', previous))),
            'timestamp', iot.iso_time(iot.now())),
        i.device_id)
$$;

-- A device-mode client connected: provision its device and mqtt interface
-- when needed, mark it ONLINE, record its activity.
CREATE FUNCTION iot._mqtt_connected(t uuid, ev jsonb) RETURNS void
    LANGUAGE plpgsql
AS $$
DECLARE
    cid      text := ev ->> 'clientId';
    did      text := iot.mqtt_device_id(ev ->> 'clientId');
    i        iot.device_interface;
    previous text;
    act      jsonb := jsonb_build_object(
        'apiKeyId', nullif(ev ->> 'keyId', 'cert'),
        'mqttVersion', (ev ->> 'protocolVersion')::int,
        'mqttUsername', ev ->> 'username',
        'mqttTimeout', (ev ->> 'keepalive')::int,
        'remoteAddress', ev ->> 'address',
        'lastSessionStartTime', ev ->> 'at',
        'security', jsonb_build_object('secured', (ev ->> 'tls')::boolean,
                                       'clientCertAuthentication', (ev ->> 'certAuth')::boolean));
BEGIN
    SELECT * INTO i FROM iot.device_interface x
     WHERE x.tenant_id = t AND x.connector = 'mqtt' AND x.node_id = cid FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO iot.device (tenant_id, id, description)
        VALUES (t, did, format('This device was auto registered by the connector [mqtt] with the nodeId [%s]', cid))
        ON CONFLICT DO NOTHING;
        INSERT INTO iot.device_interface (tenant_id, device_id, connector, node_id, status, definition,
                                          activity, last_contact)
        VALUES (t, did, 'mqtt', cid, 'ONLINE', jsonb_build_object('clientId', cid), act, iot.now())
        ON CONFLICT DO NOTHING
        RETURNING * INTO i;
        IF i.node_id IS NOT NULL THEN
            PERFORM iot._interface_status_event(i, NULL);
            RETURN;
        END IF;
        -- the bridge's ingest provisioned it meanwhile (data raced the
        -- session event): record the session on it, as its first status
        SELECT * INTO i FROM iot.device_interface x
         WHERE x.tenant_id = t AND x.connector = 'mqtt' AND x.node_id = cid FOR UPDATE;
        previous := NULL;
    ELSE
        previous := i.status;
    END IF;
    UPDATE iot.device_interface x
       SET status = CASE WHEN x.enabled THEN 'ONLINE' ELSE x.status END,
           activity = x.activity - 'lastSessionEndTime' || act,
           capabilities = iot._capabilities_off(x.capabilities),
           last_contact = iot.now(), updated = iot.now()
     WHERE x.tenant_id = t AND x.connector = 'mqtt' AND x.node_id = cid
    RETURNING * INTO i;
    IF i.status IS DISTINCT FROM previous THEN
        PERFORM iot._interface_status_event(i, previous);
    END IF;
END
$$;

CREATE FUNCTION iot._capabilities_off(caps jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    RETURN coalesce(caps, '{}') || jsonb_build_object(
        'command', jsonb_build_object('version', 1, 'available', false),
        'configuration', jsonb_build_object('version', 1, 'available', false),
        'resource', jsonb_build_object('version', 1, 'available', false));

CREATE FUNCTION iot._mqtt_disconnected(t uuid, ev jsonb) RETURNS void
    LANGUAGE plpgsql
AS $$
DECLARE
    i        iot.device_interface;
    previous text;
BEGIN
    SELECT status INTO previous FROM iot.device_interface x
     WHERE x.tenant_id = t AND x.connector = 'mqtt' AND x.node_id = ev ->> 'clientId' FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    UPDATE iot.device_interface x
       SET status = CASE WHEN x.status = 'ONLINE' THEN 'OFFLINE' ELSE x.status END,
           activity = x.activity || jsonb_build_object('lastSessionEndTime', ev ->> 'at'),
           capabilities = iot._capabilities_off(x.capabilities),
           updated = iot.now()
     WHERE x.tenant_id = t AND x.connector = 'mqtt' AND x.node_id = ev ->> 'clientId'
    RETURNING * INTO i;
    IF i.status IS DISTINCT FROM previous THEN
        PERFORM iot._interface_status_event(i, previous);
    END IF;
END
$$;

-- Subscriptions announce capabilities (command: dev/cmd, configuration:
-- dev/cfg/upd, resource: dev/rsc/upd); then whatever waits for the
-- device is sent.
CREATE FUNCTION iot._mqtt_subscribed(t uuid, ev jsonb) RETURNS void
    LANGUAGE plpgsql
AS $$
DECLARE
    did text;
BEGIN
    UPDATE iot.device_interface x
       SET capabilities = x.capabilities || jsonb_build_object(
               'command', jsonb_build_object('version', 1, 'available', (ev ->> 'command')::boolean),
               'configuration', jsonb_build_object('version', 1, 'available', (ev ->> 'configuration')::boolean),
               'resource', jsonb_build_object('version', 1, 'available', (ev ->> 'resource')::boolean)),
           updated = iot.now()
     WHERE x.tenant_id = t AND x.connector = 'mqtt' AND x.node_id = ev ->> 'clientId' AND x.status = 'ONLINE'
    RETURNING x.device_id INTO did;
    IF did IS NOT NULL THEN
        PERFORM iot.device_dispatch(ARRAY[did]);
    END IF;
END
$$;

-- Apply a batch of session events from the broker plugin, in order:
--   {"event": "connect", "tenant", "mode", "clientId", "keyId", "username",
--    "address", "protocolVersion", "keepalive", "tls", "certAuth", "at"}
--   {"event": "disconnect", ...}, {"event": "subscribe", ..., "command",
--    "configuration", "resource", "shadow"}, {"event": "denied", "access", "topic"}
-- One event's failure is written to the audit log and does not stop the
-- others.  Returns counts.
CREATE FUNCTION iot.mqtt_sessions(events jsonb) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    ev      jsonb;
    t       uuid;
    applied int := 0;
    failed  int := 0;
BEGIN
    IF jsonb_typeof(events) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'mqtt_sessions takes a JSON array of events' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR ev IN SELECT e FROM jsonb_array_elements(events) e LOOP
        BEGIN
            t := (ev ->> 'tenant')::uuid;
            PERFORM set_config('iot.tenant', t::text, true);
            CASE ev ->> 'event'
                WHEN 'connect' THEN
                    IF ev ->> 'mode' = 'device' THEN PERFORM iot._mqtt_connected(t, ev); END IF;
                WHEN 'disconnect' THEN
                    IF ev ->> 'mode' = 'device' THEN PERFORM iot._mqtt_disconnected(t, ev); END IF;
                WHEN 'subscribe' THEN
                    IF ev ->> 'mode' = 'device' THEN PERFORM iot._mqtt_subscribed(t, ev); END IF;
                WHEN 'denied' THEN
                    PERFORM iot.audit('mqtt', format('%s client %s may not %s topic "%s"',
                                                     ev ->> 'mode', ev ->> 'clientId',
                                                     CASE ev ->> 'access' WHEN 'publish' THEN 'publish on' ELSE 'subscribe to' END,
                                                     ev ->> 'topic'),
                                      'PI802', jsonb_build_object('clientId', ev ->> 'clientId', 'mode', ev ->> 'mode',
                                                                  'topic', ev ->> 'topic', 'access', ev ->> 'access'));
                ELSE
                    RAISE EXCEPTION 'unknown session event "%"', ev ->> 'event' USING ERRCODE = 'invalid_parameter_value';
            END CASE;
            applied := applied + 1;
        EXCEPTION WHEN OTHERS THEN
            failed := failed + 1;
            INSERT INTO iot.audit_log (tenant_id, component, code, message, details)
            VALUES (t, 'mqtt', SQLSTATE, 'session event failed: ' || SQLERRM, ev);
        END;
    END LOOP;
    PERFORM set_config('iot.tenant', '', true);
    RETURN jsonb_build_object('applied', applied, 'failed', failed);
END
$$;
REVOKE EXECUTE ON FUNCTION iot.mqtt_sessions(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION iot.mqtt_sessions(jsonb) TO pgiot_service;
