/**
 * Modbus RTU polls/s through a pseudo-terminal against the simulator delaying every answer by the
 * real wire time at the baud rate, compared with the physical ceiling of docs/field.md#the-serial-lines-ceiling:
 *   T_cycle = (8 + 5 + 2N)·T_char + 2·t3.5 (T_slave = 0), one float32 (N = 2).
 * Prints, asserts nothing. Run: node bin/run-ts.mjs test/bench/modbus-rtu.ts [seconds]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ModbusLink } from '../../agent/modbus/link.ts';
import { systemClock } from '../../protocols/clock.ts';
import { wireTimeMs } from '../../simulators/modbus/wire-time.ts';
import { testLogger } from '../helpers/logger.ts';
import { fmt, machineLine, out, startSim } from './common.ts';

const N = 2;

async function atBaud(baud: number, seconds: number): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'atalaya-rtu-bench-'));
  const sim = await startSim(['--no-tcp', '--pty', dir, '--baud', String(baud), '--wire-time', '--device', '1=flowmeter:steady']);
  const link = new ModbusLink({
    id: 'bench', target: { kind: 'serial', path: path.join(dir, 'a'), baudRate: baud, parity: 'none', dataBits: 8, stopBits: 1 },
    timeoutMs: 1000, interFrameDelayMs: 0, reconnectMinMs: 100, reconnectMaxMs: 1000, clock: systemClock, logger: testLogger(),
  });
  try {
    link.start();
    for (let i = 0; i < 5; i++) await link.read(1, 'holding', 0, N); // warm-up
    let polls = 0;
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    while (performance.now() < end) {
      await link.read(1, 'holding', 0, N);
      polls++;
    }
    const achieved = polls / ((performance.now() - t0) / 1000);
    const ceiling = 1000 / wireTimeMs(8, 5 + 2 * N, baud);
    out(`  ${String(baud).padStart(5)} baud: ${fmt(achieved, 1)} polls/s, ceiling ${fmt(ceiling, 1)} polls/s, ratio ${(achieved / ceiling).toFixed(3)}`);
  } finally {
    await link.stop();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(seconds = 10): Promise<void> {
  out(machineLine());
  out(`modbus rtu: one FC03 read of one float32 (N=${N}) in a loop over a socat pty, simulator delaying answers by the wire time, ${seconds} s per baud rate`);
  for (const baud of [9600, 19200]) await atBaud(baud, seconds);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await main(Number(process.argv[2] ?? 10));
}
