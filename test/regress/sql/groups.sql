-- Groups (manual 8.1; digest T11).
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2026-01-15 10:00:00+00';
SELECT iot.tenant_create('groups-t') IS NOT NULL;
SELECT iot.use_tenant('groups-t') IS NOT NULL;

SELECT iot.group_create('france', id => 'P2112f', description => 'France') - '{created,updated}'::text[];
SELECT iot.group_create('lyon', 'P2112f', 'City of Lyon', id => 'u1z1k8') - '{created,updated}'::text[];
SELECT iot.group_create('paris', 'P2112f', id => 'g3paris') ->> 'path';
SELECT iot.group_create('italia', id => 'g4italia') ->> 'path';

-- the manual's eight listings
SELECT q, parent, array(SELECT g ->> 'path' FROM iot.groups(q, parent) g) AS paths
  FROM (VALUES ('/france', NULL), ('/*', NULL), ('/france/*', NULL), ('/france/*/', NULL),
               (NULL, 'root'), ('/*', 'P2112f'), ('/france/*', 'P2112f'), ('/france/*', 'root')) v(q, parent);

-- duplicates, unknown parent, depth
SELECT test.try($$SELECT iot.group_create('lyon', 'P2112f')$$);
SELECT test.try($$SELECT iot.group_create('x', 'nope')$$);
SELECT iot.group_ensure('/l1/l2/l3/l4/l5/l6/l7') IS NOT NULL AS seven_levels;
SELECT test.try($$SELECT iot.group_ensure('/l1/l2/l3/l4/l5/l6/l7/l8')$$);
SELECT test.try($$SELECT iot.group_create('bad/node')$$);

-- rename and move: paths of the subtree follow, devices stay
SELECT iot.group_create('croix-rousse', 'u1z1k8', id => 'g5cr') ->> 'path';
SELECT iot.device_create('{"id": "urn:lo:nsid:g:d1", "group": {"id": "g5cr"}}') -> 'group';
SELECT iot.group_update('u1z1k8', path_node => 'lugdunum', description => 'City of Lyon') ->> 'path';
SELECT iot.device_get('urn:lo:nsid:g:d1') -> 'group' AS device_group_after_rename;
SELECT iot.group_update('u1z1k8', parent_id => 'g4italia') ->> 'path';
SELECT path FROM iot.device_group WHERE id = 'g5cr';
SELECT test.try($$SELECT iot.group_update('u1z1k8', parent_id => 'g5cr')$$);  -- a cycle
SELECT test.try($$SELECT iot.group_update('g3paris', path_node => 'france', parent_id => 'root')$$);
SELECT test.try($$SELECT iot.group_update('root', path_node => 'x')$$);

-- delete: refused while it holds devices or sub-groups
SELECT test.try($$SELECT iot.group_delete('u1z1k8')$$);
SELECT test.try($$SELECT iot.group_delete('g5cr')$$);
SELECT iot.device_delete('urn:lo:nsid:g:d1');
SELECT iot.group_delete('g5cr');
SELECT iot.group_delete('u1z1k8');
SELECT test.try($$SELECT iot.group_delete('u1z1k8')$$);
SELECT test.try($$SELECT iot.group_delete('root')$$);
SELECT array(SELECT g ->> 'path' FROM iot.groups('/*', lim => 100) g) AS left_over;
