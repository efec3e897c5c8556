/**
 * Issue 17 §6: the GASLYT-style JSON detector and the Sparkplug B edge node simulators against
 * the agent's broker through mappings: their records, the node's NDEATH Will ending its session,
 * its reconnect with the next bdSeq, and the broker asking a node with unknown aliases for a rebirth.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { decodePayload } from 'sparkplug-payload/lib/sparkplugbpayload.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttBroker } from '../../agent/broker/broker.ts';
import { brokerConfigSchema } from '../../agent/broker/schema.ts';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import { hashPassword } from '../../platform/passwords.ts';
import { systemClock } from '../../protocols/clock.ts';
import type { StoredRecord } from '../../protocols/records.ts';
import { GaslytJsonDevice } from '../../simulators/mqtt/gaslyt-json.ts';
import { SparkplugNode } from '../../simulators/mqtt/sparkplug-node.ts';
import { dataPayload } from '../../simulators/mqtt/sparkplug-payloads.ts';
import { bufferedBroker } from '../helpers/buffered-broker.ts';
import { testLogger } from '../helpers/logger.ts';
import { waitFor } from '../helpers/wait.ts';

const logger = testLogger();
let dir: string;
let buffer: RecordBuffer;
let broker: MqttBroker;
let url: string;
const stops: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-mapping-sims-'));
  const node = async (username: string): Promise<Record<string, unknown>> => ({
    username,
    password: await hashPassword(`pw-${username}`),
    publish: ['spBv1.0/plant1/+/%u', 'spBv1.0/plant1/+/%u/#'],
    subscribe: ['spBv1.0/plant1/NCMD/%u'],
  });
  buffer = new RecordBuffer({ path: path.join(dir, 'buffer.db'), clock: systemClock, logger });
  buffer.start();
  broker = bufferedBroker(
    brokerConfigSchema.parse({
      listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }],
      users: [{ username: 'GL-7', password: await hashPassword('pw-GL-7'), publish: ['gaslyt/%u/data'] }, await node('edge-1'), await node('edge-9')],
      mappings: [
        {
          name: 'gaslyt',
          format: 'json',
          topic: 'gaslyt/{serial}/data',
          device: 'gaslyt-{serial}',
          missing: 'fault',
          fields: [
            { path: 'CH4', channel: 'ch4', unit: '%LEL' },
            { path: 'O2', channel: 'o2', unit: '%vol' },
            { path: 'bat', channel: 'battery', unit: 'V' },
          ],
          time: { path: 'ts', timeZone: 'America/Santiago' },
        },
        { name: 'plant', format: 'sparkplug-b', group: 'plant1', otherMetrics: 'skip', metrics: [{ name: 'Gas/CH4', channel: 'ch4', unit: '%LEL' }] },
      ],
    }),
    buffer,
    logger,
  );
  await broker.start();
  url = `mqtt://127.0.0.1:${broker.addresses()[0]?.port}`;
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  await broker?.stop();
  await buffer?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const records = (device: string): StoredRecord[] => buffer.readAfter(0, 100_000).filter((r) => r.device === device);

describe('MQTT device simulators through mappings', () => {
  it('GASLYT JSON detector: its readings with units and its local device time', async () => {
    const sim = new GaslytJsonDevice({
      url,
      serial: 'GL-7',
      password: 'pw-GL-7',
      scenario: 'steady',
      intervalMs: 100,
      timeZone: 'America/Santiago',
      clock: systemClock,
      logger,
    });
    stops.push(() => sim.stop());
    const before = Date.now();
    await sim.start();
    const got = await waitFor(() => {
      const r = records('gaslyt-GL-7');
      return r.length >= 6 && r;
    }, 'GASLYT records');
    expect(got.slice(0, 3).map((r) => [r.channel, r.unit, r.quality])).toEqual([
      ['ch4', '%LEL', 'good'],
      ['o2', '%vol', 'good'],
      ['battery', 'V', 'good'],
    ]);
    // The device's ts is local time with one-second resolution: within a second of the clock here.
    expect(got[0]?.ts).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(got[0]?.ts).toBeLessThanOrEqual(Date.now());
    expect(got.find((r) => r.channel === 'o2')?.value).toBeCloseTo(20.9, 0);
  });

  it('Sparkplug node: DDATA by alias, its NDEATH Will ends the session, the next session is born with bdSeq + 1', async () => {
    const node = new SparkplugNode({
      url,
      group: 'plant1',
      node: 'edge-1',
      password: 'pw-edge-1',
      devices: [{ id: 'det-1', scenario: 'gas-leak' }],
      intervalMs: 100,
      clock: systemClock,
      logger,
    });
    stops.push(() => node.stop());
    await node.start();
    // DBIRTH + DDATA records of the device, CH4 only (otherMetrics: skip).
    await waitFor(() => records('det-1').length >= 3, 'Sparkplug records');
    expect(new Set(records('det-1').map((r) => `${r.channel} ${r.unit}`))).toEqual(new Set(['ch4 %LEL']));
    const plant = (): NonNullable<ReturnType<MqttBroker['stats']>['mappings']>[string] | undefined => broker.stats().mappings?.['plant'];
    const stored = plant()?.messages ?? 0;
    await node.dropConnection();
    await waitFor(() => node.session === 1, 'the next session');
    const after = records('det-1').length;
    await waitFor(() => records('det-1').length > after + 2, 'records of the new session');
    expect(plant()?.messages).toBeGreaterThan(stored);
    // The Will (NDEATH, bdSeq 0) was taken: it ended the first session.
    expect(plant()?.sparkplug).toEqual({ seqGaps: 0, bdSeqGaps: 0, unknownMetrics: 0, deaths: 1 });
    expect(plant()?.refused).toEqual({});
  });

  it('asks a node whose DDATA names unknown aliases for a rebirth (NCMD Node Control/Rebirth)', async () => {
    const client: MqttClient = await mqtt.connectAsync(url, { username: 'edge-9', password: 'pw-edge-9', reconnectPeriod: 0 });
    stops.push(() => client.endAsync());
    const ncmd = new Promise<Buffer>((resolve) => client.on('message', (_t, payload) => resolve(payload)));
    await client.subscribeAsync('spBv1.0/plant1/NCMD/edge-9', { qos: 0 });
    await client.publishAsync(
      'spBv1.0/plant1/DDATA/edge-9/det-3',
      Buffer.from(dataPayload({ timestamp: Date.now(), seq: 4, metrics: [{ alias: 7, type: 'Float', value: 1 }] })),
      {
        qos: 1,
      },
    );
    expect(decodePayload(await ncmd).metrics).toMatchObject([{ name: 'Node Control/Rebirth', value: true }]);
    expect(broker.stats().mappings?.['plant']?.refused).toEqual({ unknown_alias: 1 });
  });
});
