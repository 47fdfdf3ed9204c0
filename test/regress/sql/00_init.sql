-- Runs first: installs pgiot (and PostGIS) and the helpers the other
-- tests share.  Each later test creates its own tenants, so tests do not
-- depend on each other.
CREATE EXTENSION pgiot CASCADE;
SELECT extversion FROM pg_extension WHERE extname = 'pgiot';
SELECT rolname FROM pg_roles WHERE rolname LIKE 'pgiot\_%' ORDER BY 1;

CREATE SCHEMA test;
GRANT USAGE ON SCHEMA test TO PUBLIC;

-- Run a statement; 'ok' or 'SQLSTATE: message (detail)', random UUIDs
-- shown as <uuid>.
CREATE FUNCTION test.try(stmt text) RETURNS text
    LANGUAGE plpgsql
AS $$
DECLARE
    detail text;
BEGIN
    EXECUTE stmt;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN regexp_replace(SQLSTATE || ': ' || SQLERRM || coalesce(' (' || nullif(detail, '') || ')', ''),
                          '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g');
END
$$;

-- Poll a boolean query until true or `seconds` pass (no timing assert:
-- the result is only whether it became true).
CREATE FUNCTION test.wait_for(query text, seconds int DEFAULT 60) RETURNS boolean
    LANGUAGE plpgsql
AS $$
DECLARE
    ok boolean;
BEGIN
    FOR i IN 1 .. seconds * 10 LOOP
        EXECUTE query INTO ok;
        IF ok THEN
            RETURN true;
        END IF;
        PERFORM pg_sleep(0.1);
        PERFORM pg_stat_clear_snapshot();
    END LOOP;
    RETURN false;
END
$$;
-- The stored row of a message id: SELECT ... FROM test.msg(iot.ingest(...)) m
-- stores once and shows the result.
CREATE FUNCTION test.msg(message_id bigint) RETURNS SETOF iot.message
    LANGUAGE sql
AS $$ SELECT * FROM iot.message WHERE id = message_id $$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA test TO PUBLIC;
