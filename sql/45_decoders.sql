-- Payload decoders (manual 11.3): the JBBP binary language, CSV, Mustache
-- templates with math, CBOR; the registry of a tenant's decoders and the
-- test functions that answer like the manual's test endpoints.

------------------------------------------------------------------------------
-- Stateless decoding functions (C)
------------------------------------------------------------------------------

-- Decode a binary payload with a JBBP format (JBBP 2.0.x plus the Live
-- Objects types float, double, utf8, asciichar, uint).  Keys are the
-- lower-cased field names.  PI040: invalid format (with its position);
-- 22P03: the payload cannot be decoded (too short: names the field).
CREATE FUNCTION iot.jbbp_parse(format text, payload bytea) RETURNS jsonb
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_jbbp_parse';

-- Raise PI040 when the format does not compile.
CREATE FUNCTION iot.jbbp_check(format text) RETURNS void
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_jbbp_check';
