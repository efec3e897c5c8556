/**
 * Organizations (issue 15 §Figures): read latency of `GET /v1/readings` with the organization
 * filter, on 10 organizations × 100 gateways × 1M records, SQLite and PostgreSQL. p50/p99 for the
 * owner (no organization filter) and for a user of one organization, each without filters, with a
 * gateway filter and with a one-hour window; and the query plans (EXPLAIN) of the organization's
 * queries. The records are loaded by one INSERT … SELECT per gateway range inside the database (no
 * HTTP, no client round trip per row). Prints, asserts nothing.
 * Run: node bin/run-ts.mjs test/bench/relay-org-reads.ts   (RECORDS=100000 for a quick run)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { Guard, hashApiToken, newApiToken, operatorTokens, tokenName } from '../../cloud/http/auth.ts';
import { registerReadRoutes } from '../../cloud/http/read-routes.ts';
import { buildHttpServer } from '../../cloud/http/server.ts';
import { Auditor, cliPrincipal } from '../../cloud/identity/audit.ts';
import { identityConfigSchema, identityOptions } from '../../cloud/identity/config.ts';
import { IdentityService } from '../../cloud/identity/service.ts';
import { UserAdmin } from '../../cloud/identity/users.ts';
import { recordQuerySql } from '../../cloud/store/cursor.ts';
import { createRelayDatabase, type RelayDatabase, type StoreConfig } from '../../cloud/store/database.ts';
import { systemClock } from '../../protocols/clock.ts';
import { startPostgres } from '../helpers/postgres.ts';
import { fmt, machineLine, out } from './common.ts';

const ORGS = 10;
const GATEWAYS_PER_ORG = 100;
const GATEWAYS = ORGS * GATEWAYS_PER_ORG;
const RECORDS = Number(process.env['RECORDS'] ?? 1_000_000);
const PER_GATEWAY = Math.ceil(RECORDS / GATEWAYS);
const REQUESTS = Number(process.env['REQUESTS'] ?? 200);
/** Every gateway reads once a minute from T0. */
const T0 = Date.UTC(2025, 0, 1);
const MIN = 60_000;
const silent = pino({ level: 'silent' });
const gw = (g: number): string => `gw-${String(g).padStart(4, '0')}`;
const org = (o: number): string => `org-${String(o).padStart(2, '0')}`;

/** Organizations, gateways and records, in the database itself: gateway g belongs to org g mod ORGS. */
async function load(db: RelayDatabase, dialect: 'sqlite' | 'postgres'): Promise<number> {
  const started = performance.now();
  const q = (sql: string, params: readonly unknown[] = []) => db.executor.query(sql, params);
  for (let o = 0; o < ORGS; o++) await db.orgs.add(org(o), `Organization ${o}`, T0);
  for (let g = 0; g < GATEWAYS; g++) await db.records.addGateway(gw(g), 'sealed', T0, org(g % ORGS));
  const series =
    dialect === 'postgres'
      ? 'generate_series(1, $2::int) AS s(n)'
      : '(WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < $2) SELECT n FROM c) AS s';
  const columns =
    'gateway, seq, kind, device, channel, value, unit, quality, exception, ts, ts_corrected, mono, boot_id, priority, flags, alarm, received_at, hash';
  // Records v2 (migrations-records-v2.ts): kind and quality as codes, the hash as 32 bytes.
  const [alarm, reading, good, hash] =
    dialect === 'postgres' ? ['1', '0', '0', "decode(lpad(to_hex(s.n), 64, '0'), 'hex')"] : ['1', '0', '0', "unhex(printf('%064x', s.n))"];
  for (let g = 0; g < GATEWAYS; g++) {
    const values = `$1, s.n, CASE WHEN s.n % 500 = 0 THEN ${alarm} ELSE ${reading} END, 'pozo', 'ch' || (s.n % 4), s.n * 0.5, 'm', ${good}, NULL,
      ${T0} + s.n * ${MIN} + $3, NULL, s.n, 'boot', 1, 0, NULL, ${T0} + s.n * ${MIN} + $3, ${hash}`;
    await db.executor.transaction('bench load', (tq) => tq(`INSERT INTO records (${columns}) SELECT ${values} FROM ${series}`, [gw(g), PER_GATEWAY, g]));
  }
  await q('UPDATE gateways SET record_count = $1, highest_seq = $1', [PER_GATEWAY]);
  await q('ANALYZE');
  return performance.now() - started;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function plans(db: RelayDatabase, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const shapes: Array<[string, Parameters<typeof recordQuerySql>[0]]> = [
    ['org, no filter', { org: org(3), limit: 100 }],
    ['org, gateway', { org: org(3), gateway: gw(3), limit: 100 }],
    ['org, one hour', { org: org(3), from: T0 + 500 * MIN, to: T0 + 560 * MIN, limit: 100 }],
  ];
  for (const [name, query] of shapes) {
    const { sql, params } = recordQuerySql(query, (n) => `$${n}`, dialect);
    const explain = dialect === 'sqlite' ? `EXPLAIN QUERY PLAN ${sql}` : `EXPLAIN ${sql}`;
    const rows = (await db.executor.query<Record<string, unknown>>(explain, params)).rows;
    out(`  plan (${name}):`);
    for (const r of rows) out(`    ${String(dialect === 'sqlite' ? r['detail'] : r['QUERY PLAN'])}`);
  }
}

async function bench(label: string, storage: StoreConfig): Promise<void> {
  const db = createRelayDatabase(storage, silent);
  await db.start();
  const app = buildHttpServer({
    listen: { host: '127.0.0.1', port: 0, trustProxy: false, maxConnections: 100, maxConnectionsPerIp: 100, requestTimeoutMs: 60_000 } as never,
    logger: silent,
    clock: systemClock,
  });
  try {
    const loadMs = await load(db, storage.kind);
    out(`${label}: loaded ${fmt(ORGS)} organizations, ${fmt(GATEWAYS)} gateways, ${fmt(GATEWAYS * PER_GATEWAY)} records in ${fmt(loadMs / 1000, 1)} s`);
    const ownerToken = newApiToken();
    const apiTokens = [{ name: 'ops', sha256: hashApiToken(ownerToken) }];
    const auditor = new Auditor(db.identity, systemClock);
    const identity = new IdentityService({
      store: db.identity,
      auditor,
      operatorTokens: operatorTokens(apiTokens),
      options: identityOptions(identityConfigSchema.parse({})),
      clock: systemClock,
      logger: silent,
    });
    const users = new UserAdmin(db.identity, auditor, systemClock, apiTokens.map(tokenName));
    await users.add(cliPrincipal('bench'), { name: 'viewer3', role: 'viewer', orgId: org(3), password: 'correct horse battery' });
    const orgToken = (await users.addToken(cliPrincipal('bench'), { user: 'viewer3', role: 'viewer' })).token;
    const guard = new Guard(identity);
    guard.attach(app);
    await registerReadRoutes(app, { store: db.records, guard });
    await app.ready();

    const window = `from=${T0 + 500 * MIN}&to=${T0 + 560 * MIN}`;
    const cases: Array<[string, string, string]> = [
      ['owner, no filter', ownerToken, ''],
      ['owner, gateway', ownerToken, `gateway=${gw(3)}`],
      ['owner, one hour', ownerToken, window],
      ['org user, no filter', orgToken, ''],
      ['org user, gateway', orgToken, `gateway=${gw(3)}`],
      ['org user, one hour', orgToken, window],
      ['org user, one hour, its gateway', orgToken, `gateway=${gw(13)}&${window}`],
    ];
    out(`  GET /v1/readings (limit 100, ${REQUESTS} requests each, in process): p50 / p99 ms`);
    for (const [name, token, query] of cases) {
      const times: number[] = [];
      let rows = 0;
      for (let i = 0; i < REQUESTS; i++) {
        const t = performance.now();
        const res = await app.inject({
          method: 'GET',
          url: `/v1/readings?limit=100${query === '' ? '' : `&${query}`}`,
          headers: { authorization: `Bearer ${token}` },
        });
        times.push(performance.now() - t);
        if (res.statusCode !== 200) throw new Error(`${name}: ${res.statusCode} ${res.body}`);
        if (i === 0) rows = (res.json() as { items: unknown[] }).items.length;
      }
      times.sort((a, b) => a - b);
      out(`    ${name.padEnd(34)} ${fmt(percentile(times, 50), 2).padStart(8)} / ${fmt(percentile(times, 99), 2).padStart(8)}   (${rows} rows a page)`);
    }
    await plans(db, storage.kind);
  } finally {
    await app.close();
    await db.stop();
  }
}

out(machineLine());
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-bench-orgs-'));
try {
  await bench('SQLite', { kind: 'sqlite', path: path.join(dir, 'relay.db') });
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
const pg = await startPostgres();
try {
  await bench('PostgreSQL', { kind: 'postgres', url: await pg.newDatabase() });
} finally {
  await pg.stop();
}
