-- EnOcean parsers and decoders: ESP3 framing, radio telegrams, EEP
-- decoding with the worked vectors of enocean.md (every profile family),
-- the IoT Connector's decoding examples (seed 000), bad input.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

-- CRC8 check values through one-byte-data frames is impractical; the CRC
-- is exercised by every frame below (header and data CRC).

------------------------------------------------------------------ framing
-- junk, a valid PTM frame, a truncated 4BS frame, a complete 4BS frame:
-- both complete frames are found (the truncated one does not swallow the next)
SELECT encode(f, 'hex') FROM iot.esp3_frames(
  '\x005512'
  '55000707017af600feee14ab2000ffffffff4700ad'
  '55000a0701eba50000'
  '55000a0701eba500005008051b03c90100ffffffff500090'::bytea) f;
-- the openHAB regression stream (479 bytes, 21 ERP1 frames, 6 bytes of junk)
CREATE TEMP TABLE openhab AS SELECT decode(
  '55000707017AF6E0058DF4352001FFFFFFFF5B008C5555000707017AF6D0058DF4352001FFFFFFFF59002755E455000707017AF6C0058DF4352001FFFFFFFF5B007255759A55000707017AF6F0058DF4352101FFFFFFFF5C008B55000707017AF6E0FED0892F2001FFFFFFFF5C00AD55000707017AF6D0FED0892F2001FFFFFFFF55009155000707017AF6C0FED0892F2001FFFFFFFF5500EE55000707017AF6F0FED0892F2001FFFFFFFF5E00F855000A0701EBA59E16000F0582D29D0001FFFFFFFF55007155000A0701EBA5D8021E09051947330001FFFFFFFF59006755000A0701EBA578020008052939F80001FFFFFFFF49004755000A0701EBA59E14000F0582D29D0001FFFFFFFF55001C55000807013DD0064605293A000001FFFFFFFF4300E655000A0701EBA5C5021C09051947330001FFFFFFFF59009055000707017AD50905A363E90101FFFFFFFF5C004155000A0701EBA59E13000F0582D29D0001FFFFFFFF55001E55000A0701EBA55F02270905194A1D0001FFFFFFFF55009F55000A0701EBA5AA021A09051947330001FFFFFFFF59001E55000A0701EBA59E11000F0582D29D0001FFFFFFFF55007355000A0701EBA5B9014D08059A08250001FFFFFFFF5300DE55000807013DD0066405194A1D0001FFFFFFFF550029',
  'hex') AS stream;
SELECT length(stream) AS bytes,
       (SELECT count(*) FROM iot.esp3_frames(stream)) AS frames,
       length(stream) - (SELECT sum(length(f.f)) FROM iot.esp3_frames(stream) AS f(f)) AS skipped
  FROM openhab;
SELECT iot.enocean_telegram(f) ->> 'data' AS data, iot.enocean_telegram(f) ->> 'sender' AS sender
  FROM openhab, iot.esp3_frames(stream) f;
-- nothing, or only junk
SELECT count(*) FROM iot.esp3_frames('');
SELECT count(*) FROM iot.esp3_frames('\x5555555555550000');
SELECT count(*) FROM iot.esp3_frames('\x55000707017af600feee14ab2000ffffffff4700');  -- cut before CRC8D

----------------------------------------------------------------- packets
-- the verified frames of enocean.md §2.8
SELECT iot.esp3_parse('\x55000F07012BD2DDDDDDDDDDDDDDDDDD008035C40003FFFFFFFF4D0036');
SELECT iot.esp3_parse(decode('55000A0701EBA5000055080181B7440001FFFFFFFF2D0075', 'hex')) -> 'telegram';
SELECT iot.esp3_parse(decode('55000707017AD508 01825DAB 0001FFFFFFFF360053', 'hex')) -> 'telegram' ->> 'payload';
SELECT iot.esp3_parse(decode('55000D0701FDD480FF61000050D2050E0ED10001FFFFFFFF360051', 'hex')) -> 'telegram';
-- other packet types are reported by type
SELECT iot.esp3_parse('\x5500050002ce00ff800000da');
SELECT iot.esp3_parse('\x5500020004ca040054');
SELECT iot.esp3_parse(decode('5500010005700838', 'hex')) ->> 'packetTypeName';
-- ERP2: RPS with a 32-bit originator; 4BS with extended header (repeater
-- count 1); VLD with a 24-bit originator; a telegram whose ERP2 CRC is wrong
SELECT iot.esp3_parse('\x550007030a1f2001020304502b012d002c') -> 'telegram';
SELECT iot.esp3_parse('\x55000b020af03210051b03c9000050088f0150a2') -> 'telegram';
SELECT (iot.esp3_parse('\x55000e020a3004a1b2c39fce800863b502a620e70140d2') -> 'telegram') - 'erp2';
SELECT iot.esp3_parse('\x550007020a0a2001020304502a012dbd') -> 'telegram' -> 'erp2' -> 'crcOk';

-- bad frames: a stable SQLSTATE and the position of the fault
SELECT test.try($$SELECT iot.esp3_parse('')$$);
SELECT test.try($$SELECT iot.esp3_parse('\x54000707017af600feee14ab2000ffffffff4700ad')$$);
SELECT test.try($$SELECT iot.esp3_parse('\x5500070701')$$);
SELECT test.try($$SELECT iot.esp3_parse('\x55000707017bf600feee14ab2000ffffffff4700ad')$$);
SELECT test.try($$SELECT iot.esp3_parse('\x55000707017af600feee14ab2000ffffffff4700ae')$$);
SELECT test.try($$SELECT iot.esp3_parse('\x55000707017af600feee14ab2000ffffffff47')$$);
SELECT test.try($$SELECT iot.esp3_parse('\x55000707017af600feee14ab2000ffffffff4700ad00')$$);
SELECT test.try($$SELECT iot.esp3_parse('\x5500000000' || '\x00'::bytea)$$);
SELECT test.try($$SELECT iot.esp3_parse('\x5500030001baa5001fd5')$$);  -- ERP1 of 3 bytes
SELECT test.try($$SELECT iot.enocean_telegram('\x5500050002ce00ff800000da')$$);

---------------------------------------------------------------- telegrams
-- the connector's raw section for the four seed-000 examples (classic format)
SELECT iot.enocean_telegram('\x55000F07012BD29FCE800863B502A62004138BB48000FFFFFFFF4D0025');
SELECT iot.enocean_telegram('\x55000A0701EBA500005008051B03C90100FFFFFFFF500090');
SELECT iot.enocean_telegram('\x55000707017AF600FEEE14AB2000FFFFFFFF4700AD');
SELECT iot.enocean_telegram('\x55000807013DD006380413D7598001FFFFFFFF40001C');
-- the current format: integer status, negative RSSI (the signal example)
SET pgiot.enocean_json_format = 'current';
SELECT iot.enocean_telegram('\x55000807013DD006380413D7598001FFFFFFFF40001C');
RESET pgiot.enocean_json_format;
-- addressing encapsulation undone: inner RORG, destination from the ADT
SELECT iot.enocean_telegram('\x55000f07012ba6a5000055080194e3b90181b7440001ffffffff2d005e');
-- ERP2 telegrams get the same raw section
SELECT iot.enocean_telegram('\x55000b020af03210051b03c9000050088f0150a2');

------------------------------------------------------------ EEP decoding
-- seed 000: multisensor, CO2 sensor, PTM215 switch
SELECT jsonb_pretty(iot.eep_decode('d2-14-41', '\x9fce800863b502a620', 128));
SELECT iot.eep_decode('a5-09-09', '\x00005008', 1);
SELECT iot.eep_decode('F6-02-01', '\x00', x'20'::int);

-- worked vectors, one table per family (enocean.md §11, §12.5)
CREATE TEMP TABLE vectors (eep text, data bytea, status int, note text);
INSERT INTO vectors VALUES
  ('A5-02-05', '\x00005508', 0, '26.67 °C'),
  ('A5-02-10', '\x00008008', 0, '-20.16 °C'),
  ('A5-02-20', '\x0002a508', 0, '7.32 °C'),
  ('A5-02-30', '\x0002a508', 0, '-5.40 °C'),
  ('A5-04-01', '\x007d640a', 0, '50 %, 16 °C, sensor available'),
  ('A5-04-02', '\x007d640a', 0, '50 %, 12 °C'),
  ('A5-04-03', '\x8001f409', 0, '50.2 %, 19.10 °C, event'),
  ('A5-06-01', '\xc8006408', 0, '4.0 V, ILL1 23 894.12 lx'),
  ('A5-06-01', '\xc8646409', 0, 'range select ILL2'),
  ('A5-06-02', '\xc8006408', 0, '400 lx'),
  ('A5-06-03', '\xc8fa4008', 0, 'over range'),
  ('A5-07-01', '\xfa00ff09', 0, '5.0 V, PIR on'),
  ('A5-07-01', '\xfa00ff08', 0, 'supply voltage not supported: no voltage'),
  ('A5-07-02', '\xfa000088', 0, 'motion detected'),
  ('A5-07-03', '\xc8fa8088', 0, 'illumination reserved'),
  ('A5-08-01', '\xc8647f0a', 0, '200 lx, 25.4 °C'),
  ('A5-08-02', '\xc8647f0a', 0, '400 lx'),
  ('A5-08-03', '\xc8647f0a', 0, '600 lx, 9.84 °C'),
  ('A5-09-02', '\xc83c6e0c', 0, '240 ppm, 22 °C (DB0.1 = 0: no T-sensor)'),
  ('A5-09-04', '\x642d6e0e', 0, '50 %, 450 ppm, 22 °C'),
  ('A5-09-05', '\x04d20208', 0, '12.34 ppb benzene'),
  ('A5-09-08', '\x00005008', 0, '627.45 ppm'),
  ('A5-09-0C', '\x04d2020d', 0, '123.4 µg/m³ (x0.1)'),
  ('A5-10-01', '\xa0808009', 0, 'stage 2, 128, 19.92 °C'),
  ('A5-10-0A', '\x00808009', 0, 'open'),
  ('A5-10-0B', '\x00008008', 0, 'closed'),
  ('A5-12-01', '\x0004d209', 0, '123.4 kWh'),
  ('A5-12-01', '\x0001f40c', 0, '500 W'),
  ('A5-12-02', '\x00303909', 0, '1234.5 m³'),
  ('A5-12-00', '\x0030395f', 0, 'channel 5, 12.345 1/s'),
  ('A5-14-01', '\xfa000009', 0, 'open'),
  ('A5-14-05', '\xfa00000a', 0, 'vibration'),
  ('A5-14-09', '\xc800000a', 0, 'tilt'),
  ('A5-20-01', '\x32208908', 0, '50 %, energy storage, 21.49 °C'),
  ('A5-30-01', '\x008cc808', 0, 'battery OK, open'),
  ('A5-30-02', '\x00000009', 0, 'open'),
  ('A5-38-08', '\x01000009', 0, 'switching on'),
  ('A5-38-08', '\x0264010d', 0, 'relative 100 %'),
  ('A5-38-08', '\x02640109', 0, 'absolute 39.22 %'),
  ('A5-38-08', '\x05008c38', 0, 'control variable'),
  ('A5-38-08', '\x07321e49', 0, 'blind to position'),
  ('D2-01-0B', '\x040064', 0, 'output 100 %'),
  ('D2-01-0F', '\x0460e4', 0, 'local control, error level n/a'),
  ('D2-01-00', '\x0760000001f4', 0, '500 W'),
  ('D2-01-09', '\x01417f', 0, 'set output: not valid'),
  ('D2-01-12', '\x05e10a0f3c05', 0, 'set measurement, delta 240'),
  ('D2-01-0C', '\x0a02', 0, 'pilot wire eco'),
  ('D2-01-12', '\x0d1f00640000b0', 0, 'external interface'),
  ('D2-05-00', '\x32000004', 0, 'reply 50 %'),
  ('D2-05-00', '\x7f7f0004', 0, 'reply unknown position'),
  ('D2-05-00', '\x32140101', 0, 'go to'),
  ('D2-05-00', '\x02', 0, 'stop'),
  ('D2-05-00', '\x0bb864e305', 0, 'set parameters'),
  ('D2-14-41', '\x9165c02963e4f5d800', 0, 'reelyActive vector'),
  ('D2-32-00', '\x400fa0', 0, '25.0 A'),
  ('D2-32-01', '\x00064032', 0, '100 A, 50 A'),
  ('D2-32-02', '\x400640c812c0', 0, '10, 20, 30 A'),
  ('D5-00-01', '\x08', 0, 'open'),
  ('D5-00-01', '\x09', 0, 'closed'),
  ('F6-01-01', '\x10', 32, 'pressed'),
  ('F6-02-01', '\x30', 48, 'A0 pressed'),
  ('F6-02-01', '\x70', 48, 'B0 pressed'),
  ('F6-02-01', '\x37', 48, 'A0 and B0'),
  ('F6-02-02', '\x50', 48, 'BI pressed (application style 2)'),
  ('F6-02-01', '\x70', 32, '3 or 4 buttons'),
  ('F6-03-01', '\x50', 16, 'BI'),
  ('F6-03-01', '\x90', 16, 'CI'),
  ('F6-03-02', '\x20', 0, '2 buttons'),
  ('F6-04-01', '\x70', 48, 'inserted'),
  ('F6-04-01', '\x00', 32, 'taken out'),
  ('F6-04-02', '\x84', 0, 'inserted'),
  ('F6-05-01', '\x11', 48, 'water'),
  ('F6-10-00', '\xe0', 32, 'open'),
  ('F6-10-00', '\xc0', 32, 'open'),
  ('F6-10-00', '\xf0', 32, 'closed'),
  ('F6-10-00', '\xd0', 32, 'tilted');
SELECT eep, encode(data, 'hex') AS data, note, iot.eep_decode(eep, data, status) FROM vectors;

-- teach-in telegrams are reported as such, never as measurements
SELECT iot.eep_decode('A5-02-05', '\x08284680');          -- 4BS variation 2: A5-02-05, manufacturer 0x046
SELECT iot.eep_decode('A5-20-01', '\x32208900');          -- LRN bit 0: variation 1
SELECT iot.eep_decode('D5-00-01', '\x00');

-- bad input
SELECT test.try($$SELECT iot.eep_decode('A5-99-01', '\x00005008')$$);
SELECT test.try($$SELECT iot.eep_decode('a50209', '\x00005008')$$);
SELECT test.try($$SELECT iot.eep_decode('A5-02-05', '\x005508')$$);
SELECT test.try($$SELECT iot.eep_decode('D2-14-41', '\x9fce800863b502a6')$$);
SELECT test.try($$SELECT iot.eep_decode('F6-02-01', '\x30', 16)$$);
SELECT test.try($$SELECT iot.eep_decode('F6-02-01', '\x90', 48)$$);
SELECT test.try($$SELECT iot.eep_decode('F6-10-00', '\x10', 32)$$);
SELECT test.try($$SELECT iot.eep_decode('D2-01-00', '\x0e0000')$$);
SELECT test.try($$SELECT iot.eep_decode('D2-01-09', '\x0141007f')$$);
SELECT test.try($$SELECT iot.eep_decode('D2-05-00', '\x32000009')$$);
SELECT test.try($$SELECT iot.eep_decode('A5-38-08', '\x09000008')$$);
SELECT test.try($$SELECT iot.eep_decode('A5-02-05', '\x00005508', 256)$$);
SELECT test.try($$SELECT iot.eep_decode('A5-02-05', '')$$);

---------------------------------------------------------------- profiles
SELECT count(*) AS profiles, count(*) FILTER (WHERE teach_in IS NOT NULL) AS with_lrn FROM iot.eep_profiles();
SELECT string_agg(DISTINCT left(eep, 5), ' ' ORDER BY left(eep, 5)) AS families FROM iot.eep_profiles() WHERE eep <> 'signal';
SELECT eep, rorg, title, teach_in, cases FROM iot.eep_profiles() WHERE eep = 'F6-10-00';
SELECT eep, jsonb_path_query_array(cases, '$[*].fields[*] ? (@.when != null)') AS conditional
  FROM iot.eep_profiles() WHERE eep = 'A5-06-01';
SELECT eep, jsonb_path_query_array(cases, '$[*].title') AS messages FROM iot.eep_profiles() WHERE eep IN ('D2-01-0B', 'signal');
-- every field of every profile fits its message length
SELECT p.eep, c ->> 'title', f ->> 'key'
  FROM iot.eep_profiles() p, jsonb_array_elements(p.cases) c, jsonb_array_elements(c -> 'fields') f
 WHERE (f ->> 'offset')::int + (f ->> 'size')::int > 8 * (c -> 'length' ->> 1)::int;
