-- The rules worker: every committed message evaluated exactly once, in
-- order, across a crash (the worker is killed mid-stream and restarted by
-- the launcher), with competing consumers (iot.rules_process() from other
-- sessions) claiming tenants with FOR UPDATE SKIP LOCKED.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2100-07-01 00:00:00+00';
CREATE EXTENSION dblink;
SELECT format('host=%s port=%s dbname=%s', current_setting('unix_socket_directories'), current_setting('port'),
              current_database()) AS conn \gset
SELECT test.wait_for($$SELECT pid IS NOT NULL FROM iot.worker_status() WHERE kind = 'rules'$$) AS worker_running;

-- every message fires (ALWAYS) and changes its stream's state (n)
CREATE FUNCTION pg_temp.rules(tenant text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM iot.tenant_create(tenant);
    PERFORM iot.use_tenant(tenant);
    PERFORM iot.matching_rule_create('{"id": "0e000000-0000-0000-0000-000000000001", "name": "every", "dataPredicate": {"==": [1, 1]}}');
    PERFORM iot.firing_rule_create('{"name": "always", "matchingRuleIds": ["0e000000-0000-0000-0000-000000000001"], "firingType": "ALWAYS"}');
    PERFORM iot.state_rule_create('{"name": "sequence", "stateKeyPath": "streamId", "stateFunction": {"var": "value.n"}}');
END
$$;
-- `count` messages on 20 streams, n = first_n, first_n + 1, ... per stream
CREATE FUNCTION pg_temp.stream(first_n int, count int) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM iot.ingest_batch((SELECT jsonb_agg(jsonb_build_object(
        'message', jsonb_build_object('streamId', 's' || (i % 20), 'value', jsonb_build_object('n', first_n + i / 20)),
        'deviceId', 'urn:lo:nsid:w:d' || (i % 20)) ORDER BY i) FROM generate_series(0, count - 1) i)) WHERE id IS NOT NULL
$$;
-- exactly once and in order: one fired event per message, each message
-- once; per stream, states 1, 2, 3, ... with no gap, repeat or reordering
CREATE FUNCTION pg_temp.verdict(expected bigint) RETURNS TABLE (messages bigint, fired bigint, distinct_fired bigint,
                                                                 state_changes bigint, in_order boolean, queue_left bigint)
    LANGUAGE sql AS $$
    SELECT (SELECT count(*) FROM iot.message WHERE tenant_id = iot.current_tenant() AND model IS NULL),
           count(*) FILTER (WHERE e.type = 'matchingFired'),
           count(DISTINCT e.payload #>> '{matchingContext,data,id}') FILTER (WHERE e.type = 'matchingFired'),
           count(*) FILTER (WHERE e.type = 'stateChange'),
           (SELECT bool_and(ok) FROM (
                SELECT (payload ->> 'newState')::int = row_number() OVER w
                       AND coalesce((payload ->> 'previousState')::int, 0) = row_number() OVER w - 1 AS ok
                  FROM iot.event WHERE tenant_id = iot.current_tenant() AND type = 'stateChange'
                WINDOW w AS (PARTITION BY payload ->> 'stateKey' ORDER BY id)) x),
           (SELECT coalesce(sum(cardinality(message_ids)), 0) FROM iot.rule_queue WHERE tenant_id = iot.current_tenant())
      FROM iot.event e WHERE e.tenant_id = iot.current_tenant()
$$;

------------------------------------------------------------------------------
-- A tenant held by another session is skipped, not waited for; other
-- tenants go on.
------------------------------------------------------------------------------
SELECT pg_temp.rules('rules-worker-held');
SELECT id AS held FROM iot.tenant WHERE name = 'rules-worker-held' \gset
SELECT pg_temp.rules('rules-worker-free');
SELECT dblink_connect('holder', :'conn');
SELECT dblink_exec('holder', 'BEGIN');
SELECT count(*) AS locked FROM dblink('holder', format('SELECT tenant_id FROM iot.rule_tenant WHERE tenant_id = %L FOR UPDATE', :'held')) AS t(x uuid);
SELECT iot.use_tenant('rules-worker-held') IS NOT NULL;
SELECT pg_temp.stream(1, 40) AS held_messages;
SELECT iot.use_tenant('rules-worker-free') IS NOT NULL;
SELECT pg_temp.stream(1, 40) AS free_messages;
SELECT test.wait_for($$SELECT NOT EXISTS (SELECT FROM iot.rule_queue WHERE tenant_id = iot.current_tenant())$$) AS free_done;
SELECT * FROM pg_temp.verdict(40);
-- this session cannot take the held tenant either: nothing evaluated, no wait
SELECT iot.rules_process() AS evaluated_while_held;
SELECT sum(cardinality(message_ids)) AS held_queue FROM iot.rule_queue WHERE tenant_id = :'held';
SELECT dblink_exec('holder', 'COMMIT');
SELECT dblink_disconnect('holder');
SELECT iot.use_tenant('rules-worker-held') IS NOT NULL;
SELECT test.wait_for($$SELECT NOT EXISTS (SELECT FROM iot.rule_queue WHERE tenant_id = iot.current_tenant())$$) AS held_done;
SELECT * FROM pg_temp.verdict(40);

------------------------------------------------------------------------------
-- Kill the worker mid-stream, twice, with two more consumers competing.
------------------------------------------------------------------------------
SELECT pg_temp.rules('rules-worker-crash');
-- small batches (a worker transaction = one batch of 200 messages), so
-- that the worker commits many times while the stream is evaluated
ALTER SYSTEM SET pgiot.rules_batch_size = 200;
SELECT pg_reload_conf();
CREATE PROCEDURE test.rules_consume(rounds int) LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1 .. rounds LOOP
        PERFORM iot.rules_process(300);
        COMMIT;
    END LOOP;
END
$$;
SELECT pg_temp.stream(1, 10000) AS first_part;
-- wait for a first commit of the worker, then kill it
SELECT test.wait_for($$SELECT EXISTS (SELECT FROM iot.event WHERE tenant_id = iot.current_tenant())
                            AND EXISTS (SELECT FROM iot.rule_queue WHERE tenant_id = iot.current_tenant())$$) AS mid_stream;
SELECT pid AS worker1 FROM iot.worker_status() WHERE kind = 'rules' \gset
SELECT pg_terminate_backend(:worker1) AS killed;
SELECT pg_temp.stream(501, 10000) AS second_part;
SELECT dblink_connect('c1', :'conn'), dblink_connect('c2', :'conn');
SELECT dblink_send_query('c1', 'CALL test.rules_consume(40)'), dblink_send_query('c2', 'CALL test.rules_consume(40)');
SELECT test.wait_for(format($$SELECT pid IS NOT NULL AND pid <> %s FROM iot.worker_status() WHERE kind = 'rules'$$, :worker1)) AS restarted;
SELECT pid AS worker2 FROM iot.worker_status() WHERE kind = 'rules' \gset
SELECT test.wait_for($$SELECT (SELECT count(*) FROM iot.event WHERE tenant_id = iot.current_tenant()) > 22000
                            AND EXISTS (SELECT FROM iot.rule_queue WHERE tenant_id = iot.current_tenant())$$) AS mid_stream_again;
SELECT pg_terminate_backend(:worker2) AS killed_again;
SELECT count(*) AS consumer_results FROM dblink_get_result('c1') AS r(x text);
SELECT count(*) AS consumer_results FROM dblink_get_result('c2') AS r(x text);
SELECT dblink_disconnect('c1'), dblink_disconnect('c2');
SELECT test.wait_for($$SELECT NOT EXISTS (SELECT FROM iot.rule_queue WHERE tenant_id = iot.current_tenant())$$, 180) AS drained;
SELECT * FROM pg_temp.verdict(20000);
-- what left through the outbox and the stored event messages: once each
SELECT count(*) AS routed FROM iot.outbox WHERE tenant_id = iot.current_tenant();
SELECT count(*) AS stored_events FROM iot.message WHERE tenant_id = iot.current_tenant() AND model LIKE 'event:%';
SELECT count(*) AS restarts FROM iot.worker_status() WHERE kind = 'rules' AND pid NOT IN (:worker1, :worker2);
ALTER SYSTEM RESET pgiot.rules_batch_size;
SELECT pg_reload_conf();
DROP PROCEDURE test.rules_consume(int);
DROP EXTENSION dblink;
