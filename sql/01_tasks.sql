-- Registry of periodic maintenance tasks.  iot.maintenance_run() (run by
-- the maintenance worker on every tick) calls each enabled task; an area
-- registers its own (purge, timeouts, ...) with one INSERT in its sql file.

CREATE TABLE iot.maintenance_task (
    name      text PRIMARY KEY,
    -- a function () RETURNS jsonb: what it did, merged into the run's report
    fn        regprocedure NOT NULL,
    enabled   boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE iot.maintenance_task IS 'Periodic tasks run by iot.maintenance_run(), in name order';
