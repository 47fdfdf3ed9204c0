-- The JsonLogic engine: the official conformance file, every case (the
-- file is read from $PGIOT_VECTORS), then the type rules the file does not
-- cover, the compile errors and their SQLSTATEs, and the rule cache.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2100-01-15 13:00:37.29+00';

\getenv vectors PGIOT_VECTORS
CREATE TEMP TABLE conformance AS
SELECT ord, c -> 0 AS rule, c -> 1 AS data, c -> 2 AS expected
  FROM jsonb_array_elements(pg_read_file(:'vectors' || '/jsonlogic/tests.json')::jsonb) WITH ORDINALITY AS x(c, ord)
 WHERE jsonb_typeof(c) = 'array';
SELECT count(*) AS cases,
       count(*) FILTER (WHERE iot.jsonlogic_apply(rule, data) = expected) AS passed
  FROM conformance;
-- (nothing listed: every case gives the expected value)
SELECT ord, rule, data, expected, iot.jsonlogic_apply(rule, data) AS got
  FROM conformance WHERE iot.jsonlogic_apply(rule, data) IS DISTINCT FROM expected;
-- twice over: compiled rules come from the backend's cache the second time
SELECT count(*) FILTER (WHERE iot.jsonlogic_apply(rule, data) = expected) AS passed_again FROM conformance;

-- JavaScript semantics beyond the file
SELECT r AS rule, iot.jsonlogic_apply(r::jsonb, d::jsonb) AS result
  FROM (VALUES
    ('{"==": [null, null]}', 'null'), ('{"==": [null, 0]}', 'null'), ('{"==": [[1], 1]}', 'null'),
    ('{"==": ["", 0]}', 'null'), ('{"==": [true, "1"]}', 'null'), ('{"===": [1, 1.0]}', 'null'),
    ('{"==": [{"var": "a"}, {"var": "a"}]}', '{"a": [1]}'), ('{"==": [[1], [1]]}', 'null'),
    ('{">": [1]}', 'null'), ('{"==": [null]}', 'null'), ('{"<": ["a", "b"]}', 'null'),
    ('{"<": ["10", "9"]}', 'null'), ('{"<": ["10", 9]}', 'null'), ('{"<": [null, 1]}', 'null'),
    ('{"<=": ["abc", null]}', 'null'), ('{"+": ["3.5abc", " 1"]}', 'null'), ('{"+": [[2], true]}', 'null'),
    ('{"-": ["0x10", 1]}', 'null'), ('{"*": ["2"]}', 'null'), ('{"*": []}', 'null'),
    ('{"/": [1, 0]}', 'null'), ('{"%": [-7, 3]}', 'null'), ('{"max": []}', 'null'),
    ('{"+": [0.1, 0.2]}', 'null'), ('{"cat": [1e21, 0.000001, 1e-7, -0, 123456789012345680000]}', 'null'),
    ('{"cat": [[1, [2, null]], {"a": 1, "b": 2}, null, true]}', 'null'),
    ('{"in": ["", ""]}', 'null'), ('{"in": [1, ["1", 1]]}', 'null'), ('{"in": [null, "nullable"]}', 'null'),
    ('{"substr": ["héllo", 1, 3]}', 'null'), ('{"var": "a.length"}', '{"a": "héllo"}'),
    ('{"var": "a.1"}', '{"a": "xyz"}'), ('{"var": ["a", "default"]}', '{"a": null}'),
    ('{"all": [[], true]}', 'null'), ('{"all": [null, true]}', 'null'),
    ('{"some": [{"var": "t"}, "zo"]}', '{"t": ["a", "zone", 3]}'),
    ('{"filter": [{"var": "t"}, "zone"]}', '{"t": ["ozone", "zo", {"zone": 1}, "zones"]}'),
    ('{"map": [[1, 2], {"+": [{"var": ""}, {"var": "missing"}]}]}', 'null'),
    ('{"reduce": [[1, 2, 3], {"cat": [{"var": "accumulator"}, {"var": "current"}]}, ">"]}', 'null'),
    ('{"if": [[], "a", {}, "b", "c"]}', 'null'),
    ('{"!!": [{"a": 1, "b": 2}]}', 'null'), ('{"a": 1, "b": {"var": "x"}}', '{"x": 1}')
  ) AS t(r, d);

-- errors: a rule that does not compile is PI601 with the path of the fault
SELECT test.try($$SELECT iot.jsonlogic_apply('{"and": [true, {"nope": [1]}]}')$$);
SELECT test.try($$SELECT iot.jsonlogic_apply('{"if": [{"var": "x"}, {"log": "hi"}]}')$$);
SELECT test.try($$SELECT iot.jsonlogic_check('{"map": [[1], {"in": [1, [{"é": 2}]]}]}')$$);
SELECT left(test.try(format('SELECT iot.jsonlogic_apply(%L)', repeat('{"!": ', 300) || 'true' || repeat('}', 300))), 90);
SELECT iot.jsonlogic_check('{"var": "a"}') AS checked, iot.jsonlogic_valid('{"vars": "a"}') AS valid;
SELECT iot.jsonlogic_apply(NULL) IS NULL AS null_rule, iot.jsonlogic_apply('{"var": ""}') AS null_data;
-- a rule whose evaluation explodes stops at its step budget (54001)
SELECT test.try(format('SELECT iot.jsonlogic_apply(%L)',
    repeat('{"map": [[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30], ', 5)
    || '1' || repeat(']}', 5)));
SELECT iot.json_compact('{"and": [{">": [{"var": "value.temp"}, 99]}, {"in": ["a", "b c"]}]}');

-- results are written straight in jsonb's binary format: the same value
-- and size as PostgreSQL's own encoding, for nested containers, more than
-- 32 entries (offsets), numbers (padding), unicode
CREATE TEMP TABLE docs AS SELECT d FROM (VALUES
  ('{"a": 1, "bb": [1, 2.5, -3e-7, "x", null, true, false, {"c": {}}], "": "", "é": "ü"}'::jsonb),
  ((SELECT jsonb_agg(i) FROM generate_series(1, 100) i)),
  ((SELECT jsonb_object_agg('k' || i, jsonb_build_array(i, i * 0.5, 'v' || i)) FROM generate_series(1, 70) i)),
  ('[[[[]]], {}, [{}], 12345678901234567890, 0.1, 1e300, -0.0]'), ('"scalar"'), ('3.25'), ('null'), ('true'),
  ((SELECT jsonb_agg(jsonb_build_object('n', i, 's', repeat('x', i))) FROM generate_series(1, 40) i))) v(d);
SELECT count(*) AS docs, bool_and(r = r::text::jsonb) AS same_value,
       bool_and(pg_column_size(r) = pg_column_size(r::text::jsonb)) AS same_size
  FROM (SELECT d, iot.jsonlogic_apply('{"var": ""}', d) AS r FROM docs) x;
-- numbers are JavaScript doubles: 1.0 is 1, a 20-digit integer is rounded
SELECT iot.jsonlogic_apply('{"var": ""}', '[1.0, 12345678901234567890, 0.1]') AS doubles;
SELECT iot.jsonlogic_apply('{"map": [{"var": ""}, {"var": ""}]}', '[{"b": 1, "a": 2}]') -> 0 -> 'a' AS key_lookup;

-- integer results are written as PostgreSQL's own numerics, byte for byte
-- (numeric_send shows digits, weight, sign and scale)
SELECT count(*) AS integers, count(*) FILTER (WHERE numeric_send(r::numeric) IS DISTINCT FROM numeric_send(v)
                                              OR r <> to_jsonb(v)) AS mismatches
  FROM (SELECT v, iot.jsonlogic_apply(jsonb_build_object('+', jsonb_build_array(v))) AS r
          FROM (SELECT unnest(ARRAY[0, 1, -1, 9999, 10000, -10000, 10001, 99990000, 100000000, 123456789012,
                                    1000000000000000, -1000000000000000, 9007199254740991, -9007199254740991,
                                    1234, 12340000, 43210000000])::numeric AS v
                UNION ALL SELECT (i * 7919)::numeric FROM generate_series(-20000, 20000) i
                UNION ALL SELECT ((10000::numeric ^ (i % 4)) * (i - 50))::numeric(30, 0)
                  FROM generate_series(0, 100) i) x) y;

-- other numbers are the shortest decimal that reads back as the double
SELECT v AS operand, iot.jsonlogic_apply(jsonb_build_object('*', jsonb_build_array(v, 1))) AS result
  FROM unnest(ARRAY['0.1', '0.5', '-2.25', '1.5e-7', '0.30000000000000004',
                    '123456789012345678901', '1e21', '3.141592653589793238']::numeric[]) v;
SELECT iot.jsonlogic_apply('{"/": [1, 3]}') AS third, iot.jsonlogic_apply('{"+": [0.1, 0.2]}') AS sum,
       iot.jsonlogic_apply('{"cat": [0.1, " ", 1e-7, " ", 123456789, " ", -5, " ", 1e21, " ", 5e-324]}') AS strings;

-- a call site remembers rules by address, a hit still compares the rule:
-- two rules in turn, then 1,200 rules of 8 kB each (more than the backend
-- cache holds, which then starts over under the call site) seen twice
SELECT r ->> '+' AS rule, iot.jsonlogic_apply(r, '{"x": 1}') AS result
  FROM generate_series(1, 2) g, (VALUES ('{"+": [1, {"var": "x"}]}'::jsonb), ('{"+": [2, {"var": "x"}]}')) v(r)
 ORDER BY g, 1;
WITH rules AS MATERIALIZED (
  SELECT i, jsonb_build_object('if', jsonb_build_array(false, repeat('x', 8000) || i, jsonb_build_object('+', jsonb_build_array(i, jsonb_build_object('var', 'x'))))) AS r
    FROM generate_series(1, 1200) i)
SELECT count(*) AS applied, count(*) FILTER (WHERE iot.jsonlogic_apply(r, '{"x": 1}') <> to_jsonb(i + 1)) AS wrong
  FROM generate_series(1, 2) g, rules;
