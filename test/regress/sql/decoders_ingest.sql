-- Decoding on ingest (manual 11.3.2.2, 11.3.3.3, 11.3.4 location, 6.5.5.2;
-- digest T13, T14, T16): decoded fields added next to value.payload,
-- templates, model override, decoded location, failures stored undecoded.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET pgiot.now = '2026-01-15 10:00:00+00';
SELECT tenant_id AS t FROM iot.tenant_create('decoders-ingest') \gset
SELECT iot.use_tenant('decoders-ingest') IS NOT NULL;

-- T13: an MQTT device publishing binary for decoder my_encoding_v0
SELECT iot.decoder_create('binary', '{"encoding":"my_encoding_v0","format":"float sent_value;","enabled":true,
                                       "model":"my_encoding_model_v0"}') ->> 'encoding';
SELECT iot.device_create('{"id": "urn:lo:nsid:mqtt:123456",
    "interfaces": [{"connector": "mqtt", "definition": {"clientId": "urn:lo:nsid:mqtt:123456"}}]}') IS NOT NULL;
SELECT stream_id, model, value, metadata -> 'encoding' AS encoding
  FROM test.msg(iot.ingest('{"value": {"payload": "41200000"}, "metadata": {"encoding": "my_encoding_v0"}}',
                           connector => 'mqtt', node_id => 'urn:lo:nsid:mqtt:123456', raw => '\x41200000')) m;
-- the raw bytes are decoded when the message has no value.payload
SELECT value FROM test.msg(iot.ingest('{"metadata": {"encoding": "my_encoding_v0"}}',
                           connector => 'mqtt', node_id => 'urn:lo:nsid:mqtt:123456', raw => '\x3fc00000')) m;

-- the interface's definition.encoding applies to every message of the device
SELECT iot.decoder_binary_create('lora_tracker', 'ubyte kind; int lat; int lon; short temp;',
    template => '{"kind": {{kind}}, "location": {"lat": "{{lat}} / 1000000", "lon": "{{lon}} / 1000000"},
                  "temperature": {"unit": "°C", "currentTemperature": {"values": ["{{temp}} / 100"]}}}') ->> 'encoding';
SELECT iot.device_create('{"id": "urn:lo:nsid:lora:0004A30B001FE084",
    "interfaces": [{"connector": "lora", "definition": {"devEUI": "0004A30B001FE084", "encoding": "lora_tracker"}}]}') IS NOT NULL;
-- a payload that is not hexadecimal is stored undecoded: the network's location stays
SELECT jsonb_pretty(iot.message_json(m) - 'id' - 'created' - 'extra' #- '{metadata,group}')
  FROM test.msg(iot.ingest('{"model": "model_yyyy", "timestamp": "2019-04-05T14:37:08.489Z",
      "value": {"payload": "01 02e80d08 ffcb1124 0810", "port": 2}, "metadata": {"encoding": "ignored"}}',
      connector => 'lora', node_id => '0004A30B001FE084',
      network => '{"lora": {"location": {"provider": "lora", "alt": 0, "accuracy": 7500, "lon": -3.469017, "lat": 48.762119}}}')) m;
-- T14: the decoded location replaces the network's (provider "device"); the
-- interface's encoding wins over the message's (enrichment, Table 5)
SELECT jsonb_pretty(iot.message_json(m) - 'id' - 'created' - 'extra' #- '{metadata,group}')
  FROM test.msg(iot.ingest('{"model": "model_yyyy", "timestamp": "2019-04-05T14:37:08.489Z",
      "value": {"payload": "0102e80d08ffcb11240810", "port": 2}, "metadata": {"encoding": "ignored"}}',
      connector => 'lora', node_id => '0004A30B001FE084',
      network => '{"lora": {"location": {"provider": "lora", "alt": 0, "accuracy": 7500, "lon": -3.469017, "lat": 48.762119}}}')) m;

-- T16: a CSV decoder without model keeps the message's model
SELECT iot.decoder_csv_create('my csv encoding',
    '[{"name":"unit","jsonType":"STRING"}, {"name":"temperature","jsonType":"NUMERIC"}, {"name":"normal","jsonType":"BOOLEAN"}]') ->> 'kind';
SELECT jsonb_pretty(iot.message_json(m) - 'id' - 'created' - 'tags' - 'extra' - 'location')
  FROM test.msg(iot.ingest('{"value": {"payload":"celsius,25,true"}, "model": "temperature_v0",
      "metadata" : {"encoding" : "my csv encoding"}, "streamId": "stream0", "timestamp": "2016-12-21T15:49:17.693Z"}')) m;

-- a message with another encoding, or none, is stored as it is
SELECT value, model FROM test.msg(iot.ingest('{"value": {"payload": "00"}, "metadata": {"encoding": "nobody"}, "streamId": "s"}')) m;
SELECT value FROM test.msg(iot.ingest('{"value": {"payload": "00"}, "streamId": "s"}')) m;
-- a disabled decoder decodes nothing
SELECT iot.decoder_enable('my csv encoding', false) ->> 'enabled';
SELECT value FROM test.msg(iot.ingest('{"value": {"payload":"celsius,25,true"}, "metadata": {"encoding": "my csv encoding"}, "streamId": "s"}')) m;
SELECT iot.decoder_enable('my csv encoding') ->> 'enabled';

-- a changed decoder is recompiled: the cache compares the row's version
SELECT iot.decoder_binary_create('versioned', 'ubyte a;') ->> 'format';
SELECT value FROM test.msg(iot.ingest('{"value": {"payload": "0102"}, "metadata": {"encoding": "versioned"}, "streamId": "s"}')) m;
SELECT (iot.decoder_cache_stats() ->> 'compiles')::int AS compiles_before \gset
SELECT value FROM test.msg(iot.ingest('{"value": {"payload": "0304"}, "metadata": {"encoding": "versioned"}, "streamId": "s"}')) m;
SELECT (iot.decoder_cache_stats() ->> 'compiles')::int - :compiles_before AS compiled_again_unchanged;
SELECT iot.decoder_update('versioned', '{"format": "ubyte a; ubyte b;"}') ->> 'format';
SELECT value FROM test.msg(iot.ingest('{"value": {"payload": "0506"}, "metadata": {"encoding": "versioned"}, "streamId": "s"}')) m;
SELECT (iot.decoder_cache_stats() ->> 'compiles')::int - :compiles_before AS compiled_again_changed;
-- deleted and created again under the same name: a new version, not the stale program
SELECT iot.decoder_delete('versioned');
SELECT iot.decoder_binary_create('versioned', 'ushort ab;') ->> 'format';
SELECT value FROM test.msg(iot.ingest('{"value": {"payload": "0708"}, "metadata": {"encoding": "versioned"}, "streamId": "s"}')) m;

-- a batch: the decoders it needs are read once; a payload that cannot be
-- decoded is stored undecoded with the error in its metadata and an audit
-- entry, and the batch goes on
SELECT ord, id IS NOT NULL AS stored, error_code FROM iot.ingest_batch('[
  {"message": {"value": {"payload": "41200000"}, "metadata": {"encoding": "my_encoding_v0"}, "streamId": "b"}},
  {"message": {"value": {"payload": "4120"}, "metadata": {"encoding": "my_encoding_v0"}, "streamId": "b"}},
  {"message": {"value": {"payload": "celsius,warm,true"}, "metadata": {"encoding": "my csv encoding"}, "streamId": "b"}},
  {"message": {"value": {"payload": "not hex"}, "metadata": {"encoding": "my_encoding_v0"}, "streamId": "b"}},
  {"message": {"value": {"other": 1}, "metadata": {"encoding": "my_encoding_v0"}, "streamId": "b"}},
  {"message": {"value": {"payload": "kelvin,300,false"}, "metadata": {"encoding": "my csv encoding"}, "streamId": "b"}},
  {"message": {"value": {"payload": "41200000"}, "metadata": {"encoding": "my_encoding_v0"}}}
]') ORDER BY ord;
SELECT model, value, metadata #> '{transformation,decoder}' AS decoder
  FROM iot.message WHERE stream_id = 'b' ORDER BY id;
SELECT component, code, message, details FROM iot.audit_log WHERE tenant_id = :'t' ORDER BY id;
-- a template that fails on a payload is a decoding failure too
SELECT iot.decoder_binary_create('bad template', 'ubyte a;', template => '{"a": {{missing}}}') ->> 'encoding';
SELECT value, metadata #> '{transformation,decoder}' AS decoder
  FROM test.msg(iot.ingest('{"value": {"payload": "01"}, "metadata": {"encoding": "bad template"}, "streamId": "s"}')) m;
-- a decoded field named payload never replaces the raw payload
SELECT iot.decoder_binary_create('payload field', 'ubyte payload; ubyte other;') ->> 'encoding';
SELECT value FROM test.msg(iot.ingest('{"value": {"payload": "0102"}, "metadata": {"encoding": "payload field"}, "streamId": "s"}')) m;
