import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../agent/config/load.ts';
import { Agent } from '../../agent/main.ts';
import { type Clock, systemClock } from '../../protocols/clock.ts';
import { flowmeter } from '../../protocols/profiles/flowmeter.ts';
import { gasDetector } from '../../protocols/profiles/gas-detector.ts';
import type { Profile } from '../../protocols/profiles/index.ts';
import { RECORD_FLAGS } from '../../protocols/records.ts';
import { ModbusSimulator } from '../../simulators/modbus/simulator.ts';
import { readBuffer, startAgentProcess, writeAgentConfig } from '../helpers/agent-process.ts';
import { testLogger } from '../helpers/logger.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import type { AtalayaProcess } from '../helpers/relay-process.ts';
import { addGateway, allRelayRecords, getJson, type RelayProcess, startRelayProcess, writeRelayConfig } from '../helpers/relay-process.ts';
import { waitFor } from '../helpers/wait.ts';

type Item = Record<string, unknown> & {
  seq: number;
  kind: string;
  device: string;
  channel: string;
  value: number | null;
  unit: string;
  quality: string;
  ts: number;
  tsCorrected: number | null;
  flags: number;
};
type Gateway = { id: string; lastSeenAt: number | null; highestSeq: number | null; clockOffsetMs: number | null; records: number };

const GATEWAY = 'gw-e2e';
const SKEWED = 'gw-skew';
const THREE_YEARS_MS = Math.round(3 * 365.25 * 86_400_000);
/** Loose bound on request transit and scheduling on a loaded machine: a correction that is off by more is wrong, not slow. */
const SLACK_MS = 15_000;
const fastSync = { idleMs: 200, backoff: { initialMs: 100, maxMs: 1000 } };

/** Per channel of a profile: the unit, and the resolution a value read over Modbus is within (status bits: exact). */
function channelSpecs(profile: Profile): Map<string, { unit: string | undefined; resolution: number }> {
  const specs = new Map<string, { unit: string | undefined; resolution: number }>();
  for (const c of [...profile.channels, ...profile.derived]) specs.set(c.key, { unit: c.unit, resolution: c.resolution });
  for (const b of profile.status) specs.set(b.key, { unit: undefined, resolution: 0 });
  return specs;
}

/** Runs every step even when one throws; rethrows the first failure. */
async function cleanup(steps: Array<() => Promise<unknown> | unknown>): Promise<void> {
  let first: unknown;
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      first ??= err;
    }
  }
  if (first !== undefined) throw first;
}

describe.each([{ backend: 'sqlite' }, { backend: 'postgres' }])('simulators → agent → relay ($backend)', ({ backend }) => {
  let dir: string;
  let sim: ModbusSimulator | undefined;
  let pg: TestPostgres | undefined;
  let relay: RelayProcess | undefined;
  let agent: AtalayaProcess | undefined;
  let skewed: Agent | undefined;
  let token: string;
  let secrets: Record<string, string>;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-e2e-'));
    // CH4 held at 25 %LEL: above both default thresholds (10 warning, 20 alarm), so alarm records are produced.
    sim = new ModbusSimulator({
      devices: [
        { unitId: 1, kind: 'gas-detector', scenario: 'steady', params: { ch4: 25 } },
        { unitId: 2, kind: 'flowmeter', scenario: 'steady' },
      ],
      tcp: { host: '127.0.0.1', port: 0 },
      clock: systemClock,
      logger: testLogger(),
      seed: 1,
    });
    await sim.start();
    let storage: Record<string, unknown> = { kind: 'sqlite', path: 'data/relay.db' };
    if (backend === 'postgres') {
      pg = await startPostgres();
      storage = { kind: 'postgres', url: await pg.newDatabase(), maxConnections: 4 };
    }
    const setup = writeRelayConfig(dir, storage);
    token = setup.token;
    secrets = { [GATEWAY]: await addGateway(setup.configFile, GATEWAY), [SKEWED]: await addGateway(setup.configFile, SKEWED) };
    relay = await startRelayProcess(setup.configFile);
  });

  afterAll(async () => {
    await cleanup([
      () => skewed?.stop(),
      () => agent?.kill(),
      () => relay?.process.stop(),
      () => sim?.stop(),
      () => pg?.stop(),
      () => fs.rmSync(dir, { recursive: true, force: true }),
    ]);
  });

  it('readings and alarms arrive with the simulator values; the buffer releases what the relay acknowledged', async () => {
    const r = relay!;
    const tcp = { host: '127.0.0.1', port: sim!.tcpPort!, timeoutMs: 500 };
    const secretFile = path.join(dir, 'gateway.secret');
    fs.writeFileSync(secretFile, `${secrets[GATEWAY]}\n`, { mode: 0o600 });
    const bufferFile = path.join(dir, 'buffer.db');
    const configFile = writeAgentConfig(path.join(dir, 'agent.yaml'), {
      gateway: { id: GATEWAY },
      buffer: { path: bufferFile, commitIntervalMs: 20 },
      mqtt: { enabled: false },
      status: { host: '127.0.0.1', port: 0 },
      devices: [
        { id: 'gas', profile: 'gas-detector', tcp, unitId: 1, intervalMs: 200 },
        { id: 'flow', profile: 'flowmeter', tcp, unitId: 2, intervalMs: 200, params: { sensorDepthM: 60 } },
      ],
      sync: { url: r.url, secretFile, ...fastSync },
      log: { level: 'info' },
    });
    agent = await startAgentProcess(configFile);

    const specs = { gas: channelSpecs(gasDetector), flow: channelSpecs(flowmeter) };
    const units = { gas: 1, flow: 2 } as const;
    const items = await waitFor(
      async () => {
        const all = (await allRelayRecords(r.url, token, `gateway=${GATEWAY}`)) as Item[];
        const raised = new Set(all.filter((i) => i.kind === 'alarm').map((i) => (i['alarm'] as { rule: string }).rule));
        const perChannel = (device: 'gas' | 'flow'): boolean =>
          [...specs[device].keys()].every((c) => all.filter((i) => i.device === device && i.channel === c).length >= 3);
        return raised.has('high1') && raised.has('high2') && perChannel('gas') && perChannel('flow') && all;
      },
      'readings of every channel and both CH4 alarms at the relay',
      45_000,
      250,
    );

    for (const device of ['gas', 'flow'] as const) {
      const truth = sim!.device(units[device])!.values();
      const readings = items.filter((i) => i.kind === 'reading' && i.device === device).sort((a, b) => a.seq - b.seq);
      for (const [channel, spec] of specs[device]) {
        const series = readings.filter((i) => i.channel === channel);
        expect(
          series.every((i) => i.quality === 'good' && i.flags === 0 && i.tsCorrected === null),
          `${device}/${channel} good, clock trusted`,
        ).toBe(true);
        if (spec.unit !== undefined) expect(new Set(series.map((i) => i.unit)), `${device}/${channel} unit`).toEqual(new Set([spec.unit]));
        const tolerance = spec.resolution + 1e-9;
        if (channel === 'totalizer') {
          // Integrates 12.5 L/s: never decreasing, never ahead of the simulator.
          const values = series.map((i) => i.value!);
          expect(values).toEqual([...values].sort((a, b) => a - b));
          expect(values.at(-1)!).toBeLessThanOrEqual(truth['totalizer']! + tolerance);
          continue;
        }
        for (const i of series)
          expect(Math.abs(i.value! - truth[channel]!), `${device}/${channel} = ${i.value}, simulator ${truth[channel]}`).toBeLessThanOrEqual(tolerance);
      }
    }
    expect(sim!.device(1)!.values()['ch4']).toBe(25);

    const alarms = items.filter((i) => i.kind === 'alarm');
    expect(
      alarms
        .map((a) => ({ device: a.device, channel: a.channel, alarm: a['alarm'] }))
        .sort((a, b) => String((a.alarm as { rule: string }).rule).localeCompare((b.alarm as { rule: string }).rule)),
    ).toEqual([
      { device: 'gas', channel: 'ch4', alarm: { rule: 'high1', level: 'warning', state: 'raised', threshold: 10 } },
      { device: 'gas', channel: 'ch4', alarm: { rule: 'high2', level: 'alarm', state: 'raised', threshold: 20 } },
    ]);
    expect(alarms.every((a) => Math.abs(a.value! - 25) <= 0.1 && a.unit === '%LEL')).toBe(true);

    // Released only after the ack: once the relay holds seq H, every seq up to H leaves the buffer.
    const before = (await getJson<{ gateways: Gateway[] }>(r.url, '/v1/gateways', token)).gateways.find((g) => g.id === GATEWAY)!;
    const highest = before.highestSeq!;
    expect(highest).toBeGreaterThanOrEqual(items.length);
    await waitFor(() => {
      const b = readBuffer(bufferFile);
      return b !== undefined && b.nextSeq > highest && (b.seqs[0] ?? Infinity) > highest;
    }, `buffer released every seq up to ${highest}`);
    expect(before.records).toBeGreaterThanOrEqual(items.length);
    expect(before.lastSeenAt).not.toBeNull();
    expect(Math.abs(before.clockOffsetMs!)).toBeLessThan(SLACK_MS);

    expect(await agent.stop()).toEqual({ code: 0, signal: null });
    // After a clean stop: every committed seq is at the relay or still in the buffer.
    const left = readBuffer(bufferFile)!;
    const atRelay = new Set(((await allRelayRecords(r.url, token, `gateway=${GATEWAY}`)) as Item[]).map((i) => i.seq));
    const missing = Array.from({ length: left.nextSeq - 1 }, (_, k) => k + 1).filter((seq) => !atRelay.has(seq) && !left.seqs.includes(seq));
    expect(missing).toEqual([]);
    expect(Math.max(...atRelay)).toBeLessThan(left.nextSeq);
    const after = (await getJson<{ gateways: Gateway[] }>(r.url, '/v1/gateways', token)).gateways.find((g) => g.id === GATEWAY)!;
    expect(after).toMatchObject({ highestSeq: Math.max(...atRelay), records: atRelay.size });
  });

  it('an agent whose wall clock is 3 years behind still uploads, and the relay places its readings in real time', async () => {
    const r = relay!;
    // In process: making a child's clock wrong needs root (or faketime); the agent is the same code.
    const clock: Clock = { now: () => Date.now() - THREE_YEARS_MS, monotonic: systemClock.monotonic };
    const config = parseConfig({
      gateway: { id: SKEWED },
      buffer: { path: path.join(dir, 'skewed.db'), commitIntervalMs: 20 },
      mqtt: { enabled: false },
      status: { host: '127.0.0.1', port: 0 },
      devices: [{ id: 'gas', profile: 'gas-detector', tcp: { host: '127.0.0.1', port: sim!.tcpPort!, timeoutMs: 500 }, unitId: 1, intervalMs: 200 }],
      sync: { url: r.url, ...fastSync },
    });
    const startedAt = Date.now();
    skewed = new Agent(config, { logger: testLogger(), clock, env: { ATALAYA_GATEWAY_SECRET: secrets[SKEWED]! } });
    await skewed.start();

    const items = await waitFor(
      async () => {
        const all = (await allRelayRecords(r.url, token, `gateway=${SKEWED}`)) as Item[];
        return all.length >= 20 && all;
      },
      'records of the skewed gateway at the relay',
      30_000,
      250,
    );
    const now = Date.now();
    for (const i of items) {
      // The gateway's own timestamps stay as it took them; the relay corrected them from (bootId, mono).
      expect(i.flags & RECORD_FLAGS.clockUnsynced, `seq ${i.seq} flagged clockUnsynced`).toBe(RECORD_FLAGS.clockUnsynced);
      expect(i.ts).toBeLessThan(now - THREE_YEARS_MS + SLACK_MS);
      expect(i.tsCorrected, `seq ${i.seq} tsCorrected`).not.toBeNull();
      expect(i.tsCorrected!).toBeGreaterThanOrEqual(startedAt - SLACK_MS);
      expect(i.tsCorrected!).toBeLessThanOrEqual(now + SLACK_MS);
    }
    // An operator asking for the last minutes in real time finds them.
    const recent = (await allRelayRecords(r.url, token, `gateway=${SKEWED}&from=${startedAt - SLACK_MS}`)) as Item[];
    expect(recent.length).toBeGreaterThanOrEqual(items.length);
    const gw = (await getJson<{ gateways: Gateway[] }>(r.url, '/v1/gateways', token)).gateways.find((g) => g.id === SKEWED)!;
    expect(Math.abs(gw.clockOffsetMs! - THREE_YEARS_MS)).toBeLessThan(SLACK_MS);
    expect(skewed.sync!.status().sentRecords).toBeGreaterThan(0);
    await skewed.stop();
  });
});
