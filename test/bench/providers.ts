/**
 * Provider sources (issue 17): webhook ingest rate at the relay (TTS uplinks/s over real HTTP from
 * an undici pool) and pull throughput (records/s) against the Tago and HTTP/CSV simulators. The
 * relay runs in this process on SQLite (synchronous full) in a temp dir. Prints figures; asserts
 * nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { Pool } from 'undici';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import { newGatewaySecretCiphertext } from '../../cloud/ingest/gateway-secrets.ts';
import { Relay } from '../../cloud/main.ts';
import { sourceGateway } from '../../cloud/providers/config.ts';
import { newRelayKey, parseRelayKey } from '../../cloud/secrets.ts';
import { createRelayDatabase } from '../../cloud/store/index.ts';
import { systemClock } from '../../protocols/clock.ts';
import { HttpEndpoint } from '../../simulators/providers/http-endpoint.ts';
import { TagoApi } from '../../simulators/providers/tago-api.ts';
import { ttsUplink } from '../../simulators/providers/tts-uplink.ts';
import { fmt, machineLine, out } from './common.ts';

const UPLINKS = 4000;
const CONCURRENCY = 32;
const TAGO_POINTS = 20_000; // × 3 variables
const CSV_ROWS = 20_000; // × 3 fields
const SECRET = 'bench-webhook-secret';
const TOKEN = 'bench-token';
const FIELDS = { flow: { channel: 'flow', unit: 'L/s' }, totalizer: { channel: 'totalizer', unit: 'm3' }, level: { channel: 'level', unit: 'm' } };

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-bench-providers-'));
const logger = pino({ level: 'warn' });
const now = systemClock.now();
const frozen = { now: () => now, monotonic: () => 0 };
const tago = new TagoApi({ tokens: [TOKEN], clock: frozen, periodMs: 1000, t0: now - (TAGO_POINTS - 1) * 1000 });
const csv = new HttpEndpoint({ token: TOKEN, clock: frozen, periodMs: 1000, t0: now - (CSV_ROWS - 1) * 1000, maxRows: CSV_ROWS });
await tago.start();
await csv.start();
const key = newRelayKey();
const config = parseRelayConfig({
  listen: { host: '127.0.0.1', port: 0 },
  storage: { kind: 'sqlite', path: path.join(dir, 'relay.db') },
  sources: [
    { id: 'ttn', kind: 'tts', devices: [{ match: 'dev-0', device: 'pozo', fields: FIELDS }] },
    {
      id: 'tago',
      kind: 'tago',
      url: tago.url,
      device: 'pozo-tago',
      pageSize: 1000,
      variables: { caudal: FIELDS.flow, totalizador: FIELDS.totalizer, nivel: FIELDS.level },
    },
    {
      id: 'csv',
      kind: 'http',
      url: `${csv.url}/readings.csv`,
      format: 'csv',
      authHeader: 'Authorization',
      device: 'col:equipo',
      time: 'fecha',
      timeFormat: 'local',
      idField: 'id',
      fields: { caudal: FIELDS.flow, totalizador: FIELDS.totalizer, nivel: FIELDS.level },
    },
  ],
});
const db = createRelayDatabase(config.storage, logger);
await db.start();
for (const [id, kind] of [
  ['ttn', 'tts'],
  ['tago', 'tago'],
  ['csv', 'http'],
] as const)
  await db.sources.addSource({
    id,
    kind,
    org: 'default',
    gatewaySecretCiphertext: newGatewaySecretCiphertext(sourceGateway(id), parseRelayKey(key, 'bench')),
    now,
  });
await db.stop();
const relay = new Relay(config, {
  logger,
  env: { ATALAYA_RELAY_KEY: key, ATALAYA_SOURCE_TTN_SECRET: SECRET, ATALAYA_SOURCE_TAGO_SECRET: TOKEN, ATALAYA_SOURCE_CSV_SECRET: `Bearer ${TOKEN}` },
  sourcesSchedule: false,
  dgaSchedule: false,
  anchorSchedule: false,
});
await relay.start();

out(machineLine());
try {
  // Webhook: distinct uplinks (f_cnt 1..N), CONCURRENCY in flight over a keep-alive pool.
  const pool = new Pool(`http://127.0.0.1:${relay.address.port}`, { connections: CONCURRENCY });
  const device = { deviceId: 'dev-0', devEui: '70B3D57ED0055A01', applicationId: 'bench' };
  const bodies = Array.from({ length: UPLINKS }, (_, i) =>
    JSON.stringify(
      ttsUplink({ device, fCnt: i + 1, at: now - (UPLINKS - i) * 1000, reading: { flow: 12.5, totalizer: 1000 + i, level: 27.3 }, gateways: ['gw-a', 'gw-b'] }),
    ),
  );
  const post = async (body: string): Promise<void> => {
    const res = await pool.request({
      path: '/v1/sources/ttn/tts',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-atalaya-webhook-secret': SECRET },
      body,
    });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`webhook answered ${res.statusCode}`);
  };
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++] as string;
        const s = performance.now();
        await post(body);
        latencies.push(performance.now() - s);
      }
    }),
  );
  const webhookS = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const stored = (await relay.store.getGateway('src-ttn'))?.records ?? 0;
  out(
    `TTS webhook: ${fmt(UPLINKS)} uplinks (3 fields each, ${CONCURRENCY} in flight) in ${fmt(webhookS, 2)} s = ${fmt(UPLINKS / webhookS)} uplinks/s, ${fmt(stored / webhookS)} records/s; latency p50 ${fmt(latencies[Math.floor(latencies.length / 2)] ?? 0, 1)} ms, p99 ${fmt(latencies[Math.floor(latencies.length * 0.99)] ?? 0, 1)} ms; ${fmt(stored)} records stored`,
  );
  // Redelivery: the same uplinks again, each absorbed by its message id.
  const t1 = performance.now();
  next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < 1000) await post(bodies[next++] as string);
    }),
  );
  out(
    `TTS webhook redeliveries: 1,000 in ${fmt((performance.now() - t1) / 1000, 2)} s = ${fmt(1000 / ((performance.now() - t1) / 1000))} uplinks/s, records still ${fmt((await relay.store.getGateway('src-ttn'))?.records ?? 0)}`,
  );
  await pool.close();

  const t2 = performance.now();
  const pulled = await relay.sources.puller('tago')!.pullNow();
  const tagoS = (performance.now() - t2) / 1000;
  out(`Tago pull: ${fmt(pulled.records)} records in ${fmt(pulled.pages)} pages of 1,000 in ${fmt(tagoS, 2)} s = ${fmt(pulled.records / tagoS)} records/s`);

  const t3 = performance.now();
  const rows = await relay.sources.puller('csv')!.pullNow();
  const csvS = (performance.now() - t3) / 1000;
  out(
    `HTTP/CSV pull: ${fmt(rows.messages)} rows (${fmt(rows.records)} records, local Santiago times) in one request, ${fmt(csvS, 2)} s = ${fmt(rows.records / csvS)} records/s`,
  );
} finally {
  await relay.stop();
  await tago.stop();
  await csv.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
