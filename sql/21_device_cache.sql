-- Ingest keeps the devices it looked up in a per-backend cache.  Every
-- committed change of a device, interface or group (but not of the
-- last_seen/last_contact that ingest itself writes) drops those caches in
-- all backends of the database.

CREATE FUNCTION iot._device_cache_invalidate() RETURNS trigger
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'pgiot_device_cache_invalidate';

CREATE TRIGGER device_cache_invalidate
    AFTER INSERT OR DELETE OR UPDATE OF tenant_id, id, name, description, default_stream_id, tags,
        properties, group_id, static_location, static_alt, static_accuracy
    ON iot.device FOR EACH STATEMENT EXECUTE FUNCTION iot._device_cache_invalidate();
CREATE TRIGGER device_cache_invalidate_truncate
    AFTER TRUNCATE ON iot.device FOR EACH STATEMENT EXECUTE FUNCTION iot._device_cache_invalidate();
CREATE TRIGGER device_cache_invalidate
    AFTER INSERT OR DELETE OR UPDATE OF tenant_id, device_id, connector, node_id, enabled, definition
    ON iot.device_interface FOR EACH STATEMENT EXECUTE FUNCTION iot._device_cache_invalidate();
CREATE TRIGGER device_cache_invalidate_truncate
    AFTER TRUNCATE ON iot.device_interface FOR EACH STATEMENT EXECUTE FUNCTION iot._device_cache_invalidate();
CREATE TRIGGER device_cache_invalidate
    AFTER INSERT OR DELETE OR UPDATE OF tenant_id, id, path_node, parent_id, path
    ON iot.device_group FOR EACH STATEMENT EXECUTE FUNCTION iot._device_cache_invalidate();
