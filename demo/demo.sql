-- The demo tenant: groups, 24 devices with tags, properties and static
-- locations, and a day of messages (one every 10 minutes per device),
-- ingested through iot.ingest_batch.  Run by `make run`; safe to run again.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

SELECT NOT EXISTS (SELECT FROM iot.tenant WHERE name = 'demo') AS fresh \gset
\if :fresh
SELECT master_key AS demo_master_key FROM iot.tenant_create('demo') \gset
SELECT iot.use_tenant('demo') IS NOT NULL AS selected \gset

SELECT count(*) AS groups FROM (VALUES ('/France/Paris'), ('/France/Lyon'), ('/Spain/Madrid')) g(path),
       LATERAL iot.group_ensure(g.path) \gset

-- 24 environment sensors, 8 per city, with an MQTT interface each
SELECT count(*) AS devices
  FROM (SELECT i, (ARRAY['Paris', 'Lyon', 'Madrid'])[1 + (i - 1) / 8] AS city FROM generate_series(1, 24) i) d,
  LATERAL iot.device_create(jsonb_build_object(
      'id', format('urn:lo:nsid:demo:env%s', lpad(i::text, 2, '0')),
      'name', format('%s sensor %s', city, i),
      'tags', jsonb_build_array(city, CASE WHEN i % 4 = 0 THEN 'outdoor' ELSE 'indoor' END),
      'properties', jsonb_build_object('model', 'EnvSense-3', 'floor', (i % 5)::text),
      'group', jsonb_build_object('path', CASE city WHEN 'Madrid' THEN '/Spain/Madrid' ELSE '/France/' || city END),
      'staticLocation', jsonb_build_object(
          'lat', CASE city WHEN 'Paris' THEN 48.8566 WHEN 'Lyon' THEN 45.7640 ELSE 40.4168 END + (i % 8) * 0.004,
          'lon', CASE city WHEN 'Paris' THEN 2.3522 WHEN 'Lyon' THEN 4.8357 ELSE -3.7038 END + (i % 8) * 0.006),
      'interfaces', jsonb_build_array(jsonb_build_object('connector', 'mqtt',
          'definition', jsonb_build_object('clientId', format('urn:lo:nsid:demo:env%s', lpad(i::text, 2, '0'))))))) \gset

-- a day of data: temperature follows the sun, humidity the other way
SELECT count(*) FILTER (WHERE r.id IS NOT NULL) AS messages
  FROM (SELECT jsonb_agg(jsonb_build_object(
                 'connector', 'mqtt',
                 'nodeId', format('urn:lo:nsid:demo:env%s', lpad(d::text, 2, '0')),
                 'message', jsonb_build_object(
                     'timestamp', iot.iso_time(t),
                     'model', 'envsense_v3',
                     'value', jsonb_build_object(
                         'temperature', round((19 + 6 * sin(2 * pi() * extract(hour FROM t) / 24 - 2) + d % 3)::numeric, 2),
                         'humidity', round((55 - 15 * sin(2 * pi() * extract(hour FROM t) / 24 - 2) + d % 7)::numeric, 1),
                         'co2', 400 + (d * 37 + extract(epoch FROM t)::int / 600 * 13) % 600,
                         'doorOpen', (extract(epoch FROM t)::int / 600 + d) % 17 = 0))))
               AS batch
          FROM generate_series(1, 24) d,
               generate_series(date_trunc('hour', now()) - interval '24 hours', date_trunc('hour', now()), interval '10 minutes') t
         GROUP BY d) b,
       LATERAL iot.ingest_batch(b.batch) r \gset

SELECT id AS demo_device_key_id, secret AS demo_device_key
  FROM iot.api_key_create('demo devices', ARRAY['DEVICE_ACCESS', 'DATA_W']) \gset
\echo
\echo Demo tenant created: :groups groups, :devices devices, :messages messages over the last 24 hours.
\echo Master API key (shown once): :demo_master_key
\echo Device API key (shown once): :demo_device_key
\else
\echo
\echo The demo tenant already exists.
\endif
