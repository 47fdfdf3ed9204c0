-- Rules: state processing, state rules and their states (manual 17.2.6).

------------------------------------------------------------------------------
-- State rules and their states
------------------------------------------------------------------------------

-- POST /eventprocessing/stateprocessing-rule: {"name", "enabled",
-- "stateKeyPath", "stateFunction", "filterPredicate"}.
CREATE FUNCTION iot.state_rule_create(doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    r iot.state_rule;
BEGIN
    PERFORM iot._json_object(doc, 'state rule');
    PERFORM iot._rule_limit_check(t, 'stateRules', 'iot.state_rule');
    INSERT INTO iot.state_rule (tenant_id, id, name, enabled, state_key_path, state_function, filter_predicate)
    VALUES (t, iot._rule_id(doc), iot._json_text(doc, 'name'), iot._json_bool(doc, 'enabled', true),
            iot._json_text(doc, 'stateKeyPath', true), iot._rule_predicate(doc, 'stateFunction', true),
            iot._rule_predicate(doc, 'filterPredicate', false))
    RETURNING * INTO r;
    RETURN iot.state_rule_json(r);
EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'state rule % already exists', doc ->> 'id' USING ERRCODE = 'PI605';
END
$$;

CREATE FUNCTION iot.state_rule_get(id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.state_rule_json(r) FROM iot.state_rule r
     WHERE r.tenant_id = (SELECT iot.current_tenant()) AND r.id = state_rule_get.id
$$;

CREATE FUNCTION iot.state_rules() RETURNS SETOF jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.state_rule_json(r) FROM iot.state_rule r
     WHERE r.tenant_id = (SELECT iot.current_tenant()) ORDER BY r.created, r.id
$$;

-- Update: members present replace the rule's ("filterPredicate": null
-- removes the filter).  States are kept.
CREATE FUNCTION iot.state_rule_update(id uuid, doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    r iot.state_rule;
BEGIN
    PERFORM iot._json_object(doc, 'state rule');
    UPDATE iot.state_rule x SET
        name = CASE WHEN doc ? 'name' THEN iot._json_text(doc, 'name') ELSE x.name END,
        enabled = iot._json_bool(doc, 'enabled', x.enabled),
        state_key_path = coalesce(iot._json_text(doc, 'stateKeyPath'), x.state_key_path),
        state_function = coalesce(iot._rule_predicate(doc, 'stateFunction', false), x.state_function),
        filter_predicate = CASE WHEN doc ? 'filterPredicate' THEN iot._rule_predicate(doc, 'filterPredicate', false)
                                ELSE x.filter_predicate END,
        updated = iot.now()
     WHERE x.tenant_id = iot.require_tenant() AND x.id = state_rule_update.id
    RETURNING * INTO r;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'state rule % not found', id USING ERRCODE = 'PI602';
    END IF;
    RETURN iot.state_rule_json(r);
END
$$;

CREATE FUNCTION iot.state_rule_delete(id uuid) RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM iot.state_rule r WHERE r.tenant_id = iot.require_tenant() AND r.id = state_rule_delete.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'state rule % not found', id USING ERRCODE = 'PI602';
    END IF;
END
$$;

-- POST /eventprocessing/stateprocessing-rule/test: {"currentState",
-- "data", "stateProcessingFunction"} -> {"stateFunctionValid",
-- "dataValid", "stateFunctionResult"}.  A currentState of {} is no state.
CREATE FUNCTION iot.state_rule_test(doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    fn jsonb := doc -> 'stateProcessingFunction';
    function_valid boolean := fn IS NOT NULL AND iot.jsonlogic_valid(fn);
    data_valid boolean := jsonb_typeof(doc -> 'data') = 'object';
    current_state jsonb := nullif(nullif(doc -> 'currentState', '{}'), 'null');
BEGIN
    RETURN jsonb_build_object(
        'stateFunctionValid', function_valid, 'dataValid', data_valid,
        'stateFunctionResult', CASE WHEN function_valid AND data_valid THEN
            iot.jsonlogic_apply(fn, doc -> 'data', current_state) END);
END
$$;

CREATE FUNCTION iot.rule_state_json(s iot.rule_state) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object('stateProcessingRuleId', s.rule_id, 'stateKey', s.state_key,
                              'state', s.state, 'updated', iot.iso_time(s.updated));

CREATE FUNCTION iot.rule_states(rule_id uuid DEFAULT NULL) RETURNS SETOF jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.rule_state_json(s) FROM iot.rule_state s
     WHERE s.tenant_id = (SELECT iot.current_tenant())
       AND (rule_states.rule_id IS NULL OR s.rule_id = rule_states.rule_id)
     ORDER BY s.rule_id, s.state_key
$$;

-- Forget states (all of the rule, or one key): the next message starts
-- from no state.
CREATE FUNCTION iot.rule_state_delete(rule_id uuid, state_key text DEFAULT NULL) RETURNS int
    LANGUAGE plpgsql
AS $$
DECLARE
    n int;
BEGIN
    DELETE FROM iot.rule_state s
     WHERE s.tenant_id = iot.require_tenant() AND s.rule_id = rule_state_delete.rule_id
       AND (rule_state_delete.state_key IS NULL OR s.state_key = rule_state_delete.state_key);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
