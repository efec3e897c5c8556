/**
 * The agent's serial link against a bare slave on a socat pty: the master keeps t3.5 of silence
 * between the answer it received and its next request (Modbus over Serial Line v1.02 §2.5.1.1).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { type LinkTarget, ModbusLink } from '../../agent/modbus/link.ts';
import { systemClock } from '../../protocols/clock.ts';
import { decodeRtu, encodeReadRegistersResponse, encodeRtu } from '../../protocols/modbus/frame.ts';
import { bitsPerChar, t35Ms } from '../../protocols/modbus/timing.ts';
import { testLogger } from '../helpers/logger.ts';
import { openPtyPair } from '../helpers/pty.ts';

/**
 * Answers every 8-byte FC03 request at once with registers 0, 1, …, and notes when each request
 * arrived and each answer was written (performance.now(), same process as the master).
 */
class BareSlave {
  readonly requestsAt: number[] = [];
  readonly answersAt: number[] = [];
  private held = Buffer.alloc(0);
  private constructor(private readonly port: SerialPort) {
    port.on('data', (chunk: Buffer) => {
      this.held = Buffer.concat([this.held, chunk]);
      while (this.held.length >= 8) {
        const frame = decodeRtu(this.held.subarray(0, 8));
        this.held = this.held.subarray(8);
        this.requestsAt.push(performance.now());
        const quantity = (frame.pdu[3]! << 8) | frame.pdu[4]!;
        const answer = encodeRtu(
          frame.unit,
          encodeReadRegistersResponse(
            3,
            Array.from({ length: quantity }, (_, i) => i),
          ),
        );
        port.write(Buffer.from(answer));
        this.answersAt.push(performance.now());
      }
    });
  }

  static async open(devicePath: string): Promise<BareSlave> {
    const port = new SerialPort({ path: devicePath, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    return new BareSlave(port);
  }

  async close(): Promise<void> {
    if (this.port.isOpen) await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }
}

describe('agent serial link timing', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setUp(
    target: Omit<Extract<LinkTarget, { kind: 'serial' }>, 'path' | 'kind'>,
    interFrameDelayMs = 0,
  ): Promise<{ link: ModbusLink; slave: BareSlave }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-link-'));
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const pty = await openPtyPair(dir);
    cleanups.push(() => pty.close());
    const slave = await BareSlave.open(pty.b);
    cleanups.push(() => slave.close());
    const link = new ModbusLink({
      id: 'rs485-test',
      target: { kind: 'serial', path: pty.a, ...target },
      timeoutMs: 2000,
      interFrameDelayMs,
      reconnectMinMs: 100,
      reconnectMaxMs: 1000,
      clock: systemClock,
      logger: testLogger(),
    });
    link.start();
    cleanups.push(() => link.stop());
    return { link, slave };
  }

  // 1200 baud 8E1: t3.5 = 3.5 × 11 bits / 1200 = 32.08 ms, far above a pty's and a busy machine's jitter.
  it('keeps t3.5 of silence between an answer and the next request queued behind it', async () => {
    const { link, slave } = await setUp({ baudRate: 1200, parity: 'even', dataBits: 8, stopBits: 1 });
    const reads = [0, 1, 2].map(() => link.read(1, 'holding', 0, 2));
    expect(await Promise.all(reads)).toEqual([
      [0, 1],
      [0, 1],
      [0, 1],
    ]);
    const t35 = t35Ms(1200, bitsPerChar(8, 'even', 1));
    for (let i = 1; i < 3; i++) expect(slave.requestsAt[i]! - slave.answersAt[i - 1]!).toBeGreaterThanOrEqual(t35);
  });

  it("counts t3.5 from the line's real character length, and adds interFrameDelayMs", async () => {
    const { link, slave } = await setUp({ baudRate: 1200, parity: 'none', dataBits: 8, stopBits: 1 }, 20);
    await Promise.all([link.read(1, 'holding', 0, 1), link.read(1, 'holding', 0, 1)]);
    // 8N1: 10-bit characters, t3.5 = 29.17 ms, + 20 ms configured.
    expect(slave.requestsAt[1]! - slave.answersAt[0]!).toBeGreaterThanOrEqual(t35Ms(1200, 10) + 20);
  });
});
