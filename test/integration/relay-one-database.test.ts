import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import { Relay } from '../../cloud/main.ts';
import { newRelayKey } from '../../cloud/secrets.ts';
import { ANVIL_DEV_KEYS } from '../../simulators/chain/anvil.ts';
import { testLogger } from '../helpers/logger.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { BOOT } from './relay-setup.ts';

/**
 * Issue 12: a relay opens its database once (one SQLite connection, one PostgreSQL pool) and
 * hands the stores on it to ingest, DGA reporting and anchoring. Each relay here runs all three
 * and uses each once before the count.
 */
let dir: string;
let postgres: TestPostgres;
let relays: Relay[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-one-db-'));
  postgres = await startPostgres();
});
afterEach(async () => {
  await Promise.all(relays.map((r) => r.stop()));
  relays = [];
});
afterAll(async () => {
  await postgres?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Nothing listens on port 9 of loopback: DGA and the chain are unreachable, which neither start() nor a tick minds. */
const UNREACHABLE = 'http://127.0.0.1:9';

async function startRelay(storage: Record<string, unknown>): Promise<Relay> {
  const config = parseRelayConfig({
    listen: { host: '127.0.0.1', port: 0 },
    storage,
    dga: { enabled: true, restBaseUrl: `${UNREACHABLE}/`, soapEndpoint: `${UNREACHABLE}/soap`, obras: [] },
    anchor: { enabled: true, rpcUrl: UNREACHABLE, chainId: 31337, contract: `0x${'12'.repeat(20)}`, rpcTimeoutMs: 500 },
  });
  const relay = new Relay(config, {
    logger: testLogger(),
    env: { ATALAYA_RELAY_KEY: newRelayKey(), ATALAYA_ANCHOR_KEY: ANVIL_DEV_KEYS[0] },
    dgaSchedule: false,
    anchorSchedule: false,
  });
  await relay.start();
  relays.push(relay);
  // Every feature's store once: records (ingest), DGA (a tick, under its scheduler lock), anchoring (a cut).
  await relay.store.addGateway('gw-1', 'sealed', Date.now());
  const record = {
    gateway: 'gw-1',
    seq: 1,
    kind: 'reading' as const,
    device: 'd',
    channel: 'c',
    value: 1,
    unit: 'm',
    quality: 'good' as const,
    exception: null,
    ts: Date.now(),
    tsCorrected: null,
    mono: 1,
    bootId: BOOT,
    priority: 0 as const,
    flags: 0,
    hash: 'a'.repeat(64),
  };
  expect(await relay.store.ingest({ gateway: 'gw-1', records: [record], now: Date.now() - 1000, clockOffsetMs: 0 })).toMatchObject({ ok: true, stored: 1 });
  await relay.dga?.tick();
  expect(await relay.anchor?.cut()).toMatchObject({ size: 1 });
  return relay;
}

/** Descriptors this process holds open on `file` (the database itself, not its -wal or -shm). */
function openDescriptors(file: string): number {
  const target = fs.realpathSync(file);
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === target;
    } catch {
      return false;
    }
  }).length;
}

describe('one database per relay', () => {
  it('SQLite: the relay opens its database file once', async () => {
    const file = path.join(dir, 'relay.db');
    await startRelay({ kind: 'sqlite', path: file });
    expect(openDescriptors(file)).toBe(1);
  });

  it('PostgreSQL: every connection of the relay is of its one pool, within storage.maxConnections', async () => {
    const url = await postgres.newDatabase();
    const relay = await startRelay({ kind: 'postgres', url, maxConnections: 4 });
    // Enough at once to fill the pool: a second pool's connections would then exceed its size.
    await Promise.all(Array.from({ length: 12 }, () => relay.store.listGateways()));
    const client = new pg.Client({ connectionString: url, application_name: 'test' });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string; n: string }>(
        "SELECT application_name AS name, count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'atalaya%' GROUP BY application_name",
      );
      expect(rows.map((r) => r.name)).toEqual(['atalaya-relay']);
      expect(Number(rows[0]?.n)).toBeLessThanOrEqual(4);
    } finally {
      await client.end();
    }
  });
});
