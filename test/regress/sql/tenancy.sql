-- Tenants and API keys.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2026-01-15 10:00:00+00';

SELECT tenant_id AS acme, master_key_id AS acme_master, master_key AS acme_secret
  FROM iot.tenant_create('tenancy-acme', '{"autoProvisioning": false}') \gset
SELECT name, settings FROM iot.tenant WHERE id = :'acme';
-- the master secret: 64 hex digits, only its SHA-256 stored
SELECT length(:'acme_secret') AS secret_length, :'acme_secret' ~ '^[0-9a-f]{64}$' AS hex;
SELECT secret_hash = sha256(convert_to(:'acme_secret', 'UTF8')) AS hash_only
  FROM iot.api_key WHERE id = :'acme_master';
SELECT count(*) AS plaintext_anywhere FROM iot.api_key
 WHERE position(convert_to(:'acme_secret', 'UTF8') IN secret_hash) > 0;
-- a tenant name is unique
SELECT test.try($$SELECT iot.tenant_create('tenancy-acme')$$);

-- authentication: tenant, key, roles (21 for the master)
SELECT tenant_id = :'acme' AS tenant, key_id = :'acme_master' AS key, cardinality(roles) AS roles
  FROM iot.api_key_authenticate(:'acme_secret');
SELECT count(*) AS unknown FROM iot.api_key_authenticate('00' || :'acme_secret');
SELECT iot.api_roles();

SELECT iot.use_tenant('tenancy-acme') IS NOT NULL AS selected;
-- a device key, valid for a week
SELECT id AS dev_key, secret AS dev_secret
  FROM iot.api_key_create('device key', ARRAY['DEVICE_ACCESS', 'DATA_W'],
                          valid_to => '2026-01-22 10:00:00+00') \gset
SELECT roles FROM iot.api_key_authenticate(:'dev_secret');
-- child keys: a subset of the parent's roles, within its validity
SELECT id AS child_key, secret AS child_secret
  FROM iot.api_key_create('child', ARRAY['DATA_W'], parent_id => :'dev_key',
                          valid_to => '2027-01-01 00:00:00+00') \gset
SELECT valid_to FROM iot.api_key WHERE id = :'child_key';
SELECT test.try(format($$SELECT iot.api_key_create('too much', ARRAY['DATA_W', 'DEVICE_W'], parent_id => %L)$$, :'dev_key'));
SELECT test.try($$SELECT iot.api_key_create('bad role', ARRAY['ROOT'])$$);
SELECT test.try($$SELECT iot.api_key_create('no parent', ARRAY['DATA_W'], parent_id => gen_random_uuid())$$);
-- FIFO restrictions: a child of a restricted key stays within its FIFOs
SELECT id AS app_key FROM iot.api_key_create('app', ARRAY['BUS_R'], fifos => ARRAY['alarms', 'data']) \gset
SELECT test.try(format($$SELECT iot.api_key_create('app child', ARRAY['BUS_R'], parent_id => %L, fifos => ARRAY['other'])$$, :'app_key'));
SELECT id AS app_child FROM iot.api_key_create('app child', ARRAY['BUS_R'], parent_id => :'app_key', fifos => ARRAY['alarms']) \gset
SELECT fifos FROM iot.api_key WHERE id = :'app_child';

-- validity: expired keys and keys of disabled parents do not authenticate
SET pgiot.now = '2026-01-23 10:00:00+00';
SELECT count(*) AS expired FROM iot.api_key_authenticate(:'dev_secret');
SELECT count(*) AS child_of_expired FROM iot.api_key_authenticate(:'child_secret');
SET pgiot.now = '2026-01-15 10:00:00+00';
SELECT count(*) AS valid_again FROM iot.api_key_authenticate(:'child_secret');
SELECT iot.api_key_update(:'dev_key', enabled => false);
SELECT count(*) AS parent_disabled FROM iot.api_key_authenticate(:'child_secret');
SELECT iot.api_key_update(:'dev_key', enabled => true);

-- the master key cannot be deleted; other keys can (children go too)
SELECT test.try(format($$SELECT iot.api_key_delete(%L)$$, :'acme_master'));
SELECT iot.api_key_delete(:'dev_key');
SELECT count(*) AS child_gone FROM iot.api_key WHERE id = :'child_key';
SELECT test.try($$SELECT iot.api_key_delete(gen_random_uuid())$$);

-- deleting the tenant takes its master key with it
RESET iot.tenant;
DELETE FROM iot.tenant WHERE name = 'tenancy-acme';
SELECT count(*) AS keys_left FROM iot.api_key WHERE tenant_id = :'acme';
