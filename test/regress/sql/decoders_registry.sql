-- The decoder registry (manual 11.3.2.1, 11.3.3.1) and the test
-- endpoints ({parsingOk, decodingResult, descriptionValid}; digest T08-T10,
-- T12, T15).
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2026-01-15 10:00:00+00';
SELECT tenant_id AS t FROM iot.tenant_create('decoders-reg') \gset
SELECT tenant_id AS t2 FROM iot.tenant_create('decoders-reg-other') \gset
SELECT iot.use_tenant('decoders-reg') IS NOT NULL;

-- 11.3.2.1.1: the basic decoder, created from the manual's body
SELECT jsonb_pretty(iot.decoder_create('binary', $${"encoding":"twointegers", "enabled":true,
    "format":"int pressure;int temperature;",
    "template":"{\"pressure\":{{pressure}},\n  \"temperature\" : \"{{#math}}{{temperature}}/10{{/math}} celsius\"}",
    "model":"model_twointegers"}$$));
-- 11.3.2.1.3: little endian; 11.3.3.1: CSV examples 1 and 2
SELECT iot.decoder_binary_create('my_little_endian_encoding', '<float temperature;') ->> 'encoding';
SELECT iot.decoder_create('csv', '{"encoding":"my csv encoding", "enabled":true, "columns": [
    {"name":"column1","jsonType":"STRING"}, {"name":"column2","jsonType":"NUMERIC"},
    {"name":"column3","jsonType":"BOOLEAN"}], "model":"model_csv_decoded"}') ->> 'model';
SELECT iot.decoder_csv_create('my csv encoding with options',
    '[{"name":"unit","jsonType":"STRING"}, {"name":"temperature","jsonType":"NUMERIC"}, {"name":"normal","jsonType":"BOOLEAN"}]',
    '{"columnSeparator": "|", "quoteChar": "\"", "lineFeedSeparator": "\r\n"}') -> 'options';
SELECT encoding, kind, enabled, model, version > 0 AS versioned FROM iot.decoder WHERE tenant_id = :'t' ORDER BY encoding;
SELECT d ->> 'encoding' AS encoding, d ->> 'kind' AS kind FROM iot.decoders() d;
SELECT d ->> 'encoding' AS csv_decoders FROM iot.decoders('csv') d;
SELECT iot.decoder_get('my_little_endian_encoding') - 'created' - 'updated';

-- update, enable/disable: each change takes a new version
SELECT version AS v1 FROM iot.decoder WHERE encoding = 'twointegers' \gset
SELECT iot.decoder_update('twointegers', '{"template": null, "model": "model_v1"}') - 'created' - 'updated';
SELECT iot.decoder_enable('twointegers', false) ->> 'enabled';
SELECT version > :v1 AS new_version FROM iot.decoder WHERE encoding = 'twointegers';
SELECT iot.decoder_enable('twointegers') ->> 'enabled';

-- refused: T12 descriptions (PI040 with the position), duplicates, unknowns
SELECT test.try($$SELECT iot.decoder_binary_create('bad1', 'int my.string;')$$);
SELECT test.try($$SELECT iot.decoder_binary_create('bad2', 'floatj x;')$$);
SELECT test.try($$SELECT iot.decoder_binary_create('bad3', 'int x;', template => '{"field.with.dot": {{x}}/10}')$$);
SELECT test.try($$SELECT iot.decoder_binary_create('bad4', 'int x;', model => 'my model')$$);
SELECT test.try($$SELECT iot.decoder_csv_create('bad5', '[{"name":"a","jsonType":"DATE"}]')$$);
SELECT test.try($$SELECT iot.decoder_binary_create('twointegers', 'int x;')$$);
SELECT test.try($$SELECT iot.decoder_create('javascript', '{"encoding": "js"}')$$);
SELECT test.try($$SELECT iot.decoder_create('binary', '{"encoding": "x", "format": "int x;", "colour": "red"}')$$);
SELECT test.try($$SELECT iot.decoder_create('binary', '{"encoding": "x"}')$$);
SELECT test.try($$SELECT iot.decoder_update('twointegers', '{"format": "int a; int A;"}')$$);
SELECT test.try($$SELECT iot.decoder_update('twointegers', '{"encoding": "renamed"}')$$);
SELECT test.try($$SELECT iot.decoder_get('nope')$$);
SELECT test.try($$SELECT iot.decoder_delete('nope')$$);
SELECT iot.decoder_delete('my_little_endian_encoding');
SELECT count(*) AS decoders FROM iot.decoder WHERE tenant_id = :'t';
-- at most 100 decoders of a kind
SELECT count(iot.decoder_binary_create('many' || i, 'ubyte b;')) FROM generate_series(1, 98) i;
SELECT test.try($$SELECT iot.decoder_binary_create('the hundredth', 'ubyte b;')$$);
SELECT test.try($$SELECT iot.decoder_binary_create('one too many', 'ubyte b;')$$);
SELECT test.try($$SELECT iot.decoder_csv_create('csv still fine', '[{"name":"a","jsonType":"STRING"}]')$$);

-- tenancy: a role bound to another tenant sees none of them (RLS) and
-- may reuse the names
CREATE ROLE decoders_reg_user;
SELECT iot.tenant_bind_role('decoders_reg_user', 'decoders-reg-other');
RESET iot.tenant;
SET ROLE decoders_reg_user;
SELECT count(*) AS visible FROM iot.decoder;
SELECT iot.decoder_binary_create('twointegers', 'short a;') ->> 'format';
SELECT test.try($$SELECT iot.decoder_get('my csv encoding')$$);
UPDATE iot.decoder SET enabled = false;
RESET ROLE;
SELECT iot.use_tenant('decoders-reg') IS NOT NULL;
SELECT iot.decoder_get('twointegers') ->> 'format' AS own_format, count(*) FILTER (WHERE NOT enabled) AS disabled
  FROM iot.decoder WHERE tenant_id = iot.current_tenant();

-- the test endpoints: T08 (11.3.2.1.4)
SELECT iot.decoder_test_binary('int  pressure; int temperature;', '000003F5000000DD',
                               '{"pressure":{{pressure}}, "temperature" : "{{temperature}}/10"}');
-- T09 and T10 (11.3.4, without and with template)
SELECT jsonb_pretty(iot.decoder_test_binary('byte:1 led; ushort pressure; ushort temperature; ushort altitude; ubyte battery; byte[6] raw_gps; ushort altitude_gps;',
                                            '0027830a1bfd6738000000000000ffff'));
SELECT jsonb_pretty(iot.decoder_test_binary('byte:1 led; ushort pressure; ushort temperature;ushort altitude; ubyte battery; byte[6] raw_gps; ushort altitude_gps;',
    '0027830a1bfd6738000000000000ffff',
    '{"pressure": "{{pressure}} / 10","temperature": "{{temperature}} / 100","altitude": "{{altitude}} / 10","view": {"Pressure": "{{#math}}{{pressure}}/10{{/math}} hPa","Temperature": "{{#math}}{{temperature}}/100{{/math}} C","Altitude": "{{#math}}{{altitude}}/100{{/math}} m","GPSAltitude": "{{altitude_gps}} m","Battery": "{{battery}} %"}}'));
-- failures answer descriptionValid / parsingOk false (T12)
SELECT iot.decoder_test_binary('int my.string;', '00000000');
SELECT iot.decoder_test_binary('int x;', '00000000', '{"field.with.dot": {{x}}/10}');
SELECT iot.decoder_test_binary('int x;', '000000');
SELECT iot.decoder_test_binary('int x;', 'zz000000');
SELECT iot.decoder_test_binary('int x;', '00000001', '{"x": {{nothing}}}');
-- T15 (11.3.3.1.2)
SELECT iot.decoder_test_csv('[{"name":"unit","jsonType":"STRING"}, {"name":"temperature","jsonType":"NUMERIC"},
                              {"name":"thresholdReached","jsonType":"BOOLEAN"}]',
                            'celsius,250,true', '{"columnSeparator": ","}',
                            E'{"temperature" : "{{temperature}}/10",\n  "unit":"{{unit}}", "thresholdReached":"{{thresholdReached}}"} ');
SELECT iot.decoder_test_csv('[{"name":"unit","jsonType":"STRING"}]', 'a,b');
SELECT iot.decoder_test_csv('[{"name":"unit","jsonType":"TEXT"}]', 'a');
