/**
 * Issue 17 §5–6 through the composition root: an Agent whose config maps a GASLYT-style JSON
 * topic and a Sparkplug B group, fed by `atalaya sim gaslyt-json` and `atalaya sim sparkplug` as
 * real child processes; the mapping metrics on the agent's registry.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../agent/config/load.ts';
import { Agent } from '../../agent/main.ts';
import { hashPassword } from '../../platform/passwords.ts';
import { testLogger } from '../helpers/logger.ts';
import { waitFor } from '../helpers/wait.ts';

const bin = path.resolve('bin/atalaya.mjs');
const dir = mkdtempSync(path.join(tmpdir(), 'atalaya-mapping-cli-'));
let agent: Agent;
let port: number;
const children: ChildProcess[] = [];

beforeAll(async () => {
  agent = new Agent(
    parseConfig({
      gateway: { id: 'gw' },
      buffer: { path: path.join(dir, 'buffer.db') },
      status: { host: '127.0.0.1', port: 0 },
      mqtt: {
        listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }],
        users: [
          { username: 'GL-5', password: await hashPassword('pw'), publish: ['gaslyt/%u/data'] },
          {
            username: 'edge-4',
            password: await hashPassword('pw'),
            publish: ['spBv1.0/plant1/+/%u', 'spBv1.0/plant1/+/%u/#'],
            subscribe: ['spBv1.0/plant1/NCMD/%u'],
          },
        ],
        mappings: [
          {
            name: 'gaslyt',
            format: 'json',
            topic: 'gaslyt/{serial}/data',
            device: 'gaslyt-{serial}',
            fields: [
              { path: 'CH4', channel: 'ch4', unit: '%LEL' },
              { path: 'O2', channel: 'o2', unit: '%vol' },
            ],
            time: { path: 'ts', timeZone: 'America/Santiago' },
          },
          { name: 'plant', format: 'sparkplug-b', group: 'plant1', metrics: [{ name: 'Gas/O2', channel: 'o2', unit: '%vol' }], otherMetrics: 'skip' },
        ],
      },
    }),
    { logger: testLogger() },
  );
  await agent.start();
  port = agent.broker!.addresses()[0]!.port;
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await agent?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A sim command, once it printed its line: started, and its SIGTERM handler installed. */
async function sim(args: string[]): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [bin, 'sim', ...args, '--mqtt', `mqtt://127.0.0.1:${port}`, '--interval', '200'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ATALAYA_SIM_MQTT_PASSWORD: 'pw' },
  });
  children.push(child);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => out.includes('\n') || child.exitCode !== null, `atalaya sim ${args[0]} started`);
  return { child, exited };
}

describe('atalaya sim gaslyt-json / sparkplug into an agent with mappings', () => {
  it('stores both devices with their mapped channels and counts them in the metrics', async () => {
    const [gaslyt, node] = await Promise.all([
      sim(['gaslyt-json', '--serial', 'GL-5:steady']),
      sim(['sparkplug', '--group', 'plant1', '--node', 'edge-4', '--device', 'det-2:steady']),
    ]);
    const latest = (device: string, channel: string) => agent.buffer.latest().find((r) => r.device === device && r.channel === channel);
    expect(await waitFor(() => latest('gaslyt-GL-5', 'o2'), 'GASLYT JSON in the buffer')).toMatchObject({ value: 20.9, unit: '%vol', quality: 'good' });
    expect(await waitFor(() => latest('det-2', 'o2'), 'Sparkplug DDATA in the buffer')).toMatchObject({ value: expect.closeTo(20.9, 3), unit: '%vol' });
    for (const s of [gaslyt, node]) s.child.kill('SIGTERM');
    expect(await Promise.all([gaslyt.exited, node.exited])).toEqual([0, 0]);
    // The node published its NDEATH before disconnecting: its session ended.
    expect(agent.broker?.stats().mappings?.['plant']?.sparkplug).toMatchObject({ deaths: 1, seqGaps: 0, unknownMetrics: 0 });
    const text = await agent.metrics.registry.metrics();
    expect(text).toMatch(/atalaya_mqtt_mapping_records_total\{mapping="gaslyt"\} [1-9]/);
    expect(text).toMatch(/atalaya_mqtt_mapping_messages_total\{mapping="plant"\} [1-9]/);
    expect(text).toContain('atalaya_mqtt_sparkplug_gaps_total{mapping="plant",kind="seq"} 0');
  });
});
