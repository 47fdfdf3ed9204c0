-- Ingest: one message or a batch, validated, enriched and stored.

CREATE TYPE iot.ingest_result AS (
    ord         int,      -- 1-based position in the batch
    id          bigint,   -- iot.message id when stored
    device_id   text,     -- the device the message was attributed to
    error_code  text,     -- SQLSTATE when rejected
    error       text      -- reason when rejected
);

-- Store one data message; raises on bad input (22P02 bad device id, 22023
-- bad field, 22007 bad timestamp, PI001 unknown device, ...).
--   message    the Live Objects data message (streamId, timestamp, model,
--              value, tags, location, extra, metadata)
--   device_id  the device it comes from (else metadata.source, else the
--              interface (connector, node_id))
--   connector  mqtt, x-connector, lora, sms, lwm2m, enocean, coap or http
--   node_id    the interface node id (MQTT clientId, x-connector nodeId)
--   raw        the payload as received, kept with the message
--   received   when the bridge received it (timestamp defaults to it)
--   network    merged into metadata.network
CREATE FUNCTION iot.ingest(message jsonb, device_id text DEFAULT NULL, connector text DEFAULT NULL,
                           node_id text DEFAULT NULL, raw bytea DEFAULT NULL,
                           received timestamptz DEFAULT NULL, network jsonb DEFAULT NULL)
    RETURNS bigint
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'pgiot_ingest';

-- Store a JSON array of items, each {"message": {...}, "deviceId",
-- "connector", "nodeId", "raw" (hex), "received", "network"}, in one pass:
-- one lookup of the devices, one insert of the messages, one update of
-- the devices.  A bad item is rejected alone (its reason is returned and
-- written to iot.audit_log); the others are stored.
CREATE FUNCTION iot.ingest_batch(items jsonb)
    RETURNS SETOF iot.ingest_result
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'pgiot_ingest_batch';
