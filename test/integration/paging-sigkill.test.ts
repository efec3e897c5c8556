/**
 * Issue 13 §7: an agent killed (SIGKILL) after it paged, while the uplink is still down and its
 * `paged` record has not reached the relay, must not page the same transition again after a
 * restart: the paging table in the buffer file remembers it.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../protocols/clock.ts';
import { ModbusSimulator } from '../../simulators/modbus/simulator.ts';
import { ModemSimulator } from '../../simulators/modem/simulator.ts';
import { startAgentProcess, writeAgentConfig } from '../helpers/agent-process.ts';
import { testLogger } from '../helpers/logger.ts';
import { openPtyPair, type PtyPair } from '../helpers/pty.ts';
import { type AtalayaProcess, cleanEnv } from '../helpers/relay-process.ts';
import { waitFor } from '../helpers/wait.ts';

const AFTER_MS = 1500;

/** A loopback port nothing listens on: the relay the agent cannot reach. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function pagingRows(file: string): Array<{ seq: number; status: string; noted: number }> {
  const db = new Sqlite(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT seq, status, noted FROM paging ORDER BY seq').all() as Array<{ seq: number; status: string; noted: number }>;
  } catch {
    return [];
  } finally {
    db.close();
  }
}

let dir: string | undefined;
let pty: PtyPair | undefined;
let modem: ModemSimulator | undefined;
let sim: ModbusSimulator | undefined;
let agent: AtalayaProcess | undefined;

afterEach(async () => {
  await agent?.kill();
  await sim?.stop();
  await modem?.stop();
  await pty?.close();
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  agent = sim = modem = pty = dir = undefined;
});

describe('paging across a SIGKILL', () => {
  it('never sends the same page twice after a restart', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-paging-kill-'));
    pty = await openPtyPair(dir);
    modem = new ModemSimulator({ path: pty.b, logger: testLogger() });
    await modem.start();
    sim = new ModbusSimulator({
      devices: [{ unitId: 1, kind: 'gas-detector', scenario: 'steady', params: { ch4: 25 } }],
      tcp: { host: '127.0.0.1', port: 0 },
      clock: systemClock,
      logger: testLogger(),
      seed: 1,
    });
    await sim.start();
    const bufferFile = path.join(dir, 'buffer.db');
    const configFile = writeAgentConfig(path.join(dir, 'agent.yaml'), {
      gateway: { id: 'gw-kill-page' },
      buffer: { path: bufferFile, commitIntervalMs: 20 },
      devices: [{ id: 'gas-1', profile: 'gas-detector', intervalMs: 200, tcp: { host: '127.0.0.1', port: sim.tcpPort, timeoutMs: 500 }, unitId: 1 }],
      mqtt: { enabled: false },
      status: { enabled: false },
      sync: { url: `http://127.0.0.1:${await closedPort()}`, idleMs: 200, backoff: { initialMs: 100, maxMs: 500 } },
      paging: {
        enabled: true,
        afterMs: AFTER_MS,
        recipients: [{ name: 'guardia', phone: '+56922222222' }],
        channels: { modem: { path: pty.a, commandTimeoutMs: 1000, sendTimeoutMs: 3000, reopenMs: 200 } },
      },
    });
    const env = cleanEnv({ ATALAYA_GATEWAY_SECRET: Buffer.alloc(32, 7).toString('base64url') });
    agent = await startAgentProcess(configFile, env);
    const m = modem;
    await waitFor(() => m.messages[0], 'the SMS', 30_000);
    await waitFor(() => pagingRows(bufferFile).some((r) => r.status === 'paged'), 'the page stored', 10_000);
    await agent.kill('SIGKILL');
    agent = undefined;
    expect(m.messages).toHaveLength(1);

    agent = await startAgentProcess(configFile, env);
    // Well past afterMs and several pager passes: the transition is still unacknowledged.
    await waitFor(() => pagingRows(bufferFile).some((r) => r.status === 'paged' && r.noted === 1), 'the paged record appended', 10_000);
    await new Promise((resolve) => setTimeout(resolve, AFTER_MS + 2500));
    expect(m.messages).toHaveLength(1);
    expect(pagingRows(bufferFile).filter((r) => r.status === 'paged')).toHaveLength(1);
  });
});
