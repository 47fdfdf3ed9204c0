-- Rules: simple event processing, matching rules and firing rules with
-- their guards (manual 17.2.5).

------------------------------------------------------------------------------
-- Matching rules
------------------------------------------------------------------------------

-- The id a create body may carry (else a new one).
CREATE FUNCTION iot._rule_id(doc jsonb) RETURNS uuid
    LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    IF doc -> 'id' IS NULL OR doc -> 'id' = 'null' THEN
        RETURN gen_random_uuid();
    END IF;
    IF doc ->> 'id' !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        RAISE EXCEPTION 'id must be a UUID' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN (doc ->> 'id')::uuid;
END
$$;

CREATE FUNCTION iot._rule_predicate(doc jsonb, key text, required boolean) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF doc -> key IS NULL OR doc -> key = 'null' THEN
        IF required THEN
            RAISE EXCEPTION '% is required', key USING ERRCODE = 'invalid_parameter_value';
        END IF;
        RETURN NULL;
    END IF;
    BEGIN
        RETURN iot.jsonlogic_check(doc -> key);
    EXCEPTION WHEN SQLSTATE 'PI601' THEN
        DECLARE
            msg text;
            detail text;
        BEGIN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
            RAISE EXCEPTION '%: %', key, msg USING ERRCODE = 'PI601', DETAIL = detail;
        END;
    END;
END
$$;

-- POST /eventprocessing/matching-rule: {"name", "enabled", "dataPredicate"}.
CREATE FUNCTION iot.matching_rule_create(doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    r iot.matching_rule;
BEGIN
    PERFORM iot._json_object(doc, 'matching rule');
    PERFORM iot._rule_limit_check(t, 'matchingRules', 'iot.matching_rule');
    INSERT INTO iot.matching_rule (tenant_id, id, name, enabled, data_predicate)
    VALUES (t, iot._rule_id(doc), iot._json_text(doc, 'name'), iot._json_bool(doc, 'enabled', true),
            iot._rule_predicate(doc, 'dataPredicate', true))
    RETURNING * INTO r;
    RETURN iot.matching_rule_json(r);
EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'matching rule % already exists', doc ->> 'id' USING ERRCODE = 'PI605';
END
$$;

CREATE FUNCTION iot.matching_rule_get(id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.matching_rule_json(r) FROM iot.matching_rule r
     WHERE r.tenant_id = (SELECT iot.current_tenant()) AND r.id = matching_rule_get.id
$$;

CREATE FUNCTION iot.matching_rules() RETURNS SETOF jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.matching_rule_json(r) FROM iot.matching_rule r
     WHERE r.tenant_id = (SELECT iot.current_tenant()) ORDER BY r.created, r.id
$$;

-- Update: the members present replace the rule's.
CREATE FUNCTION iot.matching_rule_update(id uuid, doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    r iot.matching_rule;
BEGIN
    PERFORM iot._json_object(doc, 'matching rule');
    UPDATE iot.matching_rule x SET
        name = CASE WHEN doc ? 'name' THEN iot._json_text(doc, 'name') ELSE x.name END,
        enabled = iot._json_bool(doc, 'enabled', x.enabled),
        data_predicate = coalesce(iot._rule_predicate(doc, 'dataPredicate', false), x.data_predicate),
        updated = iot.now()
     WHERE x.tenant_id = iot.require_tenant() AND x.id = matching_rule_update.id
    RETURNING * INTO r;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'matching rule % not found', id USING ERRCODE = 'PI602';
    END IF;
    RETURN iot.matching_rule_json(r);
END
$$;

-- A matching rule that a firing rule listens to cannot go (PI603).
CREATE FUNCTION iot.matching_rule_delete(id uuid) RETURNS void
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    user_rule uuid;
BEGIN
    SELECT f.id INTO user_rule FROM iot.firing_rule f
     WHERE f.tenant_id = t AND f.matching_rule_ids @> ARRAY[matching_rule_delete.id] LIMIT 1;
    IF user_rule IS NOT NULL THEN
        RAISE EXCEPTION 'matching rule % is used by firing rule %', id, user_rule USING ERRCODE = 'PI603';
    END IF;
    DELETE FROM iot.matching_rule r WHERE r.tenant_id = t AND r.id = matching_rule_delete.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'matching rule % not found', id USING ERRCODE = 'PI602';
    END IF;
END
$$;

-- POST /eventprocessing/matching-rule/test: {"data", "dataPredicate"} ->
-- {"dataPredicateValid", "dataValid", "dataPredicateResult"}.
CREATE FUNCTION iot.matching_rule_test(doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    predicate_valid boolean := doc -> 'dataPredicate' IS NOT NULL
                               AND iot.jsonlogic_valid(doc -> 'dataPredicate');
    data_valid boolean := jsonb_typeof(doc -> 'data') = 'object';
BEGIN
    RETURN jsonb_build_object(
        'dataPredicateValid', predicate_valid, 'dataValid', data_valid,
        'dataPredicateResult', CASE WHEN predicate_valid AND data_valid THEN
            iot.jsonlogic_apply(jsonb_build_object('!!', jsonb_build_array(doc -> 'dataPredicate')), doc -> 'data')
        END);
END
$$;

------------------------------------------------------------------------------
-- Firing rules and their guards
------------------------------------------------------------------------------

CREATE FUNCTION iot._firing_fields(t uuid, doc jsonb, current iot.firing_rule)
    RETURNS iot.firing_rule
    LANGUAGE plpgsql
AS $$
DECLARE
    r iot.firing_rule := current;
    missing uuid;
BEGIN
    IF doc ? 'name' THEN
        r.name := iot._json_text(doc, 'name');
    END IF;
    r.enabled := iot._json_bool(doc, 'enabled', coalesce(r.enabled, true));
    IF doc ? 'matchingRuleIds' OR r.matching_rule_ids IS NULL THEN
        IF jsonb_typeof(doc -> 'matchingRuleIds') IS DISTINCT FROM 'array'
           OR jsonb_array_length(doc -> 'matchingRuleIds') = 0
           OR EXISTS (SELECT FROM jsonb_array_elements(doc -> 'matchingRuleIds') e
                       WHERE jsonb_typeof(e) <> 'string'
                          OR e #>> '{}' !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$') THEN
            RAISE EXCEPTION 'matchingRuleIds must be a non-empty array of matching rule ids'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        r.matching_rule_ids := ARRAY(SELECT (e #>> '{}')::uuid FROM jsonb_array_elements(doc -> 'matchingRuleIds') e);
        SELECT m INTO missing FROM unnest(r.matching_rule_ids) m
         WHERE NOT EXISTS (SELECT FROM iot.matching_rule x WHERE x.tenant_id = t AND x.id = m) LIMIT 1;
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION 'matching rule % not found', missing USING ERRCODE = 'PI602';
        END IF;
    END IF;
    IF doc ? 'aggregationKeys' THEN
        r.aggregation_keys := iot._text_array(doc -> 'aggregationKeys', 'aggregationKeys');
        IF '' = ANY (r.aggregation_keys) THEN
            RAISE EXCEPTION 'aggregationKeys must not hold empty paths' USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;
    r.aggregation_keys := coalesce(r.aggregation_keys, '{}');
    IF doc ? 'firingType' THEN
        r.firing_type := doc ->> 'firingType';
    END IF;
    IF r.firing_type IS NULL OR r.firing_type NOT IN ('ONCE', 'ALWAYS', 'SLEEP') THEN
        RAISE EXCEPTION 'firingType must be ONCE, ALWAYS or SLEEP' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF doc ? 'sleepDuration' THEN
        r.sleep_duration := iot._json_text(doc, 'sleepDuration');
    END IF;
    IF r.firing_type = 'SLEEP' THEN
        IF r.sleep_duration IS NULL THEN
            RAISE EXCEPTION 'sleepDuration is required with firingType SLEEP'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        r.sleep_interval := iot.iso_duration(r.sleep_duration, 'sleepDuration');
    ELSE
        r.sleep_duration := NULL;
        r.sleep_interval := NULL;
    END IF;
    RETURN r;
END
$$;

-- POST /eventprocessing/firing-rule: {"name", "enabled", "matchingRuleIds",
-- "aggregationKeys", "firingType", "sleepDuration"}.
CREATE FUNCTION iot.firing_rule_create(doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    r iot.firing_rule;
BEGIN
    PERFORM iot._json_object(doc, 'firing rule');
    PERFORM iot._rule_limit_check(t, 'firingRules', 'iot.firing_rule');
    r := iot._firing_fields(t, doc, NULL::iot.firing_rule);
    INSERT INTO iot.firing_rule (tenant_id, id, name, enabled, matching_rule_ids, aggregation_keys,
                                 firing_type, sleep_duration, sleep_interval)
    VALUES (t, iot._rule_id(doc), r.name, r.enabled, r.matching_rule_ids, r.aggregation_keys,
            r.firing_type, r.sleep_duration, r.sleep_interval)
    RETURNING * INTO r;
    RETURN iot.firing_rule_json(r);
EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'firing rule % already exists', doc ->> 'id' USING ERRCODE = 'PI605';
END
$$;

CREATE FUNCTION iot.firing_rule_get(id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.firing_rule_json(r) FROM iot.firing_rule r
     WHERE r.tenant_id = (SELECT iot.current_tenant()) AND r.id = firing_rule_get.id
$$;

CREATE FUNCTION iot.firing_rules() RETURNS SETOF jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.firing_rule_json(r) FROM iot.firing_rule r
     WHERE r.tenant_id = (SELECT iot.current_tenant()) ORDER BY r.created, r.id
$$;

CREATE FUNCTION iot.firing_rule_update(id uuid, doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    r iot.firing_rule;
BEGIN
    PERFORM iot._json_object(doc, 'firing rule');
    SELECT * INTO r FROM iot.firing_rule x WHERE x.tenant_id = t AND x.id = firing_rule_update.id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'firing rule % not found', id USING ERRCODE = 'PI602';
    END IF;
    r := iot._firing_fields(t, doc, r);
    UPDATE iot.firing_rule x SET
        name = r.name, enabled = r.enabled, matching_rule_ids = r.matching_rule_ids,
        aggregation_keys = r.aggregation_keys, firing_type = r.firing_type,
        sleep_duration = r.sleep_duration, sleep_interval = r.sleep_interval, updated = iot.now()
     WHERE x.tenant_id = t AND x.id = firing_rule_update.id
    RETURNING * INTO r;
    RETURN iot.firing_rule_json(r);
END
$$;

CREATE FUNCTION iot.firing_rule_delete(id uuid) RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM iot.firing_rule r WHERE r.tenant_id = iot.require_tenant() AND r.id = firing_rule_delete.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'firing rule % not found', id USING ERRCODE = 'PI602';
    END IF;
END
$$;

CREATE FUNCTION iot.firing_guard_json(g iot.firing_guard) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object('firingRuleId', g.firing_rule_id, 'context', g.context,
                              'created', iot.iso_time(g.created), 'expires', iot.iso_time(g.expires));

-- The blocks ONCE and SLEEP left (expired SLEEP guards excluded).
CREATE FUNCTION iot.firing_guards(firing_rule_id uuid DEFAULT NULL) RETURNS SETOF jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.firing_guard_json(g) FROM iot.firing_guard g
     WHERE g.tenant_id = (SELECT iot.current_tenant())
       AND (firing_guards.firing_rule_id IS NULL OR g.firing_rule_id = firing_guards.firing_rule_id)
       AND (g.expires IS NULL OR g.expires > iot.now())
     ORDER BY g.firing_rule_id, g.created, g.context_key
$$;

-- Re-arm: delete the guard of one firing context ({"metadata.source":
-- "..."}), or every guard of the rule when context is null.  Returns how
-- many went.
CREATE FUNCTION iot.firing_guard_delete(firing_rule_id uuid, context jsonb DEFAULT NULL) RETURNS int
    LANGUAGE plpgsql
AS $$
DECLARE
    n int;
BEGIN
    DELETE FROM iot.firing_guard g
     WHERE g.tenant_id = iot.require_tenant() AND g.firing_rule_id = firing_guard_delete.firing_rule_id
       AND (firing_guard_delete.context IS NULL OR g.context = firing_guard_delete.context);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
