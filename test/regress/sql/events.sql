-- Events and the transactional outbox.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2026-01-15 10:00:00+00';
SELECT iot.tenant_create('events-t') IS NOT NULL;
SELECT iot.use_tenant('events-t') IS NOT NULL;

SELECT iot.event_emit('deviceStatus', 'devices', '{"deviceId": "urn:lo:nsid:e:1", "status": {"current": "ONLINE"}}',
                      'urn:lo:nsid:e:1') IS NOT NULL AS emitted;
SELECT iot.event_emit('enocean.FIRST_TIME_SEND', 'enocean', '{"sender": "0123ABCD"}', route => false) IS NOT NULL;
SELECT type, source, device_id, payload FROM iot.event WHERE tenant_id = iot.current_tenant() ORDER BY id;
SELECT channel, topic, device_id, payload FROM iot.outbox WHERE tenant_id = iot.current_tenant() ORDER BY id;
-- a rolled-back event leaves nothing to send
BEGIN;
SELECT iot.event_emit('lost', 'test', '{}') IS NOT NULL;
ROLLBACK;
SELECT count(*) AS outbox_rows FROM iot.outbox WHERE tenant_id = iot.current_tenant();

-- consumers (service roles) claim across tenants, never the same row twice
SELECT iot.outbox_put('mqtt', 'dev/cmd', jsonb_build_object('n', n), 'urn:lo:nsid:e:1') IS NOT NULL
  FROM generate_series(1, 5) n;
CREATE ROLE regress_events_bridge LOGIN;
GRANT pgiot_service TO regress_events_bridge;
SET ROLE regress_events_bridge;
RESET iot.tenant;
BEGIN;
SELECT array_agg(payload ->> 'n' ORDER BY id) AS first_claim FROM iot.outbox_claim('mqtt', 3);
SELECT iot.outbox_done(array_agg(id)) FROM iot.outbox_claim('mqtt', 2);
COMMIT;
SELECT array_agg(payload ->> 'n' ORDER BY id) AS left_to_claim FROM iot.outbox_claim('mqtt', 10);
-- a failed delivery comes back after its back-off
BEGIN;
SELECT iot.outbox_done(array_agg(id), 'broker down', '1 minute') FROM iot.outbox_claim('mqtt', 1);
COMMIT;
SELECT count(*) AS ready_now FROM iot.outbox_claim('mqtt', 10);
RESET ROLE;
SET pgiot.now = '2026-01-15 10:02:00+00';
SET ROLE regress_events_bridge;
SELECT count(*) AS ready_later FROM iot.outbox_claim('mqtt', 10);
RESET ROLE;
SELECT attempts, last_error FROM iot.outbox WHERE last_error IS NOT NULL;
SELECT test.try($$SELECT iot.outbox_put('mqtt', 'x', '{}')$$);  -- the superuser has no tenant here

-- maintenance purges delivered rows and old events (registered task)
SELECT iot.use_tenant('events-t') IS NOT NULL;
SET pgiot.now = '2026-03-01 00:00:00+00';
SET pgiot.audit_retention_days = 30;
SELECT (iot.maintenance_run() -> 'events' ->> 'eventsPurged')::int >= 2 AS events_purged;
SELECT count(*) AS events_left FROM iot.event WHERE tenant_id = iot.current_tenant();
SELECT name, fn, enabled FROM iot.maintenance_task WHERE name = 'events';

-- the batch form: events and router rows in array order, one notification
RESET pgiot.now;
SELECT iot.event_emit_many(ARRAY['a', 'b', 'c'], 'test',
                           ARRAY['{"n": 1}', '{"n": 2}', '{"n": 3}']::jsonb[], ARRAY['d1', NULL, 'd3']);
SELECT type, source, device_id, payload FROM iot.event
 WHERE tenant_id = iot.current_tenant() AND source = 'test' ORDER BY id;
SELECT topic, device_id, payload FROM iot.outbox
 WHERE tenant_id = iot.current_tenant() AND channel = 'router' AND payload ->> 'type' IN ('a', 'b', 'c') ORDER BY id;
SELECT iot.event_emit_many('{}', 'test', '{}', '{}');            -- nothing to do
SELECT test.try($$SELECT iot.event_emit_many(ARRAY['x'], 'test', ARRAY['{}']::jsonb[], ARRAY['d1', 'd2'])$$);
SELECT iot.event_emit_many(ARRAY['unrouted'], 'test', ARRAY['{}']::jsonb[], ARRAY['d1'], false);
SELECT count(*) AS unrouted_in_outbox FROM iot.outbox WHERE payload ->> 'type' = 'unrouted';
