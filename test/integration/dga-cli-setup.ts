/**
 * What the DGA CLI tests share: running `atalaya relay …` as a child process while the DGA double
 * answers from the test's own process, and a relay database holding a well's readings.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createStore } from '../../cloud/store/index.ts';
import { testLogger } from '../helpers/logger.ts';

const bin = path.resolve('bin/atalaya.mjs');

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Asynchronous (never spawnSync): the simulator answers from this process while the command runs. */
export function runRelay(args: readonly string[], env: NodeJS.ProcessEnv, input = ''): Promise<CliResult> {
  const child = spawn(process.execPath, [bin, 'relay', ...args], { env, timeout: 60_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * `<dir>/data/relay.db` with gateway gw-1 and device pozo-1's flow (7.25 L/s), totalizer and level
 * every 10 minutes from 10 minutes before `first` until now. `totalizerStep`: m³ added per reading
 * (0: a constant 5000).
 */
export async function storeWellReadings(dir: string, first: number, totalizerStep = 0): Promise<void> {
  fs.mkdirSync(path.join(dir, 'data'));
  const store = createStore({ kind: 'sqlite', path: path.join(dir, 'data', 'relay.db') }, testLogger());
  await store.start();
  try {
    await store.addGateway('gw-1', 'sealed', Date.now());
    const records = [];
    let seq = 0;
    let total = 5000;
    for (let t = first - 10 * 60_000; t < Date.now(); t += 10 * 60_000) {
      for (const [channel, value, unit] of [
        ['flow', 7.25, 'L/s'],
        ['totalizer', +total.toFixed(2), 'm3'],
        ['level', 12.5, 'm'],
      ] as const) {
        seq++;
        records.push({
          gateway: 'gw-1',
          seq,
          kind: 'reading' as const,
          device: 'pozo-1',
          channel,
          value,
          unit,
          quality: 'good' as const,
          exception: null,
          ts: t,
          tsCorrected: null,
          mono: seq,
          bootId: 'b',
          priority: 1 as const,
          flags: 0,
          hash: createHash('sha256').update(String(seq)).digest('hex'),
        });
      }
      total += totalizerStep;
    }
    await store.ingest({ gateway: 'gw-1', records, now: Date.now(), clockOffsetMs: 0 });
  } finally {
    await store.stop();
  }
}
