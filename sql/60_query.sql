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
    -- the newest located time of each device seen since the last run (a hash
    -- aggregate: no sort of the window's rows), then that message itself
    -- through the (tenant_id, device_id, ts) index, for the devices it moves
    WITH newest AS (
        SELECT m.tenant_id, m.device_id, max(m.ts) AS ts
          FROM iot.message m
         WHERE m.id > since - 10000 AND m.id <= top AND m.location IS NOT NULL AND m.device_id IS NOT NULL
           AND m.location_provider IS DISTINCT FROM 'static'
         GROUP BY m.tenant_id, m.device_id),
    fix AS (
        SELECT n.tenant_id, n.device_id, n.ts, f.lat, f.lon, f.location_alt, f.location_accuracy, f.location_provider
          FROM newest n
          JOIN iot.device d ON d.tenant_id = n.tenant_id AND d.id = n.device_id AND d.static_location IS NULL
                           AND (d.location_updated IS NULL OR d.location_updated < n.ts)
          CROSS JOIN LATERAL (
                SELECT ST_Y(m.location::geometry) AS lat, ST_X(m.location::geometry) AS lon,
                       m.location_alt, m.location_accuracy, m.location_provider
                  FROM iot.message m
                 WHERE m.tenant_id = n.tenant_id AND m.device_id = n.device_id AND m.ts = n.ts
                   AND m.id > since - 10000 AND m.id <= top AND m.location IS NOT NULL
                   AND m.location_provider IS DISTINCT FROM 'static'
                 ORDER BY m.id DESC LIMIT 1) f)
    UPDATE iot.device d
       SET location_lat = fix.lat, location_lon = fix.lon, location_alt = fix.location_alt,
           location_accuracy = fix.location_accuracy, location_provider = fix.location_provider,
           location_updated = fix.ts, geohash = iot.geohash_encode(fix.lat, fix.lon, 12)
      FROM fix
     WHERE d.tenant_id = fix.tenant_id AND d.id = fix.device_id;
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
