/** platform/serial-binding.ts on a socat pty pair: the paths a Modbus frame never takes but a port must survive. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { createDirectSerialBinding } from '../../platform/serial-binding.ts';
import { openPtyPair } from '../helpers/pty.ts';

describe('direct serial binding', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function open(devicePath: string, hooks = {}): Promise<SerialPort> {
    const options = { path: devicePath, baudRate: 19200, autoOpen: false, binding: createDirectSerialBinding(hooks) };
    const port = new SerialPort(options as ConstructorParameters<typeof SerialPort>[0]);
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    cleanups.push(async () => {
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    });
    return port;
  }

  async function pair(hooks = {}): Promise<{ a: SerialPort; b: SerialPort }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-serial-'));
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const pty = await openPtyPair(dir);
    cleanups.push(() => pty.close());
    return { a: await open(pty.a, hooks), b: await open(pty.b) };
  }

  it('delivers a write larger than the pty buffer whole and in order (EAGAIN waits for the poller)', async () => {
    let reads = 0;
    let writes = 0;
    const { a, b } = await pair({ onRead: () => reads++, onWrite: () => writes++ });
    const sent = Buffer.alloc(256 * 1024, 0);
    for (let i = 0; i < sent.length; i++) sent[i] = (i * 31) & 0xff;
    const chunks: Buffer[] = [];
    let got = 0;
    const all = new Promise<void>((resolve) =>
      b.on('data', (c: Buffer) => {
        chunks.push(c);
        got += c.length;
        if (got >= sent.length) resolve();
      }),
    );
    await new Promise<void>((resolve, reject) => a.write(sent, (err) => (err ? reject(err) : resolve())));
    await all;
    expect(Buffer.concat(chunks).equals(sent)).toBe(true);
    expect(writes).toBe(1);
    // and the other way, seen by a's read hook
    b.write(Buffer.from([1, 2, 3]));
    await new Promise<void>((resolve) => a.once('data', () => resolve()));
    expect(reads).toBeGreaterThan(0);
  });

  it('closes with a read pending, without an error', async () => {
    const { a } = await pair();
    const errors: Error[] = [];
    a.on('error', (e: Error) => errors.push(e));
    a.on('data', () => undefined); // a read is now waiting on the poller
    await new Promise<void>((resolve, reject) => a.close((err) => (err ? reject(err) : resolve())));
    expect(a.isOpen).toBe(false);
    expect(errors).toEqual([]);
  });
});
