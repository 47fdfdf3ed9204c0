-- Rules: the rule tables, guards, states, activity states, the queue, and
-- the manual's JSON shapes of rules (in the API and inside events).

------------------------------------------------------------------------------
-- Rule tables
------------------------------------------------------------------------------

-- Simple event processing: a matching rule tests each data message ...
CREATE TABLE iot.matching_rule (
    tenant_id       uuid NOT NULL REFERENCES iot.tenant ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    name            text,
    enabled         boolean NOT NULL DEFAULT true,
    data_predicate  jsonb NOT NULL CHECK (iot.jsonlogic_valid(data_predicate)),
    created         timestamptz NOT NULL DEFAULT iot.now(),
    updated         timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, id)
);
COMMENT ON TABLE iot.matching_rule IS 'Matching rules: a JsonLogic predicate applied to every data message';
SELECT iot.tenant_table('iot.matching_rule');

-- ... and a firing rule turns the matches into fired events, ALWAYS, ONCE
-- per aggregation context, or at most once per sleepDuration.
CREATE TABLE iot.firing_rule (
    tenant_id          uuid NOT NULL REFERENCES iot.tenant ON DELETE CASCADE,
    id                 uuid NOT NULL DEFAULT gen_random_uuid(),
    name               text,
    enabled            boolean NOT NULL DEFAULT true,
    matching_rule_ids  uuid[] NOT NULL CHECK (cardinality(matching_rule_ids) BETWEEN 1 AND 50),
    aggregation_keys   text[] NOT NULL DEFAULT '{}' CHECK (cardinality(aggregation_keys) <= 20),
    firing_type        text NOT NULL CHECK (firing_type IN ('ONCE', 'ALWAYS', 'SLEEP')),
    sleep_duration     text,          -- ISO-8601, as given
    sleep_interval     interval CHECK (sleep_interval > interval '0'),
    created            timestamptz NOT NULL DEFAULT iot.now(),
    updated            timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, id),
    CHECK ((firing_type = 'SLEEP') = (sleep_interval IS NOT NULL))
);
CREATE INDEX firing_rule_matching ON iot.firing_rule USING gin (matching_rule_ids);
COMMENT ON TABLE iot.firing_rule IS 'Firing rules: how often matches of their matching rules become matchingFired events';
SELECT iot.tenant_table('iot.firing_rule');

-- What ONCE and SLEEP leave behind: one guard per (firing rule, values of
-- the aggregation keys); no expiry = ONCE, until deleted.
CREATE TABLE iot.firing_guard (
    tenant_id       uuid NOT NULL,
    firing_rule_id  uuid NOT NULL,
    context_key     text NOT NULL,     -- JSON array of the aggregation key values
    context         jsonb NOT NULL,    -- {"<aggregation key>": value, ...}
    created         timestamptz NOT NULL,
    expires         timestamptz,
    PRIMARY KEY (tenant_id, firing_rule_id, context_key),
    FOREIGN KEY (tenant_id, firing_rule_id) REFERENCES iot.firing_rule ON DELETE CASCADE
);
CREATE INDEX firing_guard_expires ON iot.firing_guard (expires) WHERE expires IS NOT NULL;
COMMENT ON TABLE iot.firing_guard IS 'Firing contexts blocked by ONCE (until deleted) or SLEEP (until expires)';
SELECT iot.tenant_table('iot.firing_guard', 'SELECT, DELETE');

-- State processing: a state function per message, one state per key.
CREATE TABLE iot.state_rule (
    tenant_id         uuid NOT NULL REFERENCES iot.tenant ON DELETE CASCADE,
    id                uuid NOT NULL DEFAULT gen_random_uuid(),
    name              text,
    enabled           boolean NOT NULL DEFAULT true,
    state_key_path    text NOT NULL CHECK (state_key_path <> ''),
    state_function    jsonb NOT NULL CHECK (iot.jsonlogic_valid(state_function)),
    filter_predicate  jsonb CHECK (iot.jsonlogic_valid(filter_predicate)),
    created           timestamptz NOT NULL DEFAULT iot.now(),
    updated           timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, id)
);
COMMENT ON TABLE iot.state_rule IS 'State processing rules: stateFunction computes the state of stateKeyPath''s key';
SELECT iot.tenant_table('iot.state_rule');

CREATE TABLE iot.rule_state (
    tenant_id   uuid NOT NULL,
    rule_id     uuid NOT NULL,
    state_key   text NOT NULL,
    state       jsonb NOT NULL,
    message_id  bigint,              -- the message that set it
    updated     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, rule_id, state_key),
    FOREIGN KEY (tenant_id, rule_id) REFERENCES iot.state_rule ON DELETE CASCADE
);
COMMENT ON TABLE iot.rule_state IS 'The current state of each (state rule, state key)';
SELECT iot.tenant_table('iot.rule_state', 'SELECT, DELETE');

-- Activity processing: devices (by id or group) silent for too long.
CREATE TABLE iot.activity_rule (
    tenant_id        uuid NOT NULL REFERENCES iot.tenant ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    name             text NOT NULL CHECK (name <> ''),
    enabled          boolean NOT NULL DEFAULT true,
    duration         text NOT NULL,          -- silentPolicy.duration, ISO-8601
    duration_value   interval NOT NULL CHECK (duration_value > interval '0'),
    repeat_interval  text,                   -- silentPolicy.repeatInterval
    repeat_value     interval CHECK (repeat_value > interval '0'),
    device_ids       text[] NOT NULL DEFAULT '{}' CHECK (cardinality(device_ids) <= 100),
    group_paths      jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_array_length(group_paths) <= 100),
    tags             text[] NOT NULL DEFAULT '{}',
    created          timestamptz NOT NULL DEFAULT iot.now(),
    updated          timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name),
    CHECK (cardinality(device_ids) > 0 OR jsonb_array_length(group_paths) > 0),
    CHECK ((repeat_interval IS NULL) = (repeat_value IS NULL))
);
COMMENT ON TABLE iot.activity_rule IS 'Activity rules: SILENT after silentPolicy.duration without activity, reminders every repeatInterval';
SELECT iot.tenant_table('iot.activity_rule');

-- The activity state of each (rule, device) that has one; a targeted
-- device without a row is UNKNOWN (since the rule was created or updated).
CREATE TABLE iot.activity_state (
    tenant_id      uuid NOT NULL,
    rule_id        uuid NOT NULL,
    device_id      text NOT NULL,
    state          text NOT NULL CHECK (state IN ('ACTIVE', 'SILENT')),
    last_activity  timestamptz,
    last_alarm     timestamptz,          -- the last SILENT event (first or reminder)
    reminders      int NOT NULL DEFAULT 0,
    updated        timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, rule_id, device_id),
    FOREIGN KEY (tenant_id, rule_id) REFERENCES iot.activity_rule ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, device_id) REFERENCES iot.device ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX activity_state_device ON iot.activity_state (tenant_id, device_id);
COMMENT ON TABLE iot.activity_state IS 'Activity state per (activity rule, device): ACTIVE or SILENT (no row: UNKNOWN)';
SELECT iot.tenant_table('iot.activity_state');

-- One row per tenant that has (or had) rules: the rules worker locks it
-- while it evaluates the tenant's messages, so a tenant's messages are
-- evaluated by one worker at a time, in order.  `active`: an enabled
-- matching, state or activity rule exists, so messages are queued.
-- `scan_from`: no queued message of the tenant has a lower txid (see
-- iot.rule_queue), so reads start there, past the entries of messages
-- already evaluated.
CREATE TABLE iot.rule_tenant (
    tenant_id  uuid PRIMARY KEY REFERENCES iot.tenant ON DELETE CASCADE,
    active     boolean NOT NULL DEFAULT false,
    scan_from  xid8 NOT NULL DEFAULT '0'
);
COMMENT ON TABLE iot.rule_tenant IS 'Tenants with rules; row lock = the right to evaluate the tenant''s queue';
SELECT iot.tenant_table('iot.rule_tenant', 'SELECT');
-- enough to lock the row (iot.activity_record serializes with the worker),
-- nothing a tenant could change: row-level security pins tenant_id
GRANT UPDATE (tenant_id) ON iot.rule_tenant TO pgiot_tenant, pgiot_service;

-- Committed messages not yet evaluated: one row per tenant and inserting
-- statement (and per 1,000 of its messages), its messages in id order.  Filled by the statement trigger of
-- iot.message; emptied by iot.rules_process() in the transaction that
-- writes the results (a row evaluated in part keeps the rest).  Keyed by
-- the ingesting transaction's id: after a batch read with snapshot S,
-- every message still to come has a txid at least min(xmin(S), the last
-- txid taken), which bounds the next read (evaluated rows are deleted;
-- the index below that bound is never walked).  The order of evaluation,
-- (txid, first_id, position), is the order of (txid, message id): a
-- backend's ids grow, so a later statement of a transaction has larger ids.
CREATE TABLE iot.rule_queue (
    tenant_id   uuid NOT NULL,
    txid        xid8 NOT NULL,          -- the ingesting transaction
    first_id    bigint NOT NULL,        -- the statement's smallest message id
    message_ids bigint[] NOT NULL,      -- the messages still to evaluate, in id order
    created     timestamptz[] NOT NULL, -- theirs: the partition, and the rules clock
    PRIMARY KEY (tenant_id, txid, first_id)
);
COMMENT ON TABLE iot.rule_queue IS 'Data messages waiting for rule evaluation';
SELECT iot.tenant_table('iot.rule_queue', 'SELECT');

------------------------------------------------------------------------------
-- The manual's JSON shapes
------------------------------------------------------------------------------

CREATE FUNCTION iot.matching_rule_json(r iot.matching_rule) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object('id', r.id, 'name', r.name, 'enabled', r.enabled,
                              'dataPredicate', r.data_predicate,
                              'created', iot.iso_time(r.created), 'updated', iot.iso_time(r.updated));

CREATE FUNCTION iot.firing_rule_json(r iot.firing_rule) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'id', r.id, 'name', r.name, 'enabled', r.enabled, 'matchingRuleIds', to_jsonb(r.matching_rule_ids),
        'aggregationKeys', to_jsonb(r.aggregation_keys), 'firingType', r.firing_type,
        'sleepDuration', r.sleep_duration,
        'created', iot.iso_time(r.created), 'updated', iot.iso_time(r.updated)));

CREATE FUNCTION iot.state_rule_json(r iot.state_rule) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object('id', r.id, 'name', r.name, 'enabled', r.enabled,
                              'stateKeyPath', r.state_key_path, 'stateFunction', r.state_function,
                              'filterPredicate', r.filter_predicate,
                              'created', iot.iso_time(r.created), 'updated', iot.iso_time(r.updated));

CREATE FUNCTION iot.activity_rule_json(r iot.activity_rule) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object(
        'id', r.id, 'name', r.name, 'enabled', r.enabled,
        'silentPolicy', jsonb_strip_nulls(jsonb_build_object('duration', r.duration,
                                                             'repeatInterval', r.repeat_interval)),
        'targets', jsonb_build_object('deviceIds', to_jsonb(r.device_ids), 'groupPaths', r.group_paths),
        'tags', to_jsonb(r.tags),
        'created', iot.iso_time(r.created), 'updated', iot.iso_time(r.updated));

-- In events, rules travel whole, with their JsonLogic as JSON text
-- (manual 17.2.5.5, 17.2.6.5; decision 17).
CREATE FUNCTION iot._matching_rule_event_json(r iot.matching_rule) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object('id', r.id, 'name', r.name, 'enabled', r.enabled,
                              'dataPredicate', iot.json_compact(r.data_predicate));

CREATE FUNCTION iot._firing_rule_event_json(r iot.firing_rule) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN iot.firing_rule_json(r) - 'created' - 'updated';

CREATE FUNCTION iot._state_rule_event_json(r iot.state_rule) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object('id', r.id, 'name', r.name, 'enabled', r.enabled,
                              'stateKeyPath', r.state_key_path,
                              'stateFunction', iot.json_compact(r.state_function),
                              'filterPredicate', coalesce(iot.json_compact(r.filter_predicate), 'null'));

CREATE FUNCTION iot._activity_rule_event_json(r iot.activity_rule) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN iot.activity_rule_json(r) - 'created' - 'updated';
