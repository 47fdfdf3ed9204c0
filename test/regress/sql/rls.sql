-- Tenant isolation by row-level security, as non-superuser roles.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2026-01-15 10:00:00+00';
SELECT tenant_id AS ta FROM iot.tenant_create('rls-a') \gset
SELECT tenant_id AS tb FROM iot.tenant_create('rls-b') \gset

-- Some data in each tenant (as the superuser, acting for each in turn).
SELECT iot.use_tenant('rls-a') IS NOT NULL;
SELECT iot.group_ensure('/france/paris') IS NOT NULL;
SELECT iot.device_create('{"id": "urn:lo:nsid:rls:a1", "interfaces": [{"connector": "mqtt", "definition": {"clientId": "a1"}}]}') IS NOT NULL;
SELECT iot.ingest('{"value": {"t": 1}}', 'urn:lo:nsid:rls:a1') IS NOT NULL;
SELECT id AS a_key FROM iot.api_key_create('a key', ARRAY['DATA_R']) \gset
SELECT iot.use_tenant('rls-b') IS NOT NULL;
SELECT iot.group_ensure('/spain') IS NOT NULL;
SELECT iot.device_create('{"id": "urn:lo:nsid:rls:b1", "interfaces": [{"connector": "mqtt", "definition": {"clientId": "b1"}}]}') IS NOT NULL;
SELECT iot.ingest('{"value": {"t": 2}}', 'urn:lo:nsid:rls:b1') IS NOT NULL;
SELECT count(*) FROM iot.ingest_batch('[{"message": {"value": 1}, "deviceId": "urn:lo:nsid:rls:b1"}]');  -- audit entry in B
RESET iot.tenant;

CREATE ROLE regress_rls_alice LOGIN;
SELECT iot.tenant_bind_role('regress_rls_alice', 'rls-a');
CREATE ROLE regress_rls_bridge LOGIN;
GRANT pgiot_service TO regress_rls_bridge;
CREATE ROLE regress_rls_nobody LOGIN;

-- Alice (bound to A) sees exactly A's rows in every tenant-owned table.
SET ROLE regress_rls_alice;
SELECT iot.current_tenant() = :'ta' AS alice_is_a;
SELECT 'tenant' AS tbl, count(*), bool_and(id = :'ta') AS only_a FROM iot.tenant
UNION ALL SELECT 'api_key', count(*), bool_and(tenant_id = :'ta') FROM iot.api_key
UNION ALL SELECT 'device_group', count(*), bool_and(tenant_id = :'ta') FROM iot.device_group
UNION ALL SELECT 'device', count(*), bool_and(tenant_id = :'ta') FROM iot.device
UNION ALL SELECT 'device_interface', count(*), bool_and(tenant_id = :'ta') FROM iot.device_interface
UNION ALL SELECT 'message', count(*), bool_and(tenant_id = :'ta') FROM iot.message
UNION ALL SELECT 'message_doc', count(*), bool_and(tenant_id = :'ta') FROM iot.message_doc
UNION ALL SELECT 'audit_log', count(*), bool_and(tenant_id = :'ta') FROM iot.audit_log
UNION ALL SELECT 'tenant_role', count(*), NULL FROM iot.tenant_role
ORDER BY 1;
-- the API key hash is not readable
SELECT test.try('SELECT secret_hash FROM iot.api_key');

-- Alice cannot switch to B, by setting or by JWT claim.
SELECT test.try(format($$SET iot.tenant = %L; SELECT count(*) FROM iot.device$$, :'tb'));
RESET iot.tenant;
SELECT test.try(format($$SELECT set_config('request.jwt.claims', '{"tenant": "%s"}', false); SELECT count(*) FROM iot.device$$, :'tb'));
SELECT set_config('request.jwt.claims', '', false) IS NOT NULL;
SELECT test.try($$SELECT iot.use_tenant('rls-b')$$);

-- Alice cannot write B's rows: inserts are refused, updates and deletes
-- find nothing.
SELECT test.try(format($$INSERT INTO iot.device (tenant_id, id) VALUES (%L, 'urn:lo:nsid:rls:evil')$$, :'tb'));
SELECT test.try(format($$INSERT INTO iot.message (tenant_id, ts, stream_id, value) VALUES (%L, now(), 's', '{}')$$, :'tb'));
SELECT test.try(format($$INSERT INTO iot.audit_log (tenant_id, component, message) VALUES (%L, 'x', 'y')$$, :'tb'));
SELECT test.try(format($$INSERT INTO iot.device_group (tenant_id, id, path_node, parent_id, path) VALUES (%L, 'g', 'evil', 'root', '')$$, :'tb'));
SELECT test.try(format($$UPDATE iot.device SET tenant_id = %L WHERE id = 'urn:lo:nsid:rls:a1'$$, :'tb'));
WITH u AS (UPDATE iot.device SET name = 'hacked' WHERE id = 'urn:lo:nsid:rls:b1' RETURNING 1) SELECT count(*) AS updated FROM u;
WITH d AS (DELETE FROM iot.device WHERE id = 'urn:lo:nsid:rls:b1' RETURNING 1) SELECT count(*) AS deleted FROM d;
WITH d AS (DELETE FROM iot.message WHERE tenant_id = :'tb' RETURNING 1) SELECT count(*) AS deleted FROM d;
WITH u AS (UPDATE iot.tenant SET settings = '{}' WHERE id = :'tb' RETURNING 1) SELECT count(*) AS updated FROM u;
WITH u AS (UPDATE iot.device_interface SET enabled = false WHERE node_id = 'b1' RETURNING 1) SELECT count(*) AS updated FROM u;
WITH u AS (UPDATE iot.api_key SET enabled = false WHERE tenant_id = :'tb' RETURNING 1) SELECT count(*) AS updated FROM u;

-- Functions act for A only.
SELECT iot.device_get('urn:lo:nsid:rls:b1') AS b_device_from_a;
SELECT test.try($$SELECT iot.device_update('urn:lo:nsid:rls:b1', '{"name": "x"}')$$);
SELECT test.try($$SELECT iot.device_delete('urn:lo:nsid:rls:b1')$$);
SELECT count(*) AS groups_seen FROM iot.groups('/*');
SELECT test.try($$SELECT iot.api_key_authenticate('x')$$);
SELECT test.try($$SELECT iot.tenant_create('rls-c')$$);
SELECT test.try($$SELECT iot.tenant_bind_role('regress_rls_alice', 'rls-b')$$);
SELECT test.try($$SELECT iot.message_partition_drop_expired('1 day')$$);
-- Ingest naming B's interface lands in A (its own namespace), never in B.
SELECT device_id, error_code FROM iot.ingest_batch('[{"message": {"value": {"t": 3}}, "connector": "mqtt", "nodeId": "b1"}]');
RESET ROLE;

-- A bridge (pgiot_service) selects the tenant per transaction.
SET ROLE regress_rls_bridge;
SELECT count(*) AS no_tenant_no_rows FROM iot.device;
SELECT test.try($$SELECT iot.ingest('{"value": {}}', 'urn:lo:nsid:rls:b1')$$);
SET iot.tenant = :'tb';
SELECT id FROM iot.device ORDER BY id;
SELECT iot.ingest('{"value": {"t": 4}}', 'urn:lo:nsid:rls:b1') IS NOT NULL AS stored_in_b;
SELECT set_config('request.jwt.claims', format('{"role": "x", "tenant": "%s"}', :'ta'), false) IS NOT NULL;
SELECT id FROM iot.device ORDER BY id;  -- the claim wins over the setting
SELECT set_config('request.jwt.claims', '', false) IS NOT NULL;
RESET iot.tenant;
RESET ROLE;

-- A role that is neither bound nor a service sees nothing, whatever it sets.
SET ROLE regress_rls_nobody;
SET iot.tenant = :'ta';
SELECT iot.current_tenant() IS NULL AS no_tenant;
SELECT test.try('SELECT count(*) FROM iot.device');
RESET iot.tenant;
RESET ROLE;

-- B is intact.
SELECT id, name, tenant_id = :'tb' AS in_b FROM iot.device WHERE id LIKE 'urn:lo:nsid:%:b1' ORDER BY tenant_id = :'tb', id;
SELECT count(*) AS b_messages FROM iot.message WHERE tenant_id = :'tb';
SELECT enabled FROM iot.device_interface WHERE tenant_id = :'tb';
SELECT settings FROM iot.tenant WHERE id = :'tb';
SELECT bool_and(enabled) AS b_keys_enabled FROM iot.api_key WHERE tenant_id = :'tb';
