-- The rules API as a tenant-bound role (row-level security, privileges),
-- and isolation between tenants.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2100-08-01 00:00:00+00';
SELECT iot.tenant_create('rules-rls-a') IS NOT NULL, iot.tenant_create('rules-rls-b') IS NOT NULL;
CREATE ROLE regress_rules_alice LOGIN;
SELECT iot.tenant_bind_role('regress_rules_alice', 'rules-rls-a');
CREATE ROLE regress_rules_bob LOGIN;
SELECT iot.tenant_bind_role('regress_rules_bob', 'rules-rls-b');

SET ROLE regress_rules_alice;
SELECT iot.context_put('limit', '{"contextData": 10}') ->> 'contextKey';
SELECT iot.geozone_put('square', '{"geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,1],[0,0]]]}}') ->> 'geozoneId';
SELECT iot.matching_rule_create('{"id": "a1100000-0000-0000-0000-000000000001", "name": "over limit",
    "dataPredicate": {">": [{"var": "value.n"}, {"ctx": "limit"}]}}') ->> 'name';
SELECT iot.firing_rule_create('{"id": "a1100000-0000-0000-0000-000000000002", "name": "once",
    "matchingRuleIds": ["a1100000-0000-0000-0000-000000000001"], "aggregationKeys": ["metadata.source"],
    "firingType": "ONCE"}') ->> 'name';
SELECT iot.state_rule_create('{"id": "a1100000-0000-0000-0000-000000000003", "name": "where",
    "stateKeyPath": "metadata.source",
    "stateFunction": {"if": [{"inside": [{"var": "value.x"}, {"var": "value.y"}, {"ctx": "square"}]}, "in", "out"]}}') ->> 'name';
SELECT iot.device_create('{"id": "urn:lo:nsid:rr:a1"}') IS NOT NULL;
SELECT iot.activity_rule_create('{"id": "a1100000-0000-0000-0000-000000000004", "name": "quiet",
    "silentPolicy": {"duration": "P1D"}, "targets": {"deviceIds": ["urn:lo:nsid:rr:a1"]}}') ->> 'name';
SELECT iot.ingest('{"value": {"n": 11, "x": 0.5, "y": 0.5}}', 'urn:lo:nsid:rr:a1') IS NOT NULL;
SELECT iot.ingest('{"value": {"n": 12, "x": 2, "y": 2}}', 'urn:lo:nsid:rr:a1') IS NOT NULL;
RESET ROLE;
SELECT test.wait_for($$SELECT NOT EXISTS (SELECT FROM iot.rule_queue q JOIN iot.tenant t ON t.id = q.tenant_id
                                             WHERE t.name = 'rules-rls-a')$$) AS evaluated;
SET ROLE regress_rules_alice;
-- what the worker did is visible to the tenant
SELECT type, coalesce(payload ->> 'newState', payload ->> 'state', payload #>> '{matchingContext,matchingRule,name}') AS what
  FROM iot.event ORDER BY type, id;  -- activity and state events may share a batch
SELECT iot.firing_guards() -> 'context' AS guard, iot.rule_states() ->> 'state' AS state;
SELECT iot.jsonlogic_apply('{"ctx": "limit"}') AS own_context, iot.matching_rule_test(
    '{"data": {"value": {"n": 5}}, "dataPredicate": {"<": [{"var": "value.n"}, {"ctx": "limit"}]}}') ->> 'dataPredicateResult' AS test_call;
-- management as the tenant: re-arm, forget, record activity, reset activity, delete
SELECT iot.firing_guard_delete('a1100000-0000-0000-0000-000000000002') AS rearmed;
SELECT iot.rule_state_delete('a1100000-0000-0000-0000-000000000003') AS forgotten;
SELECT iot.activity_record('urn:lo:nsid:rr:a1') AS active_events;
SELECT iot.activity_rule_update('a1100000-0000-0000-0000-000000000004', '{"silentPolicy": {"duration": "P2D"}}') -> 'silentPolicy';
SELECT count(*) AS activity_states FROM iot.activity_state;
SELECT test.try($$SELECT iot.activity_sweep()$$);
SELECT test.try($$SELECT iot.rules_process()$$);
SELECT test.try($$INSERT INTO iot.firing_guard VALUES (iot.current_tenant(), 'a1100000-0000-0000-0000-000000000002', '[]', '{}', now(), NULL)$$);
SELECT count(*) AS queue_visible FROM iot.rule_queue;
RESET ROLE;

-- another tenant sees nothing of it, and cannot use it by id
SET ROLE regress_rules_bob;
SELECT count(*) AS rules FROM iot.matching_rules();
SELECT count(*) AS contexts FROM iot.contexts();
SELECT count(*) AS events FROM iot.event;
SELECT iot.jsonlogic_apply('{"ctx": "limit"}') AS other_context;
SELECT iot.matching_rule_get('a1100000-0000-0000-0000-000000000001') IS NULL AS hidden;
SELECT test.try($$SELECT iot.matching_rule_delete('a1100000-0000-0000-0000-000000000001')$$);
SELECT test.try($$SELECT iot.firing_rule_create('{"matchingRuleIds": ["a1100000-0000-0000-0000-000000000001"], "firingType": "ALWAYS"}')$$);
SELECT iot.firing_guard_delete('a1100000-0000-0000-0000-000000000002') AS deleted_elsewhere;
RESET ROLE;
DROP OWNED BY regress_rules_alice, regress_rules_bob;
DROP ROLE regress_rules_alice, regress_rules_bob;
