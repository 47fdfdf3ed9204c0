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

------------------------------------------------------------------------------
-- The registry: a tenant's decoders, named by their encoding (manual 11.3.1-3)
------------------------------------------------------------------------------

-- Every change of a decoder takes a new version from this sequence, so a
-- backend's compiled copy is known stale by comparing versions (even
-- across a delete and re-create under the same encoding).
CREATE SEQUENCE iot.decoder_version_seq AS bigint;

CREATE TABLE iot.decoder (
    tenant_id  uuid NOT NULL REFERENCES iot.tenant ON DELETE CASCADE,
    encoding   text NOT NULL CHECK (encoding <> '' AND length(encoding) <= 200),
    kind       text NOT NULL CHECK (kind IN ('binary', 'csv')),
    enabled    boolean NOT NULL DEFAULT true,
    format     text,            -- binary: the JBBP format
    columns    jsonb,           -- csv: [{"name", "jsonType"}, ...]
    options    jsonb,           -- csv: the options that differ from the defaults
    template   text,            -- optional post-decoding template
    model      text CHECK (model IS NULL OR model ~ '^[^ .]*$'),
    version    bigint NOT NULL DEFAULT nextval('iot.decoder_version_seq'),
    created    timestamptz NOT NULL DEFAULT iot.now(),
    updated    timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, encoding),
    CHECK ((kind = 'binary') = (format IS NOT NULL)),
    CHECK ((kind = 'csv') = (columns IS NOT NULL)),
    CHECK (kind = 'csv' OR options IS NULL)
);
COMMENT ON TABLE iot.decoder IS 'Payload decoders (binary JBBP or CSV) of a tenant, named by encoding';
SELECT iot.tenant_table('iot.decoder');
GRANT USAGE ON SEQUENCE iot.decoder_version_seq TO pgiot_tenant, pgiot_service;

-- Validate the description (PI040 with the position of the fault), count
-- the limit of 100 decoders per kind, take a new version.
CREATE FUNCTION iot._decoder_check() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.kind = 'binary' THEN
        PERFORM iot.jbbp_check(NEW.format);
    ELSE
        PERFORM iot.csv_check(jsonb_strip_nulls(jsonb_build_object('columns', NEW.columns, 'options', NEW.options)));
    END IF;
    IF NEW.template IS NOT NULL THEN
        PERFORM iot.template_check(NEW.template);
    END IF;
    IF NEW.model ~ '[ .]' THEN
        RAISE EXCEPTION 'model "%" must not contain a space or a dot', NEW.model
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF TG_OP = 'INSERT' AND (SELECT count(*) FROM iot.decoder d
                              WHERE d.tenant_id = NEW.tenant_id AND d.kind = NEW.kind) >= 100 THEN
        RAISE EXCEPTION 'a tenant has at most 100 % decoders', NEW.kind USING ERRCODE = 'PI044';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.version := nextval('iot.decoder_version_seq');
        NEW.updated := iot.now();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER check_decoder BEFORE INSERT OR UPDATE ON iot.decoder
    FOR EACH ROW EXECUTE FUNCTION iot._decoder_check();

-- The manual's JSON of a decoder.
CREATE FUNCTION iot.decoder_json(d iot.decoder) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'encoding', d.encoding, 'kind', d.kind, 'enabled', d.enabled,
        'format', d.format, 'columns', d.columns, 'options', d.options,
        'template', d.template, 'model', d.model,
        'created', iot.iso_time(d.created), 'updated', iot.iso_time(d.updated)));

CREATE FUNCTION iot._decoder_body_check(kind text, body jsonb, creating boolean) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    allowed text[] := CASE kind WHEN 'binary' THEN ARRAY['encoding', 'enabled', 'format', 'template', 'model']
                                ELSE ARRAY['encoding', 'enabled', 'columns', 'options', 'template', 'model'] END;
    extra text;
BEGIN
    IF kind IS NULL OR kind NOT IN ('binary', 'csv') THEN
        RAISE EXCEPTION 'unknown decoder kind "%" (binary or csv)', kind USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF body IS NULL OR jsonb_typeof(body) <> 'object' THEN
        RAISE EXCEPTION 'a decoder is a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT k INTO extra FROM jsonb_object_keys(body) k WHERE k <> ALL (allowed) LIMIT 1;
    IF extra IS NOT NULL THEN
        RAISE EXCEPTION 'unknown member "%" in a % decoder', extra, kind
            USING ERRCODE = 'invalid_parameter_value', HINT = format('Members: %s.', array_to_string(allowed, ', '));
    END IF;
    IF creating AND jsonb_typeof(body -> 'encoding') IS DISTINCT FROM 'string' THEN
        RAISE EXCEPTION 'encoding is required (a string)' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF creating AND kind = 'binary' AND jsonb_typeof(body -> 'format') IS DISTINCT FROM 'string' THEN
        RAISE EXCEPTION 'format is required (a string)' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF creating AND kind = 'csv' AND jsonb_typeof(body -> 'columns') IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'columns is required (an array)' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF body ? 'enabled' AND jsonb_typeof(body -> 'enabled') <> 'boolean' THEN
        RAISE EXCEPTION 'enabled must be true or false' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT FROM jsonb_each(body) e WHERE e.key IN ('template', 'model', 'format', 'encoding')
                AND jsonb_typeof(e.value) NOT IN ('string', 'null')) THEN
        RAISE EXCEPTION 'encoding, format, template and model are strings' USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;

-- POST /api/v0/decoders/{binary|csv}: create a decoder from the manual's
-- body ({encoding, enabled, format | columns + options, template, model}).
-- PI040 invalid description, PI043 encoding taken, PI044 over 100.
CREATE FUNCTION iot.decoder_create(kind text, body jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    d iot.decoder;
BEGIN
    PERFORM iot._decoder_body_check(kind, body, true);
    IF EXISTS (SELECT FROM iot.decoder x WHERE x.tenant_id = t AND x.encoding = body ->> 'encoding') THEN
        RAISE EXCEPTION 'a decoder with encoding "%" already exists', body ->> 'encoding' USING ERRCODE = 'PI043';
    END IF;
    INSERT INTO iot.decoder (tenant_id, encoding, kind, enabled, format, columns, options, template, model)
    VALUES (t, body ->> 'encoding', kind, coalesce((body ->> 'enabled')::boolean, true), body ->> 'format',
            body -> 'columns', nullif(body -> 'options', 'null'), nullif(body ->> 'template', ''),
            nullif(body ->> 'model', ''))
    RETURNING * INTO d;
    RETURN iot.decoder_json(d);
END
$$;

-- The manual's shorthands.
CREATE FUNCTION iot.decoder_binary_create(encoding text, format text, enabled boolean DEFAULT true,
                                          template text DEFAULT NULL, model text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE sql
    RETURN iot.decoder_create('binary', jsonb_strip_nulls(jsonb_build_object(
        'encoding', encoding, 'format', format, 'enabled', enabled, 'template', template, 'model', model)));

CREATE FUNCTION iot.decoder_csv_create(encoding text, columns jsonb, options jsonb DEFAULT NULL,
                                       enabled boolean DEFAULT true, template text DEFAULT NULL,
                                       model text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE sql
    RETURN iot.decoder_create('csv', jsonb_strip_nulls(jsonb_build_object(
        'encoding', encoding, 'columns', columns, 'options', options, 'enabled', enabled,
        'template', template, 'model', model)));

CREATE FUNCTION iot.decoder_get(encoding text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    d iot.decoder;
BEGIN
    SELECT * INTO d FROM iot.decoder x WHERE x.tenant_id = iot.require_tenant() AND x.encoding = decoder_get.encoding;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'decoder "%" not found', encoding USING ERRCODE = 'PI042';
    END IF;
    RETURN iot.decoder_json(d);
END
$$;

-- GET /api/v0/decoders/{binary|csv}: the tenant's decoders, by encoding.
CREATE FUNCTION iot.decoders(kind text DEFAULT NULL) RETURNS SETOF jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.decoder_json(d) FROM iot.decoder d
     WHERE d.tenant_id = iot.require_tenant() AND (decoders.kind IS NULL OR d.kind = decoders.kind)
     ORDER BY d.encoding
$$;

-- PUT: change members of a decoder (a member given as null is removed:
-- template, model, options).
CREATE FUNCTION iot.decoder_update(encoding text, changes jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    d iot.decoder;
BEGIN
    SELECT * INTO d FROM iot.decoder x WHERE x.tenant_id = t AND x.encoding = decoder_update.encoding FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'decoder "%" not found', encoding USING ERRCODE = 'PI042';
    END IF;
    PERFORM iot._decoder_body_check(d.kind, changes, false);
    IF changes ? 'encoding' AND changes ->> 'encoding' IS DISTINCT FROM d.encoding THEN
        RAISE EXCEPTION 'the encoding of a decoder cannot change' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE iot.decoder x
       SET enabled = CASE WHEN changes ? 'enabled' THEN (changes ->> 'enabled')::boolean ELSE x.enabled END,
           format = CASE WHEN changes ? 'format' THEN changes ->> 'format' ELSE x.format END,
           columns = CASE WHEN changes ? 'columns' THEN changes -> 'columns' ELSE x.columns END,
           options = CASE WHEN changes ? 'options' THEN nullif(changes -> 'options', 'null') ELSE x.options END,
           template = CASE WHEN changes ? 'template' THEN nullif(changes ->> 'template', '') ELSE x.template END,
           model = CASE WHEN changes ? 'model' THEN nullif(changes ->> 'model', '') ELSE x.model END
     WHERE x.tenant_id = t AND x.encoding = d.encoding
    RETURNING * INTO d;
    RETURN iot.decoder_json(d);
END
$$;

-- Activation / deactivation (manual: "enabled").
CREATE FUNCTION iot.decoder_enable(encoding text, enabled boolean DEFAULT true) RETURNS jsonb
    LANGUAGE sql
    RETURN iot.decoder_update(encoding, jsonb_build_object('enabled', enabled));

CREATE FUNCTION iot.decoder_delete(encoding text) RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM iot.decoder x WHERE x.tenant_id = iot.require_tenant() AND x.encoding = decoder_delete.encoding;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'decoder "%" not found', encoding USING ERRCODE = 'PI042';
    END IF;
END
$$;

------------------------------------------------------------------------------
-- The test endpoints: {parsingOk, decodingResult, descriptionValid}
------------------------------------------------------------------------------

-- POST /api/v0/decoders/binary/test.  The answer has the manual's three
-- members; when something fails, "error" says what (and decodingResult is
-- null).
CREATE FUNCTION iot.decoder_test_binary(structure text, hex text, template text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    payload bytea;
    result jsonb;
BEGIN
    BEGIN
        PERFORM iot.jbbp_check(structure);
        IF template IS NOT NULL THEN
            PERFORM iot.template_check(template);
        END IF;
    EXCEPTION WHEN sqlstate 'PI040' OR null_value_not_allowed THEN
        RETURN jsonb_build_object('parsingOk', false, 'decodingResult', NULL, 'descriptionValid', false,
                                  'error', SQLERRM);
    END;
    BEGIN
        payload := decode(regexp_replace(coalesce(hex, ''), '\s', '', 'g'), 'hex');
        result := iot.jbbp_parse(structure, payload);
        IF template IS NOT NULL THEN
            result := iot.template_apply(template, result);
        END IF;
    EXCEPTION WHEN invalid_binary_representation OR invalid_parameter_value OR sqlstate 'PI041'
                   OR program_limit_exceeded THEN
        RETURN jsonb_build_object('parsingOk', false, 'decodingResult', NULL, 'descriptionValid', true,
                                  'error', SQLERRM);
    END;
    RETURN jsonb_build_object('parsingOk', true, 'decodingResult', result, 'descriptionValid', true);
END
$$;

-- POST /api/v0/decoders/csv/test.
CREATE FUNCTION iot.decoder_test_csv(columns jsonb, csv_payload text, options jsonb DEFAULT NULL,
                                     template text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    description jsonb := jsonb_strip_nulls(jsonb_build_object('columns', columns, 'options', options));
    result jsonb;
BEGIN
    BEGIN
        PERFORM iot.csv_check(description);
        IF template IS NOT NULL THEN
            PERFORM iot.template_check(template);
        END IF;
    EXCEPTION WHEN sqlstate 'PI040' THEN
        RETURN jsonb_build_object('parsingOk', false, 'decodingResult', NULL, 'descriptionValid', false,
                                  'error', SQLERRM);
    END;
    BEGIN
        result := iot.csv_decode(description, coalesce(csv_payload, ''));
        IF template IS NOT NULL THEN
            result := iot.template_apply(template, result);
        END IF;
    EXCEPTION WHEN invalid_text_representation OR sqlstate 'PI041' OR program_limit_exceeded THEN
        RETURN jsonb_build_object('parsingOk', false, 'decodingResult', NULL, 'descriptionValid', true,
                                  'error', SQLERRM);
    END;
    RETURN jsonb_build_object('parsingOk', true, 'decodingResult', result, 'descriptionValid', true);
END
$$;

-- This backend's decoder cache: {entries, hits, compiles} (tests, tuning).
CREATE FUNCTION iot.decoder_cache_stats() RETURNS jsonb
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'pgiot_decoder_cache_stats';
