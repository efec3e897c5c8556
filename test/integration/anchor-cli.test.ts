/**
 * `atalaya relay anchor deploy|now|date|status` and `atalaya relay verify-db` as operators run
 * them: real child processes on the relay's SQLite file, against a real anvil node.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AnchorService } from '../../cloud/anchor/service.ts';
import type { AnchorBatch } from '../../cloud/store/anchor-types.ts';
import { ANVIL_DEV_KEYS } from '../../simulators/chain/anvil.ts';
import { cleanEnv, runAtalaya, writeRelayConfig } from '../helpers/relay-process.ts';
import { anchorSection, mine, startChain, type TestChain } from './anchor-setup.ts';
import { batchOf, readings, send, startTestRelay, type TestRelay } from './relay-setup.ts';

const KEY = ANVIL_DEV_KEYS[0];
/** owner() of AtalayaAnchor. */
const OWNER_SELECTOR = '0x8da5cb5b';

let chain: TestChain;
let dir: string | undefined;
let relay: TestRelay | undefined;

beforeAll(async () => {
  chain = await startChain();
});
afterAll(async () => {
  await chain?.stop();
});
afterEach(async () => {
  await relay?.stop();
  relay = undefined;
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const tempDir = (): string => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-anchor-cli-')));

/** relay.yaml in its own folder of `dir` with this anchor: section (YAML flow mapping). */
function configIn(name: string, storage: Record<string, unknown>, anchor: Record<string, unknown>): string {
  const sub = path.join(dir!, name);
  fs.mkdirSync(sub);
  return writeRelayConfig(sub, storage, `anchor: ${JSON.stringify(anchor)}\n`).configFile;
}

const anchorCli = (configFile: string, args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv()) =>
  runAtalaya(['relay', 'anchor', ...args, '-c', configFile], env);

/** The key, with or without 0x, in any case: what must never be printed. */
const leaksKey = (text: string, key: string = KEY): boolean => text.toLowerCase().includes(key.slice(2).toLowerCase());

async function expectDeployedBy(address: string, owner: string): Promise<void> {
  expect(address).toMatch(/^0x[0-9a-fA-F]{40}$/);
  const code = await chain.anvil.rpc<string>('eth_getCode', [address, 'latest']);
  expect(code.length).toBeGreaterThan(2);
  const word = await chain.anvil.rpc<string>('eth_call', [{ to: address, data: OWNER_SELECTOR }, 'latest']);
  expect(`0x${word.slice(-40)}`).toBe(owner.toLowerCase());
}

describe('atalaya relay anchor deploy', () => {
  it('deploys with ATALAYA_ANCHOR_KEY or a key file, prints only the address, never the key; refuses without a key', async () => {
    tempDir();
    const base = { enabled: false, rpcUrl: chain.anvil.url, chainId: chain.anvil.chainId };
    const storage = { kind: 'sqlite', path: 'relay.db' };
    const noKeyFile = configIn('env', storage, base);
    const withKeyFile = configIn('file', storage, { ...base, keyFile: 'anchor.key' });
    const keyFile = path.join(path.dirname(withKeyFile), 'anchor.key');
    const invalidKeyFile = configIn('invalid', storage, { ...base, keyFile: 'anchor.key' });
    // Above the secp256k1 group order: 64 hex digits, not a private key.
    const invalidKey = `0x${'ff'.repeat(32)}`;
    fs.writeFileSync(path.join(path.dirname(invalidKeyFile), 'anchor.key'), `${invalidKey}\n`, { mode: 0o600 });

    // Neither of the failing ones reaches the chain: run them beside the first deploy.
    const [fromEnv, missing, invalid] = await Promise.all([
      anchorCli(noKeyFile, ['deploy'], cleanEnv({ ATALAYA_ANCHOR_KEY: KEY })),
      anchorCli(noKeyFile, ['deploy']),
      anchorCli(invalidKeyFile, ['deploy']),
    ]);
    expect(fromEnv.status, fromEnv.stderr).toBe(0);
    expect(fromEnv.stdout.trim().split('\n')).toHaveLength(1);
    await expectDeployedBy(fromEnv.stdout.trim(), chain.owner);
    expect(leaksKey(fromEnv.stderr + fromEnv.stdout)).toBe(false);

    for (const failed of [missing, invalid]) {
      expect(failed.status, failed.stderr).toBe(1);
      expect(failed.stdout).toBe('');
      expect(failed.stderr).not.toBe('');
      // Said plainly: no stack trace.
      expect(failed.stderr).not.toMatch(/\n\s+at /);
    }
    expect(leaksKey(invalid.stderr, invalidKey)).toBe(false);

    // A group-readable key file is used, with a warning; a 0600 one without.
    fs.writeFileSync(keyFile, `${KEY}\n`);
    fs.chmodSync(keyFile, 0o640);
    const loose = await anchorCli(withKeyFile, ['deploy']);
    expect(loose.status, loose.stderr).toBe(0);
    expect(loose.stderr).toContain('chmod 600');
    fs.chmodSync(keyFile, 0o600);
    const tight = await anchorCli(withKeyFile, ['deploy']);
    expect(tight.status, tight.stderr).toBe(0);
    expect(tight.stderr).not.toContain('chmod 600');

    const addresses = [fromEnv, loose, tight].map((r) => r.stdout.trim());
    expect(new Set(addresses).size).toBe(3);
    for (const r of [loose, tight]) {
      await expectDeployedBy(r.stdout.trim(), chain.owner);
      expect(leaksKey(r.stderr + r.stdout)).toBe(false);
    }
  });
});

/** A wall clock the test sets: the relay stamps receivedAt with it. */
function settableClock(start: number): { now(): number; monotonic(): number; set(ms: number): void } {
  let now = start;
  return { now: () => now, monotonic: () => Number(process.hrtime.bigint() / 1_000_000n), set: (ms) => void (now = ms) };
}

const batchIdsOf = (dbFile: string): Map<number, number | null> => {
  const db = new Database(dbFile, { readonly: true });
  try {
    const rows = db.prepare('SELECT seq, anchor_batch AS batch FROM records ORDER BY seq').all() as Array<{ seq: number; batch: number | null }>;
    return new Map(rows.map((r) => [r.seq, r.batch]));
  } finally {
    db.close();
  }
};

describe('atalaya relay anchor date|now|status', () => {
  it('date claims only what arrived that day in America/Santiago; now claims the rest; both pending; then nothing is left', async () => {
    const clock = settableClock(Date.parse('2026-11-19T23:59:59.999-03:00'));
    relay = await startTestRelay({ clock });
    const secret = await relay.addGateway('gw-day');
    // [receivedAt, first seq, count]: the last ms of the 19th, the first and the middle of the 20th, the first of the 21st.
    const arrivals: Array<[string, number, number]> = [
      ['2026-11-19T23:59:59.999-03:00', 1, 3],
      ['2026-11-20T00:00:00.000-03:00', 4, 3],
      ['2026-11-20T15:00:00.000-03:00', 7, 4],
      ['2026-11-21T00:00:00.000-03:00', 11, 2],
    ];
    for (const [iso, firstSeq, n] of arrivals) {
      clock.set(Date.parse(iso));
      const sent = await send(relay.url, secret, batchOf('gw-day', readings(n, { firstSeq, now: clock.now() }), { sentAt: clock.now() }), {
        timestamp: clock.now(),
      });
      expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    }
    tempDir();
    const dbFile = path.join(relay.dir, 'relay.db');
    // The default anchor.timezone (America/Santiago) applies.
    const configFile = configIn('cli', { kind: 'sqlite', path: dbFile }, { enabled: false });

    const date = await anchorCli(configFile, ['date', '2026-11-20', '--json']);
    expect(date.status, date.stderr).toBe(0);
    const dayBatch = JSON.parse(date.stdout) as AnchorBatch;
    expect(dayBatch).toMatchObject({
      status: 'pending',
      size: 7,
      periodStart: Date.parse('2026-11-20T00:00:00-03:00'),
      periodEnd: Date.parse('2026-11-21T00:00:00-03:00'),
    });
    expect(dayBatch.root).toMatch(/^[0-9a-f]{64}$/);

    const now = await anchorCli(configFile, ['now', '--json']);
    expect(now.status, now.stderr).toBe(0);
    const restBatch = JSON.parse(now.stdout) as AnchorBatch;
    expect(restBatch).toMatchObject({ status: 'pending', size: 5, periodStart: null });
    expect(restBatch.id).not.toBe(dayBatch.id);

    const batchOfSeq = batchIdsOf(dbFile);
    for (let seq = 1; seq <= 12; seq++) expect(batchOfSeq.get(seq), `seq ${seq}`).toBe(seq >= 4 && seq <= 10 ? dayBatch.id : restBatch.id);

    const [status, again, againJson] = await Promise.all([
      anchorCli(configFile, ['status', '--json']),
      anchorCli(configFile, ['now']),
      anchorCli(configFile, ['now', '--json']),
    ]);
    expect(status.status, status.stderr).toBe(0);
    const listed = (JSON.parse(status.stdout) as { batches: AnchorBatch[] }).batches;
    expect(listed.map((b) => [b.id, b.status, b.size, b.root]).sort()).toEqual(
      [
        [dayBatch.id, 'pending', 7, dayBatch.root],
        [restBatch.id, 'pending', 5, restBatch.root],
      ].sort(),
    );
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^nothing to anchor/);
    expect(againJson.status, againJson.stderr).toBe(0);
    expect(JSON.parse(againJson.stdout)).toBeNull();
    expect([...batchIdsOf(dbFile).values()].filter((b) => b !== dayBatch.id && b !== restBatch.id)).toEqual([]);
  });
});

const anchorOf = (t: TestRelay): AnchorService => {
  if (t.relay.anchor === undefined) throw new Error('anchoring not enabled');
  return t.relay.anchor;
};

async function tickUntilConfirmed(a: AnchorService, batchId: number, max = 20): Promise<void> {
  for (let i = 0; i < max; i++) {
    if ((await a.batch(batchId))?.batch.status === 'confirmed') return;
    await mine(chain);
    await a.tick();
  }
  throw new Error(`batch ${batchId} not confirmed: ${JSON.stringify(await a.batch(batchId))}`);
}

interface VerifyJson {
  ok: boolean;
  batches: Array<{ batch: number; check: string }>;
}

describe('atalaya relay verify-db', () => {
  it('passes on anchored batches; names a batch with an altered record and one whose transaction is gone', async () => {
    await chain.deploy();
    relay = await startTestRelay({ anchor: anchorSection(chain), env: { ATALAYA_ANCHOR_KEY: KEY } });
    const a = anchorOf(relay);
    const batches: AnchorBatch[] = [];
    for (const gateway of ['gw-v1', 'gw-v2', 'gw-v3']) {
      const secret = await relay.addGateway(gateway);
      expect((await send(relay.url, secret, batchOf(gateway, readings(6)))).status).toBe(200);
      batches.push((await a.cut())!);
    }
    for (const b of batches) await tickUntilConfirmed(a, b.id);
    tempDir();
    const dbFile = path.join(relay.dir, 'relay.db');
    const configFile = configIn(
      'cli',
      { kind: 'sqlite', path: dbFile },
      { enabled: false, rpcUrl: chain.anvil.url, chainId: chain.anvil.chainId, contract: chain.contract },
    );
    const verify = () => runAtalaya(['relay', 'verify-db', '-c', configFile, '--json'], cleanEnv());

    const ok = await verify();
    expect(ok.status, ok.stderr).toBe(0);
    const good = JSON.parse(ok.stdout) as VerifyJson;
    expect(good.ok).toBe(true);
    expect(good.batches.map((v) => [v.batch, v.check]).sort()).toEqual(batches.map((b) => [b.id, 'ok']).sort());

    const [altered, txGone, untouched] = batches as [AnchorBatch, AnchorBatch, AnchorBatch];
    const db = new Database(dbFile);
    try {
      expect(db.prepare('UPDATE records SET value = value + 1 WHERE gateway = ? AND seq = ?').run('gw-v1', 3).changes).toBe(1);
      expect(db.prepare('UPDATE anchor_batches SET tx_hash = ? WHERE id = ?').run(`0x${randomBytes(32).toString('hex')}`, txGone.id).changes).toBe(1);
    } finally {
      db.close();
    }
    const bad = await verify();
    expect(bad.status, bad.stderr).toBe(1);
    const report = JSON.parse(bad.stdout) as VerifyJson;
    expect(report.ok).toBe(false);
    expect(report.batches.map((v) => [v.batch, v.check]).sort()).toEqual(
      [
        [altered.id, 'records_changed'],
        [txGone.id, 'receipt_missing'],
        [untouched.id, 'ok'],
      ].sort(),
    );
  });
});

describe('atalaya relay anchor: usage errors and an empty database', () => {
  it('refuses an impossible date and an unknown subcommand with exit 2; status on a fresh database prints just the header', async () => {
    tempDir();
    const configFile = configIn('fresh', { kind: 'sqlite', path: 'relay.db' }, { enabled: false });
    const [badDate, bogus, status] = await Promise.all([
      anchorCli(configFile, ['date', '2026-02-30']),
      anchorCli(configFile, ['bogus']),
      anchorCli(configFile, ['status']),
    ]);
    expect(badDate.status, badDate.stderr).toBe(2);
    expect(badDate.stdout).toBe('');
    expect(bogus.status, bogus.stderr).toBe(2);
    expect(bogus.stdout).toBe('');
    expect(status.status, status.stderr).toBe(0);
    const lines = status.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.split(/\s+/)).toEqual(['BATCH', 'STATUS', 'RECORDS', 'PERIOD', 'END', 'ROOT', 'TX', 'BLOCK', 'GAS', 'COST', 'WEI']);
  });
});
