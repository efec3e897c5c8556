/**
 * Issue 16 §4: the releases store (cloud/store/releases-store.ts, migrations-releases.ts) behaves
 * the same on SQLite and on a throwaway PostgreSQL: immutable versions, append-only rollouts with
 * their ids, groups, the last update report per gateway.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelayDatabase, type RelayDatabase } from '../../cloud/store/index.ts';
import { SqlReleasesStore, type StoredRelease } from '../../cloud/store/releases-store.ts';
import { testLogger } from '../helpers/logger.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';

const RELEASE: StoredRelease = {
  version: '0.2.0',
  file: 'atalaya-0.2.0-linux-arm64.tar.gz',
  size: 20_000_000,
  sha256: 'a'.repeat(64),
  manifest: '{"version":"0.2.0"}\n',
  signature: 'c2ln',
  addedBy: 'alice',
  addedAt: 1_700_000_000_000,
};

let dir: string;
let postgres: TestPostgres | undefined;
const opened: RelayDatabase[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'atalaya-update-store-'));
  postgres = await startPostgres();
});
afterAll(async () => {
  for (const db of opened) await db.stop();
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.each([
  ['sqlite', async () => createRelayDatabase({ kind: 'sqlite', path: path.join(dir, 'relay.db') }, testLogger())],
  ['postgres', async () => createRelayDatabase({ kind: 'postgres', url: await postgres!.newDatabase() }, testLogger())],
] as const)('releases store on %s', (_backend, open) => {
  it('keeps releases immutable, rollouts append-only, groups and the last report per gateway', async () => {
    const db = await open();
    opened.push(db);
    await db.start();
    const store = new SqlReleasesStore(db.executor);
    expect(await store.addRelease(RELEASE)).toBe(true);
    expect(await store.addRelease({ ...RELEASE, sha256: 'b'.repeat(64) })).toBe(false);
    expect(await store.release('0.2.0')).toEqual(RELEASE);
    expect(await store.release('9.9.9')).toBeUndefined();

    const first = await store.addRollout('0.2.0', { kind: 'all' }, 10, 'alice', 1);
    const second = await store.addRollout('0.2.0', { kind: 'group', id: 'north' }, 100, 'bob', 2);
    expect(second).toBeGreaterThan(first);
    expect(await store.rollouts()).toEqual([
      { id: first, version: '0.2.0', target: { kind: 'all' }, percent: 10, actor: 'alice', createdAt: 1 },
      { id: second, version: '0.2.0', target: { kind: 'group', id: 'north' }, percent: 100, actor: 'bob', createdAt: 2 },
    ]);
    await expect(store.addRollout('9.9.9', { kind: 'all' }, 100, 'eve', 3)).rejects.toBeDefined();

    await store.setMember('north', 'gw-1', true);
    await store.setMember('north', 'gw-1', true);
    await store.setMember('south', 'gw-1', true);
    await store.setMember('south', 'gw-1', false);
    expect(await store.groupsOf('gw-1')).toEqual(new Set(['north']));

    await store.report('gw-1', { current: '0.1.0', state: 'downloading', target: '0.2.0', progress: 0.5 }, 10);
    await store.report('gw-1', { current: '0.1.0', state: 'failed', target: '0.2.0', progress: 0.5, reason: 'ATALAYA_UPDATE_DOWNLOAD_FAILED' }, 11);
    expect(await store.reports()).toEqual([
      { gateway: 'gw-1', current: '0.1.0', state: 'failed', target: '0.2.0', progress: 0.5, reason: 'ATALAYA_UPDATE_DOWNLOAD_FAILED', updatedAt: 11 },
    ]);
  });
});
