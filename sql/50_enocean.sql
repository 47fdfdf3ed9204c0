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
