import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../agent/config/load.ts';
import { profileTable } from '../../agent/config/profiles.ts';
import { Poller } from '../../agent/modbus/poller.ts';
import { systemClock } from '../../protocols/clock.ts';
import { encodeRaw, fromEngineering } from '../../protocols/modbus/decode.ts';
import type { NewRecord } from '../../protocols/records.ts';
import { openPtyPair, type PtyPair } from '../../simulators/pty.ts';
import { testLogger } from '../helpers/logger.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * Interop with a slave not written here: Debian's python3-pymodbus serves a flowmeter register
 * map over RTU on a pseudo-terminal, and the agent's poller reads it.
 */
describe('agent reads a python3-pymodbus RTU slave', () => {
  let dir: string;
  let pty: PtyPair;
  let slave: ChildProcess;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'atalaya-pymodbus-'));
    pty = await openPtyPair(dir);
    const regs = new Array<number>(11).fill(0);
    regs.splice(0, 2, ...encodeRaw(23.75, 'float32', 'CDAB'));
    regs.splice(2, 2, ...encodeRaw(fromEngineering(123456.7, 0.1, 0), 'uint32', 'ABCD'));
    regs.splice(8, 2, ...encodeRaw(41.5, 'float32', 'CDAB'));
    regs[10] = 0b1000; // reverse flow
    slave = spawn('/usr/bin/python3', [path.resolve('test/integration/fixtures/pymodbus-slave.py'), pty.b, '7', regs.join(',')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    slave.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    slave.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    // A slave that cannot start (a python module missing) exits at once: fail then, not at the deadline.
    await waitFor(() => out.includes('ready') || slave.exitCode !== null, 'pymodbus slave');
    if (!out.includes('ready')) throw new Error(`pymodbus slave exited (${slave.exitCode}) before serving: ${err.trim()}`);
  });

  afterAll(async () => {
    if (slave.exitCode === null) {
      const exited = new Promise((r) => slave.once('exit', r));
      slave.kill('SIGKILL');
      await exited;
    }
    await pty.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('decodes the flowmeter profile from registers pymodbus serves', async () => {
    const config = parseConfig({
      gateway: { id: 'gw' },
      serial: [{ id: 'line', path: pty.a, baudRate: 19200, timeoutMs: 300 }],
      devices: [{ id: 'meter', profile: 'flowmeter', serial: 'line', unitId: 7, params: { sensorDepthM: 100 } }],
    });
    const poller = new Poller({ config, profiles: profileTable(config), sink: async () => undefined, clock: systemClock, bootId: 'b', logger: testLogger() });
    try {
      // The python server may still be opening its end: poll until the first full answer.
      const records = await waitFor(
        async () => {
          if (slave.exitCode !== null) throw new Error(`pymodbus slave exited (${slave.exitCode})`);
          const r = (await poller.pollOnce()).get('meter')!;
          return r.every((x) => x.quality === 'good') && r;
        },
        'a good poll',
        20_000,
      );
      const by = new Map(records.map((r: NewRecord) => [r.channel, r.value]));
      expect(by.get('flow')).toBe(23.75);
      expect(by.get('totalizer')).toBe(123456.7);
      expect(by.get('water_column')).toBe(41.5);
      expect(by.get('level')).toBe(58.5);
      expect(by.get('reverse_flow')).toBe(1);
      expect(by.get('empty_pipe')).toBe(0);
    } finally {
      await poller.stop();
    }
  });
});
