-- 0.2.0: iot.maintenance_run() also runs the registered maintenance tasks.

-- One maintenance pass: partitions ahead, retention, audit-log purge, then
-- every registered task (iot.maintenance_task).  The per-database worker
-- runs it every pgiot.maintenance_interval.
CREATE OR REPLACE FUNCTION iot.maintenance_run() RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    ahead     int := current_setting('pgiot.partitions_ahead')::int;
    step      interval := current_setting('pgiot.partition_interval')::interval;
    keep_days int := current_setting('pgiot.retention_days')::int;
    audit_days int := current_setting('pgiot.audit_retention_days')::int;
    created   text[] := '{}';
    dropped   text[] := '{}';
    purged    bigint := 0;
    report    jsonb;
    task      iot.maintenance_task;
    result    jsonb;
BEGIN
    FOR i IN 0 .. ahead LOOP
        IF NOT EXISTS (SELECT FROM iot.message_partition
                        WHERE range_start <= iot.now() + step * i AND iot.now() + step * i < range_end) THEN
            created := created || iot.message_partition_ensure(iot.now() + step * i)::text;
        END IF;
    END LOOP;
    IF keep_days > 0 THEN
        dropped := ARRAY(SELECT iot.message_partition_drop_expired(make_interval(days => keep_days)));
    END IF;
    IF audit_days > 0 THEN
        DELETE FROM iot.audit_log WHERE at < iot.now() - make_interval(days => audit_days);
        GET DIAGNOSTICS purged = ROW_COUNT;
    END IF;
    report := jsonb_build_object('partitionsCreated', to_jsonb(created), 'partitionsDropped', to_jsonb(dropped),
                                 'auditPurged', purged);
    FOR task IN SELECT * FROM iot.maintenance_task WHERE enabled ORDER BY name LOOP
        EXECUTE format('SELECT %s', task.fn) INTO result;
        report := report || jsonb_build_object(task.name, coalesce(result, '{}'));
    END LOOP;
    RETURN report;
END
$$;
