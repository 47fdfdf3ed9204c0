-- Message partitions: created ahead, rows routed by created, dropped after
-- the retention; the audit log purged.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2031-03-10 12:00:00+00';
SET pgiot.partitions_ahead = 2;
SELECT iot.tenant_create('partitions-t') IS NOT NULL;
SELECT iot.use_tenant('partitions-t') IS NOT NULL;

SELECT iot.maintenance_run() -> 'partitionsCreated' AS created;
SELECT relname, range_start, range_end FROM iot.message_partition
 WHERE range_start >= '2031-03-01' AND range_start < '2031-04-01' ORDER BY 1;
SELECT iot.maintenance_run() -> 'partitionsCreated' AS nothing_more;

-- rows go to the partition of their created time (the platform clock)
SELECT iot.ingest('{"value": {}, "timestamp": "2001-01-01T00:00:00Z"}', 'urn:lo:nsid:p:d1') AS m1 \gset
SELECT tableoid::regclass AS partition, ts FROM iot.message WHERE id = :m1;
SET pgiot.now = '2031-03-11 23:59:59.999+00';
SELECT iot.ingest('{"value": {}}', 'urn:lo:nsid:p:d1') AS m2 \gset
SELECT tableoid::regclass AS partition FROM iot.message WHERE id = :m2;
-- a time with no partition yet gets one on ingest
SET pgiot.now = '2031-06-01 08:00:00+00';
SELECT iot.ingest('{"value": {}}', 'urn:lo:nsid:p:d1') AS m3 \gset
SELECT tableoid::regclass AS partition FROM iot.message WHERE id = :m3;
-- a wider interval never overlaps what exists: the new range is clipped
SET pgiot.partition_interval = '7 days';
SET pgiot.now = '2031-03-13 08:00:00+00';
SELECT iot.message_partition_ensure(iot.now());
SELECT range_start, range_end FROM iot.message_partition WHERE relname = iot.message_partition_ensure(iot.now());
RESET pgiot.partition_interval;
SELECT test.try($$SET pgiot.partition_interval = '1 month'$$);

-- retention: whole partitions older than pgiot.retention_days go (in a
-- transaction rolled back at the end: retention is server-wide)
BEGIN;
INSERT INTO iot.audit_log (tenant_id, at, component, message) VALUES (iot.current_tenant(), '2031-01-01', 'test', 'old'), (iot.current_tenant(), '2031-06-01', 'test', 'recent');
SET LOCAL pgiot.now = '2031-06-20 00:00:00+00';
SET LOCAL pgiot.retention_days = 100;
SET LOCAL pgiot.audit_retention_days = 30;
SELECT array(SELECT p FROM jsonb_array_elements_text(iot.maintenance_run() -> 'partitionsDropped') p
              WHERE p LIKE 'message_p203103%') AS dropped;
SELECT count(*) AS march_left FROM iot.message_partition WHERE range_start >= '2031-03-01' AND range_start < '2031-03-12';
SELECT count(*) AS march_12_kept FROM iot.message_partition WHERE range_start = '2031-03-12';
SELECT message FROM iot.audit_log WHERE component = 'test';
SELECT count(*) AS messages_left FROM iot.message WHERE device_id = 'urn:lo:nsid:p:d1';
ROLLBACK;
-- partitions are not extension members (dump and drop them like data)
SELECT count(*) AS members FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
 WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pgiot') AND c.relname ~ '^message_p[0-9]';
