-- The plans of RSQL filters over 100,000 devices: tag, property, group,
-- name and id filters are served by indexes, never by a scan of the table.
SET timezone = 'UTC';
SET pgiot.now = '2026-01-15 10:00:00+00';
SELECT iot.tenant_create('query-explain') IS NOT NULL;
SELECT iot.use_tenant('query-explain') IS NOT NULL;
-- 100 groups /region-00 .. /region-99, each with a child /region-NN/site
SELECT count(iot.group_ensure(format('/region-%s/site', lpad(k::text, 2, '0')))) AS groups FROM generate_series(0, 99) k;
INSERT INTO iot.device (tenant_id, id, name, tags, properties, group_id)
SELECT iot.current_tenant(), format('urn:lo:nsid:explain:%s', k), format('sensor-%s', k),
       ARRAY['model-' || (k % 100), 'batch-' || (k % 1000)] || CASE WHEN k % 1000 = 0 THEN ARRAY['rare'] ELSE '{}' END,
       jsonb_build_object('firmware', 'v' || (k % 200), 'site', 's' || (k % 5000)),
       (SELECT g.id FROM iot.device_group g WHERE g.tenant_id = iot.current_tenant()
           AND g.path = format('/region-%s/site', lpad((k % 100)::text, 2, '0')))
  FROM generate_series(1, 100000) k;
INSERT INTO iot.device_interface (tenant_id, device_id, connector, node_id)
SELECT tenant_id, id, 'mqtt', id FROM iot.device WHERE tenant_id = iot.current_tenant() AND id LIKE '%0';
-- every row sampled, so the plans do not depend on ANALYZE's random sample
SET default_statistics_target = 2000;
ANALYZE iot.device;
ANALYZE iot.device_group;
ANALYZE iot.device_interface;
SELECT count(*) AS devices FROM iot.device WHERE tenant_id = iot.current_tenant();

-- the indexes a plan uses, or "SEQ SCAN" when it reads iot.device whole
CREATE FUNCTION pg_temp.indexes(query text, dialect text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    line  text;
    found text[] := '{}';
    m     text[];
BEGIN
    FOR line IN EXECUTE format('EXPLAIN (COSTS OFF) SELECT d.id FROM iot.device d WHERE d.tenant_id = %L AND %s',
                               iot.current_tenant(), iot.rsql_to_sql(query, dialect)) LOOP
        IF line ~ 'Seq Scan on device d' THEN
            found := found || 'SEQ SCAN'::text;
        END IF;
        m := regexp_match(line, 'Index (?:Only )?Scan (?:Backward )?(?:using|on) (\w+)');
        IF m IS NOT NULL AND NOT m[1] = ANY (found) THEN
            found := found || m[1];
        END IF;
    END LOOP;
    RETURN array_to_string(ARRAY(SELECT unnest(found) ORDER BY 1), ', ');
END $$;
CREATE FUNCTION pg_temp.count(query text, dialect text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM iot.device d WHERE d.tenant_id = %L AND %s', iot.current_tenant(),
                   iot.rsql_to_sql(query, dialect)) INTO n;
    RETURN n;
END $$;
SELECT q AS query, d AS dialect, pg_temp.count(q, d) AS devices, pg_temp.indexes(q, d) AS indexes
  FROM (VALUES
    ('tags==rare', 'device'), ('tags==batch-7', 'device'), ('tags=in=(rare,batch-7)', 'device'),
    ('properties.site==s42', 'device'), ('properties.site=in=(s42,s43)', 'device'),
    ('groupId==nope', 'device'),
    ('groupPath==/region-07/site', 'device'), ('groupPath=in=(/region-07/site,/region-08/site)', 'device'),
    ('groupPath==/region-07/*', 'device'),
    ('tags==rare;properties.firmware==v0', 'device'),
    ('tags==rare,properties.site==s42', 'device'),
    ('tags==rare', 'inventory'), ('property.site==s42', 'inventory'), ('group.path==/region-07/site', 'inventory'),
    ('properties=q=''k==site and v==s42''', 'inventory'),
    ('name==sensor-4242*', 'inventory'), ('id==urn:lo:nsid:explain:4242*', 'inventory'), ('id==urn:lo:nsid:explain:4242', 'inventory')
  ) v(q, d);
