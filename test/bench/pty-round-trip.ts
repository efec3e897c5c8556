/**
 * The floor under every RTU figure: the round trip of 8 bytes through a socat pseudo-terminal pair
 * and back from a trivial echo process, no Modbus, with serialport's stock binding (reads and writes
 * through libuv's thread pool) and with platform/serial-binding.ts (on the event loop) at both ends.
 * Prints, asserts nothing. Run: node bin/run-ts.mjs test/bench/pty-round-trip.ts [round trips]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { SerialPort } from 'serialport';
import { directSerialBinding } from '../../platform/serial-binding.ts';
import { openPtyPair } from '../../simulators/pty.ts';
import { out } from './common.ts';

export type Binding = 'stock' | 'direct';

export interface Spread {
  median: number;
  p10: number;
  p90: number;
}

export function spread(values: number[]): Spread {
  const v = [...values].sort((a, b) => a - b);
  const at = (q: number): number => v[Math.min(v.length - 1, Math.floor(q * v.length))] ?? Number.NaN;
  return { median: at(0.5), p10: at(0.1), p90: at(0.9) };
}

export const ms = (s: Spread): string => `median ${s.median.toFixed(3)} ms (p10 ${s.p10.toFixed(3)}, p90 ${s.p90.toFixed(3)})`;

/**
 * Round-trip times, ms, of `count` 8-byte writes echoed back through a fresh pty pair. `idleMs`
 * of silence before each write lets every process fall asleep first, as it does between polls.
 */
export async function ptyRoundTrips(binding: Binding, count: number, idleMs = 0): Promise<number[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'atalaya-pty-rtt-'));
  const pty = await openPtyPair(dir);
  const child = spawn(process.execPath, [path.resolve('bin/run-ts.mjs'), 'test/bench/pty-echo-responder.ts', pty.b, binding], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let port: SerialPort | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`echo responder exited ${code}`)));
    });
    const options = { path: pty.a, baudRate: 19200, ...(binding === 'direct' ? { binding: directSerialBinding } : {}) };
    const p = new SerialPort(options as ConstructorParameters<typeof SerialPort>[0]);
    port = p;
    await new Promise<void>((resolve, reject) => p.once('open', resolve).once('error', reject));
    const request = Buffer.from([1, 3, 0, 0, 0, 2, 0xc4, 0x0b]);
    const times: number[] = [];
    let got = 0;
    let wake: (() => void) | undefined;
    p.on('data', (chunk: Buffer) => {
      got += chunk.length;
      if (got >= request.length) wake?.();
    });
    for (let i = 0; i < count + 20; i++) {
      if (idleMs > 0) await new Promise((r) => setTimeout(r, idleMs));
      got = 0;
      const done = new Promise<void>((r) => (wake = r));
      const t0 = performance.now();
      p.write(request);
      await done;
      if (i >= 20) times.push(performance.now() - t0); // first 20: warm-up
    }
    return times;
  } finally {
    if (port?.isOpen) await new Promise<void>((r) => port!.close(() => r()));
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await pty.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(count = 2000): Promise<void> {
  out(
    `pty round trip: 8 bytes through a socat pty pair to an echo process and back, ${count} times back to back, then ${Math.ceil(count / 10)} times after 12 ms idle`,
  );
  for (const binding of ['stock', 'direct'] as const) {
    out(`  ${binding.padEnd(6)} serialport binding at both ends, back to back: ${ms(spread(await ptyRoundTrips(binding, count)))}`);
    out(`  ${binding.padEnd(6)} serialport binding at both ends, after idle:   ${ms(spread(await ptyRoundTrips(binding, Math.ceil(count / 10), 12)))}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await main(Number(process.argv[2] ?? 2000));
}
