-- EnOcean pipeline: onboarding (the connector's API), iot.enocean_ingest
-- with the connector's three decoding examples reproduced document for
-- document, the signal example, a junk-laden stream, duplicates from two
-- gateways, statistics after the run, most recent telemetry, backups.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2021-01-29 13:30:00+00';
SELECT tenant_id AS t FROM iot.tenant_create('enocean-t') \gset
SELECT iot.use_tenant('enocean-t') IS NOT NULL;

------------------------------------------------------------- onboarding
SELECT iot.enocean_device_onboard('{"sourceEurid": "04138BB4", "eep": "D2-14-41", "friendlyID": "Multisensor 1", "location": "Cloud center"}');
SELECT iot.enocean_device_onboard('{"sourceEurid": "051b03c9", "eep": "a5-09-09", "friendlyID": "co2_Hardware2", "location": "Hardware 2"}');
SELECT iot.enocean_device_onboard('{"sourceEurid": "feee14ab", "eep": "F6-02-01", "friendlyID": "switch1", "location": "Entrance", "isPTM": "true"}');
SELECT iot.enocean_device_onboard('{"sourceEurid": "0413d759", "eep": "d2-14-41", "friendlyID": "0413D759 D2-14-41 SIMU Multisensor", "location": "Office 265", "customTag": ""}');
-- each is a platform device with an enocean interface (nodeId = EURID)
SELECT d.id, d.name, d.tags, d.properties, i.connector, i.node_id, i.definition
  FROM iot.device d JOIN iot.device_interface i ON i.tenant_id = d.tenant_id AND i.device_id = d.id
 WHERE d.tenant_id = :'t' ORDER BY d.id;
SELECT iot.enocean_device_get('04138BB4');
SELECT count(*) FROM iot.enocean_devices();
-- bad onboarding requests
SELECT test.try($$SELECT iot.enocean_device_onboard('{"sourceEurid": "04138bb4", "eep": "D2-14-41"}')$$);
SELECT test.try($$SELECT iot.enocean_device_onboard('{"sourceEurid": "04138bz4", "eep": "D2-14-41"}')$$);
SELECT test.try($$SELECT iot.enocean_device_onboard('{"sourceEurid": "04138b", "eep": "D2-14-41"}')$$);
SELECT test.try($$SELECT iot.enocean_device_onboard('{"sourceEurid": "04138bb9"}')$$);
SELECT test.try($$SELECT iot.enocean_device_onboard('{"sourceEurid": "04138bb9", "eep": "D2-14"}')$$);
SELECT test.try($$SELECT iot.enocean_device_onboard('{"sourceEurid": "04138bb9", "eep": "D2-14-41", "activeFlag": "maybe"}')$$);
SELECT test.try($$SELECT iot.enocean_device_onboard('{"sourceEurid": "04138bb9", "eep": "D2-14-41", "securityProfile": {"key": "00112233445566778899aabbccddeeff"}}')$$);
SELECT test.try($$SELECT iot.enocean_device_onboard('{"sourceEurid": "04138bb9", "eep": "D2-14-41", "securityProfile": {"key": "0011", "slf": "0xF3"}}')$$);
SELECT test.try($$SELECT iot.enocean_device_onboard('{"sourceEurid": "04138bb9", "eep": "D2-14-41", "securityProfile": {"key": "00112233445566778899aabbccddeeff", "slf": "0x3C"}}')$$);
SELECT test.try($$SELECT iot.enocean_device_onboard('[1]')$$);
SELECT count(*) AS nothing_half_stored FROM iot.device WHERE tenant_id = :'t' AND id LIKE '%04138bb9';

------------------------------------------- the connector's three examples
-- Each device sends the same telegram six times (a minute apart); the
-- sixth document equals the connector's example: statistics 6/6/0.
CREATE TEMP TABLE seed (name text, frame bytea, received timestamptz, egress timestamptz, doc jsonb);
INSERT INTO seed VALUES
 ('multisensor', '\x55000F07012BD29FCE800863B502A62004138BB48000FFFFFFFF4D0025',
  '2021-01-29 13:37:59.166352+00', '2021-01-29 13:37:59.169171+00', $${
    "sensor": {"friendlyId": "Multisensor 1", "id": "04138bb4", "location": "Cloud center"},
    "telemetry": {
        "data": [{"key": "temperature", "value": 23.9, "unit": "°C"}, {"key": "humidity", "value": 29.0, "unit": "%"},
                 {"key": "illumination", "value": 67.0, "unit": "lx"},
                 {"key": "accelerationStatus", "value": "heartbeat", "meaning": "Heartbeat"},
                 {"key": "accelerationX", "value": -0.13, "unit": "g"}, {"key": "accelerationY", "value": 0.08, "unit": "g"},
                 {"key": "accelerationZ", "value": -0.97, "unit": "g"},
                 {"key": "contact", "value": "open", "meaning": "Window opened"}],
        "signal": [],
        "meta": {"stats": [{"egressTime": "1611927479.169171", "notProcessed": 0, "succesfullyProcessed": 6, "totalTelegramCount": 6}]}},
    "raw": {"data": "d29fce800863b502a620", "sender": "04138bb4", "status": "80", "subTelNum": 0,
            "destination": "ffffffff", "rssi": 77, "securityLevel": 0, "timestamp": "1611927479.166352"}}$$),
 ('co2', '\x55000A0701EBA500005008051B03C90100FFFFFFFF500090',
  '2021-01-29 13:38:55.071477+00', '2021-01-29 13:38:55.073157+00', $${
    "sensor": {"friendlyId": "co2_Hardware2", "id": "051b03c9", "location": "Hardware 2"},
    "telemetry": {
        "data": [{"key": "co2", "value": 627.45, "unit": "ppm"},
                 {"key": "learn", "value": "notPressed", "meaning": "Data telegram"},
                 {"key": "powerFailureDetected", "value": "False", "meaning": "Power failure not detected"}],
        "signal": [],
        "meta": {"stats": [{"egressTime": "1611927535.0731573", "notProcessed": 0, "succesfullyProcessed": 6, "totalTelegramCount": 6}]}},
    "raw": {"data": "a500005008", "sender": "051b03c9", "status": "01", "subTelNum": 0,
            "destination": "ffffffff", "rssi": 80, "securityLevel": 0, "timestamp": "1611927535.0714777"}}$$),
 ('switch', '\x55000707017AF600FEEE14AB2000FFFFFFFF4700AD',
  '2021-01-29 13:37:42.469978+00', '2021-01-29 13:37:42.471145+00', $${
    "sensor": {"friendlyId": "switch1", "id": "feee14ab", "location": "Entrance"},
    "telemetry": {
        "data": [{"key": "energybow", "value": "released", "meaning": "Energy Bow released"}],
        "signal": [],
        "meta": {"stats": [{"egressTime": "1611927462.4711452", "notProcessed": 0, "succesfullyProcessed": 6, "totalTelegramCount": 6}]}},
    "raw": {"data": "f600", "sender": "feee14ab", "status": "20", "subTelNum": 0,
            "destination": "ffffffff", "rssi": 71, "securityLevel": 0, "timestamp": "1611927462.469978"}}$$);

-- five earlier telegrams of each device, then the example's
SELECT s.name, r.ord, r.packet, r.gateway, r.eurid, r.device_id, r.outcome, r.message_id IS NOT NULL AS stored, r.detail
  FROM seed s, generate_series(5, 1, -1) k,
       iot.enocean_ingest('d0:15:46:c2:04:a2', s.frame, s.received - k * interval '1 minute') r
 ORDER BY s.name, k DESC;
SELECT set_config('pgiot.now', egress::text, false) IS NOT NULL FROM seed WHERE name = 'multisensor';
SELECT outcome, message_id IS NOT NULL AS stored FROM seed s, iot.enocean_ingest('d0:15:46:c2:04:a2', s.frame, s.received) WHERE s.name = 'multisensor';
SELECT set_config('pgiot.now', egress::text, false) IS NOT NULL FROM seed WHERE name = 'co2';
SELECT outcome, message_id IS NOT NULL AS stored FROM seed s, iot.enocean_ingest('d0:15:46:c2:04:a2', s.frame, s.received) WHERE s.name = 'co2';
SELECT set_config('pgiot.now', egress::text, false) IS NOT NULL FROM seed WHERE name = 'switch';
SELECT outcome, message_id IS NOT NULL AS stored FROM seed s, iot.enocean_ingest('d0:15:46:c2:04:a2', s.frame, s.received) WHERE s.name = 'switch';

-- the multisensor document is the connector's, byte for byte
SELECT jsonb_pretty(m.value) FROM iot.message m WHERE m.tenant_id = :'t' AND m.device_id = 'urn:lo:nsid:enocean:04138bb4'
 ORDER BY m.ts DESC LIMIT 1;
SELECT s.name, m.value = s.doc AS identical,
       -- the connector prints its times with 7 decimals; ours are microseconds
       (m.value #- '{raw,timestamp}' #- '{telemetry,meta,stats,0,egressTime}')
         = (s.doc #- '{raw,timestamp}' #- '{telemetry,meta,stats,0,egressTime}') AS identical_but_times,
       m.value #>> '{raw,timestamp}' AS timestamp, m.value #>> '{telemetry,meta,stats,0,egressTime}' AS egress
  FROM seed s
  JOIN LATERAL (SELECT * FROM iot.message m WHERE m.tenant_id = :'t' AND m.value #>> '{raw,sender}' = s.doc #>> '{raw,sender}'
                 ORDER BY m.ts DESC LIMIT 1) m ON true
 ORDER BY s.name;
-- a platform message like any other: stream, model, metadata, raw frame
SELECT stream_id, model, ts, received, metadata, encode(raw, 'hex') AS raw
  FROM iot.message WHERE tenant_id = :'t' AND device_id = 'urn:lo:nsid:enocean:feee14ab' ORDER BY ts DESC LIMIT 1;
SELECT doc - 'id' - 'created' FROM iot.message_doc
 WHERE tenant_id = :'t' AND device_id = 'urn:lo:nsid:enocean:051b03c9' ORDER BY ts DESC LIMIT 1;
SELECT id, last_seen FROM iot.device WHERE tenant_id = :'t' ORDER BY id;

---------------------------------------------------- the signal example
-- the connector's later format (friendlyID, eep, customTag, numeric status,
-- negative RSSI, uuid, subTimestamp, subtelegrams)
SET pgiot.enocean_json_format = 'current';
SET pgiot.now = '2021-12-07 11:35:00+00';
SELECT count(*) FILTER (WHERE outcome = 'processed') AS processed
  FROM generate_series(5, 1, -1) k,
       iot.enocean_ingest('aabbccddeeff', '\x55000807013DD006380413D7598001FFFFFFFF40001C',
                          '2021-12-07 11:35:03+00'::timestamptz - k * interval '1 minute');
SET pgiot.now = '2021-12-07 11:35:10.137704+00';
SELECT outcome FROM iot.enocean_ingest('aabbccddeeff', '\x55000807013DD006380413D7598001FFFFFFFF40001C', '2021-12-07 11:35:03+00');
SELECT (m.value #- '{raw,uuid}') = ($${
    "sensor": {"friendlyID": "0413D759 D2-14-41 SIMU Multisensor", "id": "0413d759", "location": "Office 265", "eep": "d2-14-41", "customTag": ""},
    "telemetry": {"data": [],
        "signal": [{"key": "signalIdentifier", "value": "0x6", "meaning": "Energy status of device"}, {"key": "energy", "value": 56.0, "unit": "%"}],
        "meta": {"stats": [{"egressTime": "1638876910.137704", "notProcessed": 0, "succesfullyProcessed": 6, "totalTelegramCount": 6}]}},
    "raw": {"uuid": "f521f37c-3a82-42cb-b1cc-c889e946cef3", "data": "d00638", "sender": "0413d759", "status": 128, "subTelNum": 1,
            "destination": "ffffffff", "rssi": -64, "securityLevel": 0, "timestamp": "1638876903", "subTimestamp": 0, "subtelegrams": []}}$$::jsonb #- '{raw,uuid}') AS identical_but_uuid,
       m.value #>> '{raw,uuid}' ~ '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' AS uuid_v4
  FROM iot.message m WHERE m.tenant_id = :'t' AND m.device_id = 'urn:lo:nsid:enocean:0413d759' ORDER BY m.ts DESC LIMIT 1;
RESET pgiot.enocean_json_format;

------------------------------------------------- a junk-laden byte stream
-- junk, the switch's frame, a truncated CO2 frame, the CO2 frame, an ESP3
-- RESPONSE, more junk: two telegrams processed, the response reported
SET pgiot.now = '2021-01-29 14:00:00+00';
SELECT ord, packet, gateway, eurid, outcome, message_id IS NOT NULL AS stored, detail
  FROM iot.enocean_ingest('d0:15:46:c2:04:a2',
    '\x005512'
    '55000707017af600feee14ab2000ffffffff4700ad'
    '55000a0701eba50000'
    '55000a0701eba500005008051b03c90100ffffffff500090'
    '5500050002ce00ff800000da'
    'ff55ff'::bytea,
    '2021-01-29 14:00:00+00');
-- nothing readable, an unknown device, a missing or bad gateway, no frame
SELECT ord, packet, gateway, eurid, outcome, detail
  FROM iot.enocean_ingest_batch(
    ARRAY['d0:15:46:c2:04:a2', 'd0:15:46:c2:04:a2', NULL, 'bad gw!', 'd0:15:46:c2:04:a2'],
    ARRAY['\x0102030455'::bytea, '\x55000707017af6300badcafe3001ffffffff400023', '\x55000707017af600feee14ab2000ffffffff4700ad', '\x55000707017af600feee14ab2000ffffffff4700ad', NULL],
    ARRAY['2021-01-29 14:00:01+00', '2021-01-29 14:00:01+00', '2021-01-29 14:00:01+00', '2021-01-29 14:00:01+00', '2021-01-29 14:00:01+00']::timestamptz[]);
SELECT eurid, first_seen, last_seen, telegrams, last_gateway, last_data FROM iot.enocean_unknown_sender WHERE tenant_id = :'t';
SELECT test.try($$SELECT * FROM iot.enocean_ingest_batch(ARRAY['a', 'b'], ARRAY['\x00'::bytea])$$);
SELECT test.try($$SELECT * FROM iot.enocean_ingest_batch(ARRAY['a'], ARRAY['\x00'::bytea], ARRAY[now(), now()])$$);
SELECT count(*) AS empty FROM iot.enocean_ingest_batch('{}', '{}');

------------------------------------------ duplicates from two gateways
-- one telegram received by three APs: two copies within 500 ms (one
-- call), a third 600 ms after the first, a fourth in a later call 50 ms
-- after the third
SET pgiot.now = '2021-01-29 15:00:00+00';
SELECT ord, packet, gateway, outcome, message_id IS NOT NULL AS stored, detail
  FROM iot.enocean_ingest_batch(
    ARRAY['ap-1', 'ap-2', 'ap-3'],
    ARRAY['\x55000A0701EBA500005008051B03C90100FFFFFFFF500090'::bytea, '\x55000A0701EBA500005008051B03C90100FFFFFFFF500090', '\x55000A0701EBA500005008051B03C90100FFFFFFFF500090'],
    ARRAY['2021-01-29 15:00:00.000+00', '2021-01-29 15:00:00.100+00', '2021-01-29 15:00:00.600+00']::timestamptz[],
    ARRAY[-70, -85, NULL]);
SELECT ord, packet, gateway, outcome, message_id IS NOT NULL AS stored, detail
  FROM iot.enocean_ingest('ap-4', '\x55000A0701EBA500005008051B03C90100FFFFFFFF500090', '2021-01-29 15:00:00.650+00', -90);
-- the kept telegrams record the duplicates' gateway and RSSI
SELECT ts, metadata -> 'network' AS network FROM iot.message
 WHERE tenant_id = :'t' AND device_id = 'urn:lo:nsid:enocean:051b03c9' AND ts >= '2021-01-29 15:00:00+00' ORDER BY ts;
-- a copy repeated by a repeater (repeater count 1 instead of 0) is a duplicate too
SELECT outcome, detail FROM iot.enocean_ingest('ap-1', '\x55000A0701EBA500005008051B03C90100FFFFFFFF500090', '2021-01-29 15:00:10+00');
SELECT outcome, detail FROM iot.enocean_ingest('ap-2', '\x55000a0701eba500005008051b03c90200ffffffff5a0027', '2021-01-29 15:00:10.2+00');
-- the window is a setting
SET pgiot.enocean_duplicate_window = '50ms';
SELECT outcome FROM iot.enocean_ingest('ap-1', '\x55000A0701EBA500005008051B03C90100FFFFFFFF500090', '2021-01-29 15:00:20+00');
SELECT outcome FROM iot.enocean_ingest('ap-2', '\x55000A0701EBA500005008051B03C90100FFFFFFFF500090', '2021-01-29 15:00:20.1+00');
RESET pgiot.enocean_duplicate_window;

--------------------------------------------------- statistics after a run
SELECT eurid, total, processed, not_processed, duplicates, first_seen, last_seen FROM iot.enocean_device_stats
 WHERE tenant_id = :'t' ORDER BY eurid;
SELECT jsonb_pretty(iot.enocean_device_statistics('051B03C9', 'FFFFFFFF'));
SELECT jsonb_array_length(iot.enocean_device_statistics()) AS devices;
SELECT mac, total, processed, not_processed, duplicates, last_seen FROM iot.enocean_gateway_stats WHERE tenant_id = :'t' ORDER BY mac;
SELECT iot.enocean_gateway_register('d0:15:46:c2:04:a2', 'AP-305', '8.7.1.1-8.7.1.1',
       '[{"usb_identifier": "ENOCEAN_USB:deb480d77718bbbe5253896b9300acfd", "usb_health": "healthy"}]');
SELECT jsonb_pretty(g) FROM jsonb_array_elements(iot.enocean_gateway_statistics()) g
 WHERE g -> 'device' ->> 'mac' = 'd01546c204a2';
SELECT g FROM iot.enocean_gateways() g WHERE g -> 'gateway_info' ->> 'hardwareDescriptor' <> '';
-- events: first time send of each device, the unknown device once
SELECT type, device_id, payload -> 'sensor' ->> 'id' AS eurid, payload -> 'meta' -> 'events' AS events
  FROM iot.event WHERE tenant_id = :'t' ORDER BY id;
-- ... and queued for the router like every event
SELECT count(*) FROM iot.outbox WHERE tenant_id = :'t' AND channel = 'router' AND payload ->> 'type' LIKE 'enocean.%';

------------------------------------------------------ most recent telegrams
SELECT eurid, device_id, received, doc -> 'telemetry' -> 'data' -> 0 AS first_value FROM iot.enocean_telemetry_recent
 WHERE tenant_id = :'t' ORDER BY eurid;
SELECT eurid, doc -> 'telemetry' -> 'signal' AS signal FROM iot.enocean_signal_recent WHERE tenant_id = :'t';
SELECT jsonb_array_length(iot.enocean_telemetry_most_recent()) AS telemetry, jsonb_array_length(iot.enocean_signals_most_recent()) AS signals;

------------------------------------------------- update, delete, backup
SELECT iot.enocean_device_update('feee14ab', '{"friendlyID": "switch entrance", "activeFlag": false}');
SELECT outcome, detail FROM iot.enocean_ingest('ap-1', '\x55000707017AF600FEEE14AB2000FFFFFFFF4700AD', '2021-01-29 16:00:00+00');
SELECT test.try($$SELECT iot.enocean_device_update('ffffffff', '{}')$$);
SELECT iot.enocean_backup_export() -> 'devices' -> 3 AS switch, jsonb_array_length(iot.enocean_backup_export() -> 'gateways') AS gateways;
SELECT iot.enocean_backup_export() AS backup \gset
SELECT iot.enocean_device_delete('feee14ab');
SELECT iot.enocean_device_delete('0413d759', keep_device => true);
SELECT id, (SELECT count(*) FROM iot.device_interface i WHERE i.tenant_id = d.tenant_id AND i.device_id = d.id) AS interfaces
  FROM iot.device d WHERE d.tenant_id = :'t' ORDER BY id;
SELECT test.try($$SELECT iot.enocean_device_delete('feee14ab')$$);
SELECT iot.enocean_backup_import(:'backup');
SELECT eurid, device_id, friendly_id, active FROM iot.enocean_device WHERE tenant_id = :'t' ORDER BY eurid;
SELECT test.try($$SELECT iot.enocean_backup_import('{"devices": [{"sourceEurid": "01020304", "eep": "a5-02-05"}, {"sourceEurid": "xx"}]}')$$);
SELECT count(*) AS rolled_back FROM iot.enocean_device WHERE tenant_id = :'t' AND eurid = '01020304';

------------------------------------------------------------------ tenancy
SELECT iot.tenant_create('enocean-other') IS NOT NULL;
SELECT iot.use_tenant('enocean-other') IS NOT NULL;
SELECT count(*) FROM iot.enocean_devices();
SELECT iot.enocean_device_statistics(), iot.enocean_gateway_statistics(), iot.enocean_telemetry_most_recent();
-- a telegram of another tenant's device is an unknown device here
SELECT outcome, detail FROM iot.enocean_ingest('ap-9', '\x55000A0701EBA500005008051B03C90100FFFFFFFF500090', '2021-01-29 17:00:00+00');
-- a role bound to the tenant does the same work under row-level security,
-- including recording a later call's duplicate on the stored message
CREATE ROLE enocean_tenant_role;
SELECT iot.tenant_bind_role('enocean_tenant_role', 'enocean-other');
SET ROLE enocean_tenant_role;
SELECT iot.enocean_device_onboard('{"sourceEurid": "051b03c9", "eep": "A5-09-09"}') ->> 'deviceId';
SELECT outcome FROM iot.enocean_ingest('ap-9', '\x55000A0701EBA500005008051B03C90100FFFFFFFF500090', '2021-01-29 17:01:00+00');
SELECT outcome FROM iot.enocean_ingest('ap-8', '\x55000A0701EBA500005008051B03C90100FFFFFFFF500090', '2021-01-29 17:01:00.2+00', -91);
SELECT current_user, metadata -> 'network' FROM iot.message;
SELECT count(*) AS other_tenants_rows FROM iot.enocean_device_state WHERE eurid <> '051b03c9';
RESET ROLE;
SELECT iot.use_tenant('enocean-t') IS NOT NULL;

-- the hot path is C, not PL/pgSQL
SELECT p.proname, l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.oid IN ('iot.enocean_ingest'::regproc, 'iot.enocean_ingest_batch'::regproc) ORDER BY 1;
