import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../protocols/clock.ts';
import type { MbapFrame } from '../../protocols/modbus/frame.ts';
import { encodeMbap, encodeRequest, MbapSplitter } from '../../protocols/modbus/frame.ts';
import { ModbusSimulator } from '../../simulators/modbus/simulator.ts';
import type { PtyPair } from '../helpers/pty.ts';
import { openPtyPair } from '../helpers/pty.ts';

/**
 * Interop with a Modbus master not written here: Debian's mbpoll (libmodbus) reads the simulator
 * over Modbus/TCP and over RTU on a pseudo-terminal. The clock is frozen so the image does not
 * change between mbpoll's read and ours.
 */
const frozen: Clock = { now: () => Date.now(), monotonic: () => 1_000 };

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function mbpoll(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('mbpoll', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** mbpoll prints one `[ref]: \tvalue` line per value read. */
function values(stdout: string): number[] {
  return [...stdout.matchAll(/^\[(\d+)\]:\s+(\S+)/gm)].map((m) => Number(m[2]));
}

describe('mbpoll reads the simulator', () => {
  let dir: string;
  let pty: PtyPair | undefined;
  let sim: ModbusSimulator | undefined;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
    pty = await openPtyPair(dir);
    sim = new ModbusSimulator({
      devices: [
        { unitId: 1, kind: 'gas-detector', scenario: 'steady', params: { ch4: 4.2, h2s: 1.5, co: 12, o2: 20.9 } },
        { unitId: 2, kind: 'flowmeter', scenario: 'steady', params: { flow: 12.5, waterColumnM: 41.25, totalizerM3: 98_765.4 } },
        { unitId: 3, kind: 'gas-detector', scenario: 'steady', faults: { exception: { code: 2 } } },
        { unitId: 4, kind: 'gas-detector', scenario: 'steady', faults: { slow: { delayMs: 40 } } },
      ],
      tcp: { host: '127.0.0.1', port: 0 },
      serial: { path: pty.b, baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 },
      clock: frozen,
      logger: pino({ level: 'silent' }),
    });
    await sim.start();
  });

  afterAll(async () => {
    await sim?.stop();
    await pty?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const holding = (unit: number, count: number): number[] => [...sim!.device(unit)!.image.holding.subarray(0, count)];

  it('over TCP: the gas detector registers (mbpoll -r is 1-based)', async () => {
    const run = await mbpoll(['-m', 'tcp', '-p', String(sim!.tcpPort), '-a', '1', '-r', '1', '-c', '5', '-1', '127.0.0.1']);
    expect(run.code).toBe(0);
    expect(values(run.stdout)).toEqual(holding(1, 5));
    expect(values(run.stdout).slice(0, 4)).toEqual([42, 15, 12, 2090]);
  });

  it('over TCP: the flowmeter map and its CDAB floats, mbpoll’s default word order', async () => {
    const port = String(sim!.tcpPort);
    const raw = await mbpoll(['-m', 'tcp', '-p', port, '-a', '2', '-r', '1', '-c', '11', '-1', '127.0.0.1']);
    expect(raw.code).toBe(0);
    expect(values(raw.stdout).map((v) => v & 0xffff)).toEqual(holding(2, 11));
    const floats = await mbpoll(['-m', 'tcp', '-p', port, '-a', '2', '-t', '4:float', '-r', '1', '-c', '1', '-1', '127.0.0.1']);
    expect(values(floats.stdout)).toEqual([12.5]);
    const column = await mbpoll(['-m', 'tcp', '-p', port, '-a', '2', '-t', '4:float', '-r', '9', '-c', '1', '-1', '127.0.0.1']);
    expect(values(column.stdout)).toEqual([41.25]);
  });

  it('over RTU on a serial line (socat pty)', async () => {
    const run = await mbpoll(['-m', 'rtu', '-b', '9600', '-P', 'none', '-a', '1', '-r', '1', '-c', '5', '-1', pty!.a]);
    expect(run.code).toBe(0);
    expect(values(run.stdout)).toEqual(holding(1, 5));
  });

  it('shows exception 02 from a unit configured to answer it, and 0B for an unknown unit on TCP', async () => {
    const port = String(sim!.tcpPort);
    const faulty = await mbpoll(['-m', 'tcp', '-p', port, '-a', '3', '-r', '1', '-c', '5', '-1', '127.0.0.1']);
    expect(faulty.code).not.toBe(0);
    expect(values(faulty.stdout)).toEqual([]);
    expect(faulty.stderr).toMatch(/illegal data address/i);
    const unknown = await mbpoll(['-m', 'tcp', '-p', port, '-a', '9', '-r', '1', '-c', '1', '-1', '127.0.0.1']);
    expect(unknown.stderr).toMatch(/target device failed to respond/i);
  });

  it('answers pipelined requests in order, on concurrent connections', async () => {
    const ask = (unit: number, tid: number): Uint8Array => encodeMbap(tid, unit, encodeRequest({ fc: 3, address: 0, quantity: 1 }));
    const exchange = (requests: Uint8Array[]): Promise<MbapFrame[]> =>
      new Promise((resolve, reject) => {
        const socket = net.connect(sim!.tcpPort!, '127.0.0.1');
        const splitter = new MbapSplitter();
        const frames: MbapFrame[] = [];
        socket.on('error', reject);
        socket.on('connect', () => socket.write(Buffer.concat(requests)));
        socket.on('data', (chunk: Buffer) => {
          for (const e of splitter.push(chunk)) if (!('error' in e)) frames.push(e);
          if (frames.length === requests.length) {
            socket.destroy();
            resolve(frames);
          }
        });
      });
    // Unit 4 answers 40 ms late; the answers behind it must still come after it.
    const results = await Promise.all([1, 2, 3].map((c) => exchange([ask(4, c * 10 + 1), ask(1, c * 10 + 2), ask(9, c * 10 + 3)])));
    results.forEach((frames, i) => {
      const c = i + 1;
      expect(frames.map((f) => [f.transactionId, f.unit, f.pdu[0]])).toEqual([
        [c * 10 + 1, 4, 3],
        [c * 10 + 2, 1, 3],
        [c * 10 + 3, 9, 0x83],
      ]);
    });
  });
});
