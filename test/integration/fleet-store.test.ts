/**
 * The fleet store's contract (cloud/store/fleet-types.ts), the same suite on SQLite and a
 * throwaway PostgreSQL: latest report per gateway, history bounded by keepSince, a poll without a
 * report keeps the last one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelayDatabase, type RelayDatabase } from '../../cloud/store/database.ts';
import type { HealthReport } from '../../protocols/fleet/health.ts';
import { testLogger } from '../helpers/logger.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';

const HEALTH: HealthReport = {
  version: '1.2.3',
  uptimeS: 42,
  bootId: 'boot-1',
  clock: { synced: true, offsetMs: 0 },
  buffer: { depth: 3, bytes: 4096, oldestTs: null, evicted: { ordinary: 0, dga: 0, alarm: 0 }, writable: true },
  devices: [
    { id: 'gas-1', state: 'ok', ok: 1 },
    { id: 'flow-1', state: 'backoff', ok: 0.25 },
  ],
  brokerClients: 0,
  cpuTempC: 48.5,
  memory: { rssBytes: 80_000_000, availableBytes: 500_000_000 },
  disk: { freeBytes: 10_000_000_000, totalBytes: 30_000_000_000 },
  configVersion: null,
};

let dir: string;
let postgres: TestPostgres | undefined;
const open: RelayDatabase[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-fleet-store-'));
  postgres = await startPostgres();
});

afterAll(async () => {
  await Promise.all(open.map((d) => d.stop()));
  await postgres?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.each(['sqlite', 'postgres'] as const)('fleet store on %s', (kind) => {
  let db: RelayDatabase;

  beforeAll(async () => {
    const storage = kind === 'sqlite' ? { kind, path: path.join(dir, 'relay.db') } : { kind, url: await postgres!.newDatabase() };
    db = createRelayDatabase(storage, testLogger());
    open.push(db);
    await db.start();
  });

  it('keeps the latest report per gateway and its figures as history, pruned before keepSince', async () => {
    const t = 1_700_000_000_000;
    await db.fleet.recordPoll('gw-a', t, HEALTH, t - 1000);
    await db.fleet.recordPoll('gw-a', t + 1000, undefined, t);
    await db.fleet.recordPoll('gw-a', t + 2000, { ...HEALTH, uptimeS: 44, cpuTempC: null, disk: null, clock: { synced: false, offsetMs: 5 } }, t + 1500);
    await db.fleet.recordPoll('gw-b', t + 2000, undefined, t);

    const a = await db.fleet.getFleetGateway('gw-a');
    expect(a).toMatchObject({ gateway: 'gw-a', lastPollAt: t + 2000, polls: 3, healthAt: t + 2000 });
    expect(a?.health).toMatchObject({ uptimeS: 44, cpuTempC: null, disk: null });
    // The first row (at t) is before keepSince (t + 1500): pruned as the third report came in.
    expect(await db.fleet.history('gw-a', 0, 10)).toEqual([
      { at: t + 2000, bufferDepth: 3, diskFreeBytes: null, cpuTempC: null, rssBytes: 80_000_000, devicesUp: 1, devicesTotal: 2, clockSynced: false },
    ]);

    // A poll without a report: polled, but no report yet.
    expect(await db.fleet.getFleetGateway('gw-b')).toEqual({ gateway: 'gw-b', lastPollAt: t + 2000, polls: 1, healthAt: null, health: null });
    expect((await db.fleet.listFleet()).map((r) => r.gateway)).toEqual(['gw-a', 'gw-b']);
    expect(await db.fleet.getFleetGateway('gw-none')).toBeUndefined();
  });

  it('keeps history in order, from `since`, at most `limit` rows', async () => {
    const t = 1_800_000_000_000;
    for (let i = 0; i < 5; i++) await db.fleet.recordPoll('gw-h', t + i * 60_000, { ...HEALTH, cpuTempC: 40 + i }, 0);
    const rows = await db.fleet.history('gw-h', t + 60_000, 2);
    expect(rows.map((r) => [r.at, r.cpuTempC, r.clockSynced])).toEqual([
      [t + 60_000, 41, true],
      [t + 120_000, 42, true],
    ]);
  });
});
