import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../simulators/modbus/faults.ts';
import { BufferSyncProcess, readAccounting } from '../helpers/buffer-sync-process.ts';
import type { BufferSyncConfig } from '../helpers/buffer-sync-process.ts';
import { FaultProxy, type ProxyMode } from '../helpers/proxy.ts';
import { addGateway, cleanEnv, getJson, startRelayProcess, writeRelayConfig, type RelayProcess } from '../helpers/relay-process.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * Issue 19 item 7, the short fault loop: a full buffer (it evicts all the time) syncing through a
 * proxy that stalls and cuts the link, the agent side and the relay SIGKILLed a few dozen times
 * on a seeded schedule. At the end the counts add up exactly: records stored at the relay +
 * evicted + still buffered = the last committed seq. (Before the fix, rows evicted while their
 * batch was in flight, then acknowledged, counted twice.) The long loop: test/bench/fault-loop.ts.
 */
const GATEWAY = 'gw-accounting';
const SEED = 20_261_207;
const STEPS = 30;
const MODES: readonly ProxyMode[] = ['pass', 'stall', 'drop'];

describe('buffer accounting under faults', () => {
  let dir: string;
  let proxy: FaultProxy | undefined;
  let relay: RelayProcess | undefined;
  let child: BufferSyncProcess | undefined;
  let relayConfig: string;
  let token: string;
  let env: NodeJS.ProcessEnv;
  const tally = { childKills: 0, relayKills: 0, modes: { pass: 0, stall: 0, drop: 0 } as Record<ProxyMode, number> };

  async function startRelay(): Promise<void> {
    relay = await startRelayProcess(relayConfig);
    proxy!.setTarget(relay.port);
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-accounting-'));
    const setup = writeRelayConfig(dir, { kind: 'sqlite', path: 'relay.db' });
    relayConfig = setup.configFile;
    token = setup.token;
    env = cleanEnv({ ATALAYA_GATEWAY_SECRET: await addGateway(relayConfig, GATEWAY) });
    proxy = new FaultProxy({ random: seededRandom(SEED + 1) });
    await proxy.start();
    await startRelay();
  });

  afterAll(async () => {
    let first: unknown;
    for (const step of [() => child?.kill(), () => relay?.process.kill(), () => proxy?.stop(), () => fs.rmSync(dir, { recursive: true, force: true })]) {
      try {
        await step();
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  });

  it('stored at the relay + evicted + buffered = last seq, exactly', async () => {
    const random = seededRandom(SEED);
    const config: BufferSyncConfig = {
      bufferPath: path.join(dir, 'buffer.db'),
      url: `http://127.0.0.1:${proxy!.port}`,
      gatewayId: GATEWAY,
      // The smallest bound: a few thousand rows, so eviction runs on almost every commit.
      maxBytes: 128 * 1024,
      rowsPerTick: 40,
      tickMs: 10,
    };
    child = await BufferSyncProcess.start(config, env);
    for (let step = 0; step < STEPS; step++) {
      await sleep(200 + random() * 600);
      const pick = random();
      if (pick < 0.5) {
        await child.kill();
        tally.childKills++;
        child = await BufferSyncProcess.start(config, env);
      } else if (pick < 0.7) {
        await relay!.process.kill();
        tally.relayKills++;
        await startRelay();
      } else {
        const others = MODES.filter((m) => m !== proxy!.mode);
        const mode = others[Math.floor(random() * others.length)]!;
        proxy!.setMode(mode);
        tally.modes[mode]++;
      }
    }

    // Drain: a clear link and nothing new produced.
    proxy!.setMode('pass');
    await child.kill();
    tally.childKills++;
    child = await BufferSyncProcess.start({ ...config, rowsPerTick: 0 }, env);
    await waitFor(() => readAccounting(config.bufferPath)?.buffered === 0, 'the buffer to drain', 30_000, 100);
    expect(await child.stop()).toEqual({ code: 0, signal: null });

    const end = readAccounting(config.bufferPath)!;
    const { gateways } = await getJson<{ gateways: Array<{ id: string; highestSeq: number; records: number }> }>(relay!.url, '/v1/gateways', token);
    const atRelay = gateways.find((g) => g.id === GATEWAY)?.records ?? 0;
    const summary = `relay ${atRelay} + evicted ${end.evicted} + buffered ${end.buffered} vs last seq ${end.lastSeq}; ${JSON.stringify(tally)} proxy ${JSON.stringify(proxy!.stats)}`;
    expect(end.evicted, summary).toBeGreaterThan(0);
    expect(atRelay, summary).toBeGreaterThan(0);
    expect(atRelay + end.evicted + end.buffered, summary).toBe(end.lastSeq);
    expect(tally.childKills, summary).toBeGreaterThan(5);
    expect(tally.relayKills, summary).toBeGreaterThan(0);
  }, 120_000);
});
