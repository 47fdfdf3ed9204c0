-- iot.csv_decode (manual 11.3.3, Table 8; digest T15-T17) and
-- iot.cbor_to_jsonb (RFC 8949, the AirLink devices' format).
SET timezone = 'UTC';

CREATE TEMP TABLE d (name text PRIMARY KEY, description jsonb);
INSERT INTO d VALUES
    ('example1', '{"columns": [{"name":"column1","jsonType":"STRING"}, {"name":"column2","jsonType":"NUMERIC"},
                               {"name":"column3","jsonType":"BOOLEAN"}]}'),
    ('example2', '{"columns": [{"name":"unit","jsonType":"STRING"}, {"name":"temperature","jsonType":"NUMERIC"},
                               {"name":"normal","jsonType":"BOOLEAN"}],
                   "options": {"columnSeparator": "|", "quoteChar": "\"", "lineFeedSeparator": "\r\n"}}'),
    ('stored', '{"columns": [{"name":"unit","jsonType":"STRING"}, {"name":"temperature","jsonType":"NUMERIC"},
                             {"name":"normal","jsonType":"BOOLEAN"}]}');

-- T16: the stored example's payload
SELECT iot.csv_decode(description, 'celsius,25,true') FROM d WHERE name = 'stored';
-- T17: quoting keeps a separator in a value; only the first row is decoded
SELECT iot.csv_decode(description, '"pierre, dupont",25,true') FROM d WHERE name = 'example1';
SELECT iot.csv_decode(description, E'pierre,35,true\nmarie,25,false') FROM d WHERE name = 'example1';
-- Example 2: another separator, a two-character line feed, quotes around a value with a line feed
SELECT iot.csv_decode(description, E'kelvin|298.15|false\r\ncelsius|25|true') FROM d WHERE name = 'example2';
SELECT iot.csv_decode(description, E'"deg\r\nC"|-4.5|TRUE') FROM d WHERE name = 'example2';
-- numbers: 32/64-bit integers stay exact, decimals, exponents, signs
SELECT iot.csv_decode('{"columns": [{"name":"a","jsonType":"NUMERIC"}, {"name":"b","jsonType":"NUMERIC"},
                        {"name":"c","jsonType":"NUMERIC"}, {"name":"d","jsonType":"NUMERIC"}, {"name":"e","jsonType":"NUMERIC"}]}',
                      '2147483648,9007199254740997,-1.5e3,+.25,0.1');
-- doubled quotes, escape characters, trimming, empty values, missing trailing values
SELECT iot.csv_decode('{"columns": [{"name":"s","jsonType":"STRING"}, {"name":"t","jsonType":"STRING"}]}', '"say ""hi""",plain');
SELECT iot.csv_decode('{"columns": [{"name":"s","jsonType":"STRING"}, {"name":"t","jsonType":"STRING"}],
                        "options": {"useEscapeChar": true}}', E'a\\,b,"c\\"d"');
SELECT iot.csv_decode('{"columns": [{"name":"s","jsonType":"STRING"}, {"name":"t","jsonType":"STRING"}],
                        "options": {"useEscapeChar": true, "escapeChar": "~", "quoteChar": "''"}}', E'a~,b,''c~''d''');
SELECT iot.csv_decode('{"columns": [{"name":"s","jsonType":"STRING"}, {"name":"n","jsonType":"NUMERIC"}],
                        "options": {"skipWhiteSpace": true}}', '  padded  ,  42  ');
SELECT iot.csv_decode('{"columns": [{"name":"s","jsonType":"STRING"}, {"name":"n","jsonType":"NUMERIC"}]}', '  padded  ,42');
SELECT iot.csv_decode('{"columns": [{"name":"s","jsonType":"STRING"}, {"name":"n","jsonType":"NUMERIC"}, {"name":"b","jsonType":"BOOLEAN"}]}', ',,');
SELECT iot.csv_decode('{"columns": [{"name":"s","jsonType":"STRING"}, {"name":"n","jsonType":"NUMERIC"}, {"name":"b","jsonType":"BOOLEAN"}]}', 'only');
-- bad payloads: 22P02 with the position
SELECT test.try($$SELECT iot.csv_decode(description, 'celsius,hot,true') FROM d WHERE name = 'stored'$$);
SELECT test.try($$SELECT iot.csv_decode(description, 'celsius,25,yes') FROM d WHERE name = 'stored'$$);
SELECT test.try($$SELECT iot.csv_decode(description, 'celsius,25,true,extra') FROM d WHERE name = 'stored'$$);
SELECT test.try($$SELECT iot.csv_decode(description, '"celsius,25,true') FROM d WHERE name = 'stored'$$);
SELECT test.try($$SELECT iot.csv_decode(description, '"cel"sius,25,true') FROM d WHERE name = 'stored'$$);
SELECT test.try($$SELECT iot.csv_decode(description, 'c,1e999,true') FROM d WHERE name = 'stored'$$);
-- bad descriptions: PI040
SELECT test.try($$SELECT iot.csv_check('{"columns": []}')$$);
SELECT test.try($$SELECT iot.csv_check('{"columns": [{"name":"a","jsonType":"DATE"}]}')$$);
SELECT test.try($$SELECT iot.csv_check('{"columns": [{"name":"a.b","jsonType":"STRING"}]}')$$);
SELECT test.try($$SELECT iot.csv_check('{"columns": [{"name":"a","jsonType":"STRING"}, {"name":"a","jsonType":"STRING"}]}')$$);
SELECT test.try($$SELECT iot.csv_check('{"columns": [{"name":"a","jsonType":"STRING"}], "options": {"quoteChar": "ab"}}')$$);
SELECT test.try($$SELECT iot.csv_check('{"columns": [{"name":"a","jsonType":"STRING"}], "options": {"delimiter": ";"}}')$$);
SELECT test.try($$SELECT iot.csv_check('{"columns": [{"name":"a","jsonType":"STRING"}], "options": {"skipWhiteSpace": "yes"}}')$$);
SELECT test.try($$SELECT iot.csv_check('{"columns": [{"name":"a","jsonType":"STRING"}], "options": {"columnSeparator": "\n"}}')$$);

-- CBOR: maps, arrays, indefinite lengths, integers at the edges, floats, tags, byte strings
SELECT iot.cbor_to_jsonb('\xa26161016162820203');
SELECT iot.cbor_to_jsonb('\xbf61610161629f0203ffff');
SELECT iot.cbor_to_jsonb('\x821bffffffffffffffff3bffffffffffffffff');
SELECT iot.cbor_to_jsonb('\x85f93c00fa47c35000fb3ff199999999999af97e00f97c00');
SELECT iot.cbor_to_jsonb('\x84f4f5f6f7');
SELECT iot.cbor_to_jsonb('\xc074323031332d30332d32315432303a30343a30305a');
SELECT iot.cbor_to_jsonb('\xa2014401020304f5616b');
SELECT iot.cbor_to_jsonb('\x7f657374726561646d696e67ff');
SELECT test.try($$SELECT iot.cbor_to_jsonb('\x8201')$$);
SELECT test.try($$SELECT iot.cbor_to_jsonb('\x0102')$$);
SELECT test.try($$SELECT iot.cbor_to_jsonb('\x62c328')$$);
SELECT test.try($$SELECT iot.cbor_to_jsonb('\x')$$);
SELECT test.try($$SELECT iot.cbor_to_jsonb('\x1c')$$);
-- scalar roots (jsonb's raw scalars), numbers beyond the small-integer cache
SELECT iot.cbor_to_jsonb('\x1a000186a0') AS n, iot.cbor_to_jsonb('\x1a000186a0') = '100000'::jsonb AS same_n,
       iot.cbor_to_jsonb('\x3a000186a0') = '-100001'::jsonb AS same_neg, iot.cbor_to_jsonb('\x6161') AS s,
       iot.cbor_to_jsonb('\xf5') AS t, jsonb_typeof(iot.cbor_to_jsonb('\xf6')) AS null_type;
