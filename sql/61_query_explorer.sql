-- Query: the inventory explorer (device document, common filters, search,
-- Statistics API).  Continues sql/60_query.sql.

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
