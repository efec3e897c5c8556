/**
 * Issue 17 §3's proof: the relay (a real `atalaya relay` child process) is SIGKILLed in the middle
 * of a Tago pull; restarted, it resumes from the cursor committed with the last stored page, and
 * every Tago record ends up stored exactly once, numbered without a gap. The source is provisioned
 * with the CLI, as an operator does.
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TagoApi } from '../../simulators/providers/tago-api.ts';
import { type AtalayaProcess, allRelayRecords, cleanEnv, getJson, runAtalaya, startRelayProcess, writeRelayConfig } from '../helpers/relay-process.ts';
import { waitFor } from '../helpers/wait.ts';

const TOKEN = 'tago-device-token-sigkill';
const NOW = Date.now();
/** 1 500 readings of 3 variables, 40 records a page: about 110 pages. */
const tago = new TagoApi({ tokens: [TOKEN], clock: { now: () => NOW, monotonic: () => 0 }, periodMs: 1000, t0: NOW - 1499 * 1000 });
let dir: string;
const relays: AtalayaProcess[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-providers-kill-'));
  tago.latencyMs = 5;
  await tago.start();
});
afterAll(async () => {
  for (const p of relays) await p.kill();
  await tago.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const answered = (): number => tago.requests.get(200) ?? 0;

describe('SIGKILL of the relay during a Tago pull', () => {
  it('loses nothing and stores nothing twice: every record once, seqs gapless', async () => {
    const total = tago.recordCount();
    const { configFile, token } = writeRelayConfig(
      dir,
      { kind: 'sqlite', path: 'relay.db' },
      `sources:
  - id: tago
    kind: tago
    url: ${tago.url}
    device: pozo-tago
    pageSize: 40
    intervalMs: 3600000
    variables:
      caudal: { channel: flow, unit: L/s }
      totalizador: { channel: totalizer, unit: m3 }
      nivel: { channel: level, unit: m }
`,
    );
    const added = await runAtalaya(['relay', 'source', 'add', 'tago', '--kind', 'tago', '-c', configFile]);
    expect(added.status, added.stderr).toBe(0);
    const env = cleanEnv({ ATALAYA_SOURCE_TAGO_SECRET: TOKEN });

    const first = await startRelayProcess(configFile, env);
    relays.push(first.process);
    await waitFor(() => answered() >= 30, '30 pages answered', 30_000, 5);
    await first.process.kill('SIGKILL');
    const pagesBeforeKill = answered();
    expect(pagesBeforeKill).toBeLessThan(total / 40);
    const db = new Sqlite(path.join(dir, 'relay.db'), { readonly: true });
    const storedAtKill = (db.prepare("SELECT count(*) AS n FROM records WHERE gateway = 'src-tago'").get() as { n: number }).n;
    db.close();
    // Killed mid-pull: some pages committed, not all.
    expect(storedAtKill).toBeGreaterThan(0);
    expect(storedAtKill).toBeLessThan(total);

    const second = await startRelayProcess(configFile, env);
    relays.push(second.process);
    const stored = await waitFor(
      async () => {
        const [s] = (await getJson<{ sources: Array<{ messages: number; nextTryAt: number | null }> }>(second.url, '/v1/sources', token)).sources;
        return s !== undefined && s.messages >= total && s;
      },
      'every Tago record stored',
      60_000,
    );
    expect(stored.messages).toBe(total);
    const records = await allRelayRecords(second.url, token, 'gateway=src-tago');
    const seqs = records.map((r) => r['seq'] as number).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(new Set(records.map((r) => `${r['channel']}@${r['ts']}`)).size).toBe(total);
    // The restarted relay asked again from the committed cursor, not from the beginning.
    expect(answered() - pagesBeforeKill).toBeLessThan(total / 40 + 2);
    await second.process.stop();
    const listed = await runAtalaya(['relay', 'source', 'list', '--json', '-c', configFile]);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ id: 'tago', kind: 'tago', gateway: 'src-tago', messages: total, failures: 0 }]);
  });
});
