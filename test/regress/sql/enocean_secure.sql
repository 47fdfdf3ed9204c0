-- EnOcean pipeline: secure telegrams with their keys (enocean.md §7.10
-- vectors: implicit RLC window, secure teach-in then data, PTM nibble,
-- chained secure data), replays and bad CMACs, chaining with reassembly
-- and timeout, addressing encapsulation, teach-in telegrams, ERP2, and the
-- processing events (EEP_DECODE_ERROR, EEP_NOT_FOUND_ERROR, ...).
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2024-05-01 12:00:00+00';
SELECT tenant_id AS t FROM iot.tenant_create('enocean-sec') \gset
SELECT iot.use_tenant('enocean-sec') IS NOT NULL;

SELECT count(*) FROM (SELECT iot.enocean_device_onboard(d) FROM jsonb_array_elements($$[
  {"sourceEurid": "01a0b0c0", "eep": "D2-32-02", "friendlyID": "clamp (vector 1)",
   "securityProfile": {"key": "869FAB7D296C9E48CEBFF34DF637358A", "slf": "0x8B", "rlc": "000CE0"}},
  {"sourceEurid": "019eb63b", "eep": "A5-02-04", "friendlyID": "STM (vector 2)", "securityProfile": {"secureTeachIn": true}},
  {"sourceEurid": "0185e177", "eep": "F6-02-01", "friendlyID": "PTM (vector 3)", "isPTM": true,
   "securityProfile": {"key": "456E4F6365616E20476D62482E313300", "slf": 171, "rlc": "3E2D00"}},
  {"sourceEurid": "01b0c0d0", "eep": "D1-00-01", "friendlyID": "chained secure (vector 4)",
   "securityProfile": {"key": "E50880CF67790D5D66AA7F3B7AD77A3F", "slf": "F3", "rlc": "01020304"}},
  {"sourceEurid": "04138bb5", "eep": "D2-14-41", "friendlyID": "chained multisensor"},
  {"sourceEurid": "0181b744", "eep": "A5-02-05", "friendlyID": "addressed", "destinationEurid": "0194E3B9"},
  {"sourceEurid": "04138bb4", "eep": "D2-14-41", "friendlyID": "multisensor"},
  {"sourceEurid": "05000001", "eep": "A5-99-01", "friendlyID": "unknown profile"},
  {"sourceEurid": "051b03c9", "eep": "A5-09-09", "friendlyID": "co2"},
  {"sourceEurid": "01c0ffee", "eep": "A5-02-05", "friendlyID": "PSK teach-in",
   "securityProfile": {"psk": "000102030405060708090a0b0c0d0e0f", "secureTeachIn": "true"}}
]$$) d) x;
-- the security material shows in the API without the key; backups hold it
SELECT iot.enocean_device_get('01a0b0c0') -> 'securityProfile';
SELECT iot.enocean_backup_export() -> 'devices' -> 0 -> 'securityProfile';

CREATE TEMP TABLE f (name text PRIMARY KEY, frame bytea);
INSERT INTO f VALUES
  ('v1', '\x5500100701ce315d919d0b3af0027f4e2201a0b0c00001ffffffff400061'),
  ('v1_plain', '\x55000c070196d28400000a1b4001a0b0c00001ffffffff40009e'),
  ('ti1', '\x5500120701183520abc0ffee456e4f6365616e019eb63b0001ffffffff4000ad'),
  ('ti2', '\x5500100701ce354020476d62482e313300019eb63b0001ffffffff4000bf'),
  ('v2', '\x5500110701a5313eeac4a2dfc0ffeeeaf20e019eb63b0001ffffffff400089'),
  ('v3', '\x55000d0701fd300e3e2d0005e56d0185e1770001ffffffff400074'),
  ('sc0', '\x55001307017333400027bb17c17a05caf5575de201b0c0d00001ffffffff400022'),
  ('sc1', '\x550014070165334108302fb572a0fd3a4434a4109601b0c0d00001ffffffff40004e'),
  ('sc2', '\x5500140701653342f102e60dc20d777a010203043b01b0c0d00001ffffffff4000a6'),
  ('sc3', '\x55000a0701eb33434c380f01b0c0d00001ffffffff4000d4'),
  ('cdm0', '\x55000f07012b40400009d29fce80086304138bb58001ffffffff400037'),
  ('cdm1', '\x55000b0701804041b502a62004138bb58001ffffffff40001b'),
  ('gp0', '\x55001407016540400017b20102030405060708090a04138bb58001ffffffff40003e'),
  ('gp1', '\x55001407016540410b0c0d0e0f101112131415161704138bb58001ffffffff400033'),
  ('adt', '\x55000f07012ba6a5000055080194e3b90181b7440001ffffffff400042'),
  ('adt_other', '\x55000f07012ba6a5000055080194e3ba0181b7440001ffffffff4000f9'),
  ('a5_on_d2', '\x55000a0701eba50000550804138bb40001ffffffff4000da'),
  ('d2_short', '\x55000e070140d29fce800863b502a604138bb48001ffffffff40006c'),
  ('notfound', '\x55000a0701eba500005508050000010001ffffffff40000a'),
  ('co2_teachin', '\x55000a0701eba508284680051b03c90001ffffffff40000d'),
  ('ute', '\x55000d0701fdd480ff61000050d2051b03c90001ffffffff4000db'),
  ('erp2', '\x55000a020a9b22051b03c900005a08160150a2'),
  -- a secure teach-in whose RLC and key are encrypted with the device's
  -- PSK (VAES, RLC 0), then a SEC_R telegram with the taught key (vectors
  -- made with the openssl command line: enc -aes-128-ecb, mac CMAC)
  ('pti1', '\x5500110701a53528f363589573bb2454475701c0ffee0001ffffffff400079'),
  ('pti2', '\x55001207011835403846509a4425688f7fdef201c0ffee0001ffffffff400068'),
  ('pdata', '\x5500130701733173a171928f00000010c54b8c0901c0ffee0001ffffffff40001d');
-- one telegram per call, in order; times a second apart unless given
CREATE FUNCTION pg_temp.rx(name text, at text) RETURNS SETOF iot.enocean_result
    LANGUAGE sql AS $$ SELECT * FROM iot.enocean_ingest('ap-1', (SELECT frame FROM f WHERE f.name = rx.name), at::timestamptz) $$;
CREATE FUNCTION pg_temp.show(m bigint) RETURNS jsonb
    LANGUAGE sql AS $$ SELECT jsonb_build_object('data', value -> 'telemetry' -> 'data', 'raw', (value -> 'raw') - 'timestamp')
                         FROM iot.message WHERE id = m $$;

----------------------------------------------------------------- security
-- vector 1: SEC_R with a 24-bit implicit rolling code, found 12 codes into
-- the window; decrypted it is a D2-32 current clamp telegram
SELECT outcome, detail, pg_temp.show(message_id) FROM pg_temp.rx('v1', '2024-05-01 12:00:01+00');
SELECT rlc_next, to_hex(rlc_next) FROM iot.enocean_device_state WHERE tenant_id = :'t' AND eurid = '01a0b0c0';
-- the same telegram again (after the duplicate window): the code moved on,
-- so its CMAC matches nothing in the window
SELECT outcome, detail FROM pg_temp.rx('v1', '2024-05-01 12:00:05+00');
-- a secure device sending in clear
SELECT outcome, detail FROM pg_temp.rx('v1_plain', '2024-05-01 12:00:06+00');

-- vector 2: data before the key is known, then the two-part secure
-- teach-in, then the data (a 4BS teach-in for A5-02-04 inside), then a replay
SELECT outcome, detail FROM pg_temp.rx('v2', '2024-05-01 12:00:10+00');
SELECT outcome, detail FROM pg_temp.rx('ti1', '2024-05-01 12:00:11+00');
SELECT kind, seq, parts, encode(state, 'hex') FROM iot.enocean_chain WHERE tenant_id = :'t';
SELECT outcome, message_id IS NULL AS no_message, detail FROM pg_temp.rx('ti2', '2024-05-01 12:00:11.2+00');
SELECT encode(security_key, 'hex') AS key, to_hex(slf::int) AS slf FROM iot.enocean_device WHERE tenant_id = :'t' AND eurid = '019eb63b';
SELECT to_hex(rlc_next) AS rlc_next FROM iot.enocean_device_state WHERE tenant_id = :'t' AND eurid = '019eb63b';
SELECT outcome, detail, pg_temp.show(message_id) FROM pg_temp.rx('v2', '2024-05-01 12:00:13+00');
SELECT outcome, detail FROM pg_temp.rx('v2', '2024-05-01 12:00:15+00');

-- vector 3: a PTM switch's secure nibble, read with D2-03-00
SELECT outcome, detail, pg_temp.show(message_id) FROM pg_temp.rx('v3', '2024-05-01 12:00:20+00');

-- a teach-in encrypted with the pre-shared key: key 112233..., RLC 0x10
SELECT outcome, detail FROM pg_temp.rx('pti1', '2024-05-01 12:00:25+00');
SELECT outcome, detail FROM pg_temp.rx('pti2', '2024-05-01 12:00:25.1+00');
SELECT encode(security_key, 'hex') AS key, to_hex(slf::int) AS slf FROM iot.enocean_device WHERE tenant_id = :'t' AND eurid = '01c0ffee';
SELECT outcome, detail, pg_temp.show(message_id) FROM pg_temp.rx('pdata', '2024-05-01 12:00:26+00');

-- vector 4: a SEC_CDM chain of four parts carrying 31 encrypted bytes:
-- reassembled, authenticated, decrypted, then RORG D1 (MSC) with an EEP
-- the engine does not know
SELECT ord, packet, outcome, detail
  FROM iot.enocean_ingest_batch(ARRAY['ap-1', 'ap-1', 'ap-1', 'ap-1'],
         (SELECT array_agg(frame ORDER BY name) FROM f WHERE name LIKE 'sc_'),
         ARRAY['2024-05-01 12:00:30+00', '2024-05-01 12:00:30.05+00', '2024-05-01 12:00:30.1+00', '2024-05-01 12:00:30.15+00']::timestamptz[]);
SELECT to_hex(rlc_next) AS rlc_next FROM iot.enocean_device_state WHERE tenant_id = :'t' AND eurid = '01b0c0d0';

---------------------------------------------------------------- chaining
-- a D2-14-41 telegram in two CDM parts, in two calls
SELECT outcome, detail FROM pg_temp.rx('cdm0', '2024-05-01 12:01:00+00');
SELECT eurid, kind, seq, parts FROM iot.enocean_chain WHERE tenant_id = :'t';
SELECT outcome, detail, pg_temp.show(message_id) FROM pg_temp.rx('cdm1', '2024-05-01 12:01:00.3+00');
SELECT count(*) AS chains_left FROM iot.enocean_chain WHERE tenant_id = :'t';
-- the generic-profiles example of GP 1.4 (23 bytes, RORG B2): reassembled, not decoded
SELECT outcome, detail FROM pg_temp.rx('gp0', '2024-05-01 12:01:10+00');
SELECT outcome, detail FROM pg_temp.rx('gp1', '2024-05-01 12:01:10.2+00');
-- a second part later than pgiot.enocean_chain_timeout: the first part is
-- dropped (not processed), the late part waits for a first part
SELECT outcome, detail FROM pg_temp.rx('cdm0', '2024-05-01 12:02:00+00');
SELECT outcome, detail FROM pg_temp.rx('cdm1', '2024-05-01 12:02:05+00');
-- the maintenance task drops what waited too long
SET pgiot.now = '2024-05-01 12:10:00+00';
SELECT iot._enocean_maintenance();
SELECT count(*) AS chains_left FROM iot.enocean_chain WHERE tenant_id = :'t';

---------------------------------------------------- encapsulation, decode
-- ADT: decapsulated, the destination kept; a telegram addressed elsewhere
SELECT outcome, detail, pg_temp.show(message_id) FROM pg_temp.rx('adt', '2024-05-01 12:10:01+00');
SELECT outcome, detail FROM pg_temp.rx('adt_other', '2024-05-01 12:10:02+00');
-- data that does not fit the EEP, an EEP the engine does not know
SELECT outcome, detail FROM pg_temp.rx('a5_on_d2', '2024-05-01 12:10:03+00');
SELECT outcome, detail FROM pg_temp.rx('d2_short', '2024-05-01 12:10:04+00');
SELECT outcome, detail FROM pg_temp.rx('notfound', '2024-05-01 12:10:05+00');
-- teach-in telegrams (4BS variation 2, UTE) are reported, not decoded as data
SELECT outcome, detail, pg_temp.show(message_id) FROM pg_temp.rx('co2_teachin', '2024-05-01 12:10:06+00');
SELECT outcome, detail, pg_temp.show(message_id) -> 'data' FROM pg_temp.rx('ute', '2024-05-01 12:10:07+00');
-- ERP2 (ESP3 packet type 0x0A) from the same device
SELECT outcome, detail, pg_temp.show(message_id) FROM pg_temp.rx('erp2', '2024-05-01 12:10:08+00');

------------------------------------------------------ events and statistics
SELECT type, payload -> 'sensor' ->> 'id' AS eurid, payload -> 'meta' -> 'events' AS events
  FROM iot.event WHERE tenant_id = :'t' AND type <> 'enocean.FIRST_TIME_SEND' ORDER BY id;
SELECT eurid, total, processed, not_processed, duplicates FROM iot.enocean_device_stats WHERE tenant_id = :'t' ORDER BY eurid;
-- the most recent telemetry is the last data telegram (teach-ins excluded)
SELECT eurid, doc -> 'raw' ->> 'data' AS data FROM iot.enocean_telemetry_recent WHERE tenant_id = :'t' ORDER BY eurid;
-- the key never reaches a message or an event
SELECT count(*) AS key_leaks FROM iot.message m WHERE m.tenant_id = :'t'
   AND (m.value::text ILIKE '%456e4f6365616e20476d62482e313300%' OR encode(m.raw, 'hex') LIKE '%456e4f6365616e%');
SELECT count(*) AS key_leaks FROM iot.event e WHERE e.tenant_id = :'t' AND e.payload::text ILIKE '%456e4f63%';
