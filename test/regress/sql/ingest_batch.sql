-- iot.ingest_batch: set-based, bad items rejected alone and audited.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2026-01-15 10:00:00+00';
SELECT tenant_id AS t FROM iot.tenant_create('batch-t') \gset
SELECT iot.use_tenant('batch-t') IS NOT NULL;
SELECT iot.device_create('{"id": "urn:lo:nsid:b:known", "tags": ["t1"]}') IS NOT NULL;

-- good and bad items mixed: the good ones are stored, each bad one is
-- rejected with its reason, returned and written to the audit log
SELECT ord, id IS NOT NULL AS stored, device_id, error_code, error
  FROM iot.ingest_batch($$[
    {"message": {"value": {"n": 1}}, "deviceId": "urn:lo:nsid:b:known"},
    {"message": {"value": "not an object"}, "deviceId": "urn:lo:nsid:b:known"},
    {"message": {"value": {"n": 3}}, "connector": "mqtt", "nodeId": "fresh1"},
    {"message": {"value": {}, "timestamp": "2020-10-13 25:00:00"}, "deviceId": "urn:lo:nsid:b:known"},
    {"message": {"value": {"n": 5}, "timestamp": "2020-10-13T12:00:00.123456+02:00"}, "connector": "mqtt", "nodeId": "fresh1"},
    {"message": {"value": {}}, "deviceId": "urn:lo:nsid:b:bad*id"},
    "not an item",
    {"deviceId": "urn:lo:nsid:b:known"},
    {"message": {"value": {}}, "raw": "zz", "deviceId": "urn:lo:nsid:b:known"},
    {"message": {"value": {"n": 10}}, "raw": "cafe", "received": "2026-01-15T09:00:00Z", "deviceId": "urn:lo:nsid:b:known"}
  ]$$) ORDER BY ord;
SELECT ts, device_id, value, raw, received FROM iot.message WHERE tenant_id = :'t' ORDER BY id;
SELECT code, message, details FROM iot.audit_log WHERE tenant_id = :'t' ORDER BY id;

-- nothing is half-stored: a rejected item leaves no device behind
SELECT count(*) AS provisioned FROM iot.device WHERE tenant_id = :'t';
SELECT count(*) FROM iot.ingest_batch('[{"message": {"value": 1}, "connector": "mqtt", "nodeId": "fresh2"}]');
SELECT count(*) AS still FROM iot.device WHERE tenant_id = :'t';

-- the batch is part of the caller's transaction: rolled back, nothing stays
BEGIN;
SELECT count(*) FROM iot.ingest_batch('[{"message": {"value": {}}, "deviceId": "urn:lo:nsid:b:known"}]');
ROLLBACK;
SELECT count(*) AS after_rollback FROM iot.message WHERE tenant_id = :'t';

-- many messages of few devices: one insert, devices provisioned once
SELECT count(*) FILTER (WHERE id IS NOT NULL) AS stored, count(DISTINCT device_id) AS devices
  FROM iot.ingest_batch((SELECT jsonb_agg(jsonb_build_object('message', jsonb_build_object('value', jsonb_build_object('i', i)),
                                                              'connector', 'mqtt', 'nodeId', 'bulk' || (i % 7)))
                           FROM generate_series(1, 500) i));
SELECT count(*) AS bulk_devices FROM iot.device WHERE tenant_id = :'t' AND id LIKE 'urn:lo:nsid:mqtt:bulk%';
SELECT count(*) AS bulk_messages FROM iot.message WHERE tenant_id = :'t' AND device_id LIKE 'urn:lo:nsid:mqtt:bulk%';

-- edge cases of the call itself
SELECT count(*) AS empty FROM iot.ingest_batch('[]');
SELECT count(*) AS null_input FROM iot.ingest_batch(NULL);
SELECT test.try($$SELECT * FROM iot.ingest_batch('{"message": {}}')$$);
SELECT test.try($$SELECT * FROM iot.ingest_batch('42')$$);

-- the hot path is free of per-row PL/pgSQL: ingest_batch is C
SELECT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.oid = 'iot.ingest_batch'::regproc;
