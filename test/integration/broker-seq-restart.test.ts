import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../platform/passwords.ts';
import { startAgentProcess, writeAgentConfig } from '../helpers/agent-process.ts';
import type { AtalayaProcess } from '../helpers/relay-process.ts';

/**
 * Issue 19 item 4: the last device seq was kept in memory only, so a QoS 1 message committed and
 * then sent again after the agent died (its PUBACK lost with the process) was stored twice. Here
 * the PUBACK does reach the device, which then resends the same message after the SIGKILL, exactly
 * what a device does whose PUBACK was lost: the agent cannot tell the two apart.
 */
const PASSWORD = 'seq-restart-password';
const CYCLES = 5;

let dir: string;
let agent: AtalayaProcess | undefined;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-seq-restart-'));
});

afterAll(async () => {
  await agent?.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Stored ingest readings of the probe channel: value → how many rows. */
function storedCounts(file: string): Map<number, number> {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare("SELECT r.value AS value FROM records r JOIN names n ON n.id = r.channel WHERE n.name = 'seqprobe'").all() as Array<{
      value: number;
    }>;
    const out = new Map<number, number>();
    for (const r of rows) out.set(r.value, (out.get(r.value) ?? 0) + 1);
    return out;
  } finally {
    db.close();
  }
}

async function publishOnce(port: number, seq: number): Promise<void> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: 'det-1',
    username: 'det-1',
    password: PASSWORD,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
  try {
    await client.publishAsync('atalaya/in/det-1/telemetry', JSON.stringify({ channel: 'seqprobe', value: seq, unit: 'n', seq }), { qos: 1 });
  } finally {
    await client.endAsync(true);
  }
}

describe('MQTT device seq across agent SIGKILLs', () => {
  it('stores a message resent after a restart once, for every kill cycle', async () => {
    const bufferFile = path.join(dir, 'buffer.db');
    const config = writeAgentConfig(path.join(dir, 'agent.json'), {
      gateway: { id: 'gw-seq' },
      buffer: { path: bufferFile, commitIntervalMs: 20 },
      status: { enabled: false },
      mqtt: {
        listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }],
        users: [{ username: 'det-1', password: await hashPassword(PASSWORD), publish: ['atalaya/in/%u/#'] }],
      },
    });
    const portOf = async (p: AtalayaProcess): Promise<number> =>
      (await p.waitForMessage<{ listeners: Array<{ port: number }> }>('MQTT broker started')).listeners[0]!.port;

    for (let seq = 1; seq <= CYCLES; seq++) {
      agent = await startAgentProcess(config);
      // The redelivery of the previous cycle's message, now to a fresh process, then a new one.
      if (seq > 1) await publishOnce(await portOf(agent), seq - 1);
      await publishOnce(await portOf(agent), seq);
      await agent.kill('SIGKILL');
    }
    agent = await startAgentProcess(config);
    await publishOnce(await portOf(agent), CYCLES);
    await agent.kill('SIGKILL');

    const counts = storedCounts(bufferFile);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: CYCLES }, (_, i) => i + 1));
    expect(
      [...counts.values()].every((n) => n === 1),
      JSON.stringify([...counts]),
    ).toBe(true);
  });
});
