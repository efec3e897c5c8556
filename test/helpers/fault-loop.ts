/**
 * The seeded fault loop of issue 19: the store-and-forward path (test/helpers/buffer-sync-child.ts,
 * a buffer small enough to evict all the time) syncing to a relay child process through a proxy
 * that stalls and cuts the link; the agent side and the relay SIGKILLed on a schedule fixed by
 * the seed. Ends with a drain and returns the accounting. Used by the short loop in the suite
 * (test/integration/buffer-accounting-faults.test.ts) and by the long one (test/bench/fault-loop.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from '../../simulators/modbus/faults.ts';
import { type Accounting, type BufferSyncConfig, BufferSyncProcess, readAccounting } from './buffer-sync-process.ts';
import { FaultProxy, type ProxyMode, type ProxyStats } from './proxy.ts';
import { addGateway, cleanEnv, getJson, type RelayProcess, startRelayProcess, writeRelayConfig } from './relay-process.ts';
import { waitFor } from './wait.ts';

const GATEWAY = 'gw-accounting';
const MODES: readonly ProxyMode[] = ['pass', 'stall', 'drop'];

export interface FaultLoopOptions {
  readonly steps: number;
  readonly seed: number;
  /** Wait between steps: minMs + random × spreadMs. */
  readonly minMs?: number;
  readonly spreadMs?: number;
  /** Called after each step with the accounting read from outside (for the long loop's RSS figures). */
  readonly onStep?: (step: number, pid: number) => void;
}

export interface FaultLoopResult extends Accounting {
  /** Records the relay holds for the gateway (it stores each seq once). */
  readonly atRelay: number;
  readonly childKills: number;
  readonly relayKills: number;
  readonly modes: Record<ProxyMode, number>;
  readonly proxy: ProxyStats;
  readonly drainMs: number;
}

export async function runFaultLoop(options: FaultLoopOptions): Promise<FaultLoopResult> {
  const random = seededRandom(options.seed);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-fault-loop-'));
  const proxy = new FaultProxy({ random: seededRandom(options.seed + 1) });
  let relay: RelayProcess | undefined;
  let child: BufferSyncProcess | undefined;
  const tally = { childKills: 0, relayKills: 0, modes: { pass: 0, stall: 0, drop: 0 } as Record<ProxyMode, number> };
  try {
    const { configFile, token } = writeRelayConfig(dir, { kind: 'sqlite', path: 'relay.db' });
    const env = cleanEnv({ ATALAYA_GATEWAY_SECRET: await addGateway(configFile, GATEWAY) });
    await proxy.start();
    const startRelay = async (): Promise<void> => {
      relay = await startRelayProcess(configFile);
      proxy.setTarget(relay.port);
    };
    await startRelay();
    const config: BufferSyncConfig = {
      bufferPath: path.join(dir, 'buffer.db'),
      url: `http://127.0.0.1:${proxy.port}`,
      gatewayId: GATEWAY,
      // The smallest bound: a few thousand rows, so eviction runs on almost every commit.
      maxBytes: 128 * 1024,
      rowsPerTick: 40,
      tickMs: 10,
    };
    child = await BufferSyncProcess.start(config, env);
    for (let step = 0; step < options.steps; step++) {
      await sleep((options.minMs ?? 200) + random() * (options.spreadMs ?? 600));
      options.onStep?.(step, child.pid);
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
        const others = MODES.filter((m) => m !== proxy.mode);
        const mode = others[Math.floor(random() * others.length)]!;
        proxy.setMode(mode);
        tally.modes[mode]++;
      }
    }

    // Drain: a clear link and nothing new produced.
    proxy.setMode('pass');
    await child.kill();
    tally.childKills++;
    const drainStart = Date.now();
    child = await BufferSyncProcess.start({ ...config, rowsPerTick: 0 }, env);
    await waitFor(() => readAccounting(config.bufferPath)?.buffered === 0, 'the buffer to drain', 60_000, 100);
    const drainMs = Date.now() - drainStart;
    const exit = await child.stop();
    if (exit.code !== 0) throw new Error(`the draining child exited with ${exit.code ?? exit.signal}`);
    const end = readAccounting(config.bufferPath)!;
    const { gateways } = await getJson<{ gateways: Array<{ id: string; records: number }> }>(relay!.url, '/v1/gateways', token);
    const atRelay = gateways.find((g) => g.id === GATEWAY)?.records ?? 0;
    return { ...end, atRelay, ...tally, proxy: { ...proxy.stats }, drainMs };
  } finally {
    await child?.kill().catch(() => undefined);
    await relay?.process.kill().catch(() => undefined);
    await proxy.stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
