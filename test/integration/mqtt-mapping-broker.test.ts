/**
 * Issue 17 §5: devices publishing their own JSON and Sparkplug B into the agent's broker
 * (aedes), through mqtt.mappings, with Debian's mosquitto_pub. mosquitto_pub -q 1 exits after
 * the PUBACK; the buffer commits every 50 ms, so records read right after it prove the PUBACK
 * followed the commit (as broker-ingest.test.ts for native ingest).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { MqttClient } from 'mqtt';
import mqtt from 'mqtt';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttBroker } from '../../agent/broker/broker.ts';
import { registerMappingMetrics } from '../../agent/broker/mapping-metrics.ts';
import { brokerConfigSchema } from '../../agent/broker/schema.ts';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import { hashPassword } from '../../platform/passwords.ts';
import { systemClock } from '../../protocols/clock.ts';
import type { NewRecord, StoredRecord } from '../../protocols/records.ts';
import { type BirthMetric, birthPayload, dataPayload } from '../../simulators/mqtt/sparkplug-payloads.ts';
import { bufferedBroker } from '../helpers/buffered-broker.ts';
import { testLogger } from '../helpers/logger.ts';

const run = promisify(execFile);
const logger = testLogger();
const T = Date.parse('2026-11-23T12:00:00Z');
const COMMIT_MS = 250;

/** Committed just before a publish: the buffer's next commit window opens COMMIT_MS later. */
const MARKER: NewRecord = {
  kind: 'reading',
  device: 'marker',
  channel: 'x',
  value: 0,
  unit: '',
  quality: 'good',
  exception: null,
  ts: 0,
  mono: 0,
  bootId: 'boot-1',
  priority: 0,
  flags: 0,
};

let dir: string;
let buffer: RecordBuffer;
let broker: MqttBroker;
let port: number;
const clients: MqttClient[] = [];

const METRICS: BirthMetric[] = [
  { name: 'Gas/CH4', alias: 10, type: 'Float', value: 0 },
  { name: 'Gas/H2S', alias: 11, type: 'Float', value: 0 },
];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-mapping-'));
  const user = async (username: string, publish: string[]): Promise<Record<string, unknown>> => ({
    username,
    password: await hashPassword(`pw-${username}`),
    publish,
  });
  buffer = new RecordBuffer({ path: path.join(dir, 'buffer.db'), commitIntervalMs: COMMIT_MS, clock: systemClock, logger });
  buffer.start();
  broker = bufferedBroker(
    brokerConfigSchema.parse({
      listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }],
      users: [
        await user('GL-001', ['gaslyt/%u/#']),
        await user('GL-002', ['gaslyt/%u/#']),
        await user('edge-1', ['spBv1.0/plant1/+/%u', 'spBv1.0/plant1/+/%u/#']),
        await user('edge-2', ['spBv1.0/plant1/+/%u', 'spBv1.0/plant1/+/%u/#']),
      ],
      maxPayloadBytes: 1024,
      mappings: [
        {
          name: 'gaslyt',
          format: 'json',
          topic: 'gaslyt/{serial}/data',
          device: 'gaslyt-{serial}',
          fields: [
            { path: 'CH4', channel: 'ch4', unit: '%LEL' },
            { path: 'H2S', channel: 'h2s', unit: 'ppm' },
            { path: 'bat', channel: 'battery', unit: 'V' },
          ],
          time: { path: 'ts', format: 'iso', timeZone: 'America/Santiago' },
        },
        {
          name: 'plant',
          format: 'sparkplug-b',
          group: 'plant1',
          metrics: [
            { name: 'Gas/CH4', channel: 'ch4', unit: '%LEL' },
            { name: 'Gas/H2S', channel: 'h2s', unit: 'ppm', scale: 0.1 },
          ],
        },
      ],
    }),
    buffer,
    logger,
  );
  await broker.start();
  port = broker.addresses()[0]?.port ?? 0;
});

afterAll(async () => {
  for (const c of clients) c.end(true);
  await broker?.stop();
  await buffer?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const records = (device: string): StoredRecord[] => buffer.readAfter(0, 10_000).filter((r) => r.device === device);

/** mosquitto_pub -q 1 of a message or a file; resolves when it exited (after its PUBACK). */
async function pub(user: string, topic: string, message: { m: string } | { f: string }): Promise<unknown> {
  await buffer.append([{ ...MARKER, ts: Date.now() }]);
  const body = 'm' in message ? ['-m', message.m] : ['-f', message.f];
  return run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-u', user, '-P', `pw-${user}`, '-i', user, '-q', '1', '-t', topic, ...body]);
}

function file(name: string, bytes: Uint8Array): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, bytes);
  return f;
}

async function connect(username: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username, password: `pw-${username}`, reconnectPeriod: 0, connectTimeout: 5000 });
  clients.push(client);
  return client;
}

describe('MQTT mappings', () => {
  it("stores a device's own JSON with the mapped device, channels, units and time before the PUBACK", async () => {
    await pub('GL-001', 'gaslyt/GL-001/data', { m: JSON.stringify({ ts: '2026-11-23 09:00:00', CH4: 12.5, H2S: 1.2, CO: 3, bat: 3.9 }) });
    // No waiting: mosquitto_pub exited after its PUBACK, so the records are committed.
    expect(records('gaslyt-GL-001').map((r) => [r.kind, r.channel, r.value, r.unit, r.quality, r.ts])).toEqual([
      ['reading', 'ch4', 12.5, '%LEL', 'good', T],
      ['reading', 'h2s', 1.2, 'ppm', 'good', T],
      ['reading', 'battery', 3.9, 'V', 'good', T],
    ]);
  });

  it('stores Sparkplug B NDATA/DDATA sent with aliases only, named and typed by the BIRTHs', async () => {
    const nbirth = file('nbirth.bin', birthPayload({ timestamp: T, seq: 0, bdSeq: 0, metrics: [{ name: 'Supply/V', alias: 1, type: 'Double', value: 24.1 }] }));
    const dbirth = file('dbirth.bin', birthPayload({ timestamp: T, seq: 1, metrics: METRICS }));
    const ddata = file(
      'ddata.bin',
      dataPayload({
        timestamp: T + 1000,
        seq: 2,
        metrics: [
          { alias: 10, type: 'Float', value: 18.5 },
          { alias: 11, type: 'Float', value: 35 },
        ],
      }),
    );
    const ndata = file('ndata.bin', dataPayload({ timestamp: T + 2000, seq: 3, metrics: [{ alias: 1, type: 'Double', value: 23.9 }] }));
    await pub('edge-1', 'spBv1.0/plant1/NBIRTH/edge-1', { f: nbirth });
    await pub('edge-1', 'spBv1.0/plant1/DBIRTH/edge-1/det-7', { f: dbirth });
    await pub('edge-1', 'spBv1.0/plant1/DDATA/edge-1/det-7', { f: ddata });
    await pub('edge-1', 'spBv1.0/plant1/NDATA/edge-1', { f: ndata });
    expect(records('det-7').map((r) => [r.channel, r.value, r.unit, r.ts])).toEqual([
      ['ch4', 0, '%LEL', T],
      ['h2s', 0, 'ppm', T],
      ['ch4', 18.5, '%LEL', T + 1000],
      ['h2s', 3.5, 'ppm', T + 1000],
    ]);
    expect(records('edge-1').map((r) => [r.channel, r.value, r.ts])).toEqual([
      ['Supply_V', 24.1, T],
      ['Supply_V', 23.9, T + 2000],
    ]);
    expect(broker.stats().mappings?.['plant']?.sparkplug).toEqual({ seqGaps: 0, bdSeqGaps: 0, unknownMetrics: 0, deaths: 0 });
  });

  it('acknowledges, drops and counts bad input per mapping and reason; good messages around it are all stored', async () => {
    const before = structuredClone(broker.stats().mappings ?? {});
    const noisy = await connect('GL-002');
    const edge2 = await connect('edge-2');
    const good = (i: number): Promise<unknown> => noisy.publishAsync('gaslyt/GL-002/data', JSON.stringify({ CH4: i }), { qos: 1 });
    const sparkplugBytes = Buffer.from(dataPayload({ timestamp: T, seq: 1, metrics: [{ alias: 10, type: 'Float', value: 1 }] }));
    await Promise.all([
      good(1),
      noisy.publishAsync('gaslyt/GL-002/data', '{"CH4": ', { qos: 1 }),
      noisy.publishAsync('gaslyt/GL-002/data', sparkplugBytes, { qos: 1 }),
      good(2),
      noisy.publishAsync('gaslyt/GL-002/data', JSON.stringify({ temperature: 20 }), { qos: 1 }),
      noisy.publishAsync('gaslyt/GL-002/status', JSON.stringify({ CH4: 99 }), { qos: 1 }),
      noisy.publishAsync('gaslyt/GL-002/data', JSON.stringify({ CH4: 1, ts: 'yesterday' }), { qos: 1 }),
      noisy.publishAsync('gaslyt/GL-002/data', JSON.stringify({ CH4: 1, pad: 'x'.repeat(2000) }), { qos: 1 }),
      // edge-2 never sent a DBIRTH: its aliases mean nothing yet.
      edge2.publishAsync('spBv1.0/plant1/DDATA/edge-2/det-9', sparkplugBytes, { qos: 1 }),
      good(3),
    ]);
    expect(noisy.connected).toBe(true);
    expect(records('gaslyt-GL-002').map((r) => r.value)).toEqual([1, 2, 3]);
    expect(records('det-9')).toEqual([]);
    const after = broker.stats().mappings ?? {};
    const count = (stats: typeof after, m: string, reason: string): number => (stats[m]?.refused as Record<string, number> | undefined)?.[reason] ?? 0;
    const delta = (m: string, reason: string): number => count(after, m, reason) - count(before, m, reason);
    expect({
      bad_json: delta('gaslyt', 'bad_json'),
      no_values: delta('gaslyt', 'no_values'),
      bad_time: delta('gaslyt', 'bad_time'),
      oversized: delta('gaslyt', 'oversized'),
      no_mapping: delta('(none)', 'no_mapping'),
      unknown_alias: delta('plant', 'unknown_alias'),
    }).toEqual({ bad_json: 2, no_values: 1, bad_time: 1, oversized: 1, no_mapping: 1, unknown_alias: 1 });
    // Per client, under the broker-wide reasons (README "What a client sees").
    expect(broker.stats().refused).toMatchObject({ bad_json: 2, unknown_topic: 1, oversized: 1 });

    const registry = new Registry();
    registerMappingMetrics(registry, () => broker.stats().mappings);
    const text = await registry.metrics();
    expect(text).toContain('atalaya_mqtt_mapping_refused_total{mapping="gaslyt",reason="bad_json"} 2');
    expect(text).toContain('atalaya_mqtt_mapping_refused_total{mapping="plant",reason="unknown_alias"} 1');
    expect(text).toContain('atalaya_mqtt_mapping_refused_total{mapping="(none)",reason="no_mapping"} 1');
  });

  it("closes the connection of a device publishing another device's mapped topic (ACL), storing nothing", async () => {
    const client = await connect('GL-002');
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('gaslyt/GL-001/data', JSON.stringify({ CH4: 77 }), { qos: 1 });
    await closed;
    expect(records('gaslyt-GL-001').some((r) => r.value === 77)).toBe(false);
  });
});
