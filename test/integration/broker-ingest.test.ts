import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { MqttClient } from 'mqtt';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttBroker } from '../../agent/broker/broker.ts';
import { brokerConfigSchema } from '../../agent/broker/schema.ts';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import { hashPassword } from '../../platform/passwords.ts';
import { systemClock } from '../../protocols/clock.ts';
import type { StoredRecord } from '../../protocols/records.ts';
import { PRIORITY } from '../../protocols/records.ts';
import { bufferedBroker } from '../helpers/buffered-broker.ts';
import { testLogger } from '../helpers/logger.ts';

const run = promisify(execFile);
const logger = testLogger();

let dir: string;
let buffer: RecordBuffer;
let broker: MqttBroker;
let url: string;
const clients: MqttClient[] = [];

function connect(username: string, password = `pw-${username}`): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { username, password, reconnectPeriod: 0, connectTimeout: 5000 });
    clients.push(client);
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
  const device = async (username: string): Promise<Record<string, unknown>> => ({
    username,
    password: await hashPassword(`pw-${username}`),
    publish: ['atalaya/in/%u/#'],
  });
  const users = [
    ...(await Promise.all(['dev1', 'dev2', 'noisy', 'flood', 'odd'].map(device))),
    { username: 'viewer', password: await hashPassword('pw-viewer'), subscribe: ['atalaya/gw1/#'] },
  ];
  // A 50 ms commit window: a PUBACK sent before the commit would be caught by the read below.
  buffer = new RecordBuffer({ path: path.join(dir, 'buffer.db'), commitIntervalMs: 50, clock: systemClock, logger });
  buffer.start();
  broker = bufferedBroker(
    brokerConfigSchema.parse({
      listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }],
      users,
      maxPayloadBytes: 1024,
      maxPublishesPerSecond: 50,
      reportIntervalMs: 200,
    }),
    buffer,
    logger,
  );
  await broker.start();
  url = `mqtt://127.0.0.1:${broker.addresses()[0]?.port}`;
});

afterAll(async () => {
  for (const c of clients) c.end(true);
  await broker?.stop();
  await buffer?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const records = (device: string): StoredRecord[] => buffer.readAfter(0, 10_000).filter((r) => r.device === device);

describe('MQTT ingest', () => {
  it('acknowledges a QoS 1 publish only once its records are committed', async () => {
    const client = await connect('dev1');
    await client.publishAsync('atalaya/in/dev1/telemetry', JSON.stringify({ channel: 'ch4', value: 12.3, unit: '%LEL', ts: '2026-11-23T12:00:00Z' }), {
      qos: 1,
    });
    // No waiting: the PUBACK implies the commit.
    expect(records('dev1')).toMatchObject([
      {
        kind: 'reading',
        channel: 'ch4',
        value: 12.3,
        unit: '%LEL',
        quality: 'good',
        ts: Date.parse('2026-11-23T12:00:00Z'),
        bootId: 'boot-1',
        priority: PRIORITY.ordinary,
      },
    ]);
    await client.publishAsync('atalaya/in/dev1/telemetry', JSON.stringify([{ channel: 'flow', value: 3, unit: 'L/s', seq: 7 }]), { qos: 1 });
    await client.publishAsync('atalaya/in/dev1/alarm', JSON.stringify({ channel: 'ch4', level: 'alarm', state: 'raised', value: 40, unit: '%LEL' }), {
      qos: 1,
    });
    expect(records('dev1').slice(1)).toMatchObject([
      { kind: 'reading', channel: 'flow', priority: PRIORITY.dga },
      { kind: 'alarm', channel: 'ch4', value: 40, priority: PRIORITY.alarm, alarm: { rule: 'device', level: 'alarm', state: 'raised', threshold: null } },
    ]);
  });

  it('acknowledges a redelivered message (same device seq) without storing it twice', async () => {
    const client = await connect('dev1');
    const payload = JSON.stringify({ channel: 'dup', value: 1, unit: 'm', seq: 41 });
    await client.publishAsync('atalaya/in/dev1/telemetry', payload, { qos: 1 });
    await client.publishAsync('atalaya/in/dev1/telemetry', payload, { qos: 1, dup: true });
    await client.publishAsync('atalaya/in/dev1/telemetry', JSON.stringify({ channel: 'dup', value: 2, unit: 'm', seq: 42 }), { qos: 1 });
    expect(
      records('dev1')
        .filter((r) => r.channel === 'dup')
        .map((r) => r.value),
    ).toEqual([1, 2]);
    expect(broker.stats().duplicates).toBe(1);
  });

  it('drops and counts malformed, invalid and oversized payloads while other devices keep publishing', async () => {
    const noisy = await connect('noisy');
    const dev2 = await connect('dev2');
    const good = (i: number): Promise<unknown> =>
      dev2.publishAsync('atalaya/in/dev2/telemetry', JSON.stringify({ channel: 'ch4', value: i, unit: '%LEL' }), { qos: 1 });
    await Promise.all([
      noisy.publishAsync('atalaya/in/noisy/telemetry', '{"channel": "ch4", "value": ', { qos: 1 }),
      good(1),
      noisy.publishAsync('atalaya/in/noisy/telemetry', JSON.stringify({ channel: 'ch4', value: '12', unit: '%LEL' }), { qos: 1 }),
      noisy.publishAsync('atalaya/in/noisy/alarm', JSON.stringify({ channel: 'ch4', level: 'alarm', state: 'raised', extra: 1 }), { qos: 1 }),
      good(2),
      noisy.publishAsync('atalaya/in/noisy/telemetry', JSON.stringify({ channel: 'ch4', value: 1, unit: 'x'.repeat(2000) }), { qos: 1 }),
      noisy.publishAsync('atalaya/in/noisy/readings', JSON.stringify({ channel: 'ch4', value: 1, unit: '%LEL' }), { qos: 1 }),
      good(3),
    ]);
    expect(records('noisy')).toEqual([]);
    expect(records('dev2').map((r) => r.value)).toEqual([1, 2, 3]);
    expect(noisy.connected).toBe(true);
    expect(broker.stats().refused).toMatchObject({ bad_json: 1, schema: 2, oversized: 1, unknown_topic: 1 });

    const viewer = await connect('viewer');
    const status = new Promise<Record<string, unknown>>((resolve) => {
      viewer.on('message', (_topic, payload) => {
        const s = JSON.parse(payload.toString()) as { byClient: Record<string, Record<string, number>> };
        if (s.byClient['noisy']?.['oversized'] === 1) resolve(s);
      });
    });
    await viewer.subscribeAsync('atalaya/gw1/status/ingest');
    expect(await status).toMatchObject({ byClient: { noisy: { bad_json: 1, schema: 2, oversized: 1, unknown_topic: 1 } } });
  });

  it('acknowledges, drops and counts per device and reason payloads whose records the buffer would refuse', async () => {
    const odd = await connect('odd');
    const before = broker.stats().refused;
    const early = '1969-12-31T23:59:59Z';
    // Each QoS 1 publish gets its PUBACK (publishAsync resolves) as the invalid path always did.
    await odd.publishAsync('atalaya/in/odd/telemetry', JSON.stringify({ channel: 'ch4', value: 1, unit: '%LEL', ts: early }), { qos: 1 });
    await odd.publishAsync(
      'atalaya/in/odd/telemetry',
      JSON.stringify([
        { channel: 'ok', value: 1, unit: 'm' },
        { channel: 'ch4', value: 2, unit: 'm', ts: early, seq: 3 },
      ]),
      { qos: 1 },
    );
    await odd.publishAsync('atalaya/in/odd/alarm', JSON.stringify({ channel: 'ch4', level: 'alarm', state: 'raised', ts: early }), { qos: 1 });
    // Over-long channel, over-long unit, a value JSON.parse makes Infinity: refused by the payload schema before any record exists.
    await odd.publishAsync('atalaya/in/odd/telemetry', JSON.stringify({ channel: 'c'.repeat(200), value: 1, unit: 'm' }), { qos: 1 });
    await odd.publishAsync('atalaya/in/odd/telemetry', JSON.stringify({ channel: 'ch4', value: 1, unit: 'u'.repeat(40) }), { qos: 1 });
    await odd.publishAsync('atalaya/in/odd/telemetry', '{"channel":"ch4","value":1e999,"unit":"m"}', { qos: 1 });
    expect(odd.connected).toBe(true);
    expect(records('odd')).toEqual([]);
    const after = broker.stats().refused;
    expect(after.invalid_record - before.invalid_record).toBe(3);
    expect(after.schema - before.schema).toBe(3);
    await odd.publishAsync('atalaya/in/odd/telemetry', JSON.stringify({ channel: 'ch4', value: 7, unit: 'm', ts: '1970-01-01T00:00:00Z' }), { qos: 1 });
    expect(records('odd').map((r) => [r.value, r.ts])).toEqual([[7, 0]]);

    const viewer = await connect('viewer');
    const status = new Promise<Record<string, unknown>>((resolve) => {
      viewer.on('message', (_topic, payload) => {
        const s = JSON.parse(payload.toString()) as { byClient: Record<string, Record<string, number>> };
        if (s.byClient['odd']?.['invalid_record'] === 3) resolve(s);
      });
    });
    await viewer.subscribeAsync('atalaya/gw1/status/ingest');
    expect(await status).toMatchObject({ byClient: { odd: { invalid_record: 3, schema: 3 } } });
  });

  it('disconnects a client over maxPublishesPerSecond and keeps serving the others', async () => {
    const flood = await connect('flood');
    const dev2 = await connect('dev2');
    const closed = new Promise<void>((resolve) => flood.once('close', () => resolve()));
    for (let i = 0; i < 200; i++) flood.publish('atalaya/in/flood/telemetry', JSON.stringify({ channel: 'ch4', value: i, unit: '%LEL' }), { qos: 0 });
    await closed;
    expect(broker.stats().refused.flood).toBe(1);
    expect(records('flood').length).toBeLessThan(200);
    await dev2.publishAsync('atalaya/in/dev2/telemetry', JSON.stringify({ channel: 'after', value: 1, unit: '%LEL' }), { qos: 1 });
    expect(records('dev2').filter((r) => r.channel === 'after')).toHaveLength(1);
  });
});

describe('MQTT republish', () => {
  it('publishes committed readings and alarms retained on the tree for a late mosquitto_sub', async () => {
    await buffer.append([
      {
        kind: 'reading',
        device: 'pozo-3',
        channel: 'level',
        value: 41.5,
        unit: 'm',
        quality: 'good',
        exception: null,
        ts: 1_763_900_000_000,
        mono: 1,
        bootId: 'b',
        priority: PRIORITY.dga,
        flags: 0,
      },
      {
        kind: 'alarm',
        device: 'pozo-3',
        channel: 'level',
        value: 41.5,
        unit: 'm',
        quality: 'good',
        exception: null,
        ts: 1_763_900_000_000,
        mono: 1,
        bootId: 'b',
        priority: PRIORITY.alarm,
        flags: 0,
        alarm: { rule: 'high1', level: 'warning', state: 'raised', threshold: 40 },
      },
    ]);
    const port = String(broker.addresses()[0]?.port);
    const sub = (topic: string): Promise<{ stdout: string }> =>
      run('mosquitto_sub', ['-h', '127.0.0.1', '-p', port, '-u', 'viewer', '-P', 'pw-viewer', '-t', topic, '-C', '1', '-W', '10', '-v']);
    const reading = (await sub('atalaya/gw1/pozo-3/level')).stdout;
    expect(reading.startsWith('atalaya/gw1/pozo-3/level ')).toBe(true);
    expect(JSON.parse(reading.slice(reading.indexOf(' ')))).toMatchObject({ value: 41.5, unit: 'm', quality: 'good', ts: 1_763_900_000_000 });
    const alarm = (await sub('atalaya/gw1/pozo-3/level/alarm/+')).stdout;
    expect(alarm.startsWith('atalaya/gw1/pozo-3/level/alarm/high1 ')).toBe(true);
    expect(JSON.parse(alarm.slice(alarm.indexOf(' ')))).toMatchObject({ level: 'warning', state: 'raised', threshold: 40, value: 41.5 });
  });
});
