-- Activity processing (17.2.7): per device or group, SILENT after the
-- duration without activity, reminders every repeatInterval, ACTIVE again
-- on activity (UNKNOWN -> ACTIVE too, decision 20), durations raised to
-- the 10-minute floor (a setting lowers it here), rule updates back to
-- UNKNOWN.  The periodic sweep is called at moved clock times.  Digest
-- T26, T27.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2100-04-01 00:00:00+00';
SELECT iot.tenant_create('rules-activity-t') IS NOT NULL;
SELECT iot.use_tenant('rules-activity-t') IS NOT NULL;

CREATE FUNCTION pg_temp.settle() RETURNS boolean LANGUAGE sql AS $$
    SELECT test.wait_for(format('SELECT NOT EXISTS (SELECT FROM iot.rule_queue WHERE tenant_id = %L)',
                                iot.current_tenant()))
$$;
CREATE FUNCTION pg_temp.activity(after bigint) RETURNS TABLE (device text, rule text, state text, previous text, reminders int, at text)
    LANGUAGE sql AS $$
    SELECT e.payload ->> 'deviceId', e.payload -> 'activityRule' ->> 'name', e.payload ->> 'state',
           e.payload ->> 'previousState', (e.payload ->> 'numberOfAlarmReminders')::int, e.payload ->> 'timestamp'
      FROM iot.event e WHERE e.tenant_id = iot.current_tenant() AND e.type = 'deviceActivity' AND e.id > after
     ORDER BY e.id
$$;
CREATE FUNCTION pg_temp.mark() RETURNS bigint LANGUAGE sql AS $$ SELECT coalesce(max(id), 0) FROM iot.event $$;
-- the sweep at a given time
CREATE FUNCTION pg_temp.sweep_at(at timestamptz) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('pgiot.now', at::text, false);
    RETURN iot.activity_sweep();
END
$$;
CREATE FUNCTION pg_temp.activity_of(device text) RETURNS text LANGUAGE sql AS $$
    SELECT iot.device_get(device) ->> 'activityState'
$$;

SELECT iot.group_ensure('/france/lyon/part-dieu') IS NOT NULL, iot.group_ensure('/france/paris') IS NOT NULL,
       iot.group_ensure('/france/lyonnaise') IS NOT NULL;
SELECT iot.device_create('{"id": "urn:lo:nsid:dongle:00-14-22-01-23-45", "name": "myDongle001", "group": {"path": "/france/lyon/part-dieu"}}') IS NOT NULL;
SELECT iot.device_create('{"id": "urn:lo:nsid:ap:lyon2", "name": "lyon two", "group": {"path": "/france/lyon"}}') IS NOT NULL;
SELECT iot.device_create('{"id": "urn:lo:nsid:ap:paris", "name": "paris", "group": {"path": "/france/paris"}}') IS NOT NULL;
SELECT iot.device_create('{"id": "urn:lo:nsid:ap:lyonnaise", "group": {"path": "/france/lyonnaise"}}') IS NOT NULL;

-- T26: the manual's rule
SELECT iot.activity_rule_create('{"id": "ac710000-0000-0000-0000-000000000001", "name": "devices in Lyon", "enabled": true,
    "silentPolicy": {"duration": "P1D", "repeatInterval": "PT12H"},
    "targets": {"groupPaths": [{"path": "/france/lyon", "includeSubPath": true}]}}') - 'created' - 'updated' AS activity_rule;
SELECT pg_temp.activity_of('urn:lo:nsid:dongle:00-14-22-01-23-45') AS dongle, pg_temp.activity_of('urn:lo:nsid:ap:paris') AS paris;
SELECT pg_temp.mark() AS m0 \gset
-- data at T = 08:29:49.029: UNKNOWN -> ACTIVE
SET pgiot.now = '2100-04-01 08:29:49.029+00';
SELECT iot.ingest('{"value": {"n": 1}}', 'urn:lo:nsid:dongle:00-14-22-01-23-45') IS NOT NULL;
SELECT iot.ingest('{"value": {"n": 1}}', 'urn:lo:nsid:ap:paris') IS NOT NULL;
SELECT pg_temp.settle();
SELECT * FROM pg_temp.activity(:m0);
SELECT pg_temp.activity_of('urn:lo:nsid:dongle:00-14-22-01-23-45') AS dongle;
-- one day later, one millisecond early: lyon2 (never heard of since the
-- rule exists) goes SILENT, the dongle not yet
SELECT pg_temp.mark() AS m1 \gset
SELECT pg_temp.sweep_at('2100-04-02 08:29:49.028+00');
-- T + 1 day: SILENT, no reminder yet; T + 1.5 days, T + 2 days: reminders
SELECT pg_temp.sweep_at('2100-04-02 08:29:49.029+00');
SELECT pg_temp.sweep_at('2100-04-02 20:29:49.029+00');
SELECT pg_temp.sweep_at('2100-04-03 08:29:49.029+00');
SELECT pg_temp.sweep_at('2100-04-03 08:30:00+00');  -- nothing due
SELECT * FROM pg_temp.activity(:m1);
SELECT pg_temp.activity_of('urn:lo:nsid:dongle:00-14-22-01-23-45') AS dongle, pg_temp.activity_of('urn:lo:nsid:ap:paris') AS paris,
       pg_temp.activity_of('urn:lo:nsid:ap:lyonnaise') AS lyonnaise;
-- the whole event: deviceAdditionalInfo, the rule whole
SELECT jsonb_pretty(payload) AS device_activity FROM iot.event
 WHERE tenant_id = iot.current_tenant() AND type = 'deviceActivity' AND payload ->> 'numberOfAlarmReminders' = '1'
   AND payload ->> 'deviceId' = 'urn:lo:nsid:dongle:00-14-22-01-23-45';
-- data at T + 2d1h: ACTIVE again; then silent one day later, reminders from 0
SELECT pg_temp.mark() AS m2 \gset
SET pgiot.now = '2100-04-03 09:29:49.029+00';
SELECT iot.ingest('{"value": {"n": 2}}', 'urn:lo:nsid:dongle:00-14-22-01-23-45') IS NOT NULL;
SELECT pg_temp.settle();
SELECT pg_temp.activity_of('urn:lo:nsid:dongle:00-14-22-01-23-45') AS dongle;
SELECT pg_temp.sweep_at('2100-04-04 09:29:49.029+00');
SELECT * FROM pg_temp.activity(:m2) WHERE device LIKE '%dongle%';
SELECT a - 'lastAlarm' AS state FROM iot.activity_states('ac710000-0000-0000-0000-000000000001') a;
-- stored as data messages (stream event:<deviceId>) and routed
SELECT m.stream_id, m.model, m.tags, m.value ->> 'state' AS state, m.value ->> 'numberOfAlarmReminders' AS reminders
  FROM iot.message m WHERE m.tenant_id = iot.current_tenant() AND m.model = 'event:DeviceActivity'
   AND m.stream_id LIKE '%dongle%' ORDER BY m.ts, m.id;
SELECT count(*) AS routed FROM iot.outbox o
 WHERE o.tenant_id = iot.current_tenant() AND o.channel = 'router' AND o.payload ->> 'type' = 'deviceActivity';

-- (a late sweep sends one reminder, not one per interval missed)
SELECT iot.activity_rule_update('ac710000-0000-0000-0000-000000000001', '{"enabled": false}') ->> 'enabled' AS lyon_enabled;

-- T27: PT1M counts as 10 minutes ...
SET pgiot.now = '2100-05-01 00:00:00+00';
SELECT iot.device_create('{"id": "urn:lo:nsid:ap:x"}') IS NOT NULL, iot.device_create('{"id": "urn:lo:nsid:ap:y"}') IS NOT NULL;
SELECT iot.activity_rule_create('{"id": "ac710000-0000-0000-0000-000000000002", "name": "one minute",
    "silentPolicy": {"duration": "PT1M"}, "targets": {"deviceIds": ["urn:lo:nsid:ap:x", "urn:lo:nsid:ap:y"]}}') -> 'silentPolicy';
SELECT pg_temp.mark() AS m3 \gset
SELECT pg_temp.sweep_at('2100-05-01 00:01:00+00');
SELECT pg_temp.sweep_at('2100-05-01 00:09:59+00');
SELECT pg_temp.sweep_at('2100-05-01 00:10:00+00');
SELECT * FROM pg_temp.activity(:m3);
-- ... unless the floor is lowered (tests only)
SET pgiot.activity_min_duration = '1min';
SELECT iot.activity_rule_update('ac710000-0000-0000-0000-000000000002', '{"silentPolicy": {"duration": "PT1M", "repeatInterval": "PT2M"}}')
    -> 'silentPolicy' AS updated_policy;
-- the update put every device back to UNKNOWN, the window starting now
SELECT a ->> 'deviceId' AS device, a ->> 'state' AS state FROM iot.activity_states('ac710000-0000-0000-0000-000000000002') a;
SELECT pg_temp.activity_of('urn:lo:nsid:ap:x') AS x;
SELECT pg_temp.mark() AS m4 \gset
SELECT pg_temp.sweep_at('2100-05-01 00:11:00+00');
SELECT pg_temp.sweep_at('2100-05-01 00:13:00+00');
-- a connection (or command response) is activity too
SELECT iot.activity_record('urn:lo:nsid:ap:x') AS active_events;
SELECT pg_temp.sweep_at('2100-05-01 00:14:00+00');
SELECT * FROM pg_temp.activity(:m4);
RESET pgiot.activity_min_duration;
-- a disabled rule watches nothing; a deleted one leaves devices NOT_MONITORED
SELECT iot.activity_rule_update('ac710000-0000-0000-0000-000000000002', '{"enabled": false}') ->> 'enabled';
SELECT pg_temp.sweep_at('2100-06-01 00:00:00+00') AS while_disabled;
SELECT pg_temp.activity_of('urn:lo:nsid:ap:y') AS y;
SELECT iot.activity_rule_delete('ac710000-0000-0000-0000-000000000002');
SELECT pg_temp.activity_of('urn:lo:nsid:ap:y') AS y;
SELECT iot.activity_rules() ->> 'name' AS rules;

-- errors
SELECT test.try($$SELECT iot.activity_rule_create('{"silentPolicy": {"duration": "P1D"}, "targets": {"deviceIds": ["a"]}}')$$);
SELECT test.try($$SELECT iot.activity_rule_create('{"name": "devices in Lyon", "silentPolicy": {"duration": "P1D"}, "targets": {"deviceIds": ["a"]}}')$$);
SELECT test.try($$SELECT iot.activity_rule_create('{"name": "n", "silentPolicy": {"duration": "1 day"}, "targets": {"deviceIds": ["a"]}}')$$);
SELECT test.try($$SELECT iot.activity_rule_create('{"name": "n", "silentPolicy": {"duration": "P1D", "repeatInterval": "PT"}, "targets": {"deviceIds": ["a"]}}')$$);
SELECT test.try($$SELECT iot.activity_rule_create('{"name": "n", "targets": {"deviceIds": ["a"]}}')$$);
SELECT test.try($$SELECT iot.activity_rule_create('{"name": "n", "silentPolicy": {"duration": "P1D"}, "targets": {}}')$$);
SELECT test.try($$SELECT iot.activity_rule_create('{"name": "n", "silentPolicy": {"duration": "P1D"}, "targets": {"groupPaths": ["/a"]}}')$$);
SELECT test.try(format($$SELECT iot.activity_rule_create('{"name": "n", "silentPolicy": {"duration": "P1D"}, "targets": {"deviceIds": %s}}')$$,
                       (SELECT jsonb_agg('d' || i) FROM generate_series(1, 101) i)));
SELECT test.try($$SELECT iot.activity_rule_update('ac710000-0000-0000-0000-0000000000ff', '{}')$$);
SELECT iot.activity_record('urn:lo:nsid:ap:nope') AS untargeted_device_events;
