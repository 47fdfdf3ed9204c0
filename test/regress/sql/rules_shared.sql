-- Subexpressions shared across a tenant's rules are evaluated once per
-- message (jl_share.c); sharing never changes a result: a shared node
-- inside an iteration is evaluated against each element, a node with
-- currentstate is never shared, and state rules with one key path share
-- the key.
SET pgiot.now = '2100-04-01 10:00:00+00';
SELECT iot.tenant_create('rules-shared-t') IS NOT NULL;
SELECT iot.use_tenant('rules-shared-t') IS NOT NULL;
CREATE FUNCTION pg_temp.settle() RETURNS boolean LANGUAGE sql AS $$
    SELECT test.wait_for(format('SELECT NOT EXISTS (SELECT FROM iot.rule_queue WHERE tenant_id = %L)',
                                iot.current_tenant()))
$$;
-- E (evaluated first: the lowest id): {">": [{"var": ""}, 10]} against the whole message (never true);
-- D: the same node inside "some", against each element of value.list
SELECT count(iot.matching_rule_create(jsonb_build_object('id', id, 'name', name, 'dataPredicate', p::jsonb)))
  FROM (VALUES
    ('5a000000-0000-0000-0000-000000000001', 'E root', '{">": [{"var": ""}, 10]}'),
    ('5a000000-0000-0000-0000-00000000000d', 'D some', '{"some": [{"var": "value.list"}, {">": [{"var": ""}, 10]}]}'),
    ('5a000000-0000-0000-0000-00000000000a', 'A hot', '{">": [{"var": "value.t"}, 10]}'),
    ('5a000000-0000-0000-0000-00000000000c', 'C hot model', '{"and": [{">": [{"var": "value.t"}, 10]}, {"==": [{"var": "model"}, "m"]}]}'),
    ('5a000000-0000-0000-0000-00000000000b', 'B cold', '{"<": [{"var": "value.t"}, 0]}')) r(id, name, p);
SELECT count(iot.firing_rule_create(jsonb_build_object('name', 'fire ' || id, 'matchingRuleIds', jsonb_build_array(id),
                                                       'firingType', 'ALWAYS')))
  FROM unnest(ARRAY['5a000000-0000-0000-0000-000000000001', '5a000000-0000-0000-0000-00000000000d',
                    '5a000000-0000-0000-0000-00000000000a', '5a000000-0000-0000-0000-00000000000c',
                    '5a000000-0000-0000-0000-00000000000b']) id;
-- two state rules on one key path; the second's function reads currentstate
SELECT iot.state_rule_create('{"name": "S1 level", "stateKeyPath": "streamId",
    "stateFunction": {"if": [{">": [{"var": "value.t"}, 10]}, "hot", "cold"]}}') ->> 'name';
SELECT iot.state_rule_create('{"name": "S2 sticky", "stateKeyPath": "streamId",
    "stateFunction": {"if": [{"==": [{"currentstate": []}, "hot"]}, "hot",
                             {">": [{"var": "value.t"}, 10]}, "hot", "cold"]}}') ->> 'name';
SELECT iot.ingest(jsonb_build_object('streamId', 's', 'model', m, 'value', v::jsonb), 'urn:lo:nsid:shared:d1') IS NOT NULL
  FROM (VALUES (1, 'm', '{"t": 20, "list": [1, 2]}'), (2, 'x', '{"t": 5, "list": [3, 40]}'),
               (3, 'm', '{"t": -3}'), (4, 'm', '{"t": 11, "list": [11]}')) x(n, m, v) ORDER BY n;
SELECT pg_temp.settle();
SELECT e.payload -> 'matchingContext' -> 'data' -> 'value' ->> 't' AS t,
       string_agg(e.payload -> 'matchingContext' -> 'matchingRule' ->> 'name', ', '
                  ORDER BY e.payload -> 'matchingContext' -> 'matchingRule' ->> 'name') AS matched
  FROM iot.event e WHERE e.tenant_id = iot.current_tenant() AND e.type = 'matchingFired'
 GROUP BY 1 ORDER BY min(e.id);
SELECT e.payload -> 'stateProcessingRule' ->> 'name' AS rule, e.payload -> 'data' -> 'value' ->> 't' AS t,
       e.payload ->> 'previousState' AS previous, e.payload ->> 'newState' AS new
  FROM iot.event e WHERE e.tenant_id = iot.current_tenant() AND e.type = 'stateChange'
 ORDER BY e.payload -> 'data' ->> 'id', 1;

-- the queue: one row per statement and 1,000 of its messages, in id order
BEGIN;
SELECT count(*) AS ingested FROM iot.ingest_batch((SELECT jsonb_agg(jsonb_build_object(
    'message', jsonb_build_object('streamId', 'bulk', 'value', jsonb_build_object('t', i)),
    'deviceId', 'urn:lo:nsid:shared:d1')) FROM generate_series(1, 2500) i));
SELECT cardinality(message_ids) AS messages, message_ids[1] = first_id AS first_is_key,
       message_ids = (SELECT array_agg(x ORDER BY x) FROM unnest(message_ids) x) AS in_order
  FROM iot.rule_queue WHERE tenant_id = iot.current_tenant() AND txid = pg_current_xact_id() ORDER BY first_id;
ROLLBACK;
