-- iot.jbbp_parse: the JBBP binary language as Live Objects uses it
-- (manual 11.3.2, Table 6; digest 3.2 and T01-T07, T09, T12).
SET timezone = 'UTC';

-- T01-T05: Table 6, one field per example
SELECT iot.jbbp_parse('int temperature;', '\x000000DD');
SELECT iot.jbbp_parse('ubyte temperature;', '\xDD');
SELECT iot.jbbp_parse('int signed; uint unsigned;', '\x8000000080000000');
SELECT iot.jbbp_parse('float max_value;', '\x7F7FFFFF');
SELECT iot.jbbp_parse('double max_value;', '\x7FEFFFFFFFFFFFFF');
SELECT iot.jbbp_parse('utf8 [17] mystring;', '\x2855332e3632542b323144323235503029');
SELECT iot.jbbp_parse('asciichar[13] myAsciiString;', '\x616E4153434949537472696E67');
-- T06: several fields, an array under its own name (decisions.md 9)
SELECT iot.jbbp_parse('byte is_led_on; float pressure; float temperature; float altitude; ubyte battery_lvl; byte[6] raw_gps; ushort altitude_gps;',
                      '\x00447CE00041CEF5C345CAB8CD38000000000000FFFF');
-- T07: a structure array with utf8 lengths counted in characters
SELECT jsonb_pretty(iot.jbbp_parse('float pi; measure[2] { int length; utf8 [length] name; float value; }',
    '\x4048F5C30000000BC2A955544638537472696E674148000000000012C2A9616E6F7468657255544638537472696E67447D4000'));
-- T09: the templating section's payload, byte:1 reads one byte
SELECT iot.jbbp_parse('byte:1 led; ushort pressure; ushort temperature; ushort altitude; ubyte battery; byte[6] raw_gps; ushort altitude_gps;',
                      '\x0027830a1bfd6738000000000000ffff');
-- 11.3.2.1.3: little-endian float; 6.5.5.2: float 10.0
SELECT iot.jbbp_parse('<float temperature;', '\xc3f5ce41');
SELECT iot.jbbp_parse('float sent_value;', '\x41200000');
-- whitespace is free, type keywords and names are case-insensitive
SELECT iot.jbbp_parse('  INT  Pressure ;Int temperature;', '\x000003F5000000DD');
SELECT iot.jbbp_parse('long big; <long little; <short s; <ushort u; short n;',
                      '\x7FFFFFFFFFFFFFFF0100000000000080FEFFFEFFFFFE');
SELECT iot.jbbp_parse('bool a; bool b; bool [3] c;', '\x0002000100');

-- bits: LSB first, a continuous bit stream (no realignment), align re-aligns
SELECT iot.jbbp_parse('bit:1 a; bit:2 b; bit:1 c; bit:4 d;', '\xAA');
SELECT iot.jbbp_parse('bit:4 lo; ubyte spans; bit:4 hi;', '\x21436F');
SELECT iot.jbbp_parse('bit:3 x; align; ubyte y; bit:3 [4] z; bit [_] rest;', '\xFF7FAC0D01');
SELECT iot.jbbp_parse('ubyte n; bit:(n) v; bit:(n - 1) w;', '\x03FF');

-- expressions over earlier fields, $$, val, skip, align:n, reset$$
SELECT iot.jbbp_parse('header {ubyte sections; ubyte datalen;} sections [header.sections] {byte [header.datalen] data;}',
                      '\x0202010203040506');
SELECT iot.jbbp_parse('ubyte n; ushort [n*2-1] v; val:(n << 4 | 3) packed; val:-7 neg;', '\x02000100020003');
SELECT iot.jbbp_parse('ubyte a; skip:1; ubyte b; align:4; ubyte c; val:($$) read; reset$$; ubyte d; val:($$) since_reset;',
                      '\x01FF02FF0304');
SELECT iot.jbbp_parse('ubyte len; skip:(len); int [_] rest;', '\x02AAAA0000000100000002');
SELECT iot.jbbp_parse('int x; val:(-x / 3) q; val:(x % 5) r; val:(x >>> 28) u; val:(~x & 255) n;', '\xFFFFFFF6');
-- the optional-content idiom (JBBP has no if): an array of 0 or 1
SELECT iot.jbbp_parse('ubyte flags; opt [flags & 1] { int extra; } int [(flags >> 1) & 1] x;', '\x0100000007');
SELECT iot.jbbp_parse('ubyte flags; opt [flags & 1] { int extra; } int [(flags >> 1) & 1] x;', '\x0200000009');
-- until the end: primitive arrays, structure arrays, strings
SELECT iot.jbbp_parse('ubyte kind; rec [_] { ubyte id; <short t; }', '\x0101E8FF02F401');
SELECT iot.jbbp_parse('ubyte n; asciichar [_] text;', '\x0268690A');
-- quirks kept from JBBP: a little-endian byte array is reversed; NUL is dropped from strings
SELECT iot.jbbp_parse('<ubyte [3] r; byte [2] s; asciichar [4] pad;', '\x010203FF7F41420000');
-- unnamed fields are read, not written; an unnamed structure's fields join its parent
SELECT iot.jbbp_parse('int; ubyte a; { ubyte b; } [2] { ubyte c; } ubyte d;', '\x00000000010203040506');
-- a comment
SELECT iot.jbbp_parse('// the header
ubyte v; // version
', '\x07');

-- T12 and other bad formats: PI040 with the position of the fault
SELECT test.try($$SELECT iot.jbbp_parse('int my.string;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('int my#string;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('int $mystring;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('int _my;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('int 1abc;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('floatj x;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('doublej x;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('stringj x;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('var x;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('int a; quad b;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('int a; int A;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('int float;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('int a', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('s { int a;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('int a; }', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('bit:9 a;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('byte [0] a;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('byte [_] a; byte b;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('byte [n] a; byte n;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('byte [2] n; byte [n] a;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('s [2] { byte n; } byte [s.n] a;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('utf8 [2] n; byte [n] a;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('bool b; byte [b] a;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('byte n; byte [n +] a;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('byte n; byte [(n] a;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('byte n; byte [$ext] a;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('skip x;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('align:0;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('val x;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_check('int a; int b;')$$);

-- payloads that cannot be decoded: 22P03 naming the field
SELECT test.try($$SELECT iot.jbbp_parse('int pressure; int temperature;', '\x000003F5000000')$$);
SELECT test.try($$SELECT iot.jbbp_parse('float pi; measure[2] { int length; utf8 [length] name; }', '\x4048F5C30000000BC2A955')$$);
SELECT test.try($$SELECT iot.jbbp_parse('utf8 [2] s;', '\xC328')$$);
SELECT test.try($$SELECT iot.jbbp_parse('ubyte n; byte [n - 5] a;', '\x01')$$);
SELECT test.try($$SELECT iot.jbbp_parse('ubyte n; val:(10 / n) q;', '\x00')$$);
SELECT test.try($$SELECT iot.jbbp_parse('ubyte n; s [_] { val:(n) v; }', '\x0102')$$);
SELECT test.try($$SELECT iot.jbbp_parse('s [0 + 2] { ubyte n; } ', '\x01')$$);
-- JBBP reads the body of a [_] structure array that finds no data once more, into the parent
SELECT iot.jbbp_parse('ubyte n; s [_] { val:(n) v; }', '\x01');
SELECT test.try($$SELECT iot.jbbp_parse('ubyte n; s [_] { ubyte a; }', '\x01')$$);
-- jsonb written directly: large objects and arrays (JEntry offsets every
-- 32 entries) read like the jsonb of the same text
SELECT j -> 'f33' AS f33, j -> 'f40' AS f40, j -> 'a' -> 39 AS a39, j = (j::text)::jsonb AS same,
       pg_column_size(j) = pg_column_size((j::text)::jsonb) AS same_size
  FROM (SELECT iot.jbbp_parse((SELECT string_agg(format('ubyte f%s;', i), ' ') FROM generate_series(1, 40) i)
                              || ' ubyte [40] a; float [3] x; bool [2] b; asciichar [2] s;',
                              decode(repeat('0102030405', 16) || '3DCCCCCD7F80000000000000' || '01004142', 'hex')) j) x;
-- strict: NULL in, NULL out
SELECT iot.jbbp_parse(NULL, '\x00') IS NULL AS null_format, iot.jbbp_parse('int a;', NULL) IS NULL AS null_payload;
