import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { SerialPort } from 'serialport';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../protocols/clock.ts';
import { isAtalayaError } from '../../protocols/errors.ts';
import { ATALAYA_MODBUS_CRC } from '../../protocols/modbus/errors.ts';
import { decodeRtu, encodeReadRegistersResponse, encodeRequest, encodeRtu } from '../../protocols/modbus/frame.ts';
import { ATALAYA_SIM_SERIAL } from '../../simulators/modbus/errors.ts';
import type { ModbusSimulatorOptions } from '../../simulators/modbus/simulator.ts';
import { ModbusSimulator } from '../../simulators/modbus/simulator.ts';
import { answerEndMs } from '../../simulators/modbus/wire-time.ts';
import type { PtyPair } from '../helpers/pty.ts';
import { openPtyPair } from '../helpers/pty.ts';

const frozen: Clock = { now: () => Date.now(), monotonic: () => 1_000 };
const hex = (s: string): Uint8Array =>
  Uint8Array.from(
    s
      .trim()
      .split(/\s+/)
      .map((b) => parseInt(b, 16)),
  );
const read5 = (unit: number): Uint8Array => encodeRtu(unit, encodeRequest({ fc: 3, address: 0, quantity: 5 }));

/** A raw serial master on the other end of the pty: writes bytes, waits for a number of bytes back. */
class RawMaster {
  private received = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private constructor(readonly port: SerialPort) {
    port.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.waiter?.();
    });
  }

  static async open(devicePath: string, baudRate: number): Promise<RawMaster> {
    const port = new SerialPort({ path: devicePath, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    return new RawMaster(port);
  }

  async write(bytes: Uint8Array): Promise<void> {
    await new Promise<void>((resolve, reject) => this.port.write(Buffer.from(bytes), (err) => (err ? reject(err) : resolve())));
  }

  /** Resolves with exactly the first `n` bytes received, removing them. */
  async take(n: number, timeoutMs = 5000): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`got ${this.received.length} of ${n} bytes: ${this.received.toString('hex')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const out = Uint8Array.from(this.received.subarray(0, n));
    this.received = this.received.subarray(n);
    return out;
  }

  async close(): Promise<void> {
    if (this.port.isOpen) await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }
}

describe('RTU simulator on a serial line, raw frames', () => {
  let dir: string;
  let pty: PtyPair | undefined;
  let sim: ModbusSimulator | undefined;
  let master: RawMaster | undefined;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
    pty = await openPtyPair(dir);
    sim = new ModbusSimulator({
      devices: [
        { unitId: 1, kind: 'gas-detector', scenario: 'steady', params: { ch4: 4.2 } },
        { unitId: 2, kind: 'flowmeter', scenario: 'steady', faults: { badCrc: { probability: 1 } } },
      ],
      serial: { path: pty.b, baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 },
      clock: frozen,
      logger: pino({ level: 'silent' }),
    });
    await sim.start();
    master = await RawMaster.open(pty.a, 9600);
  });

  afterAll(async () => {
    await master?.close();
    await sim?.stop();
    await pty?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const expected = (): Uint8Array => encodeRtu(1, encodeReadRegistersResponse(3, [...sim!.device(1)!.image.holding.subarray(0, 5)]));

  it('answers FC03 byte for byte', async () => {
    await master!.write(read5(1));
    const answer = await master!.take(15); // 1 + 1 + 1 + 2·5 + 2
    expect(answer).toEqual(expected());
    expect(decodeRtu(answer).pdu.subarray(0, 4)).toEqual(hex('03 0A 00 2A')); // CH4 4.2 %LEL ×0.1 = 42
  });

  it('skips and counts garbage before a frame', async () => {
    const before = sim!.stats().rtu!;
    await master!.write(Uint8Array.from([...hex('FF 00 13 37'), ...read5(1)]));
    expect(await master!.take(15)).toEqual(expected());
    const after = sim!.stats().rtu!;
    expect(after.garbageBytes - before.garbageBytes).toBe(4);
    expect(after.frameErrors - before.frameErrors).toBe(1);
  });

  it('ignores a request with a bad CRC, and a unit it does not have', async () => {
    const before = sim!.stats().rtu!;
    const bad = read5(1);
    bad[7]! ^= 0x01;
    await master!.write(bad);
    await master!.write(read5(9));
    await master!.write(read5(1));
    // Had either of the first two been answered, its bytes would come first.
    expect(await master!.take(15)).toEqual(expected());
    const after = sim!.stats().rtu!;
    expect(after.crcErrors - before.crcErrors).toBe(1);
    expect(after.otherUnits - before.otherUnits).toBe(1);
  });

  it('executes a broadcast write without answering it', async () => {
    await master!.write(encodeRtu(0, encodeRequest({ fc: 6, address: 12, value: 0x1234 })));
    await master!.write(encodeRtu(1, encodeRequest({ fc: 3, address: 12, quantity: 1 })));
    expect(await master!.take(7)).toEqual(encodeRtu(1, hex('03 02 12 34')));
    expect(sim!.device(2)!.image.holding[12]).toBe(0x1234); // spare register of the other device
  });

  it('corrupts the CRC of answers from a unit with the bad-crc fault', async () => {
    await master!.write(read5(2));
    const answer = await master!.take(15);
    let code: string | undefined;
    try {
      decodeRtu(answer);
    } catch (err) {
      code = isAtalayaError(err) ? err.code : undefined;
    }
    expect(code).toBe(ATALAYA_MODBUS_CRC);
  });
});

describe('RTU simulator with wire time', () => {
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('delays an answer by at least the wire time at the configured baud', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const pty = await openPtyPair(dir);
    cleanups.push(() => pty.close());
    const baudRate = 4800;
    const options: ModbusSimulatorOptions = {
      devices: [{ unitId: 1, kind: 'gas-detector', scenario: 'steady' }],
      serial: { path: pty.b, baudRate, parity: 'none', dataBits: 8, stopBits: 1, wireTime: true },
      clock: frozen,
      logger: pino({ level: 'silent' }),
    };
    const sim = new ModbusSimulator(options);
    await sim.start();
    cleanups.push(() => sim.stop());
    const master = await RawMaster.open(pty.a, baudRate);
    cleanups.push(() => master.close());

    const started = performance.now();
    await master.write(read5(1));
    await master.take(15);
    const elapsed = performance.now() - started;
    // 23 characters of 11 bits at 4800 baud + the t3.5 before the answer ≈ 60.7 ms: the answer is
    // written when it would have finished crossing the line, never earlier.
    expect(elapsed).toBeGreaterThanOrEqual(answerEndMs(8, 15, baudRate));
  });

  it('fails start() with ATALAYA_SIM_SERIAL when the device is missing, releasing the TCP port', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const sim = new ModbusSimulator({
      devices: [{ unitId: 1, kind: 'gas-detector', scenario: 'steady' }],
      tcp: { host: '127.0.0.1', port: 0 },
      serial: { path: path.join(dir, 'missing'), baudRate: 9600, parity: 'even', dataBits: 8, stopBits: 1 },
      clock: frozen,
      logger: pino({ level: 'silent' }),
    });
    cleanups.push(() => sim.stop());
    const failure = await sim.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isAtalayaError(failure, ATALAYA_SIM_SERIAL)).toBe(true);
    expect(sim.tcpPort).toBeUndefined();
  });
});
