import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRelayKey } from '../../cloud/secrets.ts';
import { systemClock } from '../../protocols/clock.ts';
import { slotStart } from '../../protocols/dga/index.ts';
import { DgaSimulator } from '../../simulators/dga/simulator.ts';
import { testLogger } from '../helpers/logger.ts';
import { type CliResult, runRelay, storeWellReadings } from './dga-cli-setup.ts';

/** `atalaya relay dga review …` and `atalaya relay token add --name` as an operator runs them: child processes on the relay's database, the DGA double on the real clock. */
const _bin = path.resolve('bin/atalaya.mjs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-dga-review-cli-'));
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ATALAYA_'))), ATALAYA_RELAY_KEY: newRelayKey() };
const OBRA = 'OB-0602-7';
const HOUR = 3_600_000;
const first = slotStart(Date.now() - 3 * HOUR, 'mayor');
const iso = (slot: number): string => `${new Date(slot - 4 * HOUR).toISOString().slice(0, 19)}-04:00`;
let sim: DgaSimulator;
let config: string;

function run(args: string[], input = ''): Promise<CliResult> {
  return runRelay([...args, ...(args[0] === 'dga' ? ['-c', config] : [])], env, input);
}

beforeAll(async () => {
  sim = new DgaSimulator({
    rest: { host: '127.0.0.1', port: 0 },
    clock: systemClock,
    logger: testLogger(),
    seed: 5,
    registry: [{ obra: OBRA, kind: 'subterranea', informantRut: '20999888-2', rutEmpresa: '77555666-8', password: 'secreto' }],
  });
  await sim.start();
  config = path.join(dir, 'relay.yaml');
  // A right of 5 l/s under a steady 7.25 l/s: every hour is held for review.
  const obra = `{code: ${OBRA}, kind: subterranea, gateway: gw-1, device: pozo-1, channels: {flow: flow, totalizer: totalizer, level: level}, waterRight: {flowLps: 5, annualM3: 100000}, startAt: '${iso(first)}'}`;
  fs.writeFileSync(
    config,
    `storage: {kind: sqlite, path: data/relay.db}\ndga:\n  enabled: true\n  restBaseUrl: ${sim.restUrl}\n  timeoutMs: 5000\n  spacingMs: 0\n  obras:\n    - ${obra}\n`,
  );
  await storeWellReadings(dir, first, 7.25 * 0.6);
});

afterAll(async () => {
  await sim.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('atalaya relay dga review', () => {
  it('lists held slots; approve and correct queue them (sent as decided), refusing a correction without a reason and a slot not in review; the audit names who and why', async () => {
    expect((await run(['dga', 'credentials', OBRA, '--rut-usuario', '20999888-2', '--rut-empresa', '77555666-8'], 'secreto\n')).status).toBe(0);
    expect((await run(['dga', 'send-pending'])).status).toBe(0);
    expect(sim.measurements(OBRA)).toEqual([]);

    const list = await run(['dga', 'review', 'list', '--json']);
    expect(list.status).toBe(0);
    const slots = JSON.parse(list.stdout).slots as Array<{ slot: string; slotMs: number; findings: Array<{ code: string }> }>;
    expect(slots.length).toBeGreaterThanOrEqual(2);
    expect(slots.every((s) => s.findings.some((f) => f.code === 'over_water_right'))).toBe(true);
    const text = await run(['dga', 'review', 'list']);
    expect(text.stdout).toContain('over_water_right: flow 7.25 l/s above the water right 5 l/s');

    const [s0, s1] = [slots[0]!, slots[1]!];
    const approved = await run(['dga', 'review', 'approve', OBRA, s0.slot, '--by', 'bob']);
    expect(approved).toMatchObject({ status: 0, stdout: expect.stringContaining('approve by bob: review → pending') });
    const noReason = await run(['dga', 'review', 'correct', OBRA, s1.slot, '--set', 'caudal=4.8']);
    expect(noReason.status).toBe(1);
    expect(noReason.stderr).toContain('ATALAYA_RELAY_DGA_REVIEW_INVALID');
    expect((await run(['dga', 'review', 'correct', OBRA, s1.slot, '--set', 'caudal=4.8', '--reason', 'valve log: throttled', '--by', 'bob'])).status).toBe(0);
    const again = await run(['dga', 'review', 'approve', OBRA, s0.slot]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('ATALAYA_RELAY_DGA_NOT_IN_REVIEW');

    expect((await run(['dga', 'send-pending'])).status).toBe(0);
    expect((await run(['dga', 'send-pending'])).status).toBe(0);
    expect((await run(['dga', 'send-pending'])).status).toBe(0);
    expect(sim.measurements(OBRA).map((m) => m.caudal)).toEqual(['7.25', '4.80']);

    const db = new Sqlite(path.join(dir, 'data', 'relay.db'), { readonly: true });
    try {
      const line = db.prepare("SELECT actor, message FROM dga_audit WHERE obra = ? AND slot = ? AND phase = 'correct'").get(OBRA, s1.slotMs);
      expect(line).toEqual({ actor: 'bob', message: 'valve log: throttled' });
    } finally {
      db.close();
    }
  });

  it('token add --name prints a named entry for the config, and refuses a bad name', async () => {
    const named = await run(['token', 'add', '--name', 'alice']);
    expect(named.status).toBe(0);
    expect(named.stderr).toMatch(/- \{ name: alice, sha256: [0-9a-f]{64} \}/);
    expect((await run(['token', 'add', '--name', 'two words'])).status).toBe(2);
  });
});
