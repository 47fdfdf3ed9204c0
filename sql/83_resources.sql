-- Device management, part 3: resources and their updates (manual 8.4).
--
-- A resource (firmware, ...) has versions (file, MD5 checksum, compatible
-- source versions) and up to 5 aliases.  A device reports the versions it
-- runs (dev/rsc, connector/v1/current/resource); an update moves it to a
-- requested version through the http-updater flow:
--   PENDING -> (sent: dev/rsc/upd {id, old, new, m:{uri, md5, size}, cid})
--   WAITING_TRANSFER_INFO -> (dev/rsc/upd/res OK) TRANSFER_PENDING
--   -> (file downloaded: iot.resource_download) TRANSFER_SUCCESS
--   -> (device reports the new version) DONE
-- ERROR on a refusal, a device error (dev/rsc/upd/err) or a timeout;
-- CANCELED by a cancel.  Timeouts (maintenance task device_timeouts): no
-- answer 5 min after sending -> back to PENDING; accepted but no progress
-- for 5 min -> ERROR; any active update older than 24 h -> ERROR.

CREATE TABLE iot.resource (
    tenant_id        uuid NOT NULL REFERENCES iot.tenant ON DELETE CASCADE,
    id               text NOT NULL CHECK (id ~ '^[A-Za-z0-9_.:-]{1,128}$'),
    label            text,
    description      text,
    connector        text NOT NULL DEFAULT 'http-updater' CHECK (connector IN ('http-updater', 'lwm2m-updater')),
    metadata         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    version_aliases  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(version_aliases) = 'object'),
    created          timestamptz NOT NULL DEFAULT iot.now(),
    updated          timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, id)
);
COMMENT ON TABLE iot.resource IS 'Resources (firmware, files) that devices run in versions (manual 8.4.2)';
SELECT iot.tenant_table('iot.resource');

CREATE TABLE iot.resource_version (
    tenant_id            uuid NOT NULL,
    resource_id          text NOT NULL,
    version              text NOT NULL CHECK (version <> '' AND length(version) <= 128),
    file                 bytea NOT NULL CHECK (length(file) <= 10 * 1024 * 1024),
    compatible_versions  text[] NOT NULL DEFAULT '{}',
    created              timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, resource_id, version),
    FOREIGN KEY (tenant_id, resource_id) REFERENCES iot.resource (tenant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE iot.resource_version IS 'Versions of a resource: the file (at most 10 MB) and the versions it can update';
SELECT iot.tenant_table('iot.resource_version');

CREATE TABLE iot.device_resource (
    tenant_id           uuid NOT NULL,
    device_id           text NOT NULL,
    resource_id         text NOT NULL,
    reported_version    text,
    reported_at         timestamptz,
    reported_metadata   jsonb,
    requested_version   text,
    requested_at        timestamptz,
    requested_metadata  jsonb,
    PRIMARY KEY (tenant_id, device_id, resource_id),
    FOREIGN KEY (tenant_id, device_id) REFERENCES iot.device (tenant_id, id) ON DELETE CASCADE ON UPDATE CASCADE
);
COMMENT ON TABLE iot.device_resource IS 'Resource versions a device reported and the version requested for it';
SELECT iot.tenant_table('iot.device_resource');

CREATE TABLE iot.resource_update (
    tenant_id          uuid NOT NULL,
    id                 text NOT NULL DEFAULT iot.short_id(24),
    device_id          text NOT NULL,
    resource_id        text NOT NULL,
    initial_version    text,
    requested_version  text NOT NULL,
    connector          text NOT NULL DEFAULT 'http-updater',
    status             text NOT NULL DEFAULT 'PENDING' CHECK (status IN
                       ('PENDING', 'PREPARING_CONNECTOR', 'PREPARING_ASSET', 'WAITING_TRANSFER_INFO',
                        'TRANSFER_PENDING', 'TRANSFER_IN_PROGRESS', 'TRANSFER_SUCCESS', 'CANCELED', 'ERROR', 'DONE')),
    metadata           jsonb NOT NULL DEFAULT '{}',
    cid                bigint,
    token              text,             -- the download link's secret, while the update is active
    error_code         text,
    error_details      text,
    sent_at            timestamptz,
    progress_at        timestamptz,      -- last step of the device (accepted, downloaded)
    history            jsonb NOT NULL DEFAULT '[]',
    created            timestamptz NOT NULL DEFAULT iot.now(),
    updated            timestamptz NOT NULL DEFAULT iot.now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, device_id) REFERENCES iot.device (tenant_id, id) ON DELETE CASCADE ON UPDATE CASCADE,
    FOREIGN KEY (tenant_id, resource_id) REFERENCES iot.resource (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX resource_update_device ON iot.resource_update (tenant_id, device_id, created);
CREATE UNIQUE INDEX resource_update_token ON iot.resource_update (token) WHERE token IS NOT NULL;
-- at most one active update per device
CREATE UNIQUE INDEX resource_update_one_active ON iot.resource_update (tenant_id, device_id)
    WHERE status NOT IN ('CANCELED', 'ERROR', 'DONE');
COMMENT ON TABLE iot.resource_update IS 'Resource update operations of devices and their states (manual 8.4.4)';
SELECT iot.tenant_table('iot.resource_update');

CREATE FUNCTION iot.resource_json(r iot.resource) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'resourceId', r.id, 'label', r.label, 'description', r.description, 'connector', r.connector,
        'metadata', r.metadata, 'versionAliases', r.version_aliases,
        'creationTs', (extract(epoch FROM r.created) * 1000)::bigint,
        'updateTs', (extract(epoch FROM r.updated) * 1000)::bigint));

-- Create or replace a resource: {"label", "description", "connector",
-- "metadata", "versionAliases"} (aliases: at most 5, to existing versions).
CREATE FUNCTION iot.resource_put(id text, doc jsonb DEFAULT '{}') RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    r iot.resource;
    aliases jsonb := coalesce(doc -> 'versionAliases', '{}');
    missing text;
BEGIN
    IF id IS NULL OR id !~ '^[A-Za-z0-9_.:-]{1,128}$' THEN
        RAISE EXCEPTION 'invalid resource id "%"', id USING ERRCODE = 'invalid_parameter_value',
            DETAIL = '1..128 characters of A-Z a-z 0-9 _ . : -';
    END IF;
    IF jsonb_typeof(aliases) <> 'object' OR EXISTS (SELECT FROM jsonb_each(aliases) e WHERE jsonb_typeof(e.value) <> 'string') THEN
        RAISE EXCEPTION 'versionAliases must map alias names to versions' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF (SELECT count(*) FROM jsonb_object_keys(aliases)) > 5 THEN
        RAISE EXCEPTION 'a resource has at most 5 version aliases' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT e.value #>> '{}' INTO missing FROM jsonb_each(aliases) e
     WHERE NOT EXISTS (SELECT FROM iot.resource_version v WHERE v.tenant_id = t AND v.resource_id = resource_put.id
                          AND v.version = e.value #>> '{}')
     LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'alias to unknown version % of resource %', missing, id USING ERRCODE = 'PI810';
    END IF;
    INSERT INTO iot.resource AS x (tenant_id, id, label, description, connector, metadata, version_aliases)
    VALUES (t, id, doc ->> 'label', doc ->> 'description', coalesce(doc ->> 'connector', 'http-updater'),
            coalesce(doc -> 'metadata', '{}'), aliases)
    ON CONFLICT ON CONSTRAINT resource_pkey DO UPDATE
       SET label = excluded.label, description = excluded.description, connector = excluded.connector,
           metadata = excluded.metadata, version_aliases = excluded.version_aliases, updated = iot.now()
    RETURNING * INTO r;
    RETURN iot.resource_json(r);
END
$$;

CREATE FUNCTION iot.resource_delete(id text) RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM iot.resource r WHERE r.tenant_id = iot.require_tenant() AND r.id = resource_delete.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'resource % not found', id USING ERRCODE = 'PI810';
    END IF;
END
$$;

-- Add a version: {"resourceVersionId", "file" (base64), "checksum"
-- (base64 of the MD5 of the file), "compatibleVersions"}.
CREATE FUNCTION iot.resource_version_add(resource_id text, doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t    uuid := iot.require_tenant();
    f    bytea;
    ver  text := doc ->> 'resourceVersionId';
BEGIN
    IF NOT EXISTS (SELECT FROM iot.resource r WHERE r.tenant_id = t AND r.id = resource_version_add.resource_id) THEN
        RAISE EXCEPTION 'resource % not found', resource_id USING ERRCODE = 'PI810';
    END IF;
    IF ver IS NULL OR ver = '' THEN
        RAISE EXCEPTION 'resourceVersionId is required' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    BEGIN
        f := decode(coalesce(doc ->> 'file', ''), 'base64');
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION 'file must be base64: %', SQLERRM USING ERRCODE = 'invalid_parameter_value';
    END;
    IF length(f) > 10 * 1024 * 1024 THEN
        RAISE EXCEPTION 'a resource file holds at most 10 MB' USING ERRCODE = 'program_limit_exceeded';
    END IF;
    IF doc ? 'checksum' AND doc ->> 'checksum' <> encode(decode(md5(f), 'hex'), 'base64') THEN
        RAISE EXCEPTION 'checksum does not match the file' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('The MD5 of the file is %s (base64).', encode(decode(md5(f), 'hex'), 'base64'));
    END IF;
    INSERT INTO iot.resource_version (tenant_id, resource_id, version, file, compatible_versions)
    VALUES (t, resource_id, ver, f, iot._text_array(doc -> 'compatibleVersions', 'compatibleVersions'));
    RETURN jsonb_build_object('resourceId', resource_id, 'resourceVersionId', ver,
                              'checksum', encode(decode(md5(f), 'hex'), 'base64'), 'size', length(f),
                              'compatibleVersions', coalesce(doc -> 'compatibleVersions', '[]'));
EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'version % of resource % already exists', ver, resource_id USING ERRCODE = 'PI810';
END
$$;

CREATE FUNCTION iot.resource_version_delete(resource_id text, version text) RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM iot.resource_version v
     WHERE v.tenant_id = iot.require_tenant() AND v.resource_id = resource_version_delete.resource_id
       AND v.version = resource_version_delete.version;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'version % of resource % not found', version, resource_id USING ERRCODE = 'PI810';
    END IF;
END
$$;

-- The version an alias or version name stands for; PI810 when neither.
CREATE FUNCTION iot._resource_version_resolve(t uuid, resource_id text, ref text) RETURNS text
    LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v text;
BEGIN
    SELECT coalesce(r.version_aliases ->> ref, ref) INTO v FROM iot.resource r
     WHERE r.tenant_id = t AND r.id = resource_id;
    IF v IS NULL THEN
        RAISE EXCEPTION 'resource % not found', resource_id USING ERRCODE = 'PI810';
    END IF;
    IF NOT EXISTS (SELECT FROM iot.resource_version x WHERE x.tenant_id = t AND x.resource_id = _resource_version_resolve.resource_id
                      AND x.version = v) THEN
        RAISE EXCEPTION 'version % of resource % not found', ref, resource_id USING ERRCODE = 'PI810';
    END IF;
    RETURN v;
END
$$;

-- Compatibility (8.4.2.3): with compatibleVersions, the device must have
-- reported one of them; without, anything goes.
CREATE FUNCTION iot._resource_compatible(t uuid, dev text, resource_id text, version text) RETURNS boolean
    LANGUAGE sql STABLE
AS $$
    SELECT cardinality(v.compatible_versions) = 0
           OR coalesce((SELECT d.reported_version = ANY (v.compatible_versions) FROM iot.device_resource d
                         WHERE d.tenant_id = t AND d.device_id = dev AND d.resource_id = _resource_compatible.resource_id), false)
      FROM iot.resource_version v
     WHERE v.tenant_id = t AND v.resource_id = _resource_compatible.resource_id AND v.version = _resource_compatible.version
$$;

CREATE FUNCTION iot.resource_update_json(u iot.resource_update) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_strip_nulls(jsonb_build_object(
        'id', u.id, 'deviceId', u.device_id, 'resourceId', u.resource_id,
        'created', iot.iso_time(u.created), 'updated', iot.iso_time(u.updated),
        'initialVersion', u.initial_version, 'requestedVersion', u.requested_version,
        'connector', u.connector, 'status', u.status, 'metadata', u.metadata,
        'errorCode', u.error_code, 'errorDetails', u.error_details, 'history', u.history));

CREATE FUNCTION iot._resource_update_set(t uuid, upd_id text, new_status text, err_code text DEFAULT NULL,
                                         err_details text DEFAULT NULL)
    RETURNS iot.resource_update
    LANGUAGE plpgsql
AS $$
DECLARE
    u iot.resource_update;
BEGIN
    UPDATE iot.resource_update x
       SET status = new_status,
           error_code = coalesce(err_code, x.error_code),
           error_details = coalesce(err_details, x.error_details),
           token = CASE WHEN new_status IN ('CANCELED', 'ERROR', 'DONE') THEN NULL ELSE x.token END,
           history = x.history || iot._history_entry(new_status, NULL, err_code),
           updated = iot.now()
     WHERE x.tenant_id = t AND x.id = upd_id
    RETURNING * INTO u;
    PERFORM iot.event_emit('resourceUpdateStatus', 'resources', jsonb_strip_nulls(jsonb_build_object(
        'version', 1, 'id', u.id, 'deviceId', u.device_id, 'resourceId', u.resource_id, 'status', u.status,
        'initialVersion', u.initial_version, 'requestedVersion', u.requested_version,
        'errorCode', u.error_code, 'timestamp', iot.iso_time(iot.now()))), u.device_id, false);
    RETURN u;
END
$$;

-- POST .../resources/{resourceId}/updates {"requestedVersion", "connector",
-- "metadata"}: PI806 when the device is known to be incompatible, PI807
-- when an update is already in progress on the device.
CREATE FUNCTION iot.resource_update_create(device_id text, resource_id text, doc jsonb DEFAULT '{}')
    RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t   uuid := iot.require_tenant();
    ver text;
    u   iot.resource_update;
BEGIN
    PERFORM FROM iot.device d WHERE d.tenant_id = t AND d.id = resource_update_create.device_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'device % not found', device_id USING ERRCODE = 'PI001';
    END IF;
    ver := iot._resource_version_resolve(t, resource_id, doc ->> 'requestedVersion');
    IF NOT iot._resource_compatible(t, device_id, resource_id, ver) THEN
        RAISE EXCEPTION 'device % cannot be updated to version % of %', device_id, ver, resource_id
            USING ERRCODE = 'PI806',
                  DETAIL = 'The version lists compatibleVersions and the device reported none of them.';
    END IF;
    IF EXISTS (SELECT FROM iot.resource_update x WHERE x.tenant_id = t AND x.device_id = resource_update_create.device_id
                  AND x.status NOT IN ('CANCELED', 'ERROR', 'DONE')) THEN
        RAISE EXCEPTION 'an update is already in progress on device %', device_id USING ERRCODE = 'PI807';
    END IF;
    INSERT INTO iot.resource_update (tenant_id, device_id, resource_id, initial_version, requested_version, connector,
                                     metadata, history)
    VALUES (t, device_id, resource_id,
            (SELECT d.reported_version FROM iot.device_resource d WHERE d.tenant_id = t
                AND d.device_id = resource_update_create.device_id AND d.resource_id = resource_update_create.resource_id),
            ver,
            coalesce(doc ->> 'connector', (SELECT r.connector FROM iot.resource r WHERE r.tenant_id = t
                                              AND r.id = resource_update_create.resource_id), 'http-updater'),
            coalesce(doc -> 'metadata', '{}'), iot._history_entry('PENDING'))
    RETURNING * INTO u;
    PERFORM iot.device_dispatch(ARRAY[device_id]);
    SELECT * INTO u FROM iot.resource_update x WHERE x.tenant_id = t AND x.id = u.id;
    RETURN iot.resource_update_json(u);
END
$$;

CREATE FUNCTION iot.resource_updates(device_id text) RETURNS SETOF jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT iot.resource_update_json(u) FROM iot.resource_update u
     WHERE u.tenant_id = (SELECT iot.current_tenant()) AND u.device_id = resource_updates.device_id
     ORDER BY u.created DESC, u.id
$$;

-- Cancel the active update of a resource on a device.  Soft (force false):
-- only from PENDING or PREPARING_CONNECTOR; hard: from any active state.
-- PI810 no active update, PI808 refused.  The download link is revoked.
CREATE FUNCTION iot.resource_update_cancel(device_id text, resource_id text, force boolean DEFAULT false)
    RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    u iot.resource_update;
BEGIN
    SELECT * INTO u FROM iot.resource_update x
     WHERE x.tenant_id = t AND x.device_id = resource_update_cancel.device_id AND x.resource_id = resource_update_cancel.resource_id
       AND x.status NOT IN ('CANCELED', 'ERROR', 'DONE')
     FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no active update of % on device %', resource_id, device_id USING ERRCODE = 'PI810';
    END IF;
    IF NOT force AND u.status NOT IN ('PENDING', 'PREPARING_CONNECTOR') THEN
        RAISE EXCEPTION 'a soft cancel is refused in state %', u.status USING ERRCODE = 'PI808',
            HINT = 'Cancel with force to stop an update in progress.';
    END IF;
    u := iot._resource_update_set(t, u.id, 'CANCELED');
    RETURN iot.resource_update_json(u);
END
$$;

-- GET .../resources: {resourceId: {reported, requested, metadata}}.
CREATE FUNCTION iot.device_resources(device_id text) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT coalesce(jsonb_object_agg(d.resource_id, jsonb_strip_nulls(jsonb_build_object(
               'reported', CASE WHEN d.reported_version IS NOT NULL THEN jsonb_build_object(
                   'version', d.reported_version, 'timestamp', iot.iso_time(d.reported_at)) END,
               'requested', CASE WHEN d.requested_version IS NOT NULL THEN jsonb_build_object(
                   'version', d.requested_version, 'timestamp', iot.iso_time(d.requested_at)) END,
               'metadata', d.reported_metadata)) ORDER BY d.resource_id), '{}')
      FROM iot.device_resource d
     WHERE d.tenant_id = (SELECT iot.current_tenant()) AND d.device_id = device_resources.device_id
$$;

-- POST .../resources/{resourceId} {"version" (or alias), "metadata"}: set
-- the requested version; an update is created as soon as none is active.
CREATE FUNCTION iot.device_resource_request(device_id text, resource_id text, doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t   uuid := iot.require_tenant();
    ver text;
BEGIN
    PERFORM FROM iot.device d WHERE d.tenant_id = t AND d.id = device_resource_request.device_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'device % not found', device_id USING ERRCODE = 'PI001';
    END IF;
    ver := iot._resource_version_resolve(t, resource_id, doc ->> 'version');
    IF NOT iot._resource_compatible(t, device_id, resource_id, ver) THEN
        RAISE EXCEPTION 'device % cannot be updated to version % of %', device_id, ver, resource_id USING ERRCODE = 'PI806';
    END IF;
    INSERT INTO iot.device_resource AS x (tenant_id, device_id, resource_id, requested_version, requested_at, requested_metadata)
    VALUES (t, device_id, resource_id, ver, iot.now(), doc -> 'metadata')
    ON CONFLICT ON CONSTRAINT device_resource_pkey DO UPDATE
       SET requested_version = excluded.requested_version, requested_at = excluded.requested_at,
           requested_metadata = excluded.requested_metadata;
    PERFORM iot._resource_request_updates(t, device_id);
    PERFORM iot.device_dispatch(ARRAY[device_id]);
    RETURN iot.device_resources(device_id) -> resource_id;
END
$$;

-- DELETE .../resources/{resourceId}/requested: clear the request; an
-- active update is soft-canceled when it still can be.
CREATE FUNCTION iot.device_resource_reset(device_id text, resource_id text) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    t uuid := iot.require_tenant();
    u iot.resource_update;
BEGIN
    SELECT * INTO u FROM iot.resource_update x
     WHERE x.tenant_id = t AND x.device_id = device_resource_reset.device_id AND x.resource_id = device_resource_reset.resource_id
       AND x.status NOT IN ('CANCELED', 'ERROR', 'DONE')
     FOR UPDATE;
    IF NOT FOUND THEN
        UPDATE iot.device_resource x SET requested_version = NULL, requested_at = NULL, requested_metadata = NULL
         WHERE x.tenant_id = t AND x.device_id = device_resource_reset.device_id AND x.resource_id = device_resource_reset.resource_id;
    ELSIF u.status IN ('PENDING', 'PREPARING_CONNECTOR') THEN
        PERFORM iot._resource_update_set(t, u.id, 'CANCELED');
        UPDATE iot.device_resource x SET requested_version = NULL, requested_at = NULL, requested_metadata = NULL
         WHERE x.tenant_id = t AND x.device_id = device_resource_reset.device_id AND x.resource_id = device_resource_reset.resource_id;
    END IF;
    RETURN coalesce(iot.device_resources(device_id) -> resource_id, '{}');
END
$$;

-- Create updates for requested versions the device does not run yet.
CREATE FUNCTION iot._resource_request_updates(t uuid, dev text) RETURNS int
    LANGUAGE plpgsql
AS $$
DECLARE
    d iot.device_resource;
BEGIN
    IF EXISTS (SELECT FROM iot.resource_update x WHERE x.tenant_id = t AND x.device_id = dev
                  AND x.status NOT IN ('CANCELED', 'ERROR', 'DONE')) THEN
        RETURN 0;
    END IF;
    SELECT * INTO d FROM iot.device_resource x
     WHERE x.tenant_id = t AND x.device_id = dev AND x.requested_version IS NOT NULL
       AND x.reported_version IS DISTINCT FROM x.requested_version
       AND iot._resource_compatible(t, dev, x.resource_id, x.requested_version)
       AND NOT EXISTS (SELECT FROM iot.resource_update u WHERE u.tenant_id = t AND u.device_id = dev
                          AND u.resource_id = x.resource_id AND u.requested_version = x.requested_version
                          AND u.status = 'ERROR' AND u.created >= x.requested_at)
     ORDER BY x.requested_at LIMIT 1;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    INSERT INTO iot.resource_update (tenant_id, device_id, resource_id, initial_version, requested_version, connector,
                                     metadata, history)
    VALUES (t, dev, d.resource_id, d.reported_version, d.requested_version,
            coalesce((SELECT r.connector FROM iot.resource r WHERE r.tenant_id = t AND r.id = d.resource_id), 'http-updater'),
            coalesce(d.requested_metadata, '{}'), iot._history_entry('PENDING'));
    RETURN 1;
END
$$;

-- The download link of an update (tenant setting resourceBaseUrl).
CREATE FUNCTION iot._resource_uri(t uuid, token text) RETURNS text
    LANGUAGE sql STABLE
AS $$
    SELECT coalesce(x.settings ->> 'resourceBaseUrl', 'https://localhost/api/v0/rm/download/') || token
      FROM iot.tenant x WHERE x.id = t
$$;

-- Send a PENDING update when the device announces the resource capability.
CREATE FUNCTION iot._resource_dispatch(t uuid, dev text) RETURNS int
    LANGUAGE plpgsql
AS $$
DECLARE
    u      iot.resource_update;
    target record;
    conn   text;
    f      bytea;
BEGIN
    PERFORM iot._resource_request_updates(t, dev);
    SELECT * INTO u FROM iot.resource_update x
     WHERE x.tenant_id = t AND x.device_id = dev AND x.status = 'PENDING' FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    FOREACH conn IN ARRAY ARRAY['mqtt', 'x-connector'] LOOP
        SELECT * INTO target FROM iot._downlink_target(t, dev, conn, 'resource');
        EXIT WHEN target.node_id IS NOT NULL;
    END LOOP;
    IF target.node_id IS NULL OR NOT iot._resource_compatible(t, dev, u.resource_id, u.requested_version) THEN
        RETURN 0;
    END IF;
    SELECT v.file INTO f FROM iot.resource_version v
     WHERE v.tenant_id = t AND v.resource_id = u.resource_id AND v.version = u.requested_version;
    UPDATE iot.resource_update x
       SET cid = nextval('iot.downlink_cid_seq'), token = coalesce(x.token, iot.random_hex(24)),
           sent_at = iot.now(), progress_at = NULL,
           initial_version = coalesce((SELECT d.reported_version FROM iot.device_resource d WHERE d.tenant_id = t
                                          AND d.device_id = dev AND d.resource_id = x.resource_id), x.initial_version),
           history = x.history || iot._history_entry('PREPARING_CONNECTOR') || iot._history_entry('PREPARING_ASSET')
     WHERE x.tenant_id = t AND x.id = u.id
    RETURNING * INTO u;
    IF conn = 'mqtt' THEN
        PERFORM iot._mqtt_send('dev/rsc/upd', 'device', target.node_id, jsonb_build_object(
            'id', u.resource_id, 'old', u.initial_version, 'new', u.requested_version,
            'm', jsonb_build_object('uri', iot._resource_uri(t, u.token), 'md5', md5(f), 'size', length(f)),
            'cid', u.cid), dev);
        PERFORM iot._resource_update_set(t, u.id, 'WAITING_TRANSFER_INFO');
    ELSE
        PERFORM iot._mqtt_send('connector/v1/requests/resource', 'connector', '*', jsonb_build_object(
            'nodeId', target.node_id, 'resourceId', u.resource_id, 'updateCorrelationId', u.id,
            'sourceVersion', u.initial_version, 'targetVersion', u.requested_version,
            'delivery', jsonb_build_object('type', 'HTTP_DELIVERY', 'uri', iot._resource_uri(t, u.token),
                                           'md5', md5(f), 'size', length(f))), dev);
        UPDATE iot.resource_update x SET progress_at = iot.now() WHERE x.tenant_id = t AND x.id = u.id;
        PERFORM iot._resource_update_set(t, u.id, 'TRANSFER_PENDING');
    END IF;
    RETURN 1;
END
$$;

-- The download link: the file of an active update, by its token (the
-- link's only credential, so it crosses tenants).  Marks the transfer.
CREATE FUNCTION iot.resource_download(token text) RETURNS bytea
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    u iot.resource_update;
    f bytea;
BEGIN
    SELECT * INTO u FROM iot.resource_update x WHERE x.token = resource_download.token FOR UPDATE;
    IF NOT FOUND OR token IS NULL THEN
        RAISE EXCEPTION 'unknown or revoked download link' USING ERRCODE = 'PI810';
    END IF;
    PERFORM set_config('iot.tenant', u.tenant_id::text, true);
    SELECT v.file INTO f FROM iot.resource_version v
     WHERE v.tenant_id = u.tenant_id AND v.resource_id = u.resource_id AND v.version = u.requested_version;
    IF u.status IN ('WAITING_TRANSFER_INFO', 'TRANSFER_PENDING') THEN
        PERFORM iot._resource_update_set(u.tenant_id, u.id, 'TRANSFER_IN_PROGRESS');
        PERFORM iot._resource_update_set(u.tenant_id, u.id, 'TRANSFER_SUCCESS');
        UPDATE iot.resource_update x SET progress_at = iot.now() WHERE x.tenant_id = u.tenant_id AND x.id = u.id;
    END IF;
    RETURN f;
END
$$;
REVOKE EXECUTE ON FUNCTION iot.resource_download(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION iot.resource_download(text) TO pgiot_service;

-- A device reports resource versions: {resourceId: {"version", "metadata"}}.
CREATE FUNCTION iot._resource_reported(t uuid, dev text, rsc jsonb) RETURNS int
    LANGUAGE plpgsql
AS $$
DECLARE
    r  record;
    u  iot.resource_update;
    n  int := 0;
BEGIN
    IF jsonb_typeof(rsc) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'the reported resources must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR r IN SELECT e.key, e.value FROM jsonb_each(rsc) e ORDER BY e.key LOOP
        IF jsonb_typeof(r.value -> 'version') IS DISTINCT FROM 'string' THEN
            RAISE EXCEPTION 'resource "%": version must be a string', r.key USING ERRCODE = 'invalid_parameter_value';
        END IF;
        INSERT INTO iot.device_resource AS x (tenant_id, device_id, resource_id, reported_version, reported_at, reported_metadata)
        VALUES (t, dev, r.key, r.value ->> 'version', iot.now(), r.value -> 'metadata')
        ON CONFLICT ON CONSTRAINT device_resource_pkey DO UPDATE
           SET reported_version = excluded.reported_version, reported_at = excluded.reported_at,
               reported_metadata = coalesce(excluded.reported_metadata, x.reported_metadata);
        SELECT * INTO u FROM iot.resource_update x
         WHERE x.tenant_id = t AND x.device_id = dev AND x.resource_id = r.key
           AND x.status NOT IN ('CANCELED', 'ERROR', 'DONE', 'PENDING') FOR UPDATE;
        IF FOUND THEN
            IF r.value ->> 'version' = u.requested_version THEN
                PERFORM iot._resource_update_set(t, u.id, 'DONE');
            ELSIF u.status = 'TRANSFER_SUCCESS' AND r.value ->> 'version' IS DISTINCT FROM u.initial_version THEN
                PERFORM iot._resource_update_set(t, u.id, 'ERROR', 'WRONG_VERSION',
                    format('the device reports %s instead of %s', r.value ->> 'version', u.requested_version));
            END IF;
        END IF;
        n := n + 1;
    END LOOP;
    PERFORM iot._resource_dispatch(t, dev);
    RETURN n;
END
$$;

-- dev/rsc/upd/res {"res", "cid"}: OK accepts, anything else refuses.
CREATE FUNCTION iot._resource_answered(t uuid, dev text, upd_cid bigint, res text) RETURNS boolean
    LANGUAGE plpgsql
AS $$
DECLARE
    u iot.resource_update;
BEGIN
    SELECT * INTO u FROM iot.resource_update x
     WHERE x.tenant_id = t AND x.device_id = dev AND x.cid = upd_cid AND x.status = 'WAITING_TRANSFER_INFO' FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF res = 'OK' THEN
        UPDATE iot.resource_update x SET progress_at = iot.now() WHERE x.tenant_id = t AND x.id = u.id;
        PERFORM iot._resource_update_set(t, u.id, 'TRANSFER_PENDING');
    ELSE
        PERFORM iot._resource_update_set(t, u.id, 'ERROR', left(coalesce(res, 'INVALID_RESPONSE'), 256));
        PERFORM iot._resource_dispatch(t, dev);
    END IF;
    RETURN true;
END
$$;

-- A device-side failure (dev/rsc/upd/err, connector/v1/responses/resource):
-- the active update ends in ERROR; each text is cut to 256 characters.
CREATE FUNCTION iot._resource_failed(t uuid, dev text, upd_id text, code text, details text) RETURNS boolean
    LANGUAGE plpgsql
AS $$
DECLARE
    u iot.resource_update;
BEGIN
    SELECT * INTO u FROM iot.resource_update x
     WHERE x.tenant_id = t AND x.device_id = dev AND (upd_id IS NULL OR x.id = upd_id)
       AND x.status NOT IN ('CANCELED', 'ERROR', 'DONE', 'PENDING') FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM iot._resource_update_set(t, u.id, 'ERROR', left(coalesce(code, 'DEVICE_ERROR'), 256), left(details, 256));
    RETURN true;
END
$$;

-- Timeouts of updates (of one tenant, or of all).
CREATE FUNCTION iot._resource_timeouts(only_tenant uuid DEFAULT NULL) RETURNS jsonb
    LANGUAGE plpgsql
AS $$
DECLARE
    u        iot.resource_update;
    requeued int := 0;
    failed   int := 0;
BEGIN
    FOR u IN SELECT * FROM iot.resource_update x
              WHERE x.status NOT IN ('CANCELED', 'ERROR', 'DONE')
                AND (only_tenant IS NULL OR x.tenant_id = only_tenant)
                AND (x.created <= iot.now() - interval '24 hours'
                     OR (x.status = 'WAITING_TRANSFER_INFO' AND x.sent_at <= iot.now() - interval '5 minutes')
                     OR (x.status IN ('TRANSFER_PENDING', 'TRANSFER_IN_PROGRESS', 'TRANSFER_SUCCESS')
                         AND x.progress_at <= iot.now() - interval '5 minutes'))
              FOR UPDATE SKIP LOCKED LOOP
        PERFORM set_config('iot.tenant', u.tenant_id::text, true);
        IF u.created <= iot.now() - interval '24 hours' OR u.status <> 'WAITING_TRANSFER_INFO' THEN
            PERFORM iot._resource_update_set(u.tenant_id, u.id, 'ERROR', 'TIMEOUT');
            failed := failed + 1;
        ELSE
            PERFORM iot._resource_update_set(u.tenant_id, u.id, 'PENDING');
            requeued := requeued + 1;
        END IF;
    END LOOP;
    RETURN jsonb_build_object('updatesRequeued', requeued, 'updatesFailed', failed);
END
$$;
REVOKE EXECUTE ON FUNCTION iot._resource_timeouts(uuid) FROM PUBLIC;
