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

-- Render a Mustache template (the spec: escaping, sections, inverted
-- sections, comments, set delimiters, dotted names, implicit iterator)
-- with the Live Objects lambdas {{#math}}, {{#toUpperCase}},
-- {{#toLowerCase}}.  Unknown names render empty.  PI040: bad template.
CREATE FUNCTION iot.mustache_render(template text, context jsonb) RETURNS text
    LANGUAGE c IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_mustache_render';

-- A decoder's template over decoded fields (manual 11.3.4): the rendering
-- must be a JSON object; a string whose whole content is a number or
-- arithmetic over numbers ("2587/100") becomes that number; a bare
-- arithmetic value ({"t": 2587/100}) too.  PI041 when the rendering is not
-- a JSON object or has a key with '.'.
CREATE FUNCTION iot.template_apply(template text, decoded jsonb) RETURNS jsonb
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_template_apply_sql';

-- Raise PI040 when a template does not compile or names a key with '.'.
CREATE FUNCTION iot.template_check(template text) RETURNS void
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_template_check';

-- Decode the first row of a CSV payload (manual 11.3.3).  `description`
-- is the manual's decoder body: {"columns": [{"name", "jsonType":
-- STRING|NUMERIC|BOOLEAN}, ...], "options": {quoteChar, columnSeparator,
-- lineFeedSeparator, useEscapeChar, escapeChar, skipWhiteSpace}}.
-- PI040: invalid description; 22P02: the payload cannot be decoded.
CREATE FUNCTION iot.csv_decode(description jsonb, payload text) RETURNS jsonb
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_csv_decode';

-- Raise PI040 when a CSV description is invalid.
CREATE FUNCTION iot.csv_check(description jsonb) RETURNS void
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_csv_check';

-- One CBOR data item (RFC 8949) as jsonb: byte strings as base64url,
-- NaN/Infinity as null, tags dropped.  22P03 on malformed input.
CREATE FUNCTION iot.cbor_to_jsonb(payload bytea) RETURNS jsonb
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_cbor_to_jsonb';
