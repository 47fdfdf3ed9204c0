-- Simple event processing (17.2.5): matching rules, firing rules ALWAYS /
-- ONCE / SLEEP with the clock moved, aggregation keys, the guards they
-- leave (listed, deleted), events routed and stored; the rules worker
-- evaluates every committed message; rule changes reach its cache when
-- they commit.  Digest T18, T19.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2100-02-01 10:00:00+00';
SELECT iot.tenant_create('rules-sep-t') IS NOT NULL;
SELECT iot.use_tenant('rules-sep-t') IS NOT NULL;

-- wait until the rules worker has evaluated what this tenant queued
CREATE FUNCTION pg_temp.settle() RETURNS boolean LANGUAGE sql AS $$
    SELECT test.wait_for(format('SELECT NOT EXISTS (SELECT FROM iot.rule_queue WHERE tenant_id = %L)',
                                iot.current_tenant()))
$$;
-- the fired events after event id `after`, one line each
CREATE FUNCTION pg_temp.fired(after bigint) RETURNS TABLE (firing text, matching text, source text, value jsonb, at text)
    LANGUAGE sql AS $$
    SELECT e.payload -> 'firingRule' ->> 'name', e.payload -> 'matchingContext' -> 'matchingRule' ->> 'name',
           e.payload -> 'matchingContext' -> 'data' -> 'metadata' ->> 'source',
           e.payload -> 'matchingContext' -> 'data' -> 'value', e.payload ->> 'timestamp'
      FROM iot.event e WHERE e.tenant_id = iot.current_tenant() AND e.type = 'matchingFired' AND e.id > after
     ORDER BY e.id
$$;
CREATE FUNCTION pg_temp.mark() RETURNS bigint LANGUAGE sql AS $$ SELECT coalesce(max(id), 0) FROM iot.event $$;

-- the manual's compound rule (17.2.5.2) with a ONCE firing rule per source
SELECT iot.matching_rule_create('{"id": "5e900000-0000-0000-0000-000000000001",
    "name": "compound rule with numeric and distance operators Rule", "enabled": true,
    "dataPredicate": {"and": [
        {">": [{"distance": [{"var": "location.lat"}, {"var": "location.lon"}, 48.800206, 2.296565]}, 6000]},
        {">": [{"var": "value.temp"}, 99]}]}}') - 'created' - 'updated' AS matching_rule;
SELECT iot.firing_rule_create('{"id": "5e900000-0000-0000-0000-000000000002", "name": "firing rule test",
    "enabled": true, "matchingRuleIds": ["5e900000-0000-0000-0000-000000000001"],
    "aggregationKeys": ["metadata.source"], "firingType": "ONCE"}') - 'created' - 'updated' AS firing_rule;
SELECT iot.matching_rules() ->> 'name' AS matching_rules, iot.firing_rules() ->> 'firingType' AS firing_rules;

-- T18: San Francisco, 105 degrees, device A: one event; again: none;
-- device B: one; device C at 99: no match (strict >)
SELECT pg_temp.mark() AS m0 \gset
SELECT iot.ingest('{"streamId": "urn:lo:nsid:dongle:00-14-22-01-23-45!temperature", "location": {"lat": 37.773972, "lon": -122.431297},
    "model": "temperatureDevice_v0", "value": {"temp": 105}}', 'urn:lo:nsid:sep:A') IS NOT NULL;
SELECT iot.ingest('{"location": {"lat": 37.773972, "lon": -122.431297}, "value": {"temp": 105}}', 'urn:lo:nsid:sep:A') IS NOT NULL;
SELECT iot.ingest('{"location": {"lat": 37.773972, "lon": -122.431297}, "value": {"temp": 107}}', 'urn:lo:nsid:sep:B') IS NOT NULL;
SELECT iot.ingest('{"location": {"lat": 37.773972, "lon": -122.431297}, "value": {"temp": 99}}', 'urn:lo:nsid:sep:C') IS NOT NULL;
-- near the Eiffel tower: not far enough
SELECT iot.ingest('{"location": {"lon": 2.2945, "lat": 48.8584}, "value": {"temp": 120}}', 'urn:lo:nsid:sep:D') IS NOT NULL;
SELECT pg_temp.settle();
SELECT * FROM pg_temp.fired(:m0);
-- the guards ONCE left, and re-arming device A by deleting its guard
SELECT iot.firing_guards('5e900000-0000-0000-0000-000000000002');
SELECT iot.firing_guard_delete('5e900000-0000-0000-0000-000000000002', '{"metadata.source": "urn:lo:nsid:sep:A"}') AS deleted;
SELECT pg_temp.mark() AS m1 \gset
SELECT iot.ingest('{"location": {"lat": 37.773972, "lon": -122.431297}, "value": {"temp": 106}}', 'urn:lo:nsid:sep:A') IS NOT NULL;
SELECT iot.ingest('{"location": {"lat": 37.773972, "lon": -122.431297}, "value": {"temp": 108}}', 'urn:lo:nsid:sep:B') IS NOT NULL;
SELECT pg_temp.settle();
SELECT * FROM pg_temp.fired(:m1);

-- the whole fired event (17.2.5.5): full rules, predicate as JSON text;
-- routed to applications through the outbox, stored as a data message
SELECT jsonb_pretty(payload - 'tenantId' #- '{matchingContext,tenantId}' #- '{matchingContext,data,id}'
                    #- '{matchingContext,data,metadata,group,id}') AS fired_event
  FROM iot.event WHERE tenant_id = iot.current_tenant() AND type = 'matchingFired' ORDER BY id LIMIT 1;
SELECT o.channel, o.topic, o.device_id, o.payload ->> 'type' AS type, o.payload -> 'firingRule' ->> 'id' AS firing_rule
  FROM iot.outbox o WHERE o.tenant_id = iot.current_tenant() ORDER BY o.id LIMIT 1;
SELECT m.stream_id, m.model, m.tags, m.device_id, m.ts = m.created AS at_processing_time,
       m.value -> 'matchingContext' -> 'data' ->> 'streamId' AS data_stream, ST_AsText(m.location::geometry) AS location
  FROM iot.message m WHERE m.tenant_id = iot.current_tenant() AND m.model = 'event:MatchingFired' ORDER BY m.id LIMIT 1;

-- ALWAYS (T19 shape): every match fires; two matching rules, two events
SELECT iot.matching_rule_create('{"id": "5e900000-0000-0000-0000-000000000003", "name": "any pressure",
    "dataPredicate": {"!!": [{"var": "value.pressure"}]}}') ->> 'name';
SELECT iot.matching_rule_create('{"id": "5e900000-0000-0000-0000-000000000004", "name": "high pressure",
    "dataPredicate": {">": [{"var": "value.pressure"}, 1000]}}') ->> 'name';
SELECT iot.firing_rule_create('{"id": "5e900000-0000-0000-0000-000000000005", "name": "always",
    "matchingRuleIds": ["5e900000-0000-0000-0000-000000000004", "5e900000-0000-0000-0000-000000000003"],
    "firingType": "ALWAYS"}') ->> 'firingType';
SELECT pg_temp.mark() AS m2 \gset
SELECT iot.ingest(format('{"value": {"pressure": %s}}', p)::jsonb, 'urn:lo:nsid:sep:P') IS NOT NULL
  FROM unnest(ARRAY[1013, 990, 1020]) p;
SELECT pg_temp.settle();
SELECT firing, matching, value FROM pg_temp.fired(:m2);

-- SLEEP, the clock moved: at most one event per sleepDuration and firing
-- context (here the stream); matches during the sleep are dropped
SELECT iot.firing_rule_create('{"id": "5e900000-0000-0000-0000-000000000006", "name": "sleepy",
    "matchingRuleIds": ["5e900000-0000-0000-0000-000000000003"], "aggregationKeys": ["streamId"],
    "firingType": "SLEEP", "sleepDuration": "PT2M"}') ->> 'sleepDuration';
SELECT iot.firing_rule_update('5e900000-0000-0000-0000-000000000005', '{"enabled": false}') ->> 'enabled' AS always_enabled;
SELECT pg_temp.mark() AS m3 \gset
SET pgiot.now = '2100-02-01 11:00:00+00';
SELECT iot.ingest('{"streamId": "s1", "value": {"pressure": 1}}', 'urn:lo:nsid:sep:P') IS NOT NULL;
SET pgiot.now = '2100-02-01 11:00:10+00';
SELECT iot.ingest('{"streamId": "s1", "value": {"pressure": 2}}', 'urn:lo:nsid:sep:P') IS NOT NULL;
SELECT iot.ingest('{"streamId": "s2", "value": {"pressure": 3}}', 'urn:lo:nsid:sep:P') IS NOT NULL;
SET pgiot.now = '2100-02-01 11:01:59.999+00';
SELECT iot.ingest('{"streamId": "s1", "value": {"pressure": 4}}', 'urn:lo:nsid:sep:P') IS NOT NULL;
SET pgiot.now = '2100-02-01 11:02:00+00';
SELECT iot.ingest('{"streamId": "s1", "value": {"pressure": 5}}', 'urn:lo:nsid:sep:P') IS NOT NULL;
SET pgiot.now = '2100-02-01 11:03:00+00';
SELECT iot.ingest('{"streamId": "s1", "value": {"pressure": 6}}', 'urn:lo:nsid:sep:P') IS NOT NULL;
SELECT pg_temp.settle();
SELECT firing, value, at FROM pg_temp.fired(:m3);
SELECT g ->> 'context' AS context, g ->> 'created' AS created, g ->> 'expires' AS expires
  FROM iot.firing_guards('5e900000-0000-0000-0000-000000000006') g;
-- guards of expired sleeps are not listed
SET pgiot.now = '2100-02-01 12:00:00+00';
SELECT count(*) AS live_sleep_guards FROM iot.firing_guards('5e900000-0000-0000-0000-000000000006');

-- a missing aggregation key is a null in the firing context
SELECT iot.firing_rule_update('5e900000-0000-0000-0000-000000000006',
    '{"aggregationKeys": ["value.zone", "streamId"], "firingType": "ONCE"}') - 'created' - 'updated' AS updated_rule;
SELECT iot.ingest('{"streamId": "s9", "value": {"pressure": 7}}', 'urn:lo:nsid:sep:P') IS NOT NULL;
SELECT pg_temp.settle();
SELECT g -> 'context' AS context, g ->> 'expires' AS expires FROM iot.firing_guards('5e900000-0000-0000-0000-000000000006') g
 ORDER BY g ->> 'created' DESC LIMIT 1;

-- rule changes are seen by the worker once committed, never before
SELECT iot.firing_rule_delete('5e900000-0000-0000-0000-000000000006');
SELECT iot.firing_rule_update('5e900000-0000-0000-0000-000000000005', '{"enabled": true}') ->> 'enabled' AS always_enabled;
SELECT pg_temp.mark() AS m4 \gset
BEGIN;
SELECT iot.matching_rule_update('5e900000-0000-0000-0000-000000000004', '{"dataPredicate": {"<": [{"var": "value.pressure"}, 0]}}') ->> 'name';
ROLLBACK;
SELECT iot.ingest('{"value": {"pressure": 1500}}', 'urn:lo:nsid:sep:P') IS NOT NULL;
SELECT pg_temp.settle();
SELECT iot.matching_rule_update('5e900000-0000-0000-0000-000000000004', '{"name": "low pressure",
    "dataPredicate": {"<": [{"var": "value.pressure"}, 0]}}') ->> 'name';
SELECT iot.ingest('{"value": {"pressure": 1600}}', 'urn:lo:nsid:sep:P') IS NOT NULL;
SELECT iot.ingest('{"value": {"pressure": -1}}', 'urn:lo:nsid:sep:P') IS NOT NULL;
SELECT pg_temp.settle();
SELECT firing, matching, value FROM pg_temp.fired(:m4);
-- inside one transaction the change applies at once (iot.rules_process()
-- evaluates this transaction's own queued message); rolled back: no trace
BEGIN;
SELECT iot.matching_rule_update('5e900000-0000-0000-0000-000000000003', '{"enabled": false}') ->> 'enabled';
SELECT iot.ingest('{"value": {"pressure": -5}}', 'urn:lo:nsid:sep:P') IS NOT NULL;
SELECT iot.rules_process() AS evaluated;
SELECT matching, value FROM pg_temp.fired(:m4) WHERE value = '{"pressure": -5}';
ROLLBACK;
SELECT count(*) AS after_rollback FROM pg_temp.fired(:m4) WHERE value = '{"pressure": -5}';


-- errors
SELECT test.try($$SELECT iot.matching_rule_create('{"name": "x"}')$$);
SELECT test.try($$SELECT iot.matching_rule_create('{"dataPredicate": {"and": [{"var": "a"}, {"sum": [1]}]}}')$$);
SELECT test.try($$SELECT iot.matching_rule_create('{"dataPredicate": true, "enabled": "yes"}')$$);
SELECT test.try($$SELECT iot.matching_rule_create('{"id": "5e900000-0000-0000-0000-000000000001", "dataPredicate": true}')$$);
SELECT test.try($$SELECT iot.matching_rule_create('[1]')$$);
SELECT test.try($$SELECT iot.firing_rule_create('{"matchingRuleIds": [], "firingType": "ONCE"}')$$);
SELECT test.try($$SELECT iot.firing_rule_create('{"matchingRuleIds": ["5e900000-0000-0000-0000-0000000000ff"], "firingType": "ONCE"}')$$);
SELECT test.try($$SELECT iot.firing_rule_create('{"matchingRuleIds": ["5e900000-0000-0000-0000-000000000001"], "firingType": "TWICE"}')$$);
SELECT test.try($$SELECT iot.firing_rule_create('{"matchingRuleIds": ["5e900000-0000-0000-0000-000000000001"], "firingType": "SLEEP"}')$$);
SELECT test.try($$SELECT iot.firing_rule_create('{"matchingRuleIds": ["5e900000-0000-0000-0000-000000000001"], "firingType": "SLEEP", "sleepDuration": "2 minutes"}')$$);
SELECT test.try($$SELECT iot.firing_rule_create('{"matchingRuleIds": ["5e900000-0000-0000-0000-000000000001"], "firingType": "ONCE", "aggregationKeys": "streamId"}')$$);
SELECT test.try($$SELECT iot.matching_rule_delete('5e900000-0000-0000-0000-000000000001')$$);
SELECT test.try($$SELECT iot.matching_rule_update('5e900000-0000-0000-0000-0000000000ff', '{}')$$);
SELECT test.try($$SELECT iot.firing_rule_delete('5e900000-0000-0000-0000-0000000000ff')$$);
SELECT test.try($$INSERT INTO iot.matching_rule (tenant_id, data_predicate) VALUES (iot.current_tenant(), '{"nope": 1}')$$);
UPDATE iot.tenant SET settings = settings || '{"alarming": {"matchingRulesMax": 3}}' WHERE id = iot.current_tenant();
SELECT test.try($$SELECT iot.matching_rule_create('{"dataPredicate": true}')$$);
-- deletion: the firing rule first, then its matching rule; guards go with their rule
SELECT iot.firing_rule_delete('5e900000-0000-0000-0000-000000000002');
SELECT count(*) AS guards_left FROM iot.firing_guard WHERE firing_rule_id = '5e900000-0000-0000-0000-000000000002';
SELECT iot.matching_rule_delete('5e900000-0000-0000-0000-000000000001');
SELECT iot.matching_rule_get('5e900000-0000-0000-0000-000000000001') IS NULL AS gone;
-- another tenant sees none of it, and without rules queues nothing
SELECT iot.tenant_create('rules-sep-other') IS NOT NULL;
SELECT iot.use_tenant('rules-sep-other') IS NOT NULL;
SELECT count(*) AS rules FROM iot.matching_rules();
SELECT count(*) AS guards FROM iot.firing_guards();
SELECT iot.ingest('{"value": {"pressure": 1}}', 'urn:lo:nsid:sep:Q') IS NOT NULL;
SELECT count(*) AS queued_without_rules FROM iot.rule_queue WHERE tenant_id = iot.current_tenant();
