/**
 * Two organizations on one relay database (issue 15): `a` owns gw-a and its obra, `b` owns gw-b and
 * its obra; each has readings, an alarm record, an integrity alarm, a DGA slot in review, alerts and
 * a provider source (its virtual gateway in the organization), and one relay-wide alert (anchoring)
 * belongs to nobody; one hosted release (a platform matter). The fleet, remote config and
 * commands, sources and releases routes are registered too. The relay's routes are registered on a
 * Fastify app with the relay's guard, as cloud/main.ts does; organization A has a user of every
 * role with an API token, and the config (operator) token is the owner.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { alertsConfigSchema } from '../../cloud/alerts/config.ts';
import { AlertService } from '../../cloud/alerts/service.ts';
import type { AnchorService } from '../../cloud/anchor/service.ts';
import { registerDashboard } from '../../cloud/dashboard/routes.ts';
import { dgaConfigSchema } from '../../cloud/dga/config.ts';
import { DgaEngine } from '../../cloud/dga/engine.ts';
import { EvidenceBuilder } from '../../cloud/dga/evidence.ts';
import { VolumeService } from '../../cloud/dga/volumes.ts';
import { registerFleetConfigAndCommands } from '../../cloud/fleet/config-compose.ts';
import { registerFleetReadRoutes } from '../../cloud/fleet/read-routes.ts';
import { fleetConfigSchema } from '../../cloud/fleet/schema.ts';
import { registerAlertsRoutes } from '../../cloud/http/alerts-routes.ts';
import { registerAnchorRoutes } from '../../cloud/http/anchor-routes.ts';
import { registerAuditRoutes } from '../../cloud/http/audit-routes.ts';
import { Guard, hashApiToken, newApiToken, operatorTokens, tokenName } from '../../cloud/http/auth.ts';
import { registerDgaRoutes } from '../../cloud/http/dga-routes.ts';
import { registerReadRoutes } from '../../cloud/http/read-routes.ts';
import { recordRoutes } from '../../cloud/http/route-table.ts';
import { buildHttpServer } from '../../cloud/http/server.ts';
import { registerSessionRoutes } from '../../cloud/http/session-routes.ts';
import { Auditor, cliPrincipal } from '../../cloud/identity/audit.ts';
import { identityConfigSchema, identityOptions } from '../../cloud/identity/config.ts';
import type { Role } from '../../cloud/identity/principal.ts';
import { IdentityService } from '../../cloud/identity/service.ts';
import { UserAdmin } from '../../cloud/identity/users.ts';
import { createRelayMetrics } from '../../cloud/metrics/index.ts';
import { registerMetricsRoute } from '../../cloud/metrics/route.ts';
import { registerSourceMetrics } from '../../cloud/providers/metrics.ts';
import { registerSourceRoutes } from '../../cloud/providers/routes.ts';
import { ProviderService } from '../../cloud/providers/service.ts';
import { registerReleaseRoutes } from '../../cloud/releases/routes.ts';
import { ReleaseService } from '../../cloud/releases/service.ts';
import { newRelayKey, parseRelayKey } from '../../cloud/secrets.ts';
import type { NewAlert } from '../../cloud/store/alerts-types.ts';
import { createRelayDatabase, type RelayDatabase, type StoreConfig } from '../../cloud/store/database.ts';
import { SqlReleasesStore } from '../../cloud/store/releases-store.ts';
import { testLogger } from '../helpers/logger.ts';

export const NOW = Date.UTC(2025, 5, 20, 12, 0, 0);
/** A DGA slot (hour start, UTC-4 calendar) both obras hold in review. */
export const SLOT = Date.UTC(2025, 5, 20, 4, 0, 0);
const BOOT = '5f1c2e0a-1b2c-4d5e-8f90-a1b2c3d4e5f6';

export const ORGS = {
  a: { gateway: 'gw-a', obra: 'OB-0101-1', alert: 'alarm:gw-a:pozo:level:hi:3', obraAlert: 'dga-late:OB-0101-1:1', source: 'ttn-gw-a' },
  b: { gateway: 'gw-b', obra: 'OB-0202-2', alert: 'alarm:gw-b:pozo:level:hi:3', obraAlert: 'dga-late:OB-0202-2:1', source: 'ttn-gw-b' },
} as const;
export const RELAY_ALERT = 'anchor-errors:X:1';
/** The release the fixture hosts (stored as is: what is under test is who may see and roll it out). */
export const RELEASE = '1.0.0';

export const ORG_ROLES = ['admin', 'compliance', 'technician', 'viewer'] as const satisfies readonly Role[];

export interface OrgFixture {
  readonly db: RelayDatabase;
  readonly app: FastifyInstance;
  /** The config (operator) token: the platform owner. */
  readonly token: string;
  /** An API token of organization A's user of each role. */
  readonly tokens: Readonly<Record<(typeof ORG_ROLES)[number], string>>;
  readonly guard: Guard;
  /** Every route the app registered (recordRoutes). */
  readonly routes: ReadonlyArray<{ readonly method: string; readonly url: string }>;
  close(): Promise<void>;
}

const record = (gateway: string, seq: number, over: Record<string, unknown> = {}) => ({
  gateway,
  seq,
  kind: 'reading' as const,
  device: 'pozo',
  channel: 'level',
  value: seq,
  unit: 'm',
  quality: 'good' as const,
  exception: null,
  ts: NOW - 3_600_000 + seq * 1000,
  tsCorrected: null,
  mono: seq,
  bootId: BOOT,
  priority: 1 as const,
  flags: 0,
  hash: createHash('sha256').update(`${gateway}:${seq}`).digest('hex'),
  ...over,
});

const alert = (id: string, gateway: string | null, obra: string | null, ownerGateway?: string): NewAlert => ({
  id,
  family: id.slice(0, id.lastIndexOf(':')),
  kind: gateway !== null ? 'alarm' : obra !== null ? 'dga_late' : 'anchor_errors',
  severity: 'warning',
  gateway,
  device: null,
  channel: null,
  obra,
  ownerGateway,
  title: id,
  facts: {},
  openedAt: NOW,
});

/** A proof service standing for anchoring: the org filter is the route's, before it asks. */
const fakeAnchor = {
  proof: async (gateway: string, seq: number) => ({ gateway, seq, root: 'ab'.repeat(32) }),
  batches: async () => [{ id: 1, status: 'confirmed', size: 8 }],
  errors: async () => [{ id: 1, code: 'ATALAYA_ANCHOR_RPC', message: 'chain unreachable' }],
  batch: async (id: number) => (id === 1 ? { batch: { id: 1, status: 'confirmed', size: 8 }, txs: [] } : undefined),
} as unknown as AnchorService;

export async function orgFixture(storage: StoreConfig): Promise<OrgFixture> {
  const logger = testLogger();
  const db = createRelayDatabase(storage, logger);
  await db.start();
  const clock = { now: () => NOW, monotonic: () => NOW };
  const key = parseRelayKey(newRelayKey(), 'test');
  for (const [org, o] of Object.entries(ORGS)) {
    await db.orgs.add(org, `Organization ${org.toUpperCase()}`, NOW);
    await db.records.addGateway(o.gateway, 'sealed', NOW, org);
    const alarm = { kind: 'alarm' as const, alarm: { rule: 'hi', level: 'alarm' as const, state: 'raised' as const, threshold: 5 } };
    const batch = [record(o.gateway, 1), record(o.gateway, 2), record(o.gateway, 3, alarm)];
    await db.records.ingest({ gateway: o.gateway, records: batch, now: NOW, clockOffsetMs: 0 });
    // Seq 1 again with other content: an integrity alarm of this gateway.
    await db.records.ingest({ gateway: o.gateway, records: [{ ...record(o.gateway, 1), hash: 'ff'.repeat(32) }], now: NOW, clockOffsetMs: 0 });
    await db.dga.ensureObra(o.obra, NOW);
    await db.executor.query(
      `INSERT INTO dga_submissions (obra, slot, kind, state, measurement, findings, created_at, updated_at) VALUES ($1, $2, 'hourly', 'review', NULL, '[]', $3, $3)`,
      [o.obra, SLOT, NOW],
    );
    await db.alerts.openAlert(alert(o.alert, o.gateway, null), [], [], 'test');
    await db.alerts.openAlert(alert(o.obraAlert, null, o.obra, o.gateway), [], [], 'test');
    await db.sources.addSource({ id: o.source, kind: 'tts', org, gatewaySecretCiphertext: 'sealed', now: NOW });
  }
  const releasesStore = new SqlReleasesStore(db.executor);
  await releasesStore.addRelease({
    version: RELEASE,
    file: 'x.tar.gz',
    size: 1,
    sha256: '00'.repeat(32),
    manifest: '{}',
    signature: 'x',
    addedBy: 'test',
    addedAt: NOW,
  });
  await db.alerts.openAlert(alert(RELAY_ALERT, null, null), [], [], 'test');

  const dga = dgaConfigSchema.parse({
    enabled: true,
    obras: Object.values(ORGS).map((o) => ({
      code: o.obra,
      kind: 'subterranea',
      gateway: o.gateway,
      device: 'pozo',
      channels: { flow: 'flow', totalizer: 'totalizer', waterColumn: 'level' },
      sensorDepthM: 60,
      startAt: new Date(SLOT - 86_400_000).toISOString(),
    })),
  });
  const clients = { get: () => undefined as never, close: async () => undefined };
  const engine = new DgaEngine({ config: dga, records: db.records, queue: db.dga, key, clients, clock, logger });
  const alerts = new AlertService({
    config: alertsConfigSchema.parse({ enabled: true }),
    store: db.alerts,
    records: db.records,
    executor: db.executor,
    channels: new Map(),
    relayKey: key,
    clock,
    logger,
    schedule: false,
  });

  const token = newApiToken();
  const apiTokens = [{ name: 'ops', sha256: hashApiToken(token) }];
  const orgOfGateway = (id: string) => db.orgs.orgOfGateway(id);
  const app = buildHttpServer({
    listen: { host: '127.0.0.1', port: 0, trustProxy: false, maxConnections: 100, maxConnectionsPerIp: 100, requestTimeoutMs: 10_000 } as never,
    logger,
    clock,
  });
  const auditor = new Auditor(db.identity, clock);
  const identity = new IdentityService({
    store: db.identity,
    auditor,
    operatorTokens: operatorTokens(apiTokens),
    options: identityOptions(identityConfigSchema.parse({})),
    clock,
    logger,
  });
  const users = new UserAdmin(db.identity, auditor, clock, apiTokens.map(tokenName));
  const tokens = {} as Record<(typeof ORG_ROLES)[number], string>;
  for (const role of ORG_ROLES) {
    await users.add(cliPrincipal('test'), { name: `a-${role}`, role, orgId: 'a', password: 'correct horse battery' });
    tokens[role] = (await users.addToken(cliPrincipal('test'), { user: `a-${role}`, role })).token;
  }
  const guard = new Guard(identity);
  guard.attach(app);
  const routes = recordRoutes(app);
  await registerReadRoutes(app, { store: db.records, guard });
  const volumes = new VolumeService({ config: dga, records: db.records });
  const evidence = new EvidenceBuilder({ config: dga, records: db.records, queue: db.dga, clock, anchoring: null });
  await registerDgaRoutes(app, { engine, volumes, evidence, guard, auditor, orgOfGateway });
  await registerAnchorRoutes(app, { anchor: fakeAnchor, guard, orgOfGateway });
  await registerAlertsRoutes(app, { alerts, guard, auditor });
  await registerSessionRoutes(app, { identity, guard });
  await registerAuditRoutes(app, { auditor, guard });
  await registerDashboard(app);
  const metrics = createRelayMetrics({ store: db.records, dga: () => engine, anchor: () => undefined, alerts: () => db.alerts, clock, logger });
  await registerMetricsRoute(app, { metrics, guard });
  const fleetConfig = fleetConfigSchema.parse({});
  await registerFleetReadRoutes(app, { records: db.records, fleet: db.fleet, config: fleetConfig, clock, guard });
  await registerFleetConfigAndCommands(app, { executor: db.executor, gateways: db.records, guard, auditor, clock, logger });
  const sourceMetrics = registerSourceMetrics(metrics.registry);
  const sources = new ProviderService({ sources: [], store: db.sources, env: {}, clock, logger, metrics: sourceMetrics, schedule: false });
  await registerSourceRoutes(app, { service: sources, guard, metrics: sourceMetrics, headers: new Map() });
  const releases = new ReleaseService({ store: releasesStore, keys: [], dir: '/nonexistent', urlKey: key, urlTtlMs: 60_000, clock, logger });
  await registerReleaseRoutes(app, { service: releases, store: releasesStore, urlKey: key, guard, auditor, clock });
  await app.ready();
  // An audit line in each organization: A's technician and the owner (on B's alert) acknowledge.
  const ack = (id: string, token: string) =>
    app.inject({ method: 'POST', url: `/v1/alerts/${encodeURIComponent(id)}/ack`, headers: { authorization: `Bearer ${token}` }, payload: {} });
  for (const res of [await ack(ORGS.a.obraAlert, tokens.technician), await ack(ORGS.b.obraAlert, token)])
    if (res.statusCode !== 200) throw new Error(`ack: ${res.statusCode} ${res.body}`);
  return {
    db,
    app,
    token,
    tokens,
    guard,
    routes,
    async close() {
      await app.close();
      await db.stop();
    },
  };
}
