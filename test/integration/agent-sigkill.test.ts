import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../protocols/clock.ts';
import { ModbusSimulator } from '../../simulators/modbus/simulator.ts';
import { testLogger } from '../helpers/logger.ts';
import { waitFor } from '../helpers/wait.ts';

type Row = { seq: number; device: number; channel: number; value: number | null; quality: number; ts: number };

/** Every row another connection can see: committed by definition. */
function snapshot(file: string): Row[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT seq, device, channel, value, quality, ts FROM records ORDER BY seq').all() as Row[];
  } finally {
    db.close();
  }
}

describe('agent killed with SIGKILL while polling, again and again', () => {
  let dir: string;
  let sim: ModbusSimulator;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'atalaya-kill-'));
    sim = new ModbusSimulator({
      devices: [
        { unitId: 1, kind: 'gas-detector', scenario: 'gas-leak' },
        { unitId: 2, kind: 'flowmeter', scenario: 'flow-steps' },
      ],
      tcp: { host: '127.0.0.1', port: 0 },
      clock: systemClock,
      logger: testLogger(),
    });
    await sim.start();
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every committed reading and never reuses or rewinds a sequence number', async () => {
    const tcp = `{host: 127.0.0.1, port: ${sim.tcpPort}}`;
    const configFile = path.join(dir, 'agent.yaml');
    writeFileSync(
      configFile,
      `gateway: {id: gw-kill}
buffer: {path: buffer.db, commitIntervalMs: 20}
log: {level: warn}
mqtt: {listeners: [{type: tcp, host: 127.0.0.1, port: 0}]}
status: {host: 127.0.0.1, port: 0}
devices:
  - {id: gas, profile: gas-detector, tcp: ${tcp}, unitId: 1, intervalMs: 50}
  - {id: flow, profile: flowmeter, tcp: ${tcp}, unitId: 2, intervalMs: 50, params: {sensorDepthM: 60}}
`,
    );
    const db = path.join(dir, 'buffer.db');
    let before: Row[] = [];
    for (let run = 0; run < 5; run++) {
      child = spawn(process.execPath, [path.resolve('bin/atalaya.mjs'), 'agent', '-c', configFile], { stdio: ['ignore', 'ignore', 'inherit'] });
      const exited = new Promise((r) => child!.once('exit', r));
      // Let it commit a few hundred more readings, then kill it at whatever point it has reached.
      const seen = await waitFor(
        () => {
          try {
            const rows = snapshot(db);
            return rows.length >= before.length + 100 + run * 37 && rows;
          } catch {
            return false; // file not created yet
          }
        },
        `run ${run} committing`,
        30_000,
      );
      child.kill('SIGKILL');
      await exited;

      const after = snapshot(db);
      const byseq = new Map(after.map((r) => [r.seq, r]));
      for (const r of seen) expect(byseq.get(r.seq)).toEqual(r);
      const prevMax = before.at(-1)?.seq ?? 0;
      const fresh = after.filter((r) => r.seq > prevMax);
      expect(fresh.length).toBeGreaterThanOrEqual(seen.length - before.length);
      // Nothing from an earlier run was rewritten or lost.
      expect(after.slice(0, before.length)).toEqual(before);
      before = after;
    }
    const seqs = before.map((r) => r.seq);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
    expect(new Set(seqs).size).toBe(seqs.length);
  });
});
