import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Lifecycle, namedPart } from '../platform/lifecycle.ts';
import { buildChannels, closeChannels } from '../platform/notify/channels.ts';
import type { Channel, ChannelKind } from '../platform/notify/types.ts';
import { type Clock, systemClock } from '../protocols/clock.ts';
import type { PagedLocally } from './alerts/engine.ts';
import { kickOnAlarms } from './alerts/kick.ts';
import { AlertService } from './alerts/service.ts';
import { AnchorService } from './anchor/service.ts';
import { registerFleetFeatures } from './compose-fleet.ts';
import type { Env } from './config/load.ts';
import type { RelayConfig } from './config/schema.ts';
import { registerDashboard } from './dashboard/routes.ts';
import type { DgaEngine } from './dga/engine.ts';
import { EvidenceBuilder } from './dga/evidence.ts';
import { DgaReporting } from './dga/reporting.ts';
import { VolumeService } from './dga/volumes.ts';
import { listenFailed, notRunning } from './errors.ts';
import { ackOnGateway } from './fleet/config-compose.ts';
import type { FleetRelayPart } from './fleet/part.ts';
import { registerAlertsRoutes } from './http/alerts-routes.ts';
import { registerAnchorRoutes } from './http/anchor-routes.ts';
import { registerAuditRoutes } from './http/audit-routes.ts';
import { Guard, type GuardedRoute, operatorTokens, tokenName } from './http/auth.ts';
import { registerDgaRoutes } from './http/dga-routes.ts';
import { registerIngestRoute } from './http/ingest-route.ts';
import { registerReadRoutes } from './http/read-routes.ts';
import { buildHttpServer } from './http/server.ts';
import { registerSessionRoutes } from './http/session-routes.ts';
import { readTls } from './http/tls.ts';
import { Auditor } from './identity/audit.ts';
import { identityOptions } from './identity/config.ts';
import { IdentityService } from './identity/service.ts';
import { UserAdmin } from './identity/users.ts';
import { GatewaySecrets } from './ingest/gateway-secrets.ts';
import { Ingestor } from './ingest/ingest.ts';
import { createRelayMetrics } from './metrics/index.ts';
import { registerMetricsRoute } from './metrics/route.ts';
import type { ProviderService } from './providers/service.ts';
import type { ReleaseService } from './releases/service.ts';
import { loadRelayKey } from './secrets.ts';
import { createRelayDatabase } from './store/index.ts';
import { pagedLocally } from './store/paged-locally.ts';
import type { IngestInput, RelayStore } from './store/types.ts';

export interface RelayDeps {
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Where ATALAYA_RELAY_KEY is read; process.env unless a test passes its own. */
  readonly env?: Env;
  /** false: DGA ticks only when called (tests); default: on dga.schedule. */
  readonly dgaSchedule?: boolean;
  /** false: anchoring cuts and ticks only when called (tests); default: on anchor.schedule / pollMs. */
  readonly anchorSchedule?: boolean;
  /**
   * The notification channels alerts send through, by kind, instead of those alerts.channels
   * configures (platform/notify's buildChannels): for tests. The relay does not close them.
   */
  readonly notifyChannels?: ReadonlyMap<ChannelKind, Channel>;
  /** false: alert passes run only when called (tests); default: every alerts.tickMs. */
  readonly alertsSchedule?: boolean;
  /** Whether a gateway paged a transition itself (issue 13 §7); default: its `paged` record (cloud/store/paged-locally.ts). */
  readonly pagedLocally?: PagedLocally;
  /** How long each part's stop() may take before the next one is stopped anyway, ms (default 5 000, platform/lifecycle.ts). */
  readonly stopDeadlineMs?: number;
  /** Fleet parts beside the relay's own (cloud/fleet/part.ts): for tests of the fleet channel. */
  readonly fleetParts?: readonly FleetRelayPart[];
  /** false: provider pulls run only when called (tests); default: on each source's intervalMs. */
  readonly sourcesSchedule?: boolean;
}

interface Running {
  readonly store: RelayStore;
  readonly app: FastifyInstance;
  readonly dga: DgaReporting | undefined;
  readonly anchor: AnchorService | undefined;
  readonly alerts: AlertService | undefined;
  readonly sources: ProviderService;
  readonly users: UserAdmin;
  readonly auditor: Auditor;
  readonly guard: Guard;
  readonly releases: ReleaseService | undefined;
  readonly lifecycle: Lifecycle;
}

/**
 * Composition root of the relay process: relay key → store → gateway secrets → ingest → HTTP, and
 * the DGA reporting (cloud/dga) when enabled.
 * Everything is built in start() (it needs files, the database and a socket). Parts start store,
 * DGA, anchoring, listener and stop in reverse (platform/lifecycle.ts), each under its own
 * try/catch and deadline: the listener first, so no request reaches a closed store, the store last.
 */
export class Relay {
  private running: Running | undefined;
  private starting: Promise<void> | undefined;
  private readonly logger: Logger;
  private readonly clock: Clock;

  constructor(
    readonly config: RelayConfig,
    private readonly deps: RelayDeps,
  ) {
    this.logger = deps.logger.child({ component: 'relay' });
    this.clock = deps.clock ?? systemClock;
  }

  /** Throws a coded error (relay key missing/invalid/mismatched, TLS, store) and leaves nothing open. */
  start(): Promise<void> {
    // A failed start leaves nothing open and may be retried.
    this.starting ??= this.doStart().catch((err: unknown) => {
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    const { config } = this;
    const { logger } = this.deps;
    const key = loadRelayKey(config.keyFile, this.deps.env ?? process.env);
    if (key.looselyPermitted) this.logger.warn({ keyFile: key.source }, 'relay key file is readable by group or others: chmod 600 it');
    const tls = readTls(config.listen.tls);
    if (config.storage.kind === 'sqlite') mkdirSync(path.dirname(path.resolve(config.storage.path)), { recursive: true });
    // One connection or pool for every store (cloud/store/database.ts), stopped last.
    const database = createRelayDatabase(config.storage, logger);
    const store = database.records;
    const lifecycle = new Lifecycle({ logger: this.logger, stopDeadlineMs: this.deps.stopDeadlineMs });
    let app: FastifyInstance | undefined;
    let listening = false;
    let dga: DgaReporting | undefined;
    let anchor: AnchorService | undefined;
    let alerts: AlertService | undefined;
    try {
      await lifecycle.start(namedPart('database', database));
      const secrets = new GatewaySecrets({ store, key: key.key, logger });
      const gateways = await secrets.verifyAll();
      // Alerts start later; a batch with alarm records asks them for a pass at once (cloud/alerts/kick.ts).
      let kickAlerts: (() => void) | undefined;
      let observeIngest: ((input: IngestInput) => Promise<void>) | undefined;
      const ingestStore = config.alerts.enabled
        ? kickOnAlarms(
            store,
            () => kickAlerts?.(),
            (input) => observeIngest?.(input) ?? Promise.resolve(),
          )
        : store;
      const ingestor = new Ingestor({ store: ingestStore, secrets, clock: this.clock, limits: config.ingest, logger });
      app = buildHttpServer({ listen: config.listen, tls, logger, clock: this.clock });
      // Who acts (issue 15): config tokens as the owner, users' tokens and sessions; every route guarded.
      const auditor = new Auditor(database.identity, this.clock);
      const identity = new IdentityService({
        store: database.identity,
        auditor,
        operatorTokens: operatorTokens(config.apiTokens),
        options: identityOptions(config.identity),
        clock: this.clock,
        logger,
      });
      const users = new UserAdmin(
        database.identity,
        auditor,
        this.clock,
        config.apiTokens.map(tokenName),
        async (id) => (await database.orgs.get(id)) !== undefined,
      );
      const guard = new Guard(identity);
      guard.attach(app);
      await registerSessionRoutes(app, { identity, guard });
      await registerAuditRoutes(app, { auditor, guard });
      // DGA and anchoring start below; the metrics read them when scraped.
      const metrics = createRelayMetrics({
        store,
        dga: () => dga?.engine,
        anchor: () => anchor,
        alerts: () => (alerts === undefined ? undefined : database.alerts),
        clock: this.clock,
        logger,
      });
      await registerMetricsRoute(app, { metrics, guard });
      await registerIngestRoute(app, ingestor, config.ingest.maxBodyBytes, metrics.observeIngest);
      await registerReadRoutes(app, { store, guard });
      await registerDashboard(app);
      // Fleet, provider sources, remote config and commands, releases (cloud/compose-fleet.ts).
      const env = this.deps.env ?? process.env;
      const { sources, commands, releases } = await registerFleetFeatures(app, {
        config,
        database,
        ingestor,
        metrics,
        guard,
        auditor,
        lifecycle,
        relayKey: key.key,
        env,
        clock: this.clock,
        logger,
        fleetParts: this.deps.fleetParts,
        sourcesSchedule: this.deps.sourcesSchedule,
      });
      if (config.dga.enabled) {
        const reporting = (dga = new DgaReporting({
          config: config.dga,
          queue: database.dga,
          records: store,
          key: key.key,
          clock: this.clock,
          logger,
          schedule: this.deps.dgaSchedule,
        }));
        let engine: DgaEngine | undefined;
        await lifecycle.start({
          name: 'dga',
          start: async () => {
            engine = await reporting.start();
          },
          stop: () => reporting.stop(),
        });
        if (engine !== undefined) {
          // Anchoring starts after DGA: the pack asks it for proofs at request time.
          const { chainId, contract } = config.anchor;
          const evidence = new EvidenceBuilder({
            config: config.dga,
            records: store,
            queue: database.dga,
            clock: this.clock,
            anchoring: config.anchor.enabled && chainId !== undefined && contract !== undefined ? { chainId, contract } : null,
            ...(config.anchor.enabled ? { proof: (gateway: string, seq: number) => anchor!.proof(gateway, seq) } : {}),
          });
          await registerDgaRoutes(app, {
            engine,
            volumes: new VolumeService({ config: config.dga, records: store }),
            evidence,
            guard,
            auditor,
            orgOfGateway: (id) => database.orgs.orgOfGateway(id),
          });
        }
      }
      if (config.anchor.enabled) {
        anchor = new AnchorService({
          config: config.anchor,
          store: database.anchor,
          env,
          clock: this.clock,
          logger,
          schedule: this.deps.anchorSchedule,
        });
        await lifecycle.start(namedPart('anchor', anchor));
        await registerAnchorRoutes(app, { anchor, guard, orgOfGateway: (id) => database.orgs.orgOfGateway(id) });
      }
      if (config.alerts.enabled) {
        // Built here so a missing secret stops the start (ATALAYA_NOTIFY_SECRET_MISSING), not the first alarm.
        const onSecret = (channel: ChannelKind, source: string, loose: boolean): void => {
          if (loose) this.logger.warn({ channel, source }, 'notification secret file is readable by group or others: chmod 600 it');
        };
        const channels = this.deps.notifyChannels ?? buildChannels(config.alerts.channels, { clock: this.clock, env, onSecret });
        if (this.deps.notifyChannels === undefined)
          await lifecycle.start({ name: 'notify channels', start: async () => undefined, stop: () => closeChannels(channels) });
        alerts = new AlertService({
          config: config.alerts,
          store: database.alerts,
          records: store,
          executor: database.executor,
          channels,
          relayKey: key.key,
          clock: this.clock,
          logger,
          schedule: this.deps.alertsSchedule,
          pagedLocally: this.deps.pagedLocally ?? (async (q) => (await pagedLocally(store, q)) !== undefined),
          status: {
            dga: config.dga.enabled
              ? {
                  store: database.dga,
                  obras: config.dga.obras.map((o) => o.code),
                  gatewayOf: (obra: string) => config.dga.obras.find((o) => o.code === obra)?.gateway,
                }
              : undefined,
            anchor: config.anchor.enabled ? database.anchor : undefined,
          },
          onOutcome: metrics.observeAlertDelivery,
          onAcked: (alert, by) => ackOnGateway(commands, alert, by, auditor),
        });
        await lifecycle.start(namedPart('alerts', alerts));
        const started = alerts;
        kickAlerts = () => started.kick();
        observeIngest = (input) => started.observeIngest(input);
        await registerAlertsRoutes(app, { alerts, guard, auditor });
      }
      const server = app;
      await lifecycle.start({
        name: 'http listener',
        start: async () => {
          listening = true;
          await server.listen({ host: config.listen.host, port: config.listen.port }).catch((err: unknown) => {
            throw listenFailed(config.listen.host, config.listen.port, err);
          });
        },
        stop: () => server.close(),
      });
      this.running = { store, app, dga, anchor, alerts, sources, releases, users, auditor, guard, lifecycle };
      if (config.apiTokens.length === 0) this.logger.info('no apiTokens configured: users sign in, or use their tokens (atalaya relay user add, token add)');
      this.logger.info({ ...this.address, tls: tls !== undefined, storage: config.storage.kind, gateways }, 'relay listening');
    } catch (err) {
      // The listener part closes the app itself; before it started, nothing else does.
      if (!listening) await app?.close().catch((e: unknown) => this.logger.error({ err: e }, 'closing the HTTP server failed'));
      await lifecycle.stop().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Stops accepting requests, lets those in flight finish, then stops anchoring, DGA and last the
   * store, each even when one before failed; rejects with ATALAYA_PLATFORM_STOP_FAILED afterwards
   * when some part failed (each failure is logged). Idempotent.
   */
  async stop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    const running = this.running;
    this.running = undefined;
    this.starting = undefined;
    if (running === undefined) return;
    await running.lifecycle.stop();
  }

  /** Where the relay listens (the real port when the config said 0). */
  get address(): { host: string; port: number } {
    const addr = this.running?.app.server.address() as AddressInfo | null | undefined;
    if (addr === undefined || addr === null) throw notRunning();
    return { host: addr.address, port: addr.port };
  }

  /** The DGA engine when dga.enabled, for tests (drive tick() with their own clock). */
  get dga(): DgaEngine | undefined {
    if (this.running === undefined) throw notRunning();
    return this.running.dga?.engine;
  }

  /** Anchoring when anchor.enabled, for tests (drive cut() and tick() with their own clock). */
  get anchor(): AnchorService | undefined {
    if (this.running === undefined) throw notRunning();
    return this.running.anchor;
  }

  /** The alerts when alerts.enabled, for tests (drive pass() with their own clock). */
  get alerts(): AlertService | undefined {
    if (this.running === undefined) throw notRunning();
    return this.running.alerts;
  }

  /** The provider sources, for tests and the demo (pull now). */
  get sources(): ProviderService {
    if (this.running === undefined) throw notRunning();
    return this.running.sources;
  }

  /** Users and their tokens, as the platform owner manages them (tests; the CLI opens the database itself). */
  get users(): UserAdmin {
    if (this.running === undefined) throw notRunning();
    return this.running.users;
  }

  /** The audit (cloud/identity/audit.ts). */
  get auditor(): Auditor {
    if (this.running === undefined) throw notRunning();
    return this.running.auditor;
  }

  /** Every guarded route and its permission (the role matrix test enumerates them). */
  get routes(): readonly GuardedRoute[] {
    if (this.running === undefined) throw notRunning();
    return this.running.guard.guarded;
  }

  /** Release hosting when releases.enabled: the fleet part `update` (cloud/releases). */
  get releases(): ReleaseService | undefined {
    if (this.running === undefined) throw notRunning();
    return this.running.releases;
  }

  /** The running store, for the CLI and tests. */
  get store(): RelayStore {
    if (this.running === undefined) throw notRunning();
    return this.running.store;
  }
}
