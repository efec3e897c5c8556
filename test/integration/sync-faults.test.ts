import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../protocols/clock.ts';
import { seededRandom } from '../../simulators/modbus/faults.ts';
import { ModbusSimulator } from '../../simulators/modbus/simulator.ts';
import { readBuffer, startAgentProcess, writeAgentConfig } from '../helpers/agent-process.ts';
import { testLogger } from '../helpers/logger.ts';
import { FaultProxy, type ProxyMode } from '../helpers/proxy.ts';
import {
  type AtalayaProcess,
  addGateway,
  allRelayRecords,
  cleanEnv,
  getJson,
  type RelayProcess,
  startRelayProcess,
  writeRelayConfig,
} from '../helpers/relay-process.ts';
import { waitFor } from '../helpers/wait.ts';

const GATEWAY = 'gw-faults';
/** Seed of the fault schedule (kinds and intervals) and of the proxy's cut points: a failure can be replayed. */
const SEED = 20_261_124;
const STEPS = 24;
const MODES = ['pass', 'stall', 'drop'] as const satisfies readonly ProxyMode[];

interface Tally {
  agentKills: number;
  relayKills: number;
  relayDowns: number;
  /** Relay stops (SIGTERM) that did not end within the grace period and were SIGKILLed. */
  relayStopsForced: number;
  modeSwitches: Record<(typeof MODES)[number], number>;
  /** From the relay's "batch stored" log lines: resends the relay answered as duplicates. */
  stored: number;
  duplicates: number;
}

describe('sync under faults: agent and relay SIGKILLed, the link stalled and cut, the relay down', () => {
  let dir: string;
  let sim: ModbusSimulator | undefined;
  let proxy: FaultProxy | undefined;
  let relay: RelayProcess | undefined;
  let agent: AtalayaProcess | undefined;
  let relayConfig: string;
  let token: string;
  let secret: string;
  const tally: Tally = {
    agentKills: 0,
    relayKills: 0,
    relayDowns: 0,
    relayStopsForced: 0,
    modeSwitches: { pass: 0, stall: 0, drop: 0 },
    stored: 0,
    duplicates: 0,
  };

  /** Starts the relay on a new port and points the proxy at it; counts what it stores. */
  async function startRelay(): Promise<void> {
    relay = await startRelayProcess(relayConfig);
    relay.process.onLine((line) => {
      if (!line.includes('"msg":"batch stored"')) return;
      const { stored, duplicates } = JSON.parse(line) as { stored: number; duplicates: number };
      tally.stored += stored;
      tally.duplicates += duplicates;
    });
    proxy!.setTarget(relay.port);
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-sync-faults-'));
    sim = new ModbusSimulator({
      devices: [
        { unitId: 1, kind: 'gas-detector', scenario: 'gas-leak' },
        { unitId: 2, kind: 'flowmeter', scenario: 'flow-steps' },
      ],
      tcp: { host: '127.0.0.1', port: 0 },
      clock: systemClock,
      logger: testLogger(),
      seed: 1,
    });
    await sim.start();
    const setup = writeRelayConfig(dir, { kind: 'sqlite', path: 'relay.db' });
    relayConfig = setup.configFile;
    token = setup.token;
    secret = await addGateway(relayConfig, GATEWAY);
    proxy = new FaultProxy({ random: seededRandom(SEED + 1) });
    await proxy.start();
    await startRelay();
  });

  afterAll(async () => {
    let first: unknown;
    for (const step of [
      () => agent?.kill(),
      () => relay?.process.kill(),
      () => proxy?.stop(),
      () => sim?.stop(),
      () => fs.rmSync(dir, { recursive: true, force: true }),
    ]) {
      try {
        await step();
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  });

  it('delivers every committed seq exactly once, with no integrity alarm', async () => {
    const random = seededRandom(SEED);
    const env = cleanEnv({ ATALAYA_GATEWAY_SECRET: secret });
    const bufferFile = path.join(dir, 'buffer.db');
    const tcp = { host: '127.0.0.1', port: sim!.tcpPort!, timeoutMs: 300 };
    const base = {
      gateway: { id: GATEWAY },
      buffer: { path: bufferFile, commitIntervalMs: 20 },
      mqtt: { enabled: false },
      status: { host: '127.0.0.1', port: 0 },
      // Small batches and a short request deadline: more requests, so more of them meet a fault.
      sync: { url: `http://127.0.0.1:${proxy!.port}`, batchRecords: 500, timeoutMs: 1500, idleMs: 200, backoff: { initialMs: 100, maxMs: 1000 } },
      log: { level: 'info' },
    };
    const pollingConfig = writeAgentConfig(path.join(dir, 'agent.yaml'), {
      ...base,
      devices: [
        { id: 'gas', profile: 'gas-detector', tcp, unitId: 1, intervalMs: 100 },
        { id: 'flow', profile: 'flowmeter', tcp, unitId: 2, intervalMs: 100, params: { sensorDepthM: 60 } },
      ],
    });
    const stopRelay = async (): Promise<void> => {
      const exit = await relay!.process.stop(3000);
      if (exit.signal === 'SIGKILL') tally.relayStopsForced++;
    };
    agent = await startAgentProcess(pollingConfig, env);

    for (let step = 0; step < STEPS; step++) {
      await sleep(300 + random() * 1700);
      const pick = random();
      if (pick < 0.3) {
        await agent.kill();
        tally.agentKills++;
        agent = await startAgentProcess(pollingConfig, env);
      } else if (pick < 0.5) {
        await relay!.process.kill();
        tally.relayKills++;
        await startRelay();
      } else if (pick < 0.6) {
        await stopRelay();
        tally.relayDowns++;
        await sleep(1000 + random() * 2000);
        await startRelay();
      } else {
        const others = MODES.filter((m) => m !== proxy!.mode);
        const mode = others[Math.floor(random() * others.length)]!;
        proxy!.setMode(mode);
        tally.modeSwitches[mode]++;
      }
    }

    // Drain: a clear link, the relay up, and an agent that produces nothing new.
    proxy!.setMode('pass');
    await agent.kill();
    tally.agentKills++;
    if (!relay!.process.running) await startRelay();
    const drainConfig = writeAgentConfig(path.join(dir, 'drain.yaml'), { ...base, devices: [] });
    agent = await startAgentProcess(drainConfig, env);
    // Drained and settled: empty, and no seq assigned for a second (five sync cycles). The drain
    // agent appends at start too (the alarms of rules it no longer has, cleared), possibly after a
    // first empty read; stopped while that batch was in flight, it left the batch unreleased.
    let last = { nextSeq: -1, since: Date.now() };
    await waitFor(
      () => {
        const b = readBuffer(bufferFile);
        if (b === undefined || b.count !== 0) return false;
        if (b.nextSeq !== last.nextSeq) last = { nextSeq: b.nextSeq, since: Date.now() };
        return Date.now() - last.since >= 1000;
      },
      'the buffer to drain and settle',
      60_000,
      100,
    );
    expect(await agent.stop()).toEqual({ code: 0, signal: null });
    const buffer = readBuffer(bufferFile)!;
    const n = buffer.nextSeq - 1;
    const summary = `N=${n} ${JSON.stringify(tally)} proxy ${JSON.stringify(proxy!.stats)}`;
    expect(buffer.count, summary).toBe(0);
    expect(n, `enough data moved: ${summary}`).toBeGreaterThan(1000);

    const seqs = ((await allRelayRecords(relay!.url, token, `gateway=${GATEWAY}`)) as Array<{ seq: number }>).map((r) => r.seq).sort((a, b) => a - b);
    const counts = new Map<number, number>();
    for (const seq of seqs) counts.set(seq, (counts.get(seq) ?? 0) + 1);
    const missing = Array.from({ length: n }, (_, k) => k + 1).filter((seq) => !counts.has(seq));
    const twice = [...counts].filter(([, c]) => c > 1).map(([seq]) => seq);
    const beyond = seqs.filter((seq) => seq > n);
    expect({ missing, twice, beyond }, summary).toEqual({ missing: [], twice: [], beyond: [] });
    expect(seqs.length, summary).toBe(n);

    const { alarms } = await getJson<{ alarms: unknown[] }>(relay!.url, '/v1/integrity-alarms', token);
    expect(alarms, summary).toEqual([]);
    const { gateways } = await getJson<{ gateways: Array<{ id: string; highestSeq: number; records: number }> }>(relay!.url, '/v1/gateways', token);
    expect(
      gateways.find((g) => g.id === GATEWAY),
      summary,
    ).toMatchObject({ highestSeq: n, records: n });

    // Every kind of fault happened (the schedule is fixed by SEED).
    expect(tally.agentKills, summary).toBeGreaterThan(1);
    expect(tally.relayKills, summary).toBeGreaterThan(0);
    expect(tally.relayDowns, summary).toBeGreaterThan(0);
    expect(
      Object.values(tally.modeSwitches).every((c) => c > 0),
      summary,
    ).toBe(true);
  }, 240_000);
});
