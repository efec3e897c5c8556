/**
 * The agent's commands part (issue 16 §3) on a real buffer file: each command id runs at most
 * once (a replayed answer, a relay resending before the outcome arrived, a restart in between),
 * old commands are refused by the relay's clock, outcomes are reported until confirmed, a claim
 * left by a kill is reported failed and never run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../agent/buffer/migrations.ts';
import { CommandsPart, type CommandTargets } from '../../agent/fleet/commands-part.ts';
import { CommandsStore } from '../../agent/fleet/commands-store.ts';
import { testLogger } from '../helpers/logger.ts';

const NOW = 1_800_000_000_000;
const clock = { now: () => NOW, monotonic: () => 0 };

let dir: string;
let file: string;
const stores: CommandsStore[] = [];

function targets(calls: string[]): CommandTargets {
  return {
    acknowledge: (device, channel, rule) => {
      calls.push(`ack ${device}/${channel}/${rule}`);
      return calls.filter((c) => c.startsWith('ack')).length === 1;
    },
    readRegisters: (device, _t, address, count) => (device === 'gas-1' ? Promise.resolve(Array.from({ length: count }, (_, i) => address + i)) : undefined),
    pollDevice: (device) => {
      calls.push(`poll ${device}`);
      return device === 'gas-1' ? Promise.resolve({ records: 12, good: 12 }) : undefined;
    },
    restart: (reason) => void calls.push(`restart ${reason}`),
    report: () => void calls.push('report'),
  };
}

function part(calls: string[], maxAgeMs = 600_000): CommandsPart {
  const store = new CommandsStore(file);
  stores.push(store);
  return new CommandsPart({ store, targets: targets(calls), maxAgeMs, clock, logger: testLogger() });
}

const ack = { id: 'cmd-ack-0001', kind: 'alarm.ack', args: { device: 'gas-1', channel: 'ch4', rule: 'high2' }, issuedAt: NOW - 1000, expiresAt: NOW + 600_000 };

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-commands-'));
  file = path.join(dir, 'buffer.db');
  const db = new Sqlite(file);
  migrate(db, testLogger());
  db.close();
});
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('commands part', () => {
  it('runs a command once however often the answer comes, even across a restart', async () => {
    const calls: string[] = [];
    const answer = { now: NOW, commands: [ack], confirmed: [] };
    await part(calls).apply(answer);
    await part(calls).apply(answer);
    await part(calls).apply(structuredClone(answer)); // a new store on the same file: a restarted agent
    expect(calls.filter((c) => c.startsWith('ack'))).toEqual(['ack gas-1/ch4/high2']);
    expect(part(calls).report()).toEqual({ outcomes: [{ id: ack.id, status: 'ok', result: { acknowledged: true }, at: NOW }] });
  });

  it('reports outcomes until the relay confirms them', async () => {
    const p = part([]);
    await p.apply({ now: NOW, commands: [ack], confirmed: [] });
    expect(p.report()?.outcomes).toHaveLength(1);
    await p.apply({ now: NOW, commands: [], confirmed: [ack.id] });
    expect(p.report()).toBeUndefined();
  });

  it("refuses a command older than the most age, or past its expiry, by the relay's clock", async () => {
    const calls: string[] = [];
    const p = part(calls, 60_000);
    const old = { ...ack, id: 'cmd-old-00001', issuedAt: NOW - 60_001 };
    const expired = { ...ack, id: 'cmd-exp-00001', expiresAt: NOW };
    await p.apply({ now: NOW, commands: [old, expired], confirmed: [] });
    expect(calls).toEqual(['report']);
    expect(
      p
        .report()
        ?.outcomes.map((o) => [o.id, o.status])
        .sort(),
    ).toEqual([
      [expired.id, 'refused'],
      [old.id, 'refused'],
    ]);
  });

  it('reads registers, polls a device, refuses unknown devices and bad arguments', async () => {
    const calls: string[] = [];
    const p = part(calls);
    await p.apply({
      now: NOW,
      commands: [
        { ...ack, id: 'cmd-read-0001', kind: 'modbus.read', args: { device: 'gas-1', address: 100, count: 3 } },
        { ...ack, id: 'cmd-poll-0001', kind: 'device.poll', args: { device: 'gas-1' } },
        { ...ack, id: 'cmd-poll-0002', kind: 'device.poll', args: { device: 'nope' } },
        { ...ack, id: 'cmd-read-0002', kind: 'modbus.read', args: { device: 'gas-1', address: 1, count: 999 } },
      ],
      confirmed: [],
    });
    const outcomes = Object.fromEntries((p.report()?.outcomes ?? []).map((o) => [o.id, o]));
    expect(outcomes['cmd-read-0001']).toMatchObject({ status: 'ok', result: { registers: [100, 101, 102], table: 'holding' } });
    expect(outcomes['cmd-poll-0001']).toMatchObject({ status: 'ok', result: { records: 12, good: 12 } });
    expect(outcomes['cmd-poll-0002']).toMatchObject({ status: 'refused' });
    expect(outcomes['cmd-read-0002']).toMatchObject({ status: 'refused', reason: 'invalid arguments' });
    expect(calls).toContain('report');
  });

  it('stores the outcome of agent.restart before asking for the restart, and runs nothing after it in that answer', async () => {
    const calls: string[] = [];
    const p = part(calls);
    const restart = { ...ack, id: 'cmd-restart-01', kind: 'agent.restart', args: {} };
    await p.apply({ now: NOW, commands: [restart, { ...ack, id: 'cmd-poll-0003', kind: 'device.poll', args: { device: 'gas-1' } }], confirmed: [] });
    expect(calls).toEqual(['restart command cmd-restart-01']);
    expect(part([]).report()?.outcomes).toEqual([{ id: restart.id, status: 'ok', result: { restarting: true }, at: NOW }]);
  });

  it('reports a command the process died running as failed, and never runs it', async () => {
    const store = new CommandsStore(file);
    stores.push(store);
    expect(store.claim(ack.id, ack.kind, NOW)).toBe(true); // claimed, then SIGKILL before the outcome
    expect(store.markInterrupted(NOW)).toBe(1);
    const calls: string[] = [];
    await part(calls).apply({ now: NOW, commands: [ack], confirmed: [] });
    expect(calls).toEqual([]);
    expect(store.unconfirmed()).toEqual([{ id: ack.id, status: 'failed', reason: 'interrupted: the agent stopped while it ran', at: NOW }]);
  });
});
