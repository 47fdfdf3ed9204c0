-- Background workers: the launcher starts the maintenance worker of this
-- database, which ticks; an ingest commit wakes it through its latch.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SELECT test.wait_for($$SELECT EXISTS (SELECT FROM iot.worker_status() WHERE kind = 'maintenance' AND pid IS NOT NULL AND ticks > 0)$$) AS running;
SELECT kind, last_error FROM iot.worker_status();
SELECT count(*) AS worker_processes FROM pg_stat_activity WHERE backend_type = 'pgiot maintenance' AND datname = current_database();
SELECT count(*) AS launcher FROM pg_stat_activity WHERE backend_type = 'pgiot launcher';
-- the foundation's settings and their defaults (areas add their own)
SELECT name, boot_val FROM pg_settings WHERE name IN ('pgiot.audit_retention_days', 'pgiot.last_seen_resolution',
    'pgiot.launcher_naptime', 'pgiot.maintenance_interval', 'pgiot.max_databases', 'pgiot.now', 'pgiot.partition_interval',
    'pgiot.partitions_ahead', 'pgiot.retention_days', 'pgiot.workers_enabled') ORDER BY 1;

SELECT ingest_wakeups AS before FROM iot.worker_status() WHERE kind = 'maintenance' \gset
SELECT iot.tenant_create('workers-t') IS NOT NULL;
SELECT iot.use_tenant('workers-t') IS NOT NULL;
-- a rolled-back ingest wakes nobody ...
BEGIN;
SELECT iot.ingest('{"value": {}}', 'urn:lo:nsid:w:d1') IS NOT NULL;
ROLLBACK;
SELECT pg_sleep(0.5);
SELECT ingest_wakeups = :before AS not_woken FROM iot.worker_status() WHERE kind = 'maintenance';
-- ... a committed one does
SELECT iot.ingest('{"value": {}}', 'urn:lo:nsid:w:d1') IS NOT NULL;
SELECT test.wait_for(format($$SELECT ingest_wakeups > %s FROM iot.worker_status() WHERE kind = 'maintenance'$$, :before)) AS woken;

-- the worker leaves when asked, the launcher starts it again
SELECT pid AS old_pid FROM iot.worker_status() WHERE kind = 'maintenance' \gset
SELECT pg_terminate_backend(:old_pid);
SELECT test.wait_for(format($$SELECT pid IS NOT NULL AND pid <> %s FROM iot.worker_status() WHERE kind = 'maintenance'$$, :old_pid)) AS restarted;

-- DROP DATABASE of a database with pgiot does not wait for its workers
CREATE DATABASE regress_pgiot_dropme;
\c regress_pgiot_dropme
CREATE EXTENSION pgiot CASCADE;
SELECT test_ready FROM (SELECT true AS test_ready) x;
\c pgiot_regress
SELECT test.wait_for($$SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = 'regress_pgiot_dropme' AND backend_type = 'pgiot maintenance'$$) AS worker_there;
DROP DATABASE regress_pgiot_dropme;
SELECT count(*) AS dropped FROM pg_database WHERE datname = 'regress_pgiot_dropme';
