-- EnOcean: the engine of the EnOcean IoT Connector inside the database.
--
-- Pure parsers and decoders (C, no table access): ESP3 framing, radio
-- telegrams, EEP decoding from data tables.  The pipeline (onboarding,
-- ingest, duplicates, chaining, security, statistics) follows below.

------------------------------------------------------------------------------
-- Parsers and decoders
------------------------------------------------------------------------------

-- The valid ESP3 frames of a byte stream, in order; junk, truncated frames
-- and CRC errors are skipped (resynchronising one byte after each failed
-- sync byte).
CREATE FUNCTION iot.esp3_frames(stream bytea) RETURNS SETOF bytea
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_esp3_frames';

-- One ESP3 frame as JSON: packet type, data, optional data; radio
-- telegrams (RADIO_ERP1, RADIO_ERP2) in full.  PI301 on a bad frame
-- (sync, length, CRC8), PI302 on a bad radio telegram.
CREATE FUNCTION iot.esp3_parse(frame bytea) RETURNS jsonb
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_esp3_parse';

-- The connector's `raw` section of the radio telegram in an ESP3 frame
-- (addressing encapsulation undone); shape per pgiot.enocean_json_format.
CREATE FUNCTION iot.enocean_telegram(frame bytea) RETURNS jsonb
    LANGUAGE c STABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_enocean_telegram';

-- Decode EEP data (the bytes after the RORG) into the connector's
-- telemetry.data array; status is the ERP1 status byte (T21/NU select the
-- RPS message variant).  A teach-in telegram is reported as such.
-- PI303 unknown EEP, PI304 data that does not fit the profile.
CREATE FUNCTION iot.eep_decode(eep text, data bytea, status int DEFAULT 0) RETURNS jsonb
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_eep_decode';

-- Every supported profile with its message variants and fields.
CREATE FUNCTION iot.eep_profiles(
    OUT eep text, OUT rorg text, OUT title text, OUT teach_in text, OUT cases jsonb)
    RETURNS SETOF record
    LANGUAGE c IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_eep_profiles';

------------------------------------------------------------------------------
-- Onboarding: devices by EURID (the connector's API), gateways
------------------------------------------------------------------------------

-- An onboarded EnOcean device, linked to a platform device (iot.device)
-- with an interface (connector 'enocean', nodeId = EURID) so that its
-- messages, rules and search work like any other device's.
CREATE TABLE iot.enocean_device (
    tenant_id        uuid NOT NULL REFERENCES iot.tenant ON DELETE CASCADE,
    eurid            text NOT NULL CHECK (eurid ~ '^[0-9a-f]{8}$'),
    device_id        text NOT NULL,
    eep              text NOT NULL CHECK (eep ~ '^[0-9a-f]{2}-[0-9a-f]{2}-[0-9a-f]{2}$'),
    friendly_id      text NOT NULL DEFAULT '',
    location         text NOT NULL DEFAULT '',
    custom_tag       text NOT NULL DEFAULT '',
    destination      text NOT NULL DEFAULT 'ffffffff' CHECK (destination ~ '^[0-9a-f]{8}$'),
    -- security material (all or none): AES-128 key, SLF, first acceptable RLC
    security_key     bytea CHECK (length(security_key) = 16),
    slf              smallint CHECK (slf BETWEEN 0 AND 255),
    rlc              bigint CHECK (rlc BETWEEN 0 AND 4294967295),
    psk              bytea CHECK (length(psk) = 16),
    secure_teach_in  boolean NOT NULL DEFAULT false,   -- accept SEC_TI telegrams (key/RLC updates)
    is_ptm           boolean NOT NULL DEFAULT false,
    active           boolean NOT NULL DEFAULT true,
    created          timestamptz NOT NULL DEFAULT iot.now(),
    updated          timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, eurid),
    UNIQUE (tenant_id, device_id),
    FOREIGN KEY (tenant_id, device_id) REFERENCES iot.device (tenant_id, id) ON DELETE CASCADE ON UPDATE CASCADE,
    CHECK ((security_key IS NULL) = (slf IS NULL))
);
COMMENT ON TABLE iot.enocean_device IS 'EnOcean devices onboarded by EURID with EEP and security material (IoT Connector API)';
SELECT iot.tenant_table('iot.enocean_device');

-- The engine's state of a device: telegram statistics, rolling code,
-- recent telegrams (duplicate window), most recent telemetry and signal.
CREATE TABLE iot.enocean_device_state (
    tenant_id               uuid NOT NULL,
    eurid                   text NOT NULL,
    total                   bigint NOT NULL DEFAULT 0,   -- telegrams received (duplicates not counted)
    processed               bigint NOT NULL DEFAULT 0,
    not_processed           bigint NOT NULL DEFAULT 0,
    duplicates              bigint NOT NULL DEFAULT 0,   -- copies dropped within the duplicate window
    first_seen              timestamptz,                 -- first successfully processed telegram
    last_seen               timestamptz,                 -- last valid telegram
    rlc_next                bigint,                      -- lowest rolling code still acceptable
    -- telegrams of the duplicate window: [{"f": fingerprint, "t": received (µs), "i": message id, "c": created (µs)}]
    recent                  jsonb NOT NULL DEFAULT '[]',
    last_telemetry_id       bigint,
    last_telemetry_created  timestamptz,
    last_signal_id          bigint,
    last_signal_created     timestamptz,
    PRIMARY KEY (tenant_id, eurid),
    FOREIGN KEY (tenant_id, eurid) REFERENCES iot.enocean_device ON DELETE CASCADE
) WITH (fillfactor = 70);
COMMENT ON TABLE iot.enocean_device_state IS 'Per EnOcean device: telegram statistics, rolling code, duplicate window, most recent messages';
SELECT iot.tenant_table('iot.enocean_device_state');

-- Ingress gateways (Aruba APs): identity and telegram statistics.
CREATE TABLE iot.enocean_gateway (
    tenant_id            uuid NOT NULL REFERENCES iot.tenant ON DELETE CASCADE,
    mac                  text NOT NULL CHECK (mac ~ '^[0-9a-z._:-]{1,64}$'),
    hardware_descriptor  text NOT NULL DEFAULT '',
    software_version     text NOT NULL DEFAULT '',
    usb                  jsonb NOT NULL DEFAULT '[]',   -- [{usb_identifier, usb_health}]
    total                bigint NOT NULL DEFAULT 0,     -- telegrams delivered (duplicates included)
    processed            bigint NOT NULL DEFAULT 0,     -- processed, or duplicates of processed ones
    not_processed        bigint NOT NULL DEFAULT 0,
    duplicates           bigint NOT NULL DEFAULT 0,
    last_seen            timestamptz,
    created              timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, mac)
) WITH (fillfactor = 70);
COMMENT ON TABLE iot.enocean_gateway IS 'EnOcean ingress gateways with telegram statistics';
SELECT iot.tenant_table('iot.enocean_gateway');

-- Senders that are not onboarded (candidates for onboarding).
CREATE TABLE iot.enocean_unknown_sender (
    tenant_id     uuid NOT NULL REFERENCES iot.tenant ON DELETE CASCADE,
    eurid         text NOT NULL,
    first_seen    timestamptz NOT NULL,
    last_seen     timestamptz NOT NULL,
    telegrams     bigint NOT NULL DEFAULT 0,
    last_gateway  text,
    last_data     text,                                 -- RORG + payload (hex)
    PRIMARY KEY (tenant_id, eurid)
);
COMMENT ON TABLE iot.enocean_unknown_sender IS 'Telegram senders that are not onboarded';
SELECT iot.tenant_table('iot.enocean_unknown_sender');

-- Chained messages (CDM, SEC_CDM) and two-part secure teach-ins waiting
-- for their next part.
CREATE TABLE iot.enocean_chain (
    tenant_id  uuid NOT NULL,
    eurid      text NOT NULL,
    kind       smallint NOT NULL,          -- RORG: 64 CDM, 51 SEC_CDM, 53 SEC_TI
    seq        smallint NOT NULL,
    state      bytea NOT NULL,             -- the parts received so far
    parts      int NOT NULL,
    first_at   timestamptz NOT NULL,
    last_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, eurid, kind, seq),
    FOREIGN KEY (tenant_id, eurid) REFERENCES iot.enocean_device ON DELETE CASCADE
);
COMMENT ON TABLE iot.enocean_chain IS 'Chained EnOcean messages waiting for their next part';
SELECT iot.tenant_table('iot.enocean_chain');

------------------------------------------------------------------------------
-- Onboarding functions
------------------------------------------------------------------------------

-- Lower-case hex of exactly nbytes bytes; 22P02 with the position of the
-- first bad character otherwise.
CREATE FUNCTION iot._enocean_hex(txt text, nbytes int, field text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    bad int;
BEGIN
    IF txt IS NULL THEN
        RETURN NULL;
    END IF;
    bad := (SELECT min(i) FROM generate_series(1, length(txt)) i WHERE substr(txt, i, 1) !~ '[0-9A-Fa-f]');
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'invalid %: "%" is not hexadecimal', field, txt
            USING ERRCODE = 'invalid_text_representation',
                  DETAIL = format('Character %s at position %s.', substr(txt, bad, 1), bad);
    END IF;
    IF length(txt) <> 2 * nbytes THEN
        RAISE EXCEPTION 'invalid %: "%" must hold % hex digits', field, txt, 2 * nbytes
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN lower(txt);
END
$$;

-- A boolean of the connector's API: true/false or "true"/"false".
CREATE FUNCTION iot._enocean_bool(j jsonb, field text, dflt boolean) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF j IS NULL OR j = 'null' THEN
        RETURN dflt;
    END IF;
    IF jsonb_typeof(j) = 'boolean' THEN
        RETURN j::boolean;
    END IF;
    IF jsonb_typeof(j) = 'string' AND lower(j #>> '{}') IN ('true', 'false') THEN
        RETURN lower(j #>> '{}')::boolean;
    END IF;
    RAISE EXCEPTION '% must be true or false', field USING ERRCODE = 'invalid_parameter_value';
END
$$;

-- An integer given as a number, "0xAB" or hex digits (SLF, RLC).
CREATE FUNCTION iot._enocean_int(j jsonb, field text, maxval bigint) RETURNS bigint
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    t text;
    v bigint;
BEGIN
    IF j IS NULL OR j = 'null' THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(j) = 'number' THEN
        v := (j #>> '{}')::numeric;
    ELSIF jsonb_typeof(j) = 'string' THEN
        t := regexp_replace(j #>> '{}', '^0[xX]', '');
        IF t !~ '^[0-9A-Fa-f]{1,8}$' THEN
            RAISE EXCEPTION 'invalid %: "%" is not a hexadecimal number', field, j #>> '{}'
                USING ERRCODE = 'invalid_text_representation';
        END IF;
        v := ('x' || lpad(t, 16, '0'))::bit(64)::bigint;
    ELSE
        RAISE EXCEPTION '% must be a number or a hexadecimal string', field USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v < 0 OR v > maxval THEN
        RAISE EXCEPTION '% % is out of range 0..%', field, v, maxval USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN v;
END
$$;

-- The SLF must name a known rolling code, CMAC and encryption.
CREATE FUNCTION iot._enocean_slf_check(slf int) RETURNS int
    LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF slf IS NULL THEN
        RETURN NULL;
    END IF;
    IF (slf >> 5) = 1 OR ((slf >> 3) & 3) = 3 OR (slf & 7) NOT IN (0, 3) THEN
        RAISE EXCEPTION 'SLF 0x% is not supported', lpad(to_hex(slf), 2, '0')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'RLC type 001 and CMAC type 11 are reserved; encryption must be none (000) or VAES (011).';
    END IF;
    RETURN slf;
END
$$;

-- The device in the connector's API shape; with_secrets adds the key
-- and PSK (backups only).
CREATE FUNCTION iot.enocean_device_json(d iot.enocean_device, with_secrets boolean DEFAULT false)
    RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'sourceEurid', d.eurid,
        'destinationEurid', d.destination,
        'eep', d.eep,
        'friendlyID', d.friendly_id,
        'location', d.location,
        'customTag', d.custom_tag,
        'activeFlag', d.active::text,
        'isPTM', d.is_ptm::text,
        'deviceId', d.device_id)
    || CASE WHEN d.slf IS NULL AND NOT d.secure_teach_in AND d.psk IS NULL THEN '{}'::jsonb
       ELSE jsonb_build_object('securityProfile', jsonb_strip_nulls(jsonb_build_object(
            'slf', CASE WHEN d.slf IS NOT NULL THEN '0x' || lpad(to_hex(d.slf::int), 2, '0') END,
            'rlc', (SELECT lpad(to_hex(coalesce(s.rlc_next, d.rlc)), 8, '0')
                      FROM iot.enocean_device_state s
                     WHERE s.tenant_id = d.tenant_id AND s.eurid = d.eurid AND coalesce(s.rlc_next, d.rlc) IS NOT NULL),
            'key', CASE WHEN with_secrets THEN encode(d.security_key, 'hex') END,
            'psk', CASE WHEN with_secrets THEN encode(d.psk, 'hex') END,
            'secureTeachIn', d.secure_teach_in)))
       END
$$;

-- Onboard a device (POST /device): {"sourceEurid", "eep", "friendlyID",
-- "location", "customTag", "destinationEurid", "activeFlag", "isPTM",
-- "securityProfile": {"key", "slf", "rlc", "psk", "secureTeachIn"},
-- "deviceId"}.  The platform device urn:lo:nsid:enocean:<EURID> (or
-- deviceId) is created unless it exists, with the enocean interface.
CREATE FUNCTION iot.enocean_device_onboard(doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t      uuid := iot.require_tenant();
    v_eurid text;
    v_dev   text;
    v_eep   text;
    sec    jsonb := doc -> 'securityProfile';
    d      iot.enocean_device;
BEGIN
    IF jsonb_typeof(doc) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'device must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF doc ->> 'sourceEurid' IS NULL OR doc ->> 'eep' IS NULL THEN
        RAISE EXCEPTION 'sourceEurid and eep are required' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF sec IS NOT NULL AND jsonb_typeof(sec) <> 'object' THEN
        RAISE EXCEPTION 'securityProfile must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_eurid := iot._enocean_hex(doc ->> 'sourceEurid', 4, 'sourceEurid');
    v_eep := lower(doc ->> 'eep');
    IF v_eep !~ '^[0-9a-f]{2}-[0-9a-f]{2}-[0-9a-f]{2}$' THEN
        RAISE EXCEPTION 'invalid eep "%": write RR-FF-TT in hex, e.g. A5-02-05', doc ->> 'eep'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT FROM iot.enocean_device x WHERE x.tenant_id = t AND x.eurid = v_eurid) THEN
        RAISE EXCEPTION 'EnOcean device % is already onboarded', v_eurid USING ERRCODE = 'PI311';
    END IF;
    IF (sec ->> 'key') IS NULL <> (sec -> 'slf' IS NULL OR sec -> 'slf' = 'null') THEN
        RAISE EXCEPTION 'securityProfile needs both key and slf' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_dev := coalesce(doc ->> 'deviceId', 'urn:lo:nsid:enocean:' || v_eurid);
    IF NOT EXISTS (SELECT FROM iot.device x WHERE x.tenant_id = t AND x.id = v_dev) THEN
        PERFORM iot.device_create(jsonb_build_object(
            'id', v_dev,
            'name', coalesce(nullif(doc ->> 'friendlyID', ''), v_eurid),
            'tags', jsonb_build_array('enocean'),
            'properties', jsonb_build_object('eep', v_eep, 'eurid', v_eurid)
                          || CASE WHEN coalesce(doc ->> 'location', '') <> ''
                                  THEN jsonb_build_object('location', doc ->> 'location') ELSE '{}' END));
    END IF;
    IF NOT EXISTS (SELECT FROM iot.device_interface i
                    WHERE i.tenant_id = t AND i.connector = 'enocean' AND i.node_id = v_eurid) THEN
        PERFORM iot.interface_add(v_dev, jsonb_build_object(
            'connector', 'enocean', 'definition', jsonb_build_object('eurid', v_eurid, 'eep', v_eep)));
    END IF;
    INSERT INTO iot.enocean_device (tenant_id, eurid, device_id, eep, friendly_id, location, custom_tag,
                                    destination, security_key, slf, rlc, psk, secure_teach_in, is_ptm, active)
    VALUES (t, v_eurid, v_dev, v_eep, coalesce(doc ->> 'friendlyID', ''), coalesce(doc ->> 'location', ''),
            coalesce(doc ->> 'customTag', ''),
            coalesce(iot._enocean_hex(doc ->> 'destinationEurid', 4, 'destinationEurid'), 'ffffffff'),
            decode(iot._enocean_hex(sec ->> 'key', 16, 'securityProfile.key'), 'hex'),
            iot._enocean_slf_check(iot._enocean_int(sec -> 'slf', 'securityProfile.slf', 255)::int),
            iot._enocean_int(sec -> 'rlc', 'securityProfile.rlc', 4294967295),
            decode(iot._enocean_hex(sec ->> 'psk', 16, 'securityProfile.psk'), 'hex'),
            iot._enocean_bool(sec -> 'secureTeachIn', 'securityProfile.secureTeachIn', false),
            iot._enocean_bool(doc -> 'isPTM', 'isPTM', false),
            iot._enocean_bool(doc -> 'activeFlag', 'activeFlag', true))
    RETURNING * INTO d;
    INSERT INTO iot.enocean_device_state (tenant_id, eurid, rlc_next) VALUES (t, v_eurid, d.rlc);
    RETURN iot.enocean_device_json(d);
END
$$;

CREATE FUNCTION iot.enocean_device_get(eurid text) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.enocean_device_json(d) FROM iot.enocean_device d
     WHERE d.tenant_id = (SELECT iot.current_tenant()) AND d.eurid = lower(enocean_device_get.eurid)
$$;

CREATE FUNCTION iot.enocean_devices() RETURNS SETOF jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.enocean_device_json(d) FROM iot.enocean_device d
     WHERE d.tenant_id = (SELECT iot.current_tenant()) ORDER BY d.eurid
$$;

-- Update a device (PUT /device): any onboarding member; absent members
-- keep their value.  New security material resets the rolling code.
CREATE FUNCTION iot.enocean_device_update(eurid text, patch jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t    uuid := iot.require_tenant();
    e    text := lower(eurid);
    sec  jsonb := patch -> 'securityProfile';
    old  iot.enocean_device;
    d    iot.enocean_device;
    v_eep text := lower(patch ->> 'eep');
BEGIN
    SELECT * INTO old FROM iot.enocean_device x WHERE x.tenant_id = t AND x.eurid = e FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'EnOcean device % is not onboarded', eurid USING ERRCODE = 'PI310';
    END IF;
    IF v_eep IS NOT NULL AND v_eep !~ '^[0-9a-f]{2}-[0-9a-f]{2}-[0-9a-f]{2}$' THEN
        RAISE EXCEPTION 'invalid eep "%": write RR-FF-TT in hex, e.g. A5-02-05', patch ->> 'eep'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF sec IS NOT NULL AND sec <> 'null' AND jsonb_typeof(sec) <> 'object' THEN
        RAISE EXCEPTION 'securityProfile must be a JSON object or null' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE iot.enocean_device x SET
        eep = coalesce(v_eep, x.eep),
        friendly_id = coalesce(patch ->> 'friendlyID', x.friendly_id),
        location = coalesce(patch ->> 'location', x.location),
        custom_tag = coalesce(patch ->> 'customTag', x.custom_tag),
        destination = coalesce(iot._enocean_hex(patch ->> 'destinationEurid', 4, 'destinationEurid'), x.destination),
        active = iot._enocean_bool(patch -> 'activeFlag', 'activeFlag', x.active),
        is_ptm = iot._enocean_bool(patch -> 'isPTM', 'isPTM', x.is_ptm),
        security_key = CASE WHEN sec = 'null' THEN NULL WHEN sec ? 'key'
                            THEN decode(iot._enocean_hex(sec ->> 'key', 16, 'securityProfile.key'), 'hex')
                            ELSE x.security_key END,
        slf = CASE WHEN sec = 'null' THEN NULL WHEN sec ? 'slf'
                   THEN iot._enocean_slf_check(iot._enocean_int(sec -> 'slf', 'securityProfile.slf', 255)::int)
                   ELSE x.slf END,
        rlc = CASE WHEN sec = 'null' THEN NULL WHEN sec ? 'rlc'
                   THEN iot._enocean_int(sec -> 'rlc', 'securityProfile.rlc', 4294967295) ELSE x.rlc END,
        psk = CASE WHEN sec = 'null' THEN NULL WHEN sec ? 'psk'
                   THEN decode(iot._enocean_hex(sec ->> 'psk', 16, 'securityProfile.psk'), 'hex') ELSE x.psk END,
        secure_teach_in = CASE WHEN sec = 'null' THEN false
                               ELSE iot._enocean_bool(sec -> 'secureTeachIn', 'securityProfile.secureTeachIn', x.secure_teach_in) END,
        updated = iot.now()
     WHERE x.tenant_id = t AND x.eurid = e
    RETURNING * INTO d;
    IF (d.security_key IS NULL) <> (d.slf IS NULL) THEN
        RAISE EXCEPTION 'securityProfile needs both key and slf' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF d.security_key IS DISTINCT FROM old.security_key OR d.rlc IS DISTINCT FROM old.rlc
       OR d.slf IS DISTINCT FROM old.slf THEN
        UPDATE iot.enocean_device_state s SET rlc_next = d.rlc WHERE s.tenant_id = t AND s.eurid = e;
    END IF;
    IF d.eep <> old.eep THEN
        UPDATE iot.device_interface i SET definition = i.definition || jsonb_build_object('eep', d.eep)
         WHERE i.tenant_id = t AND i.connector = 'enocean' AND i.node_id = e;
    END IF;
    RETURN iot.enocean_device_json(d);
END
$$;

-- Remove a device (DELETE /device) with its platform device, unless
-- keep_device (then only its enocean interface goes).
CREATE FUNCTION iot.enocean_device_delete(eurid text, keep_device boolean DEFAULT false) RETURNS void
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    d iot.enocean_device;
BEGIN
    DELETE FROM iot.enocean_device x WHERE x.tenant_id = t AND x.eurid = lower(enocean_device_delete.eurid)
    RETURNING * INTO d;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'EnOcean device % is not onboarded', eurid USING ERRCODE = 'PI310';
    END IF;
    IF keep_device THEN
        DELETE FROM iot.device_interface i
         WHERE i.tenant_id = t AND i.connector = 'enocean' AND i.node_id = d.eurid;
    ELSE
        DELETE FROM iot.device x WHERE x.tenant_id = t AND x.id = d.device_id;
    END IF;
END
$$;

-- A gateway's name: a MAC (aa:bb:cc:dd:ee:ff or aa-bb-...) becomes 12
-- lower-case hex digits, anything else is lower-cased (as ingest does).
CREATE FUNCTION iot.enocean_gateway_name(gateway text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE WHEN gateway ~ '^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$'
                THEN lower(regexp_replace(gateway, '[:-]', '', 'g')) ELSE lower(gateway) END;

-- Register or update an ingress gateway (its identity; statistics are
-- kept by ingest).
CREATE FUNCTION iot.enocean_gateway_register(mac text, hardware_descriptor text DEFAULT NULL,
                                             software_version text DEFAULT NULL, usb jsonb DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    m text := iot.enocean_gateway_name(mac);
    g iot.enocean_gateway;
BEGIN
    IF m IS NULL OR m !~ '^[0-9a-z._:-]{1,64}$' THEN
        RAISE EXCEPTION 'invalid gateway "%": 1 to 64 letters, digits, ".", "_", ":" or "-"', mac
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF usb IS NOT NULL AND jsonb_typeof(usb) <> 'array' THEN
        RAISE EXCEPTION 'usb must be an array of {usb_identifier, usb_health}' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO iot.enocean_gateway AS x (tenant_id, mac, hardware_descriptor, software_version, usb)
    VALUES (iot.require_tenant(), m, coalesce(enocean_gateway_register.hardware_descriptor, ''),
            coalesce(enocean_gateway_register.software_version, ''), coalesce(enocean_gateway_register.usb, '[]'))
    ON CONFLICT ON CONSTRAINT enocean_gateway_pkey DO UPDATE SET
        hardware_descriptor = coalesce(enocean_gateway_register.hardware_descriptor, x.hardware_descriptor),
        software_version = coalesce(enocean_gateway_register.software_version, x.software_version),
        usb = coalesce(enocean_gateway_register.usb, x.usb)
    RETURNING * INTO g;
    RETURN jsonb_build_object('mac', g.mac, 'hardwareDescriptor', g.hardware_descriptor,
                              'softwareVersion', g.software_version);
END
$$;

-- The gateways in the connector's gateway-meta shape.
CREATE FUNCTION iot.enocean_gateways() RETURNS SETOF jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
             'gateway_info', jsonb_build_object('mac', g.mac, 'softwareVersion', g.software_version,
                                                'hardwareDescriptor', g.hardware_descriptor),
             'stats', jsonb_build_object('timestamp', extract(epoch FROM g.last_seen)::bigint::text),
             'usb_info', g.usb)
      FROM iot.enocean_gateway g
     WHERE g.tenant_id = (SELECT iot.current_tenant())
     ORDER BY g.mac
$$;

-- Backup (GET /backup): every device with its security material, and the
-- gateways.
CREATE FUNCTION iot.enocean_backup_export() RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'devices', coalesce((SELECT jsonb_agg(iot.enocean_device_json(d, true) ORDER BY d.eurid)
                               FROM iot.enocean_device d WHERE d.tenant_id = (SELECT iot.current_tenant())), '[]'),
        'gateways', coalesce((SELECT jsonb_agg(jsonb_build_object('mac', g.mac,
                                  'hardwareDescriptor', g.hardware_descriptor,
                                  'softwareVersion', g.software_version, 'usb', g.usb) ORDER BY g.mac)
                                FROM iot.enocean_gateway g WHERE g.tenant_id = (SELECT iot.current_tenant())), '[]'))
$$;

-- Restore (POST /backup): {"devices": [...], "gateways": [...]} or a bare
-- array of devices.  Existing devices are updated, new ones onboarded;
-- all or nothing.  Returns the counts.
CREATE FUNCTION iot.enocean_backup_import(backup jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    devices  jsonb := CASE WHEN jsonb_typeof(backup) = 'array' THEN backup ELSE backup -> 'devices' END;
    gateways jsonb := CASE WHEN jsonb_typeof(backup) = 'object' THEN backup -> 'gateways' END;
    dev      jsonb;
    gw       jsonb;
    created  int := 0;
    updated  int := 0;
    n        int := 0;
BEGIN
    IF jsonb_typeof(coalesce(devices, '[]')) <> 'array' OR jsonb_typeof(coalesce(gateways, '[]')) <> 'array' THEN
        RAISE EXCEPTION 'a backup is {"devices": [...], "gateways": [...]} or an array of devices'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR dev IN SELECT * FROM jsonb_array_elements(coalesce(devices, '[]')) LOOP
        n := n + 1;
        BEGIN
            IF iot.enocean_device_get(iot._enocean_hex(dev ->> 'sourceEurid', 4, 'sourceEurid')) IS NULL THEN
                PERFORM iot.enocean_device_onboard(dev);
                created := created + 1;
            ELSE
                PERFORM iot.enocean_device_update(dev ->> 'sourceEurid', dev);
                updated := updated + 1;
            END IF;
        EXCEPTION WHEN OTHERS THEN
            RAISE EXCEPTION 'backup device % (%): %', n, coalesce(dev ->> 'sourceEurid', '?'), SQLERRM
                USING ERRCODE = SQLSTATE;
        END;
    END LOOP;
    FOR gw IN SELECT * FROM jsonb_array_elements(coalesce(gateways, '[]')) LOOP
        PERFORM iot.enocean_gateway_register(gw ->> 'mac', gw ->> 'hardwareDescriptor', gw ->> 'softwareVersion',
                                             gw -> 'usb');
    END LOOP;
    RETURN jsonb_build_object('created', created, 'updated', updated,
                              'gateways', jsonb_array_length(coalesce(gateways, '[]')));
END
$$;

------------------------------------------------------------------------------
-- Ingest
------------------------------------------------------------------------------

-- One row per ESP3 packet found in an input frame (packet 0: the frame
-- held none).  outcome: processed (stored as message_id, except secure
-- teach-ins, which store no message), duplicate (a copy received within
-- pgiot.enocean_duplicate_window), pending (a part of a chained message
-- or secure teach-in, waiting for the rest), not_processed (detail says why).
CREATE TYPE iot.enocean_result AS (
    ord         int,
    packet      int,
    gateway     text,
    eurid       text,
    device_id   text,
    outcome     text,
    message_id  bigint,
    detail      text
);

-- Process the ESP3 bytes one gateway received at received_at (default:
-- now); rssi (dBm) overrides the dBm of the ESP3 optional data.
CREATE FUNCTION iot.enocean_ingest(gateway text, frame bytea, received_at timestamptz DEFAULT NULL,
                                   rssi int DEFAULT NULL)
    RETURNS SETOF iot.enocean_result
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'pgiot_enocean_ingest';

-- The set-based form: element i of each array is one received frame.
CREATE FUNCTION iot.enocean_ingest_batch(gateways text[], frames bytea[], received_at timestamptz[] DEFAULT NULL,
                                         rssi int[] DEFAULT NULL)
    RETURNS SETOF iot.enocean_result
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'pgiot_enocean_ingest_batch';

-- Chains whose next part did not come within pgiot.enocean_chain_timeout
-- are dropped; their parts count as not processed.
CREATE FUNCTION iot._enocean_maintenance() RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    dropped bigint;
BEGIN
    WITH gone AS (
        DELETE FROM iot.enocean_chain c
         WHERE c.last_at < iot.now() - current_setting('pgiot.enocean_chain_timeout')::interval
        RETURNING c.tenant_id, c.eurid, c.parts
    ), per_device AS (
        SELECT tenant_id, eurid, sum(parts) AS parts FROM gone GROUP BY tenant_id, eurid
    ), counted AS (
        UPDATE iot.enocean_device_state s SET not_processed = s.not_processed + p.parts
          FROM per_device p WHERE s.tenant_id = p.tenant_id AND s.eurid = p.eurid
        RETURNING p.parts
    )
    SELECT coalesce(sum(parts), 0) INTO dropped FROM counted;
    RETURN jsonb_build_object('chainPartsExpired', dropped);
END
$$;
REVOKE EXECUTE ON FUNCTION iot._enocean_maintenance() FROM PUBLIC;
INSERT INTO iot.maintenance_task (name, fn) VALUES ('enocean', 'iot._enocean_maintenance()');

------------------------------------------------------------------------------
-- Statistics and most recent telegrams, in the connector's shapes
------------------------------------------------------------------------------

CREATE FUNCTION iot._enocean_epoch(ts timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN floor(extract(epoch FROM ts))::bigint::text;

CREATE VIEW iot.enocean_device_stats WITH (security_invoker = true) AS
    SELECT d.tenant_id, d.eurid, d.device_id, d.destination, s.total, s.processed, s.not_processed,
           s.duplicates, s.first_seen, s.last_seen,
           jsonb_build_object(
               'device', jsonb_build_object(
                   'activeFlag', d.active::text, 'customTag', d.custom_tag, 'destinationEurid', d.destination,
                   'eep', d.eep, 'friendlyID', d.friendly_id, 'isPTM', d.is_ptm::text,
                   'location', d.location, 'sourceEurid', d.eurid),
               'stats', jsonb_build_object(
                   'lastSeen', iot._enocean_epoch(s.last_seen), 'notProcessed', s.not_processed,
                   'succesfullyProcessed', s.processed, 'totalTelegramCount', s.total)) AS doc
      FROM iot.enocean_device d JOIN iot.enocean_device_state s USING (tenant_id, eurid);
GRANT SELECT ON iot.enocean_device_stats TO pgiot_tenant, pgiot_service;

CREATE VIEW iot.enocean_gateway_stats WITH (security_invoker = true) AS
    SELECT g.tenant_id, g.mac, g.total, g.processed, g.not_processed, g.duplicates, g.last_seen,
           jsonb_build_object(
               'device', jsonb_build_object('hardwareDescriptor', g.hardware_descriptor, 'mac', g.mac,
                                            'softwareVersion', g.software_version),
               'stats', jsonb_build_object(
                   'lastSeen', iot._enocean_epoch(g.last_seen), 'notProcessed', g.not_processed,
                   'succesfullyProcessed', g.processed, 'totalTelegramCount', g.total)) AS doc
      FROM iot.enocean_gateway g;
GRANT SELECT ON iot.enocean_gateway_stats TO pgiot_tenant, pgiot_service;

-- GET /devices/metadata/statistics/telegrams[?sourceID=&destinationID=]
CREATE FUNCTION iot.enocean_device_statistics(source_eurid text DEFAULT NULL, destination_eurid text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_agg(v.doc ORDER BY v.eurid), '[]')
      FROM iot.enocean_device_stats v
     WHERE v.tenant_id = (SELECT iot.current_tenant())
       AND (source_eurid IS NULL OR v.eurid = lower(source_eurid))
       AND (destination_eurid IS NULL OR v.destination = lower(destination_eurid))
$$;

-- GET /gateways/metadata/statistics/telegrams
CREATE FUNCTION iot.enocean_gateway_statistics() RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_agg(v.doc ORDER BY v.mac), '[]')
      FROM iot.enocean_gateway_stats v
     WHERE v.tenant_id = (SELECT iot.current_tenant())
$$;

-- The last telegram with EEP data, and the last signal telegram, of each
-- device: the stored connector documents.
CREATE VIEW iot.enocean_telemetry_recent WITH (security_invoker = true) AS
    SELECT s.tenant_id, s.eurid, d.device_id, m.id AS message_id, m.ts AS received, m.value AS doc
      FROM iot.enocean_device_state s
      JOIN iot.enocean_device d USING (tenant_id, eurid)
      JOIN iot.message m ON m.id = s.last_telemetry_id AND m.created = s.last_telemetry_created
                        AND m.tenant_id = s.tenant_id;
GRANT SELECT ON iot.enocean_telemetry_recent TO pgiot_tenant, pgiot_service;

CREATE VIEW iot.enocean_signal_recent WITH (security_invoker = true) AS
    SELECT s.tenant_id, s.eurid, d.device_id, m.id AS message_id, m.ts AS received, m.value AS doc
      FROM iot.enocean_device_state s
      JOIN iot.enocean_device d USING (tenant_id, eurid)
      JOIN iot.message m ON m.id = s.last_signal_id AND m.created = s.last_signal_created
                        AND m.tenant_id = s.tenant_id;
GRANT SELECT ON iot.enocean_signal_recent TO pgiot_tenant, pgiot_service;

-- GET /devices/telemetry/most-recent and /devices/signals/most-recent
CREATE FUNCTION iot.enocean_telemetry_most_recent() RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_agg(r.doc ORDER BY r.eurid), '[]') FROM iot.enocean_telemetry_recent r
     WHERE r.tenant_id = (SELECT iot.current_tenant())
$$;

CREATE FUNCTION iot.enocean_signals_most_recent() RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_agg(r.doc ORDER BY r.eurid), '[]') FROM iot.enocean_signal_recent r
     WHERE r.tenant_id = (SELECT iot.current_tenant())
$$;
