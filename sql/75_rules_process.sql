-- Rules: evaluation, the queue filled by a statement trigger on
-- iot.message, the cache invalidation triggers, iot.rules_process() and
-- the write side of a batch, housekeeping.

------------------------------------------------------------------------------
-- Evaluation: the queue, the cache invalidation, the write side
------------------------------------------------------------------------------

-- Keep iot.rule_tenant current: a tenant's messages are queued only while
-- it has an enabled matching, state or activity rule.
CREATE FUNCTION iot._rule_tenant_refresh() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    t uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.tenant_id ELSE NEW.tenant_id END;
BEGIN
    IF NOT EXISTS (SELECT FROM iot.tenant WHERE id = t) THEN
        RETURN NULL;            -- the tenant is being deleted
    END IF;
    INSERT INTO iot.rule_tenant AS x (tenant_id, active)
    VALUES (t, EXISTS (SELECT FROM iot.matching_rule WHERE tenant_id = t AND enabled)
               OR EXISTS (SELECT FROM iot.state_rule WHERE tenant_id = t AND enabled)
               OR EXISTS (SELECT FROM iot.activity_rule WHERE tenant_id = t AND enabled))
    ON CONFLICT (tenant_id) DO UPDATE SET active = excluded.active
     WHERE x.active IS DISTINCT FROM excluded.active;
    RETURN NULL;
END
$$;
CREATE TRIGGER rule_tenant_refresh AFTER INSERT OR UPDATE OF enabled OR DELETE ON iot.matching_rule
    FOR EACH ROW EXECUTE FUNCTION iot._rule_tenant_refresh();
CREATE TRIGGER rule_tenant_refresh AFTER INSERT OR UPDATE OF enabled OR DELETE ON iot.state_rule
    FOR EACH ROW EXECUTE FUNCTION iot._rule_tenant_refresh();
CREATE TRIGGER rule_tenant_refresh AFTER INSERT OR UPDATE OF enabled OR DELETE ON iot.activity_rule
    FOR EACH ROW EXECUTE FUNCTION iot._rule_tenant_refresh();

-- Compiled rules are cached per backend; a change to a rule table
-- invalidates the caches of every backend when it commits.
CREATE FUNCTION iot._rules_invalidate() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'pgiot_rules_invalidate';
CREATE TRIGGER rules_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON iot.matching_rule
    FOR EACH STATEMENT EXECUTE FUNCTION iot._rules_invalidate();
CREATE TRIGGER rules_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON iot.firing_rule
    FOR EACH STATEMENT EXECUTE FUNCTION iot._rules_invalidate();
CREATE TRIGGER rules_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON iot.state_rule
    FOR EACH STATEMENT EXECUTE FUNCTION iot._rules_invalidate();
CREATE TRIGGER rules_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON iot.activity_rule
    FOR EACH STATEMENT EXECUTE FUNCTION iot._rules_invalidate();

-- Queue the data messages of an ingest for evaluation, in the ingesting
-- transaction (one set-based insert per statement).  Stored events
-- (model event or event:*) are not data for rules.
CREATE FUNCTION iot._rules_enqueue() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    -- one row per tenant and 1,000 messages of the statement: a bulk insert
    -- of millions makes rows a batch can take whole or trim cheaply
    -- (each tenant's ids sorted once, by the aggregate, then cut in slices)
    INSERT INTO iot.rule_queue (tenant_id, txid, first_id, message_ids, created)
    SELECT g.tenant_id, pg_current_xact_id(), g.ids[k * 1000 + 1],
           g.ids[k * 1000 + 1 : (k + 1) * 1000], g.created[k * 1000 + 1 : (k + 1) * 1000]
      FROM (SELECT n.tenant_id, array_agg(n.id ORDER BY n.id) AS ids,
                   array_agg(n.created ORDER BY n.id) AS created
              FROM new_messages n
             WHERE n.tenant_id IN (SELECT rt.tenant_id FROM iot.rule_tenant rt WHERE rt.active)
               AND (n.model IS NULL OR (n.model <> 'event' AND n.model NOT LIKE 'event:%'))
             GROUP BY n.tenant_id) g
     CROSS JOIN generate_series(0, (cardinality(g.ids) - 1) / 1000) k;
    RETURN NULL;
END
$$;
CREATE TRIGGER rules_enqueue AFTER INSERT ON iot.message
    REFERENCING NEW TABLE AS new_messages
    FOR EACH STATEMENT EXECUTE FUNCTION iot._rules_enqueue();

-- The write side of one evaluated batch (called by iot.rules_process()):
-- events in order (routed through iot.event_emit_many, stored as data messages
-- of stream event:<streamId>), guards and states, activity, audit, and the
-- queue rows done (done_taken[i] messages of the row (done_txid[i],
-- done_first[i]): the row goes when taken whole, else it keeps the rest),
-- and where the next read starts.  Events: kind matchingFired (rule = firing rule,
-- matching = matching rule) or stateChange (rule = state rule, key,
-- previous, new); message = the data message, doc = the document the
-- rules saw (iot.message_json's, numbers as doubles), at = its processing
-- time (its created).
CREATE FUNCTION iot._rules_commit(
    t uuid, done_txid xid8[], done_first bigint[], done_taken int[], scan_from xid8,
    e_kind text[], e_rule uuid[], e_matching uuid[], e_key text[], e_prev jsonb[], e_new jsonb[],
    e_message bigint[], e_doc jsonb[], e_at timestamptz[], e_device text[],
    g_rule uuid[], g_key text[], g_context jsonb[], g_created timestamptz[], g_expires timestamptz[],
    s_rule uuid[], s_key text[], s_state jsonb[], s_message bigint[], s_at timestamptz[],
    a_device text[], a_at timestamptz[],
    x_message bigint[], x_rule uuid[], x_error text[])
    RETURNS void
    LANGUAGE plpgsql
    -- every lookup of a batch's rows (source messages, queue rows) by its
    -- index, however many: a hash join would scan a whole partition or the
    -- queue once per batch
    SET enable_hashjoin = off SET enable_mergejoin = off
AS $$
DECLARE
    payloads jsonb[];
BEGIN
    IF cardinality(e_kind) > 0 THEN
        -- each rule's JSON once per batch (materialized), not once per event
        WITH fj AS MATERIALIZED (
                 SELECT f.id, iot._firing_rule_event_json(f) AS j FROM iot.firing_rule f
                  WHERE f.tenant_id = t AND f.id = ANY (e_rule)),
             mj AS MATERIALIZED (
                 SELECT mr.id, iot._matching_rule_event_json(mr) AS j FROM iot.matching_rule mr
                  WHERE mr.tenant_id = t AND mr.id = ANY (e_matching)),
             sj AS MATERIALIZED (
                 SELECT s.id, iot._state_rule_event_json(s) AS j FROM iot.state_rule s
                  WHERE s.tenant_id = t AND s.id = ANY (e_rule))
        SELECT array_agg(CASE e.kind
                   WHEN 'matchingFired' THEN jsonb_build_object(
                       'version', 1, 'tenantId', t, 'timestamp', e.ts,
                       'firingRule', fj.j,
                       'matchingContext', jsonb_build_object(
                           'tenantId', t, 'timestamp', e.ts, 'matchingRule', mj.j, 'data', e.doc))
                   ELSE jsonb_build_object(
                       'version', 1, 'tenantId', t, 'stateKey', e.key,
                       'previousState', coalesce(e.prev, 'null'), 'newState', e.new,
                       'timestamp', e.ts, 'stateProcessingRuleId', sj.id,
                       'stateProcessingRule', sj.j, 'data', e.doc)
                   END ORDER BY e.ord)
          INTO payloads
          FROM (SELECT u.*, iot.iso_time(u.at) AS ts
                  FROM unnest(e_kind, e_rule, e_matching, e_key, e_prev, e_new, e_doc, e_at)
                       WITH ORDINALITY AS u(kind, rule, matching, key, prev, new, doc, at, ord)) e
          LEFT JOIN fj ON e.kind = 'matchingFired' AND fj.id = e.rule
          LEFT JOIN mj ON e.kind = 'matchingFired' AND mj.id = e.matching
          LEFT JOIN sj ON e.kind = 'stateChange' AND sj.id = e.rule;
        PERFORM iot.event_emit_many(e_kind, 'rules', payloads, e_device);
        -- stored in the partition of the message that caused them, at its place;
        -- the message found by its primary key only (it is the tenant's: it
        -- came from the tenant's queue).  A tenant condition lets the planner,
        -- on a partition without statistics yet, AND a bitmap of every message
        -- of the tenant into each lookup.
        INSERT INTO iot.message (tenant_id, created, ts, stream_id, model, value, tags, metadata,
                                 location, location_alt, location_accuracy, location_provider)
        SELECT t, p.at, p.at, 'event:' || m.stream_id,
               CASE p.kind WHEN 'matchingFired' THEN 'event:MatchingFired' ELSE 'event:StateChange' END,
               p.payload, '{event}', '{}', m.location, m.location_alt, m.location_accuracy, m.location_provider
          FROM unnest(e_kind, payloads, e_message, e_at) AS p(kind, payload, message, at)
          JOIN iot.message m ON m.id = p.message AND m.created = p.at;
    END IF;
    INSERT INTO iot.firing_guard AS g (tenant_id, firing_rule_id, context_key, context, created, expires)
    SELECT t, u.rule, u.key, u.context, u.created, u.expires
      FROM unnest(g_rule, g_key, g_context, g_created, g_expires) AS u(rule, key, context, created, expires)
    ON CONFLICT (tenant_id, firing_rule_id, context_key) DO UPDATE
       SET created = excluded.created, expires = excluded.expires, context = excluded.context;
    INSERT INTO iot.rule_state AS s (tenant_id, rule_id, state_key, state, message_id, updated)
    SELECT t, u.rule, u.key, u.state, u.message, u.at
      FROM unnest(s_rule, s_key, s_state, s_message, s_at) AS u(rule, key, state, message, at)
    ON CONFLICT (tenant_id, rule_id, state_key) DO UPDATE
       SET state = excluded.state, message_id = excluded.message_id, updated = excluded.updated;
    IF cardinality(a_device) > 0 THEN
        PERFORM iot._activity_touch(t, a_device, a_at);
    END IF;
    IF cardinality(x_message) > 0 THEN
        INSERT INTO iot.audit_log (tenant_id, level, component, code, message, details)
        SELECT t, 'WARNING', 'rules', '54001', u.error,
               jsonb_build_object('messageId', u.message, 'ruleId', u.rule)
          FROM unnest(x_message, x_rule, x_error) AS u(message, rule, error);
    END IF;
    DELETE FROM iot.rule_queue q
     USING unnest(done_txid, done_first, done_taken) AS d(txid, first_id, taken)
     WHERE q.tenant_id = t AND q.txid = d.txid AND q.first_id = d.first_id
       AND d.taken >= cardinality(q.message_ids);
    UPDATE iot.rule_queue q
       SET message_ids = q.message_ids[d.taken + 1:], created = q.created[d.taken + 1:]
      FROM unnest(done_txid, done_first, done_taken) AS d(txid, first_id, taken)
     WHERE q.tenant_id = t AND q.txid = d.txid AND q.first_id = d.first_id
       AND d.taken < cardinality(q.message_ids);
    UPDATE iot.rule_tenant rt SET scan_from = _rules_commit.scan_from
     WHERE rt.tenant_id = t AND rt.scan_from IS DISTINCT FROM _rules_commit.scan_from;
END
$$;
REVOKE EXECUTE ON FUNCTION iot._rules_commit(uuid, xid8[], bigint[], int[], xid8, text[], uuid[], uuid[], text[], jsonb[], jsonb[],
    bigint[], jsonb[], timestamptz[], text[], uuid[], text[], jsonb[], timestamptz[], timestamptz[], uuid[], text[],
    jsonb[], bigint[], timestamptz[], text[], timestamptz[], bigint[], uuid[], text[]) FROM PUBLIC;

-- Evaluate up to max_messages queued messages, tenant by tenant (the one
-- with the oldest message first), each tenant's in queue order, with the
-- tenant's rule_tenant row locked (SKIP LOCKED: another worker busy with a
-- tenant is left alone).  Returns how many messages were evaluated.
CREATE FUNCTION iot.rules_process(max_messages int DEFAULT 1000) RETURNS bigint
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'pgiot_rules_process';
REVOKE EXECUTE ON FUNCTION iot.rules_process(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION iot.rules_process(int) TO pgiot_service;

-- Housekeeping (maintenance task "rules"): expired SLEEP guards, queue
-- rows of tenants without rules any more.
CREATE FUNCTION iot._rules_maintenance() RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    n_guards bigint;
    n_queue bigint;
BEGIN
    DELETE FROM iot.firing_guard WHERE expires < iot.now() - interval '1 day';
    GET DIAGNOSTICS n_guards = ROW_COUNT;
    DELETE FROM iot.rule_queue q
     WHERE NOT EXISTS (SELECT FROM iot.rule_tenant rt WHERE rt.tenant_id = q.tenant_id);
    GET DIAGNOSTICS n_queue = ROW_COUNT;
    RETURN jsonb_build_object('guardsPurged', n_guards, 'orphanQueueRows', n_queue);
END
$$;
REVOKE EXECUTE ON FUNCTION iot._rules_maintenance() FROM PUBLIC;
INSERT INTO iot.maintenance_task (name, fn) VALUES ('rules', 'iot._rules_maintenance()');
