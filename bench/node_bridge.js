// A straightforward Node.js MQTT bridge, the baseline of bench/mqtt.sh:
// npm packages mqtt and pg, subscribe to what the broker plugin stamps,
// insert in batches (multi-row INSERT, size 1000 or every 50 ms).
'use strict';
const mqtt = require('mqtt');
const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.PG_URL, max: 2 });
const client = mqtt.connect(`mqtt://127.0.0.1:${process.env.MQTT_PORT}`, {
  clientId: 'node-bridge', username: 'pgiot-service', password: process.env.SERVICE_PASSWORD,
  clean: false, protocolVersion: 4,  // a persistent session, like pgiot-mqtt's
});
let held = [];
let flushing = false;
let stored = 0;

async function flush() {
  if (flushing || held.length === 0) return;
  flushing = true;
  const rows = held.splice(0, 1000);
  const values = [];
  const params = [];
  rows.forEach((r, i) => {
    const b = i * 6;
    values.push(`($${b + 1}::uuid, $${b + 2}, $${b + 3}, coalesce($${b + 4}::timestamptz, now()), $${b + 5}::jsonb, $${b + 6}::jsonb)`);
    params.push(r.tenant, r.device, r.stream, r.ts, JSON.stringify(r.value),
                JSON.stringify({ source: r.device, connector: 'mqtt', network: { mqtt: { clientId: r.client } } }));
  });
  try {
    await pool.query(`INSERT INTO iot.message (tenant_id, device_id, stream_id, ts, value, metadata) VALUES ${values.join(',')}`, params);
    stored += rows.length;
  } catch (e) {
    console.error('insert failed:', e.message);
    held = rows.concat(held);
  }
  flushing = false;
  if (held.length >= 1000) flush();
}

client.on('connect', () => client.subscribe('pgiot/up/#', { qos: 1 }));
client.on('message', (topic, payload) => {
  // pgiot/up/<tenant>/<mode>/<key>/<clientId>/<topic>
  const parts = topic.split('/');
  const cid = parts[5];
  let msg;
  try { msg = JSON.parse(payload.toString()); } catch (e) { return; }
  const device = cid.startsWith('urn:lo:nsid:') ? cid : `urn:lo:nsid:mqtt:${cid}`;
  held.push({ tenant: parts[2], client: cid, device, stream: msg.streamId || device, ts: msg.timestamp || null, value: msg.value || {} });
  if (held.length >= 1000) flush();
});
setInterval(flush, 50);
process.on('SIGTERM', async () => { await flush(); console.error(`stored ${stored}`); process.exit(0); });
