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

/** `atalaya relay dga …` as an operator runs it: a child process on the relay's database, the DGA simulator on the real clock. */
const _bin = path.resolve('bin/atalaya.mjs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-relay-dga-cli-'));
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ATALAYA_'))), ATALAYA_RELAY_KEY: newRelayKey() };
const OBRA = 'OB-0602-7';
/** A second obra on the same well, for the answer with an odd receipt. */
const OBRA_ODD = 'OB-0602-8';
const HOUR = 3_600_000;
const first = slotStart(Date.now() - 3 * HOUR, 'mayor');
const iso = (slot: number): string => `${new Date(slot - 4 * HOUR).toISOString().slice(0, 19)}-04:00`;
let sim: DgaSimulator;
let config: string;

function run(args: string[], input = ''): Promise<CliResult> {
  return runRelay(['dga', ...args, ...(args.includes('--help') ? [] : ['-c', config])], env, input);
}

beforeAll(async () => {
  sim = new DgaSimulator({
    rest: { host: '127.0.0.1', port: 0 },
    clock: systemClock,
    logger: testLogger(),
    seed: 3,
    registry: [OBRA, OBRA_ODD].map((obra) => ({
      obra,
      kind: 'subterranea' as const,
      informantRut: '20999888-2',
      rutEmpresa: '77555666-8',
      password: 'secreto',
    })),
  });
  await sim.start();
  config = path.join(dir, 'relay.yaml');
  const obra = (code: string): string =>
    `{code: ${code}, kind: subterranea, gateway: gw-1, device: pozo-1, channels: {flow: flow, totalizer: totalizer, level: level}, review: {enabled: false}, startAt: '${iso(first)}'}`;
  fs.writeFileSync(
    config,
    `storage: {kind: sqlite, path: data/relay.db}\ndga:\n  enabled: true\n  restBaseUrl: ${sim.restUrl}\n  timeoutMs: 5000\n  obras:\n    - ${obra(OBRA)}\n    - ${obra(OBRA_ODD)}\n`,
  );
  await storeWellReadings(dir, first);
});

afterAll(async () => {
  await sim.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('atalaya relay dga', () => {
  it('has help and refuses unknown subcommands', async () => {
    const help = await run(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('atalaya relay dga send-pending');
    expect((await run(['frobnicate'])).status).toBe(2);
  });

  it('stores credentials encrypted from stdin, refusing a bad RUT without echoing it', async () => {
    const bad = await run(['credentials', OBRA, '--rut-usuario', '20999888-7', '--rut-empresa', '77555666-8'], 'secreto\n');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('ATALAYA_RELAY_DGA_CREDENTIALS_INVALID');
    expect(bad.stderr).not.toContain('20999888-7');
    const ok = await run(['credentials', OBRA, '--rut-usuario', '20999888-2', '--rut-empresa', '77555666-8'], 'secreto\n');
    expect(ok.status).toBe(0);
    const db = new Sqlite(path.join(dir, 'data', 'relay.db'), { readonly: true });
    try {
      const stored = db.prepare('SELECT ciphertext FROM dga_credentials WHERE obra = ?').pluck().get(OBRA) as string;
      expect(stored).toMatch(/^v1\./);
      expect(stored).not.toContain('secreto');
    } finally {
      db.close();
    }
  });

  it('sends the oldest due slot on send-pending, waits out the spacing on the next, shows status, and never retries an accepted slot', async () => {
    const sent = await run(['send-pending']);
    expect(sent.status).toBe(0);
    expect(sent.stdout).toContain(`${OBRA}: derived`);
    expect(sim.measurements(OBRA).map((m) => [m.horaMedicion, m.caudal, m.totalizador, m.nivelFreaticoDelPozo])).toEqual([
      [iso(first).slice(11, 19), '7.25', '5000', '12.50'],
    ]);
    expect((await run(['send-pending'])).stdout).toContain('waiting (spacing)');
    expect(sim.measurements(OBRA)).toHaveLength(1);

    const status = await run(['status', '--json', '--obra', OBRA]);
    expect(status.status).toBe(0);
    const [obra] = (JSON.parse(status.stdout) as { obras: Array<Record<string, unknown>> }).obras;
    expect(obra).toMatchObject({
      obra: OBRA,
      credentials: true,
      lastAccepted: { slot: iso(first), receipt: sim.measurements(OBRA)[0]?.receipt },
      counts: { accepted: 1 },
    });
    expect((obra!['counts'] as Record<string, number>)['pending']).toBeGreaterThanOrEqual(2);
    expect((await run(['status'])).stdout).toContain(`last accepted: ${iso(first)}`);

    const refused = await run(['retry', OBRA, iso(first)]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('ATALAYA_RELAY_DGA_ALREADY_ACCEPTED');
    expect((await run(['retry', OBRA, 'yesterday'])).stderr).toContain('ATALAYA_RELAY_DGA_INVALID_SLOT');
  });

  it('shows a slot DGA accepted with an odd receipt as accepted, to be checked by a person (issue 14)', async () => {
    expect((await run(['credentials', OBRA_ODD, '--rut-usuario', '20999888-2', '--rut-empresa', '77555666-8'], 'secreto\n')).status).toBe(0);
    await sim.setFaults({ oddReceipt: { form: 'dashed' } });
    try {
      expect((await run(['send-pending'])).stdout).toContain(`${OBRA_ODD}: derived`);
    } finally {
      await sim.setFaults({});
    }
    const [held] = sim.measurements(OBRA_ODD);
    const receipt = held!.receipt.slice(0, 12).match(/.{4}/g)!.join('-');
    const status = await run(['status', '--obra', OBRA_ODD]);
    expect(status.stdout).toMatch(
      new RegExp(`${iso(first)}  ACCEPTED, CHECK RECEIPT 1 attempt\\(s\\)  .*a person should check the receipt \\(receipt as given: ${receipt}\\)`),
    );
  });
});
