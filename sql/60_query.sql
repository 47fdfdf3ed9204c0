-- Query: RSQL filters (device and inventory dialects), device listing and
-- the inventory explorer (search and statistics), geohash cells, data
-- search over iot.message.  Reference: docs/sql/query.md.

------------------------------------------------------------------------------
-- RSQL
------------------------------------------------------------------------------

-- The tree of a query as jsonb: {"and": [...]}, {"or": [...]},
-- {"selector", "op", "args"} (operators in their primary form, < is =lt=).
-- Without a dialect: standard RSQL; with 'device' or 'inventory' the
-- selectors and operators are checked too ("prefix": true marks ==value*,
-- "query" holds a parsed =q= sub-query).  22P02 malformed, 22023 unknown
-- field/operator for the dialect, 54000 longer than 512 characters; the
-- message gives the position of the fault.
CREATE FUNCTION iot.rsql_parse(query text, dialect text DEFAULT NULL) RETURNS jsonb
    LANGUAGE c IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_rsql_parse';

-- A boolean SQL expression over iot.device AS d that holds exactly for the
-- devices the query selects.  Only whitelisted columns appear in it, every
-- value of the query is a quoted literal.
CREATE FUNCTION iot.rsql_to_sql(query text, dialect text DEFAULT 'device') RETURNS text
    LANGUAGE c IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_rsql_to_sql';

------------------------------------------------------------------------------
-- Geohash
------------------------------------------------------------------------------

CREATE FUNCTION iot.geohash_encode(lat float8, lon float8, "precision" int DEFAULT 12) RETURNS text
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_geohash_encode';

-- The cell of a geohash: its centre and its bounds.
CREATE FUNCTION iot.geohash_decode(hash text,
                                   OUT lat float8, OUT lon float8,
                                   OUT min_lat float8, OUT max_lat float8,
                                   OUT min_lon float8, OUT max_lon float8)
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'pgiot_geohash_decode';

-- The 8 cells around a geohash (n, ne, e, se, s, sw, w, nw); hash is NULL
-- beyond a pole, longitudes wrap at the antimeridian.
CREATE FUNCTION iot.geohash_neighbors(hash text) RETURNS TABLE (direction text, hash text)
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE ROWS 8
    AS 'MODULE_PATHNAME', 'pgiot_geohash_neighbors';

------------------------------------------------------------------------------
-- What the inventory knows of a device beyond the foundation's columns
------------------------------------------------------------------------------

-- activities: the activity-rule states of the device, the manual's
--   "activityStates" [{"rule": {"id", "tags"}, "timestamp", "state"}],
--   kept by the activity rules (iot.device_activity_set);
-- lora_lost_ratio: network.lora.lostMessagesRatio (0..1), set by the LoRa
--   network analytics when there are some;
-- location_*: the last known location (inventory "location"): the static
--   location when there is one (trigger below), else the last location a
--   data message carried (iot._device_location_refresh, periodic), with
--   its geohash (12 characters) for the statistics' geohash grids.
ALTER TABLE iot.device
    ADD COLUMN activities jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(activities) = 'array'),
    ADD COLUMN lora_lost_ratio double precision CHECK (lora_lost_ratio >= 0 AND lora_lost_ratio <= 1),
    ADD COLUMN location_lat double precision CHECK (location_lat >= -90 AND location_lat <= 90),
    ADD COLUMN location_lon double precision CHECK (location_lon >= -180 AND location_lon <= 180),
    ADD COLUMN location_alt double precision,
    ADD COLUMN location_accuracy double precision,
    ADD COLUMN location_provider text,
    ADD COLUMN location_updated timestamptz,
    ADD COLUMN geohash text,
    ADD CONSTRAINT device_location_complete
        CHECK ((location_lat IS NULL) = (location_lon IS NULL) AND (location_lat IS NULL) = (geohash IS NULL));

-- The manual's aggregatedActivityState: SILENT if one rule says SILENT,
-- else ACTIVE if one says ACTIVE, else UNKNOWN if one says UNKNOWN; NULL
-- when no rule watches the device.
CREATE FUNCTION iot.activity_aggregate(states jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN states @> '[{"state": "SILENT"}]' THEN 'SILENT'
                WHEN states @> '[{"state": "ACTIVE"}]' THEN 'ACTIVE'
                WHEN states @> '[{"state": "UNKNOWN"}]' THEN 'UNKNOWN' END;

-- network.lora.lostMessagesRangeLabel: [0, 0.1) 0-10%, [0.1, 0.2) 10-20%,
-- [0.2, 0.3) 20-30%, [0.3, 1] 30-100%.
CREATE FUNCTION iot.lora_lost_label(ratio double precision) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN ratio < 0.1 THEN '0-10%' WHEN ratio < 0.2 THEN '10-20%'
                WHEN ratio < 0.3 THEN '20-30%' WHEN ratio <= 1 THEN '30-100%' END;

-- Record the state of one activity rule for one device (the activity
-- rules call this; UNKNOWN, ACTIVE or SILENT).  The states stay sorted by
-- rule id.
CREATE FUNCTION iot.device_activity_set(device_id text, rule_id text, state text,
                                        rule_tags text[] DEFAULT '{}', at timestamptz DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    IF state IS NULL OR state NOT IN ('UNKNOWN', 'ACTIVE', 'SILENT') THEN
        RAISE EXCEPTION 'invalid activity state %', coalesce(state, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'The states are UNKNOWN, ACTIVE and SILENT.';
    END IF;
    UPDATE iot.device d
       SET activities = (SELECT jsonb_agg(x.e ORDER BY x.e -> 'rule' ->> 'id')
                           FROM (SELECT e FROM jsonb_array_elements(d.activities) e
                                  WHERE e -> 'rule' ->> 'id' IS DISTINCT FROM rule_id
                                 UNION ALL
                                 SELECT jsonb_build_object(
                                            'rule', jsonb_build_object('id', rule_id, 'tags', to_jsonb(coalesce(rule_tags, '{}'))),
                                            'timestamp', iot.iso_time(coalesce(at, iot.now())), 'state', state)) x)
     WHERE d.tenant_id = iot.require_tenant() AND d.id = device_activity_set.device_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'device % not found', device_id USING ERRCODE = 'PI001';
    END IF;
END
$$;

-- Forget a rule's state for a device (rule deleted or device left its scope).
CREATE FUNCTION iot.device_activity_clear(device_id text, rule_id text) RETURNS void
    LANGUAGE sql
AS $$
    UPDATE iot.device d
       SET activities = coalesce((SELECT jsonb_agg(e ORDER BY e -> 'rule' ->> 'id')
                                    FROM jsonb_array_elements(d.activities) e
                                   WHERE e -> 'rule' ->> 'id' IS DISTINCT FROM rule_id), '[]')
     WHERE d.tenant_id = iot.require_tenant() AND d.id = device_activity_clear.device_id
$$;

-- The static location, when set, is the device's location.  When it is
-- removed, the last location a message carried (if any) takes over.
CREATE FUNCTION iot._device_location_static() RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    m record;
BEGIN
    IF NEW.static_location IS NOT NULL THEN
        NEW.location_lat := ST_Y(NEW.static_location::geometry);
        NEW.location_lon := ST_X(NEW.static_location::geometry);
        NEW.location_alt := NEW.static_alt;
        NEW.location_accuracy := NEW.static_accuracy;
        NEW.location_provider := 'static';
        NEW.location_updated := iot.now();
    ELSE
        SELECT ST_Y(x.location::geometry) AS lat, ST_X(x.location::geometry) AS lon, x.location_alt AS alt,
               x.location_accuracy AS accuracy, x.location_provider AS provider, x.ts
          INTO m
          FROM iot.message x
         WHERE x.tenant_id = NEW.tenant_id AND x.device_id = NEW.id AND x.location IS NOT NULL
           AND x.location_provider IS DISTINCT FROM 'static'
         ORDER BY x.ts DESC
         LIMIT 1;
        NEW.location_lat := m.lat;
        NEW.location_lon := m.lon;
        NEW.location_alt := m.alt;
        NEW.location_accuracy := m.accuracy;
        NEW.location_provider := m.provider;
        NEW.location_updated := m.ts;
    END IF;
    NEW.geohash := iot.geohash_encode(NEW.location_lat, NEW.location_lon, 12);
    RETURN NEW;
END
$$;
CREATE TRIGGER location_static_insert BEFORE INSERT ON iot.device
    FOR EACH ROW WHEN (NEW.static_location IS NOT NULL)
    EXECUTE FUNCTION iot._device_location_static();
CREATE TRIGGER location_static_update BEFORE UPDATE OF static_location, static_alt, static_accuracy ON iot.device
    FOR EACH ROW WHEN (NEW.static_location::text IS DISTINCT FROM OLD.static_location::text
                       OR NEW.static_alt IS DISTINCT FROM OLD.static_alt
                       OR NEW.static_accuracy IS DISTINCT FROM OLD.static_accuracy)
    EXECUTE FUNCTION iot._device_location_static();

-- Where the periodic location refresh stopped (one row).
CREATE TABLE iot.device_location_progress (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_id    bigint NOT NULL DEFAULT 0,
    updated    timestamptz
);
INSERT INTO iot.device_location_progress DEFAULT VALUES;
COMMENT ON TABLE iot.device_location_progress IS 'Last iot.message id read by iot._device_location_refresh()';

-- Maintenance task: devices without a static location take the location
-- of their newest located message.  Reads the messages stored since the
-- last run (ids above the recorded one, less a margin for ids committed
-- out of order: a backend caches 1000 ids), so the inventory follows the
-- fleet within one maintenance interval, like Live Objects' index.
CREATE FUNCTION iot._device_location_refresh() RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    since   bigint;
    top     bigint;
    moved   bigint;
BEGIN
    SELECT last_id INTO since FROM iot.device_location_progress FOR UPDATE;
    SELECT max(id) INTO top FROM iot.message WHERE id > since - 10000;
    IF top IS NULL THEN
        RETURN jsonb_build_object('devicesMoved', 0);
    END IF;
    WITH fix AS (
        SELECT DISTINCT ON (m.tenant_id, m.device_id)
               m.tenant_id, m.device_id, m.ts, ST_Y(m.location::geometry) AS lat, ST_X(m.location::geometry) AS lon,
               m.location_alt, m.location_accuracy, m.location_provider
          FROM iot.message m
         WHERE m.id > since - 10000 AND m.id <= top AND m.location IS NOT NULL AND m.device_id IS NOT NULL
           AND m.location_provider IS DISTINCT FROM 'static'
         ORDER BY m.tenant_id, m.device_id, m.ts DESC)
    UPDATE iot.device d
       SET location_lat = fix.lat, location_lon = fix.lon, location_alt = fix.location_alt,
           location_accuracy = fix.location_accuracy, location_provider = fix.location_provider,
           location_updated = fix.ts, geohash = iot.geohash_encode(fix.lat, fix.lon, 12)
      FROM fix
     WHERE d.tenant_id = fix.tenant_id AND d.id = fix.device_id AND d.static_location IS NULL
       AND (d.location_updated IS NULL OR d.location_updated < fix.ts);
    GET DIAGNOSTICS moved = ROW_COUNT;
    UPDATE iot.device_location_progress SET last_id = greatest(last_id, top), updated = iot.now();
    RETURN jsonb_build_object('devicesMoved', moved);
END
$$;
REVOKE EXECUTE ON FUNCTION iot._device_location_refresh() FROM PUBLIC;
INSERT INTO iot.maintenance_task (name, fn) VALUES ('device_locations', 'iot._device_location_refresh()');

-- Indexes of the query area.  iot.device already has GIN on tags and on
-- properties (jsonb_path_ops), btree on (tenant_id, group_id) and the
-- primary key (tenant_id, id).
CREATE INDEX device_name ON iot.device (tenant_id, name text_pattern_ops);
CREATE INDEX device_id_prefix ON iot.device (tenant_id, id text_pattern_ops);
CREATE INDEX device_geohash ON iot.device (tenant_id, geohash text_pattern_ops) WHERE geohash IS NOT NULL;
-- Geo queries on message locations (created on the partitioned parent,
-- so every partition, present and future, gets it).  Partial: messages
-- without a location cost the ingest nothing here.
CREATE INDEX message_location ON iot.message USING gist (location) WHERE location IS NOT NULL;

------------------------------------------------------------------------------
-- Device listing (GET /api/v1/deviceMgt/devices?filterQuery=&sort=&limit=&offset=)
------------------------------------------------------------------------------

-- Sort keys of the device list and of the explorer search: the SQL of the
-- value (never NULL, so that keyset paging is exact: a missing text sorts
-- as '', a missing time as -infinity, a missing number as -1, a missing
-- boolean as false; times are compared at the millisecond, as rendered)
-- and its kind (text, time, bool, number) for bookmarks.
CREATE FUNCTION iot._sort_key(key text, dialect text, OUT expr text, OUT kind text)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT e, k FROM (VALUES
        ('device', 'id', 'd.id', 'text'),
        ('device', 'name', 'coalesce(d.name, '''')', 'text'),
        ('device', 'group', '(SELECT g.path FROM iot.device_group g WHERE g.tenant_id = d.tenant_id AND g.id = d.group_id)', 'text'),
        ('device', 'created', 'date_trunc(''milliseconds'', d.created)', 'time'),
        ('device', 'updated', 'date_trunc(''milliseconds'', d.updated)', 'time'),
        ('inventory', 'id', 'd.id', 'text'),
        ('inventory', 'name', 'coalesce(d.name, '''')', 'text'),
        ('inventory', 'group.path', '(SELECT g.path FROM iot.device_group g WHERE g.tenant_id = d.tenant_id AND g.id = d.group_id)', 'text'),
        ('inventory', 'created', 'date_trunc(''milliseconds'', d.created)', 'time'),
        ('inventory', 'updated', 'date_trunc(''milliseconds'', d.updated)', 'time'),
        ('inventory', 'lastCommunication', 'date_trunc(''milliseconds'', coalesce(greatest(d.last_seen, (SELECT max(i.last_contact) FROM iot.device_interface i WHERE i.tenant_id = d.tenant_id AND i.device_id = d.id)), ''-infinity''))', 'time'),
        ('inventory', 'network.lora.lostMessagesRatio', 'coalesce(d.lora_lost_ratio, -1)', 'number'),
        ('inventory', 'relevance', 'r.relevance', 'number')
    ) v(dia, name, e, k)
    WHERE v.dia = dialect AND v.name = key
    UNION ALL
    -- per-device values of the interfaces: lowest status, any enabled, latest contact
    SELECT e, k FROM (VALUES
        ('interfaces.status', 'coalesce((SELECT min(i.status) FROM iot.device_interface i WHERE i.tenant_id = d.tenant_id AND i.device_id = d.id), '''')', 'text'),
        ('interfaces.enabled', 'coalesce((SELECT bool_or(i.enabled) FROM iot.device_interface i WHERE i.tenant_id = d.tenant_id AND i.device_id = d.id), false)', 'bool'),
        ('interfaces.lastContact', 'date_trunc(''milliseconds'', coalesce((SELECT max(i.last_contact) FROM iot.device_interface i WHERE i.tenant_id = d.tenant_id AND i.device_id = d.id), ''-infinity''))', 'time')
    ) v(name, e, k)
    WHERE v.name = key
$$;

-- The sort of a request: keys in order, "-" for descending, id appended
-- (ascending) when absent; 22023 for an unknown key or id not last.
CREATE FUNCTION iot._sort_spec(keys text[], dialect text)
    RETURNS TABLE (ord int, key text, expr text, kind text, descending boolean)
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    k      text;
    n      int := 0;
    s      record;
    has_id boolean := false;
BEGIN
    FOREACH k IN ARRAY coalesce(keys, '{}') LOOP
        n := n + 1;
        IF has_id THEN
            RAISE EXCEPTION 'sort key "id" must be the last one' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT * INTO s FROM iot._sort_key(ltrim(k, '-'), dialect);
        IF s.expr IS NULL THEN
            RAISE EXCEPTION 'unknown sort key "%"', k USING ERRCODE = 'invalid_parameter_value',
                DETAIL = format('The sort keys are: %s.', CASE dialect
                    WHEN 'device' THEN 'id, name, group, created, updated, interfaces.status, interfaces.enabled, interfaces.lastContact'
                    ELSE 'group.path, name, interfaces.status, interfaces.enabled, interfaces.lastContact, lastCommunication, created, updated, relevance, network.lora.lostMessagesRatio, id' END);
        END IF;
        has_id := ltrim(k, '-') = 'id';
        ord := n; key := ltrim(k, '-'); expr := s.expr; kind := s.kind;
        -- relevance sorts the best matches first; -relevance the other way
        descending := (left(k, 1) = '-') <> (key = 'relevance');
        RETURN NEXT;
    END LOOP;
    IF NOT has_id THEN
        ord := n + 1; key := 'id'; expr := 'd.id'; kind := 'text'; descending := false;
        RETURN NEXT;
    END IF;
END
$$;

-- Devices of the current tenant selected by a filterQuery (device
-- dialect: tags, properties.KEY, groupId, groupPath, connector), sorted
-- (comma list of id, name, group, created, updated, interfaces.status,
-- interfaces.enabled, interfaces.lastContact; "-" descending; id last
-- breaks ties) and paged (limit 1..1000, default 20; offset, default 0).
-- Each row carries the total number of matching devices (X-Total-Count);
-- an offset past the end returns no row: iot.device_count() counts.
CREATE FUNCTION iot.device_find(filter text DEFAULT NULL, sort text DEFAULT NULL,
                                lim int DEFAULT 20, off int DEFAULT 0)
    RETURNS TABLE (total bigint, device jsonb)
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    t     uuid := iot.require_tenant();
    pred  text := CASE WHEN nullif(btrim(filter), '') IS NULL THEN 'true' ELSE iot.rsql_to_sql(filter, 'device') END;
    ord   text;
BEGIN
    IF lim IS NULL OR lim < 1 OR lim > 1000 THEN
        RAISE EXCEPTION 'limit % is out of range', lim USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'The limit is 1 to 1000 (default 20).';
    END IF;
    IF off IS NULL OR off < 0 THEN
        RAISE EXCEPTION 'offset % is out of range', off USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT string_agg(s.expr || CASE WHEN s.descending THEN ' DESC' ELSE '' END, ', ' ORDER BY s.ord) INTO ord
      FROM iot._sort_spec(string_to_array(nullif(btrim(sort), ''), ','), 'device') s;
    RETURN QUERY EXECUTE format(
        'SELECT p.total, iot.device_json(p.d) FROM ('
        '  SELECT d, count(*) OVER () AS total, row_number() OVER (ORDER BY %1$s) AS n FROM iot.device d'
        '   WHERE d.tenant_id = $1 AND %2$s ORDER BY %1$s LIMIT $2 OFFSET $3) p ORDER BY p.n', ord, pred)
        USING t, lim, off;
END
$$;

-- How many devices of the current tenant a filterQuery selects.
CREATE FUNCTION iot.device_count(filter text DEFAULT NULL) RETURNS bigint
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM iot.device d WHERE d.tenant_id = $1 AND %s',
                   CASE WHEN nullif(btrim(filter), '') IS NULL THEN 'true' ELSE iot.rsql_to_sql(filter, 'device') END)
        INTO n USING iot.require_tenant();
    RETURN n;
END
$$;

------------------------------------------------------------------------------
-- Inventory explorer: the device as the inventory sees it, common filters,
-- search (POST /api/v1/deviceMgt/explorer/search)
------------------------------------------------------------------------------

-- The inventory's device document (manual 9.2.3, as the search returns
-- it): properties as [{key, value}], activities [{ruleId, state}],
-- aggregatedActivityState, lastCommunication (latest of the last data
-- message and the interfaces' last contact), the last known location,
-- network.lora.lostMessagesRatio.
CREATE FUNCTION iot.device_inventory_json(d iot.device) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', d.id, 'name', d.name, 'description', d.description,
        'group', (SELECT jsonb_build_object('id', g.id, 'path', g.path) FROM iot.device_group g
                   WHERE g.tenant_id = d.tenant_id AND g.id = d.group_id),
        'tags', to_jsonb(d.tags),
        'properties', coalesce((SELECT jsonb_agg(jsonb_build_object('key', p.key, 'value', p.value) ORDER BY p.key)
                                  FROM jsonb_each(d.properties) p), '[]'),
        'interfaces', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                          'connector', i.connector, 'nodeId', i.node_id, 'definition', i.definition,
                                          'enabled', i.enabled, 'status', i.status, 'capabilities', i.capabilities,
                                          'activity', i.activity, 'lastContact', iot.iso_time(i.last_contact),
                                          'created', iot.iso_time(i.created), 'updated', iot.iso_time(i.updated))
                                        ORDER BY i.connector, i.node_id)
                                  FROM iot.device_interface i
                                 WHERE i.tenant_id = d.tenant_id AND i.device_id = d.id), '[]'),
        'activities', (SELECT coalesce(jsonb_agg(jsonb_build_object('ruleId', e -> 'rule' ->> 'id', 'state', e ->> 'state')
                                                 ORDER BY e -> 'rule' ->> 'id'), '[]')
                         FROM jsonb_array_elements(d.activities) e),
        'aggregatedActivityState', iot.activity_aggregate(d.activities),
        'lastCommunication', iot.iso_time(greatest(d.last_seen,
                                 (SELECT max(i.last_contact) FROM iot.device_interface i
                                   WHERE i.tenant_id = d.tenant_id AND i.device_id = d.id))),
        'location', CASE WHEN d.location_lat IS NOT NULL THEN jsonb_build_object(
                        'lat', d.location_lat, 'lon', d.location_lon, 'alt', d.location_alt,
                        'accuracy', d.location_accuracy, 'provider', d.location_provider,
                        'lastUpdate', iot.iso_time(d.location_updated)) END,
        'created', iot.iso_time(d.created), 'updated', iot.iso_time(d.updated),
        'network', CASE WHEN d.lora_lost_ratio IS NOT NULL THEN
                        jsonb_build_object('lora', jsonb_build_object('lostMessagesRatio', d.lora_lost_ratio)) END))
$$;

-- A number from a JSON member, or 22023 naming it.
CREATE FUNCTION iot._json_number(j jsonb, path text[], what text, lo float8, hi float8) RETURNS float8
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v jsonb := j #> path;
BEGIN
    IF v IS NULL OR jsonb_typeof(v) <> 'number' OR (v::text)::float8 < lo OR (v::text)::float8 > hi THEN
        RAISE EXCEPTION '% must be a number in [%, %]', what, lo, hi USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('Found %s.', coalesce(v::text, 'nothing'));
    END IF;
    RETURN (v::text)::float8;
END
$$;

-- The explorer's common filters (manual 9.2) as a predicate over
-- iot.device AS d: {"queryString": RSQL (inventory dialect),
-- "geoBounds": {"topLeft": {lat, lon}, "bottomRight": {lat, lon}}}, both
-- optional, ANDed.  A box whose topLeft.lon is east of bottomRight.lon
-- crosses the antimeridian.  Devices without a location never match a box.
CREATE FUNCTION iot.explorer_filter_sql(filters jsonb) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    parts   text[] := ARRAY['true'];
    bad     text;
    gb      jsonb;
    n       float8;
    s       float8;
    w       float8;
    e       float8;
BEGIN
    IF filters IS NULL OR filters = 'null' THEN
        RETURN 'true';
    END IF;
    IF jsonb_typeof(filters) <> 'object' THEN
        RAISE EXCEPTION 'filters must be an object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT min(k) INTO bad FROM jsonb_object_keys(filters) k WHERE k NOT IN ('queryString', 'geoBounds');
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'unknown filter "%"', bad USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'The filters are queryString and geoBounds.';
    END IF;
    IF filters ? 'queryString' AND filters -> 'queryString' <> 'null' THEN
        IF jsonb_typeof(filters -> 'queryString') <> 'string' THEN
            RAISE EXCEPTION 'filters.queryString must be a string' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF btrim(filters ->> 'queryString') <> '' THEN
            parts := parts || iot.rsql_to_sql(filters ->> 'queryString', 'inventory');
        END IF;
    END IF;
    gb := filters -> 'geoBounds';
    IF gb IS NOT NULL AND gb <> 'null' THEN
        n := iot._json_number(gb, '{topLeft,lat}', 'geoBounds.topLeft.lat', -90, 90);
        w := iot._json_number(gb, '{topLeft,lon}', 'geoBounds.topLeft.lon', -180, 180);
        s := iot._json_number(gb, '{bottomRight,lat}', 'geoBounds.bottomRight.lat', -90, 90);
        e := iot._json_number(gb, '{bottomRight,lon}', 'geoBounds.bottomRight.lon', -180, 180);
        IF s > n THEN
            RAISE EXCEPTION 'geoBounds.bottomRight.lat (%) is north of geoBounds.topLeft.lat (%)', s, n
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        parts := parts || format('d.location_lat BETWEEN %s AND %s', s, n)
                       || CASE WHEN w <= e THEN format('d.location_lon BETWEEN %s AND %s', w, e)
                               ELSE format('(d.location_lon >= %s OR d.location_lon <= %s)', w, e) END;
    END IF;
    RETURN array_to_string(parts, ' AND ');
END
$$;

-- The explorer's partial search: words (case-insensitive, ORed) found in
-- id, name, group path, tags, property keys and values; a word of 3
-- characters or more matches inside a value, a shorter one only a whole
-- value.  The SQL of the number of words a device matches (0: none).
CREATE FUNCTION iot._explorer_query_sql(query text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    w      text;
    terms  text[] := '{}';
    cond   text;
BEGIN
    IF length(query) > 256 THEN
        RAISE EXCEPTION 'query longer than 256 characters' USING ERRCODE = 'program_limit_exceeded';
    END IF;
    FOR w IN SELECT DISTINCT lower(x) FROM regexp_split_to_table(btrim(query), '\s+') x WHERE x <> '' LOOP
        IF length(w) >= 3 THEN
            cond := format('LIKE %L', '%' || replace(replace(replace(w, '\', '\\'), '%', '\%'), '_', '\_') || '%');
        ELSE
            cond := format('= %L', w);
        END IF;
        terms := terms || format(
            '(CASE WHEN lower(d.id) %1$s OR lower(d.name) %1$s'
            ' OR EXISTS (SELECT 1 FROM iot.device_group g WHERE g.tenant_id = d.tenant_id AND g.id = d.group_id AND lower(g.path) %1$s)'
            ' OR EXISTS (SELECT 1 FROM unnest(d.tags) t(v) WHERE lower(t.v) %1$s)'
            ' OR EXISTS (SELECT 1 FROM jsonb_each_text(d.properties) p WHERE lower(p.key) %1$s OR lower(p.value) %1$s)'
            ' THEN 1 ELSE 0 END)', cond);
    END LOOP;
    IF cardinality(terms) = 0 THEN
        RETURN NULL;
    END IF;
    RETURN array_to_string(terms, ' + ');
END
$$;

-- The explorer search: {"query", "filters", "sort", "bookmark", "size"}
-- -> {"bookmark": [...], "devices": [...]}.  size 1..1000 (default 20);
-- sort keys as the manual lists them, "-" descending, id appended; the
-- bookmark holds the sort values of the last device returned and resumes
-- after it (keyset paging).
CREATE FUNCTION iot.device_search(request jsonb DEFAULT '{}') RETURNS jsonb
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    t        uuid := iot.require_tenant();
    req      jsonb := coalesce(request, '{}');
    bad      text;
    pred     text;
    score    text;
    size     int;
    bm       jsonb := req -> 'bookmark';
    keyset   text := 'true';
    ord      text;
    cols     text;
    spec     record;
    keys     text[];
    nkeys    int;
    prefix   text := '';
    cmp      text;
    result   jsonb;
BEGIN
    IF jsonb_typeof(req) <> 'object' THEN
        RAISE EXCEPTION 'the search request must be an object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT min(k) INTO bad FROM jsonb_object_keys(req) k WHERE k NOT IN ('query', 'filters', 'sort', 'bookmark', 'size');
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'unknown search parameter "%"', bad USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'The parameters are query, filters, sort, bookmark and size.';
    END IF;
    IF req ? 'size' AND (jsonb_typeof(req -> 'size') <> 'number' OR (req ->> 'size')::numeric NOT BETWEEN 1 AND 1000
                         OR (req ->> 'size')::numeric % 1 <> 0) THEN
        RAISE EXCEPTION 'size must be an integer from 1 to 1000' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    size := coalesce((req ->> 'size')::int, 20);
    IF req ? 'sort' AND (jsonb_typeof(req -> 'sort') <> 'array'
                         OR EXISTS (SELECT FROM jsonb_array_elements(req -> 'sort') x WHERE jsonb_typeof(x) <> 'string')) THEN
        RAISE EXCEPTION 'sort must be an array of strings' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF req ? 'query' AND jsonb_typeof(req -> 'query') <> 'string' THEN
        RAISE EXCEPTION 'query must be a string' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    pred := iot.explorer_filter_sql(req -> 'filters');
    score := iot._explorer_query_sql(req ->> 'query');
    keys := ARRAY(SELECT jsonb_array_elements_text(coalesce(req -> 'sort', '[]')));
    SELECT count(*) INTO nkeys FROM iot._sort_spec(keys, 'inventory');
    IF bm IS NOT NULL AND bm <> 'null' THEN
        IF jsonb_typeof(bm) <> 'array' OR jsonb_array_length(bm) <> nkeys THEN
            RAISE EXCEPTION 'the bookmark must hold % values, one per sort key (id included)', nkeys
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        -- (k1 > b1) OR (k1 = b1 AND k2 > b2) OR ..., < for descending keys
        keyset := 'false';
        FOR spec IN SELECT * FROM iot._sort_spec(keys, 'inventory') ORDER BY ord LOOP
            IF jsonb_typeof(bm -> (spec.ord - 1)) NOT IN ('string', 'number', 'boolean') THEN
                RAISE EXCEPTION 'bookmark value % is not a string, number or boolean', spec.ord
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            cmp := format('%L::%s', bm ->> (spec.ord - 1),
                          CASE spec.kind WHEN 'time' THEN 'timestamptz' WHEN 'number' THEN 'float8'
                                         WHEN 'bool' THEN 'boolean' ELSE 'text' END);
            keyset := keyset || format(' OR (%s%s %s %s)', prefix, spec.expr,
                                       CASE WHEN spec.descending THEN '<' ELSE '>' END, cmp);
            prefix := prefix || format('%s = %s AND ', spec.expr, cmp);
        END LOOP;
    END IF;
    SELECT string_agg(s.expr || CASE WHEN s.descending THEN ' DESC' ELSE '' END, ', ' ORDER BY s.ord),
           string_agg(CASE s.kind WHEN 'time' THEN format('to_jsonb(coalesce(iot.iso_time(%1$s), (%1$s)::text))', s.expr)
                                  ELSE format('to_jsonb(%s)', s.expr) END, ', ' ORDER BY s.ord)
      INTO ord, cols
      FROM iot._sort_spec(keys, 'inventory') s;
    EXECUTE format(
        'SELECT jsonb_build_object(''bookmark'', coalesce((array_agg(x.bookmark ORDER BY x.n DESC))[1], ''[]''),'
        '                          ''devices'', coalesce(jsonb_agg(iot.device_inventory_json(x.d) ORDER BY x.n), ''[]''))'
        '  FROM (SELECT d, jsonb_build_array(%1$s) AS bookmark, row_number() OVER (ORDER BY %2$s) AS n'
        '          FROM iot.device d, LATERAL (SELECT %3$s AS relevance) r'
        '         WHERE d.tenant_id = $1 AND %4$s AND %5$s AND (%6$s)'
        '         ORDER BY %2$s LIMIT $2) x',
        cols, ord, coalesce(score, '0'), pred, CASE WHEN score IS NULL THEN 'true' ELSE 'r.relevance > 0' END, keyset)
        INTO result USING t, size;
    RETURN result;
END
$$;

------------------------------------------------------------------------------
-- Inventory explorer: statistics (POST /api/v1/deviceMgt/explorer/stats)
------------------------------------------------------------------------------

-- SQL condition of a nested filter value: a string (equal) or an array of
-- strings (any of).  22023 otherwise.
CREATE FUNCTION iot._stats_match(expr text, v jsonb, what text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF jsonb_typeof(v) = 'string' THEN
        RETURN format('%s = %L', expr, v #>> '{}');
    ELSIF jsonb_typeof(v) = 'boolean' AND what = 'enabled' THEN
        RETURN format('%s = %s', expr, v::text);
    ELSIF jsonb_typeof(v) = 'array' AND jsonb_array_length(v) > 0
          AND NOT EXISTS (SELECT FROM jsonb_array_elements(v) x WHERE jsonb_typeof(x) <> 'string') THEN
        RETURN format('%s = ANY (%L::text[])', expr, ARRAY(SELECT jsonb_array_elements_text(v)));
    END IF;
    RAISE EXCEPTION 'nested filter %: expected a string or a list of strings', what
        USING ERRCODE = 'invalid_parameter_value', DETAIL = format('Found %s.', v);
END
$$;

-- A nested filter object ({"connector": "lora"}, {"definition": {"profile": ..}},
-- {"states": [..]}, {"rule": {"id": ..}}, ...) flattened to dotted names.
CREATE FUNCTION iot._stats_flatten(obj jsonb) RETURNS TABLE (name text, value jsonb)
    LANGUAGE sql IMMUTABLE
AS $$
    WITH RECURSIVE x(name, value) AS (
        SELECT e.key, e.value FROM jsonb_each(obj) e
        UNION ALL
        SELECT x.name || '.' || e.key, e.value
          FROM x CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(x.value) = 'object' THEN x.value END) e)
    SELECT name, value FROM x WHERE jsonb_typeof(value) <> 'object'
$$;

-- One level of a groupBy as a spec: {"kind", "name", "nested", "elements"
-- (SQL yielding dev_id, key [, lat, lon] from the devices "dev"),
-- "precision", "inner"}.  22023 for anything the manual does not list.
CREATE FUNCTION iot._stats_spec(g jsonb, level int) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    forms   text[] := ARRAY(SELECT k FROM jsonb_object_keys(g) k WHERE k <> 'groupBy');
    form    text;
    body    jsonb;
    field   text;
    expr    text;
    src     text;
    conds   text[] := '{}';
    f       record;
    prec    int;
    inner_g jsonb := g -> 'groupBy';
    spec    jsonb;
BEGIN
    IF jsonb_typeof(g) IS DISTINCT FROM 'object' OR cardinality(forms) <> 1 THEN
        RAISE EXCEPTION 'groupBy must hold exactly one of field, compositeField, interfaces, activityStates, properties, location'
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('Found %s.', g);
    END IF;
    form := forms[1];
    body := g -> form;
    IF form = 'field' THEN
        field := body #>> '{}';
        expr := CASE field
            WHEN 'description' THEN 'dev.description'
            WHEN 'tags' THEN 't.v'
            WHEN 'group.path' THEN 'g.path'
            WHEN 'aggregatedActivityState' THEN 'iot.activity_aggregate(dev.activities)'
            WHEN 'network.lora.lostMessagesRangeLabel' THEN 'iot.lora_lost_label(dev.lora_lost_ratio)' END;
        IF jsonb_typeof(body) <> 'string' OR expr IS NULL THEN
            RAISE EXCEPTION 'unsupported field aggregation %', body USING ERRCODE = 'invalid_parameter_value',
                DETAIL = 'The fields are description, tags, group.path, aggregatedActivityState, network.lora.lostMessagesRangeLabel.';
        END IF;
        src := format('SELECT dev.id AS dev_id, to_jsonb(%s) AS key FROM dev', expr)
            || CASE field WHEN 'tags' THEN ' LEFT JOIN LATERAL unnest(dev.tags) AS t(v) ON true'
                          WHEN 'group.path' THEN ' LEFT JOIN iot.device_group g ON g.tenant_id = dev.tenant_id AND g.id = dev.group_id'
                          ELSE '' END;
        spec := jsonb_build_object('kind', 'field', 'name', field, 'nested', false, 'elements', src);
    ELSIF form = 'compositeField' THEN
        IF body IS DISTINCT FROM '"connectors"' THEN
            RAISE EXCEPTION 'unsupported composite field aggregation %', body USING ERRCODE = 'invalid_parameter_value',
                DETAIL = 'The composite field is connectors.';
        END IF;
        spec := jsonb_build_object('kind', 'field', 'name', 'connectors', 'nested', false, 'elements',
            'SELECT dev.id AS dev_id, to_jsonb(coalesce((SELECT array_agg(DISTINCT i.connector ORDER BY i.connector)'
            ' FROM iot.device_interface i WHERE i.tenant_id = dev.tenant_id AND i.device_id = dev.id), ''{}''::text[])) AS key FROM dev');
    ELSIF form IN ('interfaces', 'activityStates', 'properties') THEN
        IF jsonb_typeof(body) <> 'object' THEN
            RAISE EXCEPTION '%: expected an object', form USING ERRCODE = 'invalid_parameter_value';
        END IF;
        -- the field in dot ({"field": "rule.id"}) or object notation ({"rule": {"field": "id"}})
        SELECT CASE WHEN count(*) = 1 AND (min(x.name) = 'field' OR min(x.name) LIKE '%.field')
                         AND min(jsonb_typeof(x.value)) = 'string'
                    THEN left(min(x.name), -length('field')) || min(x.value #>> '{}') END
          INTO field
          FROM iot._stats_flatten(body - 'filter') x;
        IF field IS NULL THEN
            RAISE EXCEPTION '%: expected {"field": ...} and an optional "filter"', form USING ERRCODE = 'invalid_parameter_value',
                DETAIL = format('Found %s.', body);
        END IF;
        expr := CASE form || ':' || field
            WHEN 'interfaces:connector' THEN 'i.connector'
            WHEN 'interfaces:status' THEN 'i.status'
            WHEN 'interfaces:definition.profile' THEN 'i.definition ->> ''profile'''
            WHEN 'activityStates:state' THEN 'a.e ->> ''state'''
            WHEN 'activityStates:rule.id' THEN 'a.e -> ''rule'' ->> ''id'''
            WHEN 'properties:key' THEN 'p.key'
            WHEN 'properties:value' THEN 'p.value' END;
        IF expr IS NULL THEN
            RAISE EXCEPTION 'unsupported % aggregation on "%"', form, field USING ERRCODE = 'invalid_parameter_value',
                DETAIL = CASE form WHEN 'interfaces' THEN 'The interface fields are connector, status, definition.profile.'
                                   WHEN 'activityStates' THEN 'The activity state fields are state, rule.id.'
                                   ELSE 'The property fields are key, value.' END;
        END IF;
        IF body ? 'filter' THEN
            IF jsonb_typeof(body -> 'filter') <> 'object' THEN
                RAISE EXCEPTION '%.filter must be an object', form USING ERRCODE = 'invalid_parameter_value';
            END IF;
            FOR f IN SELECT * FROM iot._stats_flatten(body -> 'filter') ORDER BY 1 LOOP
                conds := conds || CASE form || ':' || f.name
                    WHEN 'interfaces:connector' THEN iot._stats_match('i.connector', f.value, f.name)
                    WHEN 'interfaces:status' THEN iot._stats_match('i.status', f.value, f.name)
                    WHEN 'interfaces:nodeId' THEN iot._stats_match('i.node_id', f.value, f.name)
                    WHEN 'interfaces:enabled' THEN iot._stats_match('i.enabled', f.value, f.name)
                    WHEN 'interfaces:definition.profile' THEN iot._stats_match('(i.definition ->> ''profile'')', f.value, f.name)
                    WHEN 'activityStates:state' THEN iot._stats_match('(a.e ->> ''state'')', f.value, f.name)
                    WHEN 'activityStates:states' THEN iot._stats_match('(a.e ->> ''state'')', f.value, f.name)
                    WHEN 'activityStates:rule.id' THEN iot._stats_match('(a.e -> ''rule'' ->> ''id'')', f.value, f.name)
                    WHEN 'properties:key' THEN iot._stats_match('p.key', f.value, f.name)
                    WHEN 'properties:value' THEN iot._stats_match('p.value', f.value, f.name) END;
                IF conds[cardinality(conds)] IS NULL THEN
                    RAISE EXCEPTION 'unsupported % filter "%"', form, f.name USING ERRCODE = 'invalid_parameter_value',
                        DETAIL = CASE form WHEN 'interfaces' THEN 'The interface filters are connector, nodeId, enabled, status, definition.profile.'
                                           WHEN 'activityStates' THEN 'The activity state filters are state, states, rule.id.'
                                           ELSE 'The property filters are key, value.' END;
                END IF;
            END LOOP;
        END IF;
        src := format('SELECT dev.id AS dev_id, to_jsonb(%s) AS key FROM dev %s WHERE %s', expr,
                      CASE form WHEN 'interfaces' THEN 'JOIN iot.device_interface i ON i.tenant_id = dev.tenant_id AND i.device_id = dev.id'
                                WHEN 'activityStates' THEN 'CROSS JOIN LATERAL jsonb_array_elements(dev.activities) AS a(e)'
                                ELSE 'CROSS JOIN LATERAL jsonb_each_text(dev.properties) AS p(key, value)' END,
                      CASE WHEN cardinality(conds) = 0 THEN 'true' ELSE array_to_string(conds, ' AND ') END);
        spec := jsonb_build_object('kind', 'field', 'name', form || '.' || field, 'nested', true, 'elements', src);
    ELSIF form = 'location' THEN
        IF level > 1 THEN
            RAISE EXCEPTION 'a geolocation aggregation is only allowed at the top level' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF jsonb_typeof(body) <> 'object' OR EXISTS (SELECT FROM jsonb_object_keys(body) k WHERE k NOT IN ('precision', 'groupBy')) THEN
            RAISE EXCEPTION 'location: expected {"precision": 1..12} and an optional "groupBy"' USING ERRCODE = 'invalid_parameter_value',
                DETAIL = format('Found %s.', body);
        END IF;
        IF body ? 'precision' AND (jsonb_typeof(body -> 'precision') <> 'number'
                                   OR (body ->> 'precision')::numeric NOT IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)) THEN
            RAISE EXCEPTION 'location precision must be an integer from 1 to 12' USING ERRCODE = 'invalid_parameter_value',
                DETAIL = format('Found %s.', body -> 'precision');
        END IF;
        prec := coalesce((body ->> 'precision')::int, 5);
        inner_g := coalesce(body -> 'groupBy', inner_g);
        spec := jsonb_build_object('kind', 'geo', 'name', 'location', 'nested', false, 'precision', prec, 'elements',
            format('SELECT dev.id AS dev_id, to_jsonb(left(dev.geohash, %s)) AS key, dev.location_lat AS lat, dev.location_lon AS lon FROM dev', prec));
    ELSE
        RAISE EXCEPTION 'unknown groupBy "%"', form USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'The aggregations are field, compositeField, interfaces, activityStates, properties and location.';
    END IF;
    IF inner_g IS NOT NULL AND inner_g <> 'null' THEN
        IF level > 1 THEN
            RAISE EXCEPTION 'at most two levels of aggregation' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        spec := spec || jsonb_build_object('inner', iot._stats_spec(inner_g, level + 1));
    END IF;
    RETURN spec;
END
$$;

-- The SQL of a per-part field aggregation over rel(part, dev_id, key):
-- rows (part, doc) with doc = {count, devices, buckets[, keys][, missing]}.
-- Buckets: most devices first, then most elements, then key (the empty
-- composite key last); at most 50.
CREATE FUNCTION iot._stats_agg_sql(rel text, nested boolean, with_keys boolean, with_missing boolean) RETURNS text
    LANGUAGE sql IMMUTABLE
AS $$
    SELECT format(
        'SELECT t.part, jsonb_build_object(''count'', %2$s, ''devices'', t.devices, ''buckets'', coalesce(b.buckets, ''[]''))'
        '%3$s%4$s AS doc'
        ' FROM (SELECT part, count(*) AS elements, count(DISTINCT dev_id) AS devices FROM %1$s GROUP BY part) t'
        ' LEFT JOIN (SELECT part, jsonb_agg(jsonb_build_object(''key'', key, ''count'', c, ''devices'', n) ORDER BY rn) AS buckets, count(*) AS nkeys'
        '            FROM (SELECT part, key, c, n, row_number() OVER (PARTITION BY part ORDER BY n DESC, c DESC, key = ''[]'', key) AS rn'
        '                    FROM (SELECT part, key, count(*) AS c, count(DISTINCT dev_id) AS n FROM %1$s WHERE key IS NOT NULL GROUP BY part, key) a) r'
        '           WHERE rn <= 50 GROUP BY part) b ON b.part = t.part'
        '%5$s%6$s',
        rel,
        CASE WHEN nested THEN 't.elements' ELSE 't.devices' END,
        CASE WHEN with_keys THEN ' || jsonb_build_object(''keys'', coalesce(k.nkeys, 0))' ELSE '' END,
        CASE WHEN with_missing THEN ' || jsonb_build_object(''missing'', coalesce(m.missing, 0))' ELSE '' END,
        CASE WHEN with_keys THEN format(' LEFT JOIN (SELECT part, count(DISTINCT key) AS nkeys FROM %s WHERE key IS NOT NULL GROUP BY part) k ON k.part = t.part', rel) ELSE '' END,
        CASE WHEN with_missing THEN format(' LEFT JOIN (SELECT part, count(*) FILTER (WHERE nk = 0) AS missing FROM (SELECT part, dev_id, count(key) AS nk FROM %s GROUP BY part, dev_id) x GROUP BY part) m ON m.part = t.part', rel) ELSE '' END)
$$;

-- The Statistics API: {"filters", "groupBy", "options"} ->
-- {"devices": n[, "fieldAggregation" | "geoAggregation": {...}]}
-- (manual 9.3; counters, lists, nested components and their filters, two
-- levels, geohash grids with centroid and bounds, options
-- includeTotalKeys, includeMissingDevicesCount, includeGeoBoundsInBuckets;
-- at most 50 buckets per aggregation).
CREATE FUNCTION iot.device_stats(request jsonb DEFAULT '{}') RETURNS jsonb
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    t        uuid := iot.require_tenant();
    req      jsonb := coalesce(request, '{}');
    opts     jsonb := coalesce(req -> 'options', '{}');
    bad      text;
    pred     text;
    spec     jsonb;
    sub      jsonb;
    geo      boolean;
    with_keys boolean;
    with_missing boolean;
    with_bounds boolean;
    bucket   text;
    agg_name text;
    sql      text;
    result   jsonb;
BEGIN
    IF jsonb_typeof(req) <> 'object' THEN
        RAISE EXCEPTION 'the stats request must be an object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT min(k) INTO bad FROM jsonb_object_keys(req) k WHERE k NOT IN ('filters', 'groupBy', 'options');
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'unknown stats parameter "%"', bad USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'The parameters are filters, groupBy and options.';
    END IF;
    IF jsonb_typeof(opts) <> 'object' THEN
        RAISE EXCEPTION 'options must be an object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT min(k) INTO bad FROM jsonb_each(opts) o(k, v)
     WHERE k NOT IN ('includeTotalKeys', 'includeMissingDevicesCount', 'includeGeoBoundsInBuckets') OR jsonb_typeof(v) <> 'boolean';
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'invalid option "%"', bad USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'The options are includeTotalKeys, includeMissingDevicesCount and includeGeoBoundsInBuckets, each true or false.';
    END IF;
    with_keys := coalesce((opts ->> 'includeTotalKeys')::boolean, false);
    with_missing := coalesce((opts ->> 'includeMissingDevicesCount')::boolean, false);
    with_bounds := coalesce((opts ->> 'includeGeoBoundsInBuckets')::boolean, false);
    pred := iot.explorer_filter_sql(req -> 'filters');

    IF req -> 'groupBy' IS NULL OR req -> 'groupBy' = 'null' THEN
        EXECUTE format('SELECT jsonb_build_object(''devices'', count(*)) FROM iot.device d WHERE d.tenant_id = $1 AND %s', pred)
            INTO result USING t;
        RETURN result;
    END IF;
    spec := iot._stats_spec(req -> 'groupBy', 1);
    sub := spec -> 'inner';
    geo := spec ->> 'kind' = 'geo';
    agg_name := CASE WHEN geo THEN 'geoAggregation' ELSE 'fieldAggregation' END;

    IF geo AND sub IS NULL THEN
        -- one pass over the devices: a geohash grid with centroids and bounds
        EXECUTE format($q$
            WITH cells AS (
                SELECT left(d.geohash, %2$s) AS cell, count(*) AS n,
                       avg(d.location_lat) AS lat, avg(d.location_lon) AS lon,
                       max(d.location_lat) AS n_lat, min(d.location_lon) AS w_lon,
                       min(d.location_lat) AS s_lat, max(d.location_lon) AS e_lon
                  FROM iot.device d WHERE d.tenant_id = $1 AND %1$s
                 GROUP BY 1),
            top AS (SELECT * FROM cells WHERE cell IS NOT NULL ORDER BY n DESC, cell LIMIT 50)
            SELECT jsonb_build_object('devices', coalesce(sum(n), 0), 'geoAggregation',
                jsonb_build_object('count', coalesce(sum(n), 0), 'devices', coalesce(sum(n), 0),
                    'buckets', coalesce((SELECT jsonb_agg(jsonb_build_object('geoKey', jsonb_build_object('lat', top.lat, 'lon', top.lon))
                                                          || %3$s || jsonb_build_object('devices', top.n) ORDER BY top.n DESC, top.cell)
                                           FROM top), '[]'))
                || CASE WHEN count(cell) > 0 THEN jsonb_build_object('geoBounds', jsonb_build_object(
                       'topLeft', jsonb_build_object('lat', max(n_lat), 'lon', min(w_lon)),
                       'bottomRight', jsonb_build_object('lat', min(s_lat), 'lon', max(e_lon)))) ELSE '{}' END
                %4$s %5$s)
              FROM cells$q$,
            pred, spec ->> 'precision',
            CASE WHEN with_bounds THEN $b$jsonb_build_object('geoBounds', jsonb_build_object(
                'topLeft', jsonb_build_object('lat', top.n_lat, 'lon', top.w_lon),
                'bottomRight', jsonb_build_object('lat', top.s_lat, 'lon', top.e_lon)))$b$ ELSE '''{}''::jsonb' END,
            CASE WHEN with_keys THEN '|| jsonb_build_object(''keys'', count(cell))' ELSE '' END,
            CASE WHEN with_missing THEN '|| jsonb_build_object(''missing'', coalesce(sum(n) FILTER (WHERE cell IS NULL), 0))' ELSE '' END)
            INTO result USING t;
        RETURN result;
    END IF;

    -- general case: the devices, the outer elements and their top buckets,
    -- then the inner aggregation of each top bucket's devices
    IF geo THEN
        bucket := format('jsonb_build_object(''geoKey'', jsonb_build_object(''lat'', top.lat, ''lon'', top.lon))%s'
                         ' || jsonb_build_object(''devices'', top.n)',
                         CASE WHEN with_bounds THEN ' || jsonb_build_object(''geoBounds'', jsonb_build_object('
                              '''topLeft'', jsonb_build_object(''lat'', top.n_lat, ''lon'', top.w_lon),'
                              '''bottomRight'', jsonb_build_object(''lat'', top.s_lat, ''lon'', top.e_lon)))' ELSE '' END);
    ELSE
        bucket := 'jsonb_build_object(''key'', top.key, ''count'', top.c, ''devices'', top.n)';
    END IF;
    IF sub IS NOT NULL THEN
        bucket := bucket || ' || jsonb_build_object(''fieldAggregation'', coalesce(ia.doc, jsonb_build_object(''count'', 0, ''devices'', 0, ''buckets'', ''[]''::jsonb)))';
    END IF;
    sql := format($q$
        WITH dev AS MATERIALIZED (
            SELECT d.tenant_id, d.id, d.description, d.tags, d.group_id, d.properties, d.activities, d.lora_lost_ratio,
                   d.location_lat, d.location_lon, d.geohash
              FROM iot.device d WHERE d.tenant_id = $1 AND %1$s),
        o AS MATERIALIZED (%2$s),
        ob AS (SELECT key, count(*) AS c, count(DISTINCT dev_id) AS n %3$s FROM o WHERE key IS NOT NULL GROUP BY key),
        top AS (SELECT *, row_number() OVER (ORDER BY n DESC, c DESC, key = '[]', key) AS rn FROM ob ORDER BY rn LIMIT 50)
        %4$s
        SELECT jsonb_build_object('devices', (SELECT count(*) FROM dev), %5$L,
            jsonb_build_object('count', (SELECT %6$s FROM o), 'devices', (SELECT count(DISTINCT dev_id) FROM o),
                               'buckets', coalesce((SELECT jsonb_agg(%7$s ORDER BY top.rn) FROM top %8$s), '[]'))
            %9$s %10$s %11$s)$q$,
        pred, spec ->> 'elements',
        CASE WHEN geo THEN ', avg(lat) AS lat, avg(lon) AS lon, max(lat) AS n_lat, min(lon) AS w_lon, min(lat) AS s_lat, max(lon) AS e_lon' ELSE '' END,
        CASE WHEN sub IS NOT NULL THEN format(
            ', i AS MATERIALIZED (%s),'
            ' ie AS (SELECT o2.key AS part, i.dev_id, i.key FROM (SELECT DISTINCT o.key, o.dev_id FROM o JOIN top ON top.key = o.key) o2'
            '        JOIN i ON i.dev_id = o2.dev_id),'
            ' ia AS (%s)',
            sub ->> 'elements', iot._stats_agg_sql('ie', (sub ->> 'nested')::boolean, with_keys, with_missing)) ELSE '' END,
        agg_name,
        CASE WHEN (spec ->> 'nested')::boolean THEN 'count(*)' ELSE 'count(DISTINCT dev_id)' END,
        bucket,
        CASE WHEN sub IS NOT NULL THEN 'LEFT JOIN ia ON ia.part = top.key' ELSE '' END,
        CASE WHEN with_keys THEN '|| jsonb_build_object(''keys'', (SELECT count(*) FROM ob))' ELSE '' END,
        CASE WHEN with_missing THEN '|| jsonb_build_object(''missing'', (SELECT count(*) FROM (SELECT dev_id FROM o GROUP BY dev_id HAVING count(key) = 0) m))' ELSE '' END,
        CASE WHEN geo THEN '|| coalesce((SELECT jsonb_build_object(''geoBounds'', jsonb_build_object('
                           '''topLeft'', jsonb_build_object(''lat'', max(lat), ''lon'', min(lon)),'
                           '''bottomRight'', jsonb_build_object(''lat'', min(lat), ''lon'', max(lon))))'
                           ' FROM o WHERE key IS NOT NULL HAVING count(*) > 0), ''{}'')' ELSE '' END);
    EXECUTE sql INTO result USING t;
    RETURN result;
END
$$;

------------------------------------------------------------------------------
-- Data search over iot.message (manual 13.4): the search samples as SQL
------------------------------------------------------------------------------

-- The messages of the current tenant, newest first (13.4.3.1 "give me all
-- you got", the term / hits samples of 13.4.1): optional stream, model,
-- tag and time range [since, until) on the message timestamp; paged
-- (lim 1..1000, default 10, as Elasticsearch).
CREATE FUNCTION iot.data_messages(stream_id text DEFAULT NULL, model text DEFAULT NULL, tag text DEFAULT NULL,
                                  since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
                                  lim int DEFAULT 10, off int DEFAULT 0)
    RETURNS SETOF jsonb
    LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF lim IS NULL OR lim < 1 OR lim > 1000 OR off IS NULL OR off < 0 THEN
        RAISE EXCEPTION 'limit must be 1..1000 and offset >= 0' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    SELECT iot.message_json(m) FROM iot.message m
     WHERE m.tenant_id = iot.require_tenant()
       AND (data_messages.stream_id IS NULL OR m.stream_id = data_messages.stream_id)
       AND (data_messages.model IS NULL OR m.model = data_messages.model)
       AND (data_messages.tag IS NULL OR m.tags @> ARRAY[data_messages.tag])
       AND (since IS NULL OR m.ts >= since) AND (until IS NULL OR m.ts < until)
     ORDER BY m.ts DESC, m.id DESC
     LIMIT lim OFFSET off;
END
$$;

-- 13.4.3.2 "the list of all known tags": each tag and its number of
-- messages, most used first.
CREATE FUNCTION iot.data_tags(since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
    RETURNS TABLE (tag text, doc_count bigint)
    LANGUAGE sql STABLE
AS $$
    SELECT t.tag, count(*) FROM iot.message m CROSS JOIN LATERAL unnest(m.tags) AS t(tag)
     WHERE m.tenant_id = (SELECT iot.require_tenant())
       AND (since IS NULL OR m.ts >= since) AND (until IS NULL OR m.ts < until)
     GROUP BY t.tag ORDER BY 2 DESC, 1
$$;

-- 13.4.3.3 "the last value of all my streams": per stream, its number of
-- messages and its newest message.
CREATE FUNCTION iot.data_last_values(since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
    RETURNS TABLE (stream_id text, doc_count bigint, last_value jsonb)
    LANGUAGE sql STABLE
AS $$
    SELECT l.stream_id, c.n, iot.message_json(l)
      FROM (SELECT DISTINCT ON (m.stream_id) m.* FROM iot.message m
             WHERE m.tenant_id = (SELECT iot.require_tenant())
               AND (since IS NULL OR m.ts >= since) AND (until IS NULL OR m.ts < until)
             ORDER BY m.stream_id, m.ts DESC, m.id DESC) l
      JOIN (SELECT m.stream_id, count(*) AS n FROM iot.message m
             WHERE m.tenant_id = (SELECT iot.require_tenant())
               AND (since IS NULL OR m.ts >= since) AND (until IS NULL OR m.ts < until)
             GROUP BY m.stream_id) c USING (stream_id)
     ORDER BY c.n DESC, l.stream_id
$$;

-- 13.4.3.4 "the devices that have not sent data since ...": the streams
-- whose newest message is older than `since`, with their number of
-- messages and that last date (also as epoch milliseconds, as the
-- manual's max aggregation reports it).
CREATE FUNCTION iot.data_silent_streams(since timestamptz)
    RETURNS TABLE (stream_id text, doc_count bigint, last_date timestamptz, last_date_ms bigint)
    LANGUAGE sql STABLE STRICT
AS $$
    SELECT m.stream_id, count(*), max(m.ts), (extract(epoch FROM max(m.ts)) * 1000)::bigint
      FROM iot.message m
     WHERE m.tenant_id = (SELECT iot.require_tenant())
     GROUP BY m.stream_id
    HAVING max(m.ts) < since
     ORDER BY 2 DESC, 1
$$;

-- 13.4.1 stats sample: count, min, max, avg, sum of a numeric value field
-- named as the search names it, "@<model>.value.<path>" (messages of that
-- model; values that are not numbers are skipped, as the search index
-- drops them), optionally for one stream.
CREATE FUNCTION iot.data_value_stats(field text, stream_id text DEFAULT NULL) RETURNS jsonb
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    parts  text[] := regexp_match(field, '^@([^.]+)\.value\.(.+)$');
    path   text[];
    r      jsonb;
BEGIN
    IF parts IS NULL THEN
        RAISE EXCEPTION 'invalid value field "%"', field USING ERRCODE = 'invalid_parameter_value',
            HINT = 'A value field is @<model>.value.<path>, e.g. @temperature_v0.value.temp.';
    END IF;
    path := string_to_array(parts[2], '.');
    SELECT jsonb_build_object('count', count(v), 'min', min(v), 'max', max(v), 'avg', avg(v), 'sum', coalesce(sum(v), 0))
      INTO r
      FROM (SELECT (m.value #>> path)::float8 AS v FROM iot.message m
             WHERE m.tenant_id = iot.require_tenant() AND m.model = parts[1]
               AND (data_value_stats.stream_id IS NULL OR m.stream_id = data_value_stats.stream_id)
               AND jsonb_typeof(m.value #> path) = 'number') x;
    RETURN r;
END
$$;

-- 13.4.2 geo_distance: the located messages within `meters` of a point
-- (geodesic distance), nearest first, with their distance.  Served by
-- the GiST index on iot.message.location.
CREATE FUNCTION iot.data_near(lat float8, lon float8, meters float8,
                              since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, lim int DEFAULT 100)
    RETURNS TABLE (distance float8, message jsonb)
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    here geography;
BEGIN
    IF lat IS NULL OR lon IS NULL OR abs(lat) > 90 OR abs(lon) > 180 THEN
        RAISE EXCEPTION 'invalid point (%, %)', lat, lon USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF meters IS NULL OR meters < 0 THEN
        RAISE EXCEPTION 'invalid distance %', meters USING ERRCODE = 'invalid_parameter_value';
    END IF;
    here := ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography;
    RETURN QUERY
    SELECT ST_Distance(m.location, here), iot.message_json(m) FROM iot.message m
     WHERE m.tenant_id = iot.require_tenant() AND ST_DWithin(m.location, here, meters)
       AND (since IS NULL OR m.ts >= since) AND (until IS NULL OR m.ts < until)
     ORDER BY 1, m.ts DESC, m.id DESC
     LIMIT lim;
END
$$;

-- The candidate region of a lat/lon box for geography's && (edges
-- segmented to 1 degree and widened by 0.01 degree, so that the great
-- circles between the vertices never cut inside the box), then the exact
-- test on latitude and longitude.  A box whose west is east of its east
-- crosses the antimeridian.
CREATE FUNCTION iot._box_region(s float8, w float8, n float8, e float8) RETURNS geography
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ST_Segmentize(ST_MakeEnvelope(greatest(w - 0.01, -180), greatest(s - 0.01, -90),
                                         least(e + 0.01, 180), least(n + 0.01, 90), 4326), 1)::geography;

-- Located messages inside a box (topLeft, bottomRight as the explorer's
-- geoBounds), newest first.
CREATE FUNCTION iot.data_in_box(top_left_lat float8, top_left_lon float8, bottom_right_lat float8, bottom_right_lon float8,
                                since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL, lim int DEFAULT 100)
    RETURNS SETOF jsonb
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    n float8 := top_left_lat;
    w float8 := top_left_lon;
    s float8 := bottom_right_lat;
    e float8 := bottom_right_lon;
BEGIN
    IF n IS NULL OR w IS NULL OR s IS NULL OR e IS NULL OR abs(n) > 90 OR abs(s) > 90 OR abs(w) > 180 OR abs(e) > 180 OR s > n THEN
        RAISE EXCEPTION 'invalid box (top left %, %; bottom right %, %)', n, w, s, e USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Latitudes are in [-90, 90] with the top one north of the bottom one, longitudes in [-180, 180].';
    END IF;
    RETURN QUERY
    SELECT iot.message_json(m) FROM iot.message m
     WHERE m.tenant_id = iot.require_tenant()
       AND (CASE WHEN w <= e THEN m.location && iot._box_region(s, w, n, e)
                 ELSE m.location && iot._box_region(s, w, n, 180) OR m.location && iot._box_region(s, -180, n, e) END)
       AND ST_Y(m.location::geometry) BETWEEN s AND n
       AND (CASE WHEN w <= e THEN ST_X(m.location::geometry) BETWEEN w AND e
                 ELSE ST_X(m.location::geometry) >= w OR ST_X(m.location::geometry) <= e END)
       AND (since IS NULL OR m.ts >= since) AND (until IS NULL OR m.ts < until)
     ORDER BY m.ts DESC, m.id DESC
     LIMIT lim;
END
$$;

-- A geohash grid over the message locations of a time range [since,
-- until): per cell (most messages first, at most `buckets`) the number of
-- messages and of distinct devices, the centroid and the bounds, as the
-- explorer's geoAggregation.
CREATE FUNCTION iot.data_geo_grid("precision" int DEFAULT 5, since timestamptz DEFAULT NULL,
                                  until timestamptz DEFAULT NULL, buckets int DEFAULT 50)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    r jsonb;
BEGIN
    IF "precision" IS NULL OR "precision" NOT BETWEEN 1 AND 12 THEN
        RAISE EXCEPTION 'precision must be 1..12' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF buckets IS NULL OR buckets NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'buckets must be 1..10000' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    WITH pts AS (
        SELECT ST_Y(m.location::geometry) AS lat, ST_X(m.location::geometry) AS lon, m.device_id
          FROM iot.message m
         WHERE m.tenant_id = iot.require_tenant() AND m.location IS NOT NULL
           AND (since IS NULL OR m.ts >= since) AND (until IS NULL OR m.ts < until)),
    cells AS (
        SELECT iot.geohash_encode(lat, lon, "precision") AS cell, count(*) AS n, count(DISTINCT device_id) AS devices,
               avg(lat) AS lat, avg(lon) AS lon, max(lat) AS n_lat, min(lon) AS w_lon, min(lat) AS s_lat, max(lon) AS e_lon
          FROM pts GROUP BY 1)
    SELECT jsonb_build_object('count', coalesce(sum(n), 0), 'keys', count(*),
               'buckets', coalesce((SELECT jsonb_agg(jsonb_build_object('key', c.cell, 'count', c.n, 'devices', c.devices,
                                        'geoKey', jsonb_build_object('lat', c.lat, 'lon', c.lon),
                                        'geoBounds', jsonb_build_object('topLeft', jsonb_build_object('lat', c.n_lat, 'lon', c.w_lon),
                                                                        'bottomRight', jsonb_build_object('lat', c.s_lat, 'lon', c.e_lon)))
                                      ORDER BY c.n DESC, c.cell)
                                      FROM (SELECT * FROM cells ORDER BY n DESC, cell LIMIT buckets) c), '[]'))
           || CASE WHEN count(*) > 0 THEN jsonb_build_object('geoBounds', jsonb_build_object(
                  'topLeft', jsonb_build_object('lat', max(n_lat), 'lon', min(w_lon)),
                  'bottomRight', jsonb_build_object('lat', min(s_lat), 'lon', max(e_lon)))) ELSE '{}' END
      INTO r FROM cells;
    RETURN r;
END
$$;
